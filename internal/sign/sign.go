package sign

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	rekorclient "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Options says how [Sign] signs.
type Options struct {
	// Signer signs with a key (see [LoadSigner]). Exactly one of Signer
	// and Keyless is set.
	Signer signature.SignerVerifier
	// Keyless signs with a Fulcio certificate for an OIDC identity.
	Keyless *Keyless
	// Tlog records every signature and attestation in the Rekor
	// transparency log and stores the log's promise (cosign's bundle) with
	// it. false signs offline: no service is contacted, the signatures
	// carry no bundle, and [Verify] reports the transparency log as not
	// checked. Keyless signing requires Tlog.
	Tlog bool
	// RekorURL is the transparency log for Tlog. Empty: the instance in
	// sigstore's signing config, fetched by cosign from the sigstore TUF
	// repository (network).
	RekorURL string
}

// Sign signs e — a v1.Image or a v1.ImageIndex, typically read from the OCI
// layout the build wrote — as repo@digest: for an index, the index and each
// of its platform images (BuildKit attestation manifests excepted). It
// attaches the attestations of atts to the entity whose digest is their key:
// each becomes an in-toto statement (v0.1, as `cosign attest` writes) with
// subject repo and that sha256 digest, signed as a DSSE envelope.
//
// Sign contacts no registry. It returns a cosign oci.SignedEntity (an
// oci.SignedImage or oci.SignedImageIndex) for [Publish]; cosign's own
// writers (ociremote, ocilayout.WriteSignedImage) accept it too.
func Sign(ctx context.Context, e any, repo name.Repository, atts map[v1.Hash][]Attestation, o Options) (oci.SignedEntity, error) {
	s, err := newSigner(ctx, o)
	if err != nil {
		return nil, err
	}
	used := map[v1.Hash]bool{}
	var se oci.SignedEntity
	switch x := e.(type) {
	case v1.ImageIndex:
		se, err = s.signIndex(ctx, x, repo, atts, used)
	case v1.Image:
		se, err = s.signImage(ctx, x, repo, atts, used)
	default:
		return nil, fmt.Errorf("sign: %T is neither a v1.Image nor a v1.ImageIndex", e)
	}
	if err != nil {
		return nil, err
	}
	var unused []string
	for h := range atts {
		if !used[h] && len(atts[h]) > 0 {
			unused = append(unused, h.String())
		}
	}
	if len(unused) > 0 {
		slices.Sort(unused)
		return nil, fmt.Errorf("sign: attestations for %v, which is neither the image nor one of its platform images", unused)
	}
	return se, nil
}

// signer signs payloads and statements with a key or a Fulcio certificate.
type signer struct {
	sv  signature.SignerVerifier
	pub crypto.PublicKey
	// identity is what the transparency log and sigstore bundles record
	// as the signer: the certificate (keyless) or the public key, in PEM.
	identity []byte
	certPEM  []byte
	chainPEM []byte
	rekor    *rekorclient.Rekor
	rekorURL string
}

func newSigner(ctx context.Context, o Options) (*signer, error) {
	s := &signer{}
	switch {
	case o.Signer != nil && o.Keyless != nil:
		return nil, errors.New("sign: set a Signer or Keyless, not both")
	case o.Signer != nil:
		s.sv = o.Signer
	case o.Keyless != nil:
		if !o.Tlog {
			return nil, errors.New("sign: keyless signing needs Tlog: without a transparency-log entry the short-lived certificate cannot be verified once it expires")
		}
		c, err := o.Keyless.certify(ctx)
		if err != nil {
			return nil, err
		}
		s.sv, s.certPEM, s.chainPEM, s.identity = c.sv, c.certPEM, c.chainPEM, c.certPEM
	default:
		return nil, errors.New("sign: no Signer and no Keyless: nothing to sign with")
	}
	pub, err := s.sv.PublicKey(sigopts.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("sign: public key: %w", err)
	}
	s.pub = pub
	if s.identity == nil { // a key: the log records the public key
		if s.identity, err = cryptoutils.MarshalPublicKeyToPEM(pub); err != nil {
			return nil, fmt.Errorf("sign: public key: %w", err)
		}
	}
	if o.Tlog {
		c, u, err := newRekor(o.RekorURL)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		s.rekor, s.rekorURL = c, u
	}
	return s, nil
}

// staticOpts are the options every signature layer gets: the certificate
// and its chain when keyless, and the transparency log's promise.
func (s *signer) staticOpts(entry *models.LogEntryAnon) []static.Option {
	var opts []static.Option
	if s.certPEM != nil {
		opts = append(opts, static.WithCertChain(s.certPEM, s.chainPEM))
	}
	if entry != nil {
		opts = append(opts, static.WithBundle(cbundle.EntryToBundle(entry)))
	}
	return opts
}

// signDigest signs cosign's simple-signing payload for repo@h.
func (s *signer) signDigest(ctx context.Context, repo name.Repository, h v1.Hash) (oci.Signature, error) {
	pl, err := (&payload.Cosign{Image: repo.Digest(h.String())}).MarshalJSON()
	if err != nil {
		return nil, err
	}
	raw, err := s.sv.SignMessage(bytes.NewReader(pl), sigopts.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", h, err)
	}
	var entry *models.LogEntryAnon
	if s.rekor != nil {
		sum := sha256.New()
		sum.Write(pl)
		if entry, err = cosign.TLogUpload(ctx, s.rekor, raw, sum, s.identity); err != nil {
			return nil, fmt.Errorf("signing %s: transparency log %s: %w", h, s.rekorURL, err)
		}
	}
	return static.NewSignature(pl, base64.StdEncoding.EncodeToString(raw), s.staticOpts(entry)...)
}

