package sign

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// errNoTlogEntry marks a signature or attestation that was rejected only
// because it has no transparency-log entry and Offline was not set.
var errNoTlogEntry = errors.New("no transparency log entry (signed offline; verify with Offline to accept)")

// sigResult is one signature layer and whether it verified.
type sigResult struct {
	ok        bool
	tlog      bool   // its Rekor entry verified
	dockerRef string // the payload's critical.identity.docker-reference
	err       error
}

// attResult is one attestation (a DSSE layer or a sigstore bundle) and
// whether it verified.
type attResult struct {
	ok            bool
	tlog          bool
	predicateType string           // from the statement, else the annotation
	st            *parsedStatement // nil if unreadable
	source        string           // where it was found, for messages
	err           error
}

// collect reads and verifies every signature and attestation stored for t.
func (v *verifier) collect(ctx context.Context, t *targetState) error {
	h := t.digest
	ropt := ociremote.WithRemoteOptions(v.ropts...)
	sigs, err := ociremote.Signatures(v.repo.Tag(tagFor(h, "sig")), ropt)
	if err != nil {
		return fmt.Errorf("reading the signatures of %s: %w", h, err)
	}
	sigList, err := sigs.Get()
	if err != nil {
		return fmt.Errorf("reading the signatures of %s: %w", h, err)
	}
	atts, err := ociremote.Signatures(v.repo.Tag(tagFor(h, "att")), ropt)
	if err != nil {
		return fmt.Errorf("reading the attestations of %s: %w", h, err)
	}
	attList, err := atts.Get()
	if err != nil {
		return fmt.Errorf("reading the attestations of %s: %w", h, err)
	}
	var bundles []referrerBundle
	if v.o.Referrers {
		refs, err := referrers(v.repo, h, v.ropts)
		if err != nil {
			return fmt.Errorf("listing the referrers of %s: %w", h, err)
		}
		rs, err := referrerSignatures(v.repo, refs, v.ropts)
		if err != nil {
			return err
		}
		sigList = append(sigList, rs...)
		if bundles, err = referrerBundles(v.repo, refs, v.ropts); err != nil {
			return err
		}
	}
	for _, s := range sigList {
		t.sigs = append(t.sigs, v.checkSignature(ctx, h, s))
	}
	for _, a := range attList {
		t.atts = append(t.atts, v.checkAttestation(ctx, h, a))
	}
	for _, b := range bundles {
		t.atts = append(t.atts, v.checkBundle(ctx, h, b))
	}
	return nil
}

// tagFor is cosign's tag for the signatures ("sig") or attestations ("att")
// of h.
func tagFor(h v1.Hash, suffix string) string {
	return fmt.Sprintf("%s-%s.%s", h.Algorithm, h.Hex, suffix)
}

func (v *verifier) checkSignature(ctx context.Context, h v1.Hash, sig oci.Signature) sigResult {
	if !v.o.Offline {
		if b, err := sig.Bundle(); err != nil {
			return sigResult{err: err}
		} else if b == nil {
			return sigResult{err: errNoTlogEntry}
		}
	}
	tlog, err := cosign.VerifyImageSignature(ctx, sig, h, v.sigOpts)
	if err != nil {
		return sigResult{err: err}
	}
	r := sigResult{ok: true, tlog: tlog}
	if pl, err := sig.Payload(); err == nil {
		var sci payload.SimpleContainerImage
		if json.Unmarshal(pl, &sci) == nil {
			r.dockerRef = sci.Critical.Identity.DockerReference
		}
	}
	return r
}

// oneSignature is a signature list of one, for cosign's list verifiers.
type oneSignature struct {
	oci.Signatures
	sig oci.Signature
}

func (o oneSignature) Get() ([]oci.Signature, error) { return []oci.Signature{o.sig}, nil }

func (v *verifier) checkAttestation(ctx context.Context, h v1.Hash, att oci.Signature) attResult {
	r := attResult{source: "tag " + tagFor(h, "att")}
	if ann, err := att.Annotations(); err == nil {
		r.predicateType = ann["predicateType"]
	}
	if pl, err := att.Payload(); err == nil {
		var env struct {
			Payload string `json:"payload"`
		}
		if json.Unmarshal(pl, &env) == nil {
			if b, err := base64.StdEncoding.DecodeString(env.Payload); err == nil {
				if st, err := parseStatement(b); err == nil {
					r.st, r.predicateType = st, st.PredicateType
				}
			}
		}
	}
	if !v.o.Offline {
		if b, err := att.Bundle(); err != nil {
			r.err = err
			return r
		} else if b == nil {
			r.err = errNoTlogEntry
			return r
		}
	}
	_, tlog, err := cosign.VerifyImageAttestation(ctx, oneSignature{Signatures: empty.Signatures(), sig: att}, h, v.attOpts)
	if err != nil {
		r.err = err
		return r
	}
	r.tlog = tlog
	r.ok, r.err = v.statementNamesImage(r.st, h)
	return r
}

func (v *verifier) checkBundle(ctx context.Context, h v1.Hash, rb referrerBundle) attResult {
	r := attResult{source: "referrer " + rb.digest.String(), predicateType: rb.annotations["dev.sigstore.bundle.predicateType"]}
	if rb.err != nil {
		r.err = rb.err
		return r
	}
	if env := rb.bundle.GetDsseEnvelope(); env != nil {
		if st, err := parseStatement(env.GetPayload()); err == nil {
			r.st, r.predicateType = st, st.PredicateType
		}
	} else {
		r.err = errors.New("the sigstore bundle holds no DSSE envelope")
		return r
	}
	raw, err := hex.DecodeString(h.Hex)
	if err != nil {
		r.err = err
		return r
	}
	if _, err := cosign.VerifyNewBundle(ctx, v.bundOpts, verify.WithArtifactDigest(h.Algorithm, raw), rb.bundle); err != nil {
		r.err = err
		return r
	}
	r.tlog = !v.o.Offline
	r.ok, r.err = v.statementNamesImage(r.st, h)
	return r
}

// statementNamesImage checks what cosign does not: that the verified
// statement's subject with digest h names the repository being verified.
func (v *verifier) statementNamesImage(st *parsedStatement, h v1.Hash) (bool, error) {
	if st == nil {
		return false, errors.New("unreadable in-toto statement")
	}
	s, ok := st.subjectFor(h)
	if !ok {
		return false, fmt.Errorf("no subject with digest %s", h)
	}
	if !sameRepository(s.Name, v.repo) {
		return false, fmt.Errorf("the statement is about %s, not %s", s.Name, v.repo.Name())
	}
	return true, nil
}

// sameRepository reports whether a reference or repository name as a
// signature or statement writes it names repo.
func sameRepository(s string, repo name.Repository) bool {
	if r, err := name.ParseReference(s); err == nil {
		return r.Context().Name() == repo.Name()
	}
	if r, err := name.NewRepository(s); err == nil {
		return r.Name() == repo.Name()
	}
	return false
}
