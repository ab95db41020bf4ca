package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/sign"
)

// exitError is an error with its own exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

type verifyFlags struct {
	key, identity, issuer, trustedRoot, maxSeverity, maxAge, format string
	require                                                         []string
	offline, referrers, ignoreSCT                                   bool
}

// defaultRequire are the attestations distill build --sign attaches.
var defaultRequire = []string{"cyclonedx", "spdxjson", "vuln", "slsaprovenance1"}

func newVerifyCmd() *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify REF",
		Short: "Verify an image's signatures, attestations and vulnerability policy",
		Long: `Checks what REF points at in its registry — the index and each platform image:

  signature             a signature by --key, or a Fulcio certificate for
                        --certificate-identity and --certificate-oidc-issuer
  signature identity    the signature names REF's repository (cosign does not
                        check this: a signature copied elsewhere would pass)
  attestation TYPE      a signed attestation of each --require type
  SBOM digest matches   the SBOM attestations are the ones the provenance names
  max severity/age      the attached vulnerability report (--max-severity, --max-age)
  transparency log      the Rekor entries, or "not checked (offline)" with --offline

Each check is printed with ok or FAIL. Exit code: 0 all passed, 1 a check
failed, 2 the image could not be verified (not found, registry unreachable,
bad options).`,
		Example: `  # a key-signed image, all of distill's attestations, no HIGH or CRITICAL finding
  distill verify 127.0.0.1:5000/app:v1 --key cosign.pub --max-severity MEDIUM

  # signed offline (distill build --no-tlog), scanned in the last week
  distill verify registry.internal/app:v1 --key cosign.pub --offline --max-age 7d

  # keyless, signed by a GitHub Actions workflow
  distill verify registry.example/org/app:v1 \
    --certificate-identity https://github.com/org/app/.github/workflows/release.yml@refs/heads/main \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com

  # only the signature and the provenance, as JSON
  distill verify 127.0.0.1:5000/app:v1 --key cosign.pub --require slsaprovenance1 --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := runVerify(cmd, f, args[0])
			if res == nil {
				return &exitError{code: 2, err: err}
			}
			if perr := printVerify(cmd, f.format, res); perr != nil {
				return perr
			}
			if err != nil {
				var ve *sign.VerifyError
				if errors.As(err, &ve) {
					n := len(res.Failed())
					return &exitError{code: 1, err: fmt.Errorf("%s: %d of %d checks failed", args[0], n, len(res.Checks))}
				}
				return &exitError{code: 1, err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", "public key: a PEM file (cosign.pub), env://VAR or a KMS URI")
	fl.StringVar(&f.identity, "certificate-identity", "", "keyless: the identity the signing certificate must name (email or URI)")
	fl.StringVar(&f.issuer, "certificate-oidc-issuer", "", "keyless: the OIDC issuer the signing certificate must name")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "sigstore trusted_root.json (Fulcio CAs, Rekor and CT keys) for a private sigstore or air-gapped use (default: sigstore's, fetched)")
	fl.BoolVar(&f.ignoreSCT, "insecure-ignore-sct", false, "keyless: accept certificates without a certificate transparency timestamp (private sigstore without CT)")
	fl.StringSliceVar(&f.require, "require", defaultRequire, "attestation types that must be present: cyclonedx, spdxjson, vuln, slsaprovenance1 or a predicate URI (--require= for none)")
	fl.StringVar(&f.maxSeverity, "max-severity", "", "fail if the attached vulnerability report has an open finding above LOW, MEDIUM, HIGH or CRITICAL")
	fl.StringVar(&f.maxAge, "max-age", "", "fail if the attached scan is older than this, e.g. 24h or 7d")
	fl.BoolVar(&f.offline, "offline", false, "accept signatures without a transparency log entry (signed with --no-tlog); said in the output")
	fl.BoolVar(&f.referrers, "referrers", false, "also read signatures and attestations stored as OCI 1.1 referrers")
	fl.StringVar(&f.format, "format", "text", "output: text or json")
	return cmd
}

func runVerify(cmd *cobra.Command, f *verifyFlags, arg string) (*sign.VerifyResult, error) {
	ref, err := name.ParseReference(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	if f.format != "text" && f.format != "json" {
		return nil, fmt.Errorf("--format %q: want text or json", f.format)
	}
	o := sign.VerifyOptions{
		CertIdentity: f.identity, CertOIDCIssuer: f.issuer, IgnoreSCT: f.ignoreSCT,
		Offline: f.offline, Require: f.require, MaxSeverity: strings.ToUpper(f.maxSeverity),
		Referrers: f.referrers,
		Remote:    []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)},
	}
	if f.key != "" {
		if o.Key, err = sign.LoadVerifier(cmd.Context(), f.key); err != nil {
			return nil, err
		}
	}
	if f.trustedRoot != "" {
		if o.TrustedMaterial, err = root.NewTrustedRootFromPath(f.trustedRoot); err != nil {
			return nil, fmt.Errorf("--trusted-root: %w", err)
		}
	}
	if f.maxAge != "" {
		if o.MaxAge, err = parseAge(f.maxAge); err != nil {
			return nil, err
		}
	}
	res, err := sign.Verify(cmd.Context(), ref, o)
	if errors.Is(err, sign.ErrNoTrustedRoot) {
		err = fmt.Errorf("%w\nhint: pass --trusted-root FILE (a private or mirrored sigstore), or --offline for an image signed without the transparency log (distill build --no-tlog)", err)
	}
	return res, err
}

// parseAge reads a Go duration, or a number of days ("7d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--max-age %q: want a duration such as 24h or 7d", s)
	}
	return d, nil
}

func printVerify(cmd *cobra.Command, format string, res *sign.VerifyResult) error {
	if format == "json" {
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", out)
		return err
	}
	_, err := fmt.Fprint(cmd.OutOrStdout(), res.String())
	return err
}
