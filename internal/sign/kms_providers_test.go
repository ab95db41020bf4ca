//go:build distill_kms

package sign

import (
	"slices"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature/kms"
)

func TestKMSProvidersBuiltIn(t *testing.T) {
	got := kms.SupportedProviders()
	for _, s := range kmsSchemes {
		if !slices.Contains(got, s+"://") {
			t.Errorf("provider %s:// not registered (have %v)", s, got)
		}
	}
}
