package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/distill-dev/distill/internal/scan"
)

// VerifyOptions says what [Verify] checks and trusts.
type VerifyOptions struct {
	// Key verifies keyed signatures (see [LoadVerifier]). Either Key, or
	// CertIdentity and CertOIDCIssuer, are set.
	Key signature.Verifier
	// CertIdentity and CertOIDCIssuer verify keyless signatures: the
	// identity (email, or URI such as a CI workflow's) and the OIDC issuer
	// the Fulcio certificate must name.
	CertIdentity, CertOIDCIssuer string
	// IgnoreSCT accepts keyless certificates without a certificate
	// transparency timestamp, for private sigstore instances without a CT
	// log (cosign's --insecure-ignore-sct).
	IgnoreSCT bool
	// TrustedMaterial is the sigstore trust root (Fulcio CAs, Rekor and CT
	// log keys) for keyless verification and transparency-log checks. nil:
	// the public-good root, which cosign fetches from the sigstore TUF
	// repository (network) — only when keyless or the transparency log is
	// asked for; key-based offline verification needs nothing.
	TrustedMaterial root.TrustedMaterial
	// Offline accepts signatures and attestations without a transparency
	// log entry; the result says "transparency log: not checked
	// (offline)". Otherwise each must carry a Rekor entry that verifies
	// against TrustedMaterial (no online Rekor lookups are made).
	Offline bool
	// Require lists attestation types that must be present and valid for
	// the image and each platform image (an index's attestation counts for
	// its platform images): cyclonedx, spdxjson (or spdx), vuln,
	// slsaprovenance1, or predicate URIs.
	Require []string
	// MaxSeverity, if set, fails when the newest valid vuln attestation's
	// report (distill's, schema distill.dev/scan/v1) has an open — not
	// suppressed — finding whose effective severity is above it.
	MaxSeverity string
	// MaxAge, if set, fails when the newest valid vuln attestation's scan
	// finished longer than this before Now.
	MaxAge time.Duration
	// Referrers also looks for signatures and attestations stored as OCI
	// 1.1 referrers (see [PublishOptions]); cosign's tags are always read.
	Referrers bool
	// Now is the time MaxAge is measured to; zero means the current time.
	Now time.Time
	// Remote are the registry options.
	Remote []remote.Option
}

// Check is one verification check and its outcome.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

func (c Check) String() string {
	s := "FAIL"
	if c.Passed {
		s = "ok"
	}
	if c.Detail == "" {
		return fmt.Sprintf("%-4s %s", s, c.Name)
	}
	return fmt.Sprintf("%-4s %s: %s", s, c.Name, c.Detail)
}

// VerifyResult is what [Verify] found.
type VerifyResult struct {
	// Ref is the reference verified, and Digest what it pointed at.
	Ref    string  `json:"ref"`
	Digest v1.Hash `json:"digest"`
	// Checks are the checks in the order they were made.
	Checks []Check `json:"checks"`
	// Passed is true when every check passed.
	Passed bool `json:"passed"`
}

// Failed returns the checks that failed.
func (r *VerifyResult) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// String lists the checks, one a line.
func (r *VerifyResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%s\n", r.Ref, r.Digest)
	for _, c := range r.Checks {
		b.WriteString("  " + c.String() + "\n")
	}
	return b.String()
}

// ErrNoTrustedRoot is wrapped by the error of a Verify that needs the
// sigstore trusted root (keyless, or not Offline) and was given none and
// could not fetch it.
var ErrNoTrustedRoot = errors.New("the sigstore trusted root could not be fetched")

// ErrVerificationFailed is wrapped by the error Verify returns when a check
// failed.
var ErrVerificationFailed = errors.New("verification failed")

// VerifyError is the error of a verification whose checks did not all pass.
type VerifyError struct{ Result *VerifyResult }

