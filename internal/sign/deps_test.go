package sign

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the cosign CLI and the clients it drags in out of
// this package (see doc.go), and the KMS SDKs out unless asked for.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	banned := []string{
		"github.com/sigstore/cosign/v2/cmd/",
		"github.com/sigstore/cosign/v2/pkg/signature",
		"github.com/google/go-github/",
		"gitlab.com/gitlab-org/api/",
		"k8s.io/client-go/",
		"github.com/aws/aws-sdk-go-v2/service/kms",
		"cloud.google.com/go/kms/",
		"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/",
		"github.com/hashicorp/vault/api",
	}
	for _, p := range strings.Fields(string(out)) {
		for _, b := range banned {
			if p == strings.TrimSuffix(b, "/") || strings.HasPrefix(p, b) {
				t.Errorf("internal/sign depends on %s", p)
			}
		}
	}
}
