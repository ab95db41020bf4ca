//go:build !distill_kms

package sign

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Without the distill_kms build tag no KMS provider is linked: a KMS key
// fails with an error that says what to do (unless a sigstore KMS plugin
// for the scheme is on PATH, which the test makes sure it is not).
func TestKMSProviderMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, ref := range []string{"awskms:///alias/distill", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "azurekms://vault.example/key", "hashivault://distill"} {
		scheme, _, _ := strings.Cut(ref, "://")
		_, err := LoadSigner(context.Background(), ref, nil)
		if !errors.Is(err, ErrKMSProviderMissing) || !strings.Contains(err.Error(), "KMS provider "+scheme+" is not built into distill") ||
			!strings.Contains(err.Error(), "-tags distill_kms") || !strings.Contains(err.Error(), "sigstore-kms-"+scheme) {
			t.Errorf("%s: %v", ref, err)
		}
		if _, err := LoadVerifier(context.Background(), ref); !errors.Is(err, ErrKMSProviderMissing) {
			t.Errorf("verifier %s: %v", ref, err)
		}
	}
}