func (e *VerifyError) Error() string {
	var names []string
	for _, c := range e.Result.Failed() {
		names = append(names, c.Name+": "+c.Detail)
	}
	return fmt.Sprintf("%s@%s: %s: %s", e.Result.Ref, e.Result.Digest, ErrVerificationFailed, strings.Join(names, "; "))
}

func (e *VerifyError) Unwrap() error { return ErrVerificationFailed }

// Verify checks what ref points at in its registry: for the digest and, for
// an index, for each platform image,
//
//   - "signature": a signature by the key (or a Fulcio certificate for the
//     identity) over cosign's payload for that digest;
//   - "signature identity": that payload's docker-reference names ref's
//     repository (cosign does not check this: a signature copied with the
//     image to another repository would verify there);
//   - "attestation <type>": for each required type, an attestation whose
//     DSSE signature verifies and whose statement names the digest and
//     ref's repository;
//   - "SBOM digest matches": when a valid slsaprovenance1 attestation lists
//     SBOMs (*.cdx.json, *.spdx.json) among its byproducts, the SBOM
//     attestations hash to the digests it gives ([PredicateDigest]);
//   - "max severity", "max age": the newest vuln attestation's report, when
//     asked;
//
// and once "transparency log": verified Rekor entries, or "not checked
// (offline)".
//
// It returns the result; when a check failed, also a *[VerifyError]
// (errors.Is ErrVerificationFailed). Any other error (the reference does not
// exist, the registry cannot be reached, bad options) comes without a
// result.
func Verify(ctx context.Context, ref name.Reference, o VerifyOptions) (*VerifyResult, error) {
	v, err := newVerifier(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(ref, v.ropts...)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	res := &VerifyResult{Ref: ref.String(), Digest: desc.Digest}
	targets, err := v.targets(desc)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", ref, err)
	}

	for i := range targets {
		if err := v.collect(ctx, &targets[i]); err != nil {
			return nil, fmt.Errorf("verify %s: %w", ref, err)
		}
	}
	// targets[0] is the digest ref points at; its platform images follow,
	// sorted.
	slices.SortStableFunc(targets[1:], func(a, b targetState) int { return strings.Compare(a.platform, b.platform) })
	top := &targets[0]
	var children []*targetState
	for i := range targets[1:] {
		children = append(children, &targets[1+i])
	}
	for i := range targets {
		t := &targets[i]
		if t == top {
			res.Checks = append(res.Checks, v.signatureChecks(t)...)
			res.Checks = append(res.Checks, v.attestationChecks(t, nil, children)...)
			continue
		}
		res.Checks = append(res.Checks, v.signatureChecks(t)...)
		res.Checks = append(res.Checks, v.attestationChecks(t, top, nil)...)
	}
	res.Checks = append(res.Checks, v.tlogCheck(targets))
	res.Passed = true
	for _, c := range res.Checks {
		res.Passed = res.Passed && c.Passed
	}
	if !res.Passed {
		return res, &VerifyError{Result: res}
	}
	return res, nil
}

// verifier holds what one Verify call needs.
type verifier struct {
	o        VerifyOptions
	repo     name.Repository
	ropts    []remote.Option
	require  []string // predicate URIs
	maxSev   scan.Severity
	now      time.Time
	sigOpts  *cosign.CheckOpts // for signature layers
	attOpts  *cosign.CheckOpts // for DSSE attestation layers
	bundOpts *cosign.CheckOpts // for sigstore bundles (referrers)
}

// minimalTrustedRoot is a sigstore trust root that trusts nothing: what a
// key-based, offline verification of sigstore bundles needs (the key is
// the trust).
const minimalTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

