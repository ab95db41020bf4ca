package sign

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin"
)

// kmsSchemes are the KMS URI schemes sigstore has providers for. Which of
// them are linked into the binary depends on the distill_kms build tag
// (kms_providers.go).
var kmsSchemes = []string{"awskms", "gcpkms", "azurekms", "hashivault"}

// kmsScheme reports whether ref is a KMS URI, and its scheme.
func kmsScheme(ref string) (string, bool) {
	scheme, _, ok := strings.Cut(ref, "://")
	return scheme, ok && slices.Contains(kmsSchemes, scheme)
}

// ErrKMSProviderMissing is returned (wrapped) for a KMS URI whose provider
// is not built into this binary and that no sigstore KMS plugin serves.
var ErrKMSProviderMissing = errors.New("KMS provider not built in")

// loadKMS returns the KMS-backed signer of ref. The signer also verifies:
// its public key is fetched from the KMS.
func loadKMS(ctx context.Context, scheme, ref string) (kms.SignerVerifier, error) {
	sv, err := kms.Get(ctx, ref, crypto.SHA256)
	if err == nil {
		return sv, nil
	}
	var nf *kms.ProviderNotFoundError
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("%w: KMS provider %s is not built into distill: build distill with -tags distill_kms "+
			"(adds the awskms, gcpkms, azurekms and hashivault providers), or put the sigstore KMS plugin %s%s on PATH",
			ErrKMSProviderMissing, scheme, cliplugin.PluginBinaryPrefix, scheme)
	}
	return nil, fmt.Errorf("KMS key %s: %w", ref, err)
}
