package pipeline

import (
	"context"

	"github.com/distill-dev/distill/internal/runner"
	"github.com/distill-dev/distill/internal/sign"
)

// SignWithKey signs what the build pushes, and its SBOM, vulnerability
// report and provenance attestations, with a cosign key: a private key file,
// env://VAR (the PEM in an environment variable) or a KMS URI (awskms://,
// gcpkms://, azurekms://, hashivault://). password returns the key's
// password; nil means the empty password. Read it from a secret store or a
// terminal, never from a command-line flag.
//
// Signatures are recorded in the transparency log unless
// [NoTransparencyLog] is given.
func SignWithKey(key string, password func() ([]byte, error)) Option {
	return func(o *runner.Options) error {
		s := signing(o)
		s.Key, s.Password = key, password
		return nil
	}
}

// SignKeyless signs with a short-lived Fulcio certificate for the OIDC
// identity of the environment (SIGSTORE_ID_TOKEN, or the CI provider's
// token, e.g. GitHub Actions with id-token: write), recorded in the
// transparency log. Empty URLs are sigstore's public instances.
func SignKeyless(fulcioURL, rekorURL string) Option {
	return func(o *runner.Options) error {
		s := signing(o)
		s.Keyless = &sign.Keyless{FulcioURL: fulcioURL}
		s.RekorURL = rekorURL
		return nil
	}
}

// SignKeylessToken is SignKeyless with the OIDC token from token.
func SignKeylessToken(fulcioURL, rekorURL string, token func(context.Context) (string, error)) Option {
	return func(o *runner.Options) error {
		s := signing(o)
		s.Keyless = &sign.Keyless{FulcioURL: fulcioURL, IDToken: token}
		s.RekorURL = rekorURL
		return nil
	}
}

// NoTransparencyLog signs offline: no transparency log entry is made, the
// build output says so, and `distill verify` needs --offline to accept it.
// Only for keys (keyless signatures need the log).
func NoTransparencyLog() Option {
	return func(o *runner.Options) error { signing(o).Tlog = false; return nil }
}

// RekorURL sends key-based signatures to this transparency log instead of
// sigstore's.
func RekorURL(url string) Option {
	return func(o *runner.Options) error { signing(o).RekorURL = url; return nil }
}

// Referrers stores signatures and attestations as OCI 1.1 referrers of the
// image instead of cosign's sha256-<digest>.sig/.att tags.
func Referrers() Option {
	return func(o *runner.Options) error { signing(o).Referrers = true; return nil }
}

// AllowUnsigned lets a build push without signing. Without it, a push needs
// SignWithKey or SignKeyless.
func AllowUnsigned() Option {
	return func(o *runner.Options) error { o.AllowUnsigned = true; return nil }
}

func signing(o *runner.Options) *runner.Signing {
	if o.Signing == nil {
		o.Signing = &runner.Signing{Tlog: true}
	}
	return o.Signing
}