func newVerifier(ctx context.Context, ref name.Reference, o VerifyOptions) (*verifier, error) {
	keyless := o.CertIdentity != "" || o.CertOIDCIssuer != ""
	switch {
	case o.Key != nil && keyless:
		return nil, errors.New("verify: give a Key or a certificate identity and issuer, not both")
	case o.Key == nil && !keyless:
		return nil, errors.New("verify: no Key and no certificate identity: nothing to verify against")
	case keyless && (o.CertIdentity == "" || o.CertOIDCIssuer == ""):
		return nil, errors.New("verify: keyless verification needs both CertIdentity and CertOIDCIssuer")
	}
	v := &verifier{o: o, repo: ref.Context(), now: o.Now}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	v.ropts = append([]remote.Option{remote.WithContext(ctx)}, o.Remote...)
	for _, r := range o.Require {
		u, err := PredicateURI(r)
		if err != nil {
			return nil, fmt.Errorf("verify: required attestation: %w", err)
		}
		if !slices.Contains(v.require, u) {
			v.require = append(v.require, u)
		}
	}
	if o.MaxSeverity != "" {
		sev, err := scan.ParseSeverity(o.MaxSeverity)
		if err != nil {
			return nil, fmt.Errorf("verify: max severity: %w", err)
		}
		v.maxSev = sev
	}
	if o.MaxAge < 0 {
		return nil, fmt.Errorf("verify: max age %s is negative", o.MaxAge)
	}

	tm := o.TrustedMaterial
	if tm == nil && (keyless || !o.Offline) {
		var err error
		if tm, err = cosign.TrustedRoot(); err != nil {
			return nil, fmt.Errorf("verify: %w (needed for keyless verification and transparency-log checks): %w", ErrNoTrustedRoot, err)
		}
	}
	base := cosign.CheckOpts{
		SigVerifier:     o.Key,
		TrustedMaterial: tm,
		IgnoreTlog:      o.Offline,
		IgnoreSCT:       o.IgnoreSCT,
		// Never look entries up in Rekor: a signature must carry its
		// log entry (cosign's bundle).
		Offline: true,
	}
	if keyless {
		base.Identities = []cosign.Identity{{Subject: o.CertIdentity, Issuer: o.CertOIDCIssuer}}
	}
	sig, att, bund := base, base, base
	sig.ClaimVerifier = cosign.SimpleClaimVerifier
	att.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	if bund.TrustedMaterial == nil {
		var err error
		if bund.TrustedMaterial, err = root.NewTrustedRootFromJSON([]byte(minimalTrustedRoot)); err != nil {
			return nil, err
		}
	}
	v.sigOpts, v.attOpts, v.bundOpts = &sig, &att, &bund
	return v, nil
}

// targetState is one digest Verify checks, and what it found for it.
type targetState struct {
	digest   v1.Hash
	platform string
	sigs     []sigResult
	atts     []attResult
}

// named appends the target's label to a check name.
func (t *targetState) named(n string) string {
	if t.platform == "" {
		return n
	}
	return n + " (" + t.platform + ")"
}

// targets lists the digest desc names and, for an index, its platform
// images (nested indexes are followed).
func (v *verifier) targets(desc *remote.Descriptor) ([]targetState, error) {
	out := []targetState{{digest: desc.Digest}}
	if !desc.MediaType.IsIndex() {
		return out, nil
	}
	seen := map[v1.Hash]bool{desc.Digest: true}
	var visit func(raw []byte, prefix string) error
	visit = func(raw []byte, prefix string) error {
		im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		for _, d := range im.Manifests {
			if !isPlatformChild(d) || seen[d.Digest] {
				continue
			}
			seen[d.Digest] = true
			p := platformString(d.Platform)
			if p == "" {
				p = d.Digest.String()[:19]
			}
			if prefix != "" {
				p = prefix + " " + p
			}
			out = append(out, targetState{digest: d.Digest, platform: p})
			if d.MediaType.IsIndex() {
				cd, err := remote.Get(v.repo.Digest(d.Digest.String()), v.ropts...)
				if err != nil {
					return err
				}
				if err := visit(cd.Manifest, p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, visit(desc.Manifest, "")
}