// attBundle is an attestation as a sigstore bundle (v0.3, DSSE content),
// the form OCI 1.1 referrers carry attestations in.
type attBundle struct {
	predicateType string
	json          []byte
	err           error // why no bundle could be made
}

// attest signs a statement about repo@h as a DSSE envelope.
func (s *signer) attest(ctx context.Context, repo name.Repository, h v1.Hash, a Attestation) (oci.Signature, attBundle, error) {
	pt, err := PredicateURI(a.PredicateType)
	if err != nil {
		return nil, attBundle{}, err
	}
	st, err := statement(repo, h, pt, a.Predicate)
	if err != nil {
		return nil, attBundle{}, err
	}
	env, err := dsse.WrapSigner(s.sv, ctypes.IntotoPayloadType).SignMessage(bytes.NewReader(st), sigopts.WithContext(ctx))
	if err != nil {
		return nil, attBundle{}, fmt.Errorf("signing the %s attestation of %s: %w", pt, h, err)
	}
	var entry *models.LogEntryAnon
	if s.rekor != nil {
		if entry, err = cosign.TLogUploadDSSEEnvelope(ctx, s.rekor, env, s.identity); err != nil {
			return nil, attBundle{}, fmt.Errorf("attesting %s (%s): transparency log %s: %w", h, pt, s.rekorURL, err)
		}
	}
	opts := append(s.staticOpts(entry),
		static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": pt}))
	att, err := static.NewAttestation(env, opts...)
	if err != nil {
		return nil, attBundle{}, err
	}
	b := attBundle{predicateType: pt}
	switch {
	case entry != nil && (entry.Verification == nil || entry.Verification.InclusionProof == nil):
		// A sigstore bundle v0.3 needs the proof (and cosign's converter
		// dereferences it unchecked).
		err = errors.New("the transparency log returned no inclusion proof")
	default:
		b.json, err = cbundle.MakeNewBundle(s.pub, entry, st, env, s.identity, nil)
	}
	if err != nil {
		b.err = fmt.Errorf("sigstore bundle of the %s attestation of %s: %w", pt, h, err)
	}
	return att, b, nil
}

// signed makes the signatures and attestations of repo@h.
func (s *signer) signed(ctx context.Context, repo name.Repository, h v1.Hash, atts []Attestation) (sigs, attSigs oci.Signatures, bundles []attBundle, err error) {
	sig, err := s.signDigest(ctx, repo, h)
	if err != nil {
		return nil, nil, nil, err
	}
	if sigs, err = mutate.AppendSignatures(empty.Signatures(), false, sig); err != nil {
		return nil, nil, nil, err
	}
	var layers []oci.Signature
	for _, a := range atts {
		att, b, err := s.attest(ctx, repo, h, a)
		if err != nil {
			return nil, nil, nil, err
		}
		layers = append(layers, att)
		bundles = append(bundles, b)
	}
	attSigs = empty.Signatures()
	if len(layers) > 0 {
		if attSigs, err = mutate.AppendSignatures(attSigs, false, layers...); err != nil {
			return nil, nil, nil, err
		}
	}
	return sigs, attSigs, bundles, nil
}

func (s *signer) signImage(ctx context.Context, img v1.Image, repo name.Repository, atts map[v1.Hash][]Attestation, used map[v1.Hash]bool) (*signedImage, error) {
	h, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("sign: image digest: %w", err)
	}
	used[h] = true
	sigs, attSigs, bundles, err := s.signed(ctx, repo, h, atts[h])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return &signedImage{Image: img, sigs: sigs, atts: attSigs, bundles: bundles}, nil
}

func (s *signer) signIndex(ctx context.Context, ii v1.ImageIndex, repo name.Repository, atts map[v1.Hash][]Attestation, used map[v1.Hash]bool) (*signedIndex, error) {
	h, err := ii.Digest()
	if err != nil {
		return nil, fmt.Errorf("sign: index digest: %w", err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("sign: index %s: %w", h, err)
	}
	out := &signedIndex{index: ii, children: map[v1.Hash]oci.SignedEntity{}}
	children := slices.Clone(im.Manifests)
	slices.SortStableFunc(children, func(a, b v1.Descriptor) int { return cmp.Compare(a.Digest.String(), b.Digest.String()) })
	for _, d := range children {
		if !isPlatformChild(d) || out.children[d.Digest] != nil {
			continue
		}
		var child oci.SignedEntity
		if d.MediaType.IsIndex() {
			cii, err := ii.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("sign: index %s: %w", d.Digest, err)
			}
			child, err = s.signIndex(ctx, cii, repo, atts, used)
			if err != nil {
				return nil, err
			}
		} else {
			img, err := ii.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("sign: image %s: %w", d.Digest, err)
			}
			child, err = s.signImage(ctx, img, repo, atts, used)
			if err != nil {
				return nil, err
			}
		}
		out.children[d.Digest] = child
	}
	used[h] = true
	if out.sigs, out.atts, out.bundles, err = s.signed(ctx, repo, h, atts[h]); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return out, nil
}
