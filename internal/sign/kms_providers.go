//go:build distill_kms

package sign

// The KMS providers, linked only with -tags distill_kms: together they add
// about 16 MB and 50 modules (the AWS, Google Cloud and Azure SDKs and the
// Vault client) to the distill binary, for users who keep signing keys in a
// KMS. Without them a KMS URI still works through a sigstore KMS plugin
// (sigstore-kms-<scheme>) on PATH.
import (
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)
