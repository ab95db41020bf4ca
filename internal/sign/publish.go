package sign

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

// PublishOptions says how [Publish] stores signatures and attestations.
type PublishOptions struct {
	// Referrers stores signatures and attestations as OCI 1.1 referrers of
	// the image (signatures as `cosign sign
	// --registry-referrers-mode=oci-1-1` does, attestations as sigstore
	// bundles as `cosign attest --new-bundle-format` does) instead of
	// cosign's sha256-<hex>.sig and .att tags. A registry without the
	// referrers API gets the OCI referrers tag schema (sha256-<hex>).
	Referrers bool
	// ReplaceAttestations drops the attestations already stored for a
	// digest that have the predicate type of one being published (`cosign
	// attest --replace`), so that republishing a reproducible digest does
	// not pile up scan reports. Tag scheme only: referrers are never
	// deleted. Otherwise attestations are added to those already there,
	// as `cosign attest` does; signatures always are.
	ReplaceAttestations bool
	// Remote are the registry options: authentication, transport, retries.
	Remote []remote.Option
}

// Publish pushes se, as [Sign] returned it, to tag's repository, in this
// order:
//
//  1. every blob and manifest of the image or index, by digest (no tag);
//  2. the signatures of the image (and of each platform image);
//  3. the attestations;
//  4. the tag, last.
//
// If a step fails, Publish returns the error and the tag is untouched: it
// points at what it pointed at before, or does not exist. (A tag request
// that the registry applied but whose answer was lost is the exception; the
// tag then points at the new digest, which is complete and signed.) Everything Publish
// writes is content-addressed or merged with what is there, so publishing
// the same se again after a failure completes the push. Signatures already
// stored for the digest (made by another key, say) are kept.
//
// It returns the digest the tag now points at.
func Publish(ctx context.Context, tag name.Tag, se oci.SignedEntity, o PublishOptions) (v1.Hash, error) {
	h, err := se.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("publish: %w", err)
	}
	fail := func(step string, err error) (v1.Hash, error) {
		return v1.Hash{}, fmt.Errorf("publish %s: %s: %w (the tag was not moved)", tag, step, err)
	}
	nodes, err := walk(se)
	if err != nil {
		return fail("reading the signed image", err)
	}
	ropts := append([]remote.Option{remote.WithContext(ctx)}, o.Remote...)
	repo := tag.Context()

	// 1. The image itself, by digest.
	switch x := se.(type) {
	case oci.SignedImageIndex:
		err = remote.WriteIndex(repo.Digest(h.String()), x, ropts...)
	case oci.SignedImage:
		err = remote.Write(repo.Digest(h.String()), x, ropts...)
	default:
		err = fmt.Errorf("%T is neither an image nor an index", se)
	}
	if err != nil {
		return fail("pushing the image by digest", err)
	}

	// 2. Signatures, 3. attestations: platform images before their index.
	for _, n := range nodes {
		sigs, err := n.entity.Signatures()
		if err != nil {
			return fail("signatures of "+n.digest.String(), err)
		}
		if o.Referrers {
			err = writeSignatureReferrer(repo, n, sigs, ropts)
		} else {
			err = writeTagged(repo, n.digest, "sig", sigs, false, ropts)
		}
		if err != nil {
			return fail("pushing the signatures of "+n.digest.String(), err)
		}
	}
	for _, n := range nodes {
		atts, err := n.entity.Attestations()
		if err != nil {
			return fail("attestations of "+n.digest.String(), err)
		}
		if o.Referrers {
			err = writeAttestationReferrers(repo, n, atts, ropts)
		} else {
			err = writeTagged(repo, n.digest, "att", atts, o.ReplaceAttestations, ropts)
		}
		if err != nil {
			return fail("pushing the attestations of "+n.digest.String(), err)
		}
	}

	// 4. The tag.
	t, ok := se.(remote.Taggable)
	if !ok {
		return fail("tagging", fmt.Errorf("%T has no manifest", se))
	}
	if err := remote.Tag(tag, t, ropts...); err != nil {
		return v1.Hash{}, fmt.Errorf("publish %s: tagging %s: %w (the image, its signatures and attestations are in place; the tag was not moved, unless the registry applied the request and the answer was lost: publish again)", tag, h, err)
	}
	return h, nil
}

// writeTagged merges sigs into the signature (suffix "sig") or attestation
// ("att") image of h under cosign's tag sha256-<hex>.<suffix>, keeping what
// is there (minus, with replace, attestations of the predicate types being
// written). It writes nothing when everything is there already.
func writeTagged(repo name.Repository, h v1.Hash, suffix string, sigs oci.Signatures, replace bool, ropts []remote.Option) error {
	ours, err := sigs.Get()
	if err != nil || len(ours) == 0 {
		return err
	}
	t := repo.Tag(fmt.Sprintf("%s-%s.%s", h.Algorithm, h.Hex, suffix))
	existing, err := ociremote.Signatures(t, ociremote.WithRemoteOptions(ropts...))
	if err != nil {
		return fmt.Errorf("reading %s: %w", t, err)
	}
	have, err := existing.Get()
	if err != nil {
		return fmt.Errorf("reading %s: %w", t, err)
	}
	ourKeys, drop := map[string]bool{}, map[string]bool{}
	for _, s := range ours {
		k, err := sigKey(s)
		if err != nil {
			return err
		}
		ourKeys[k] = true
		if replace {
			ann, err := s.Annotations()
			if err != nil {
				return err
			}
			drop[ann["predicateType"]] = true
		}
	}
	// What stays of what is there, and which of ours it has already.
	var kept []oci.Signature
	seen := map[string]bool{}
	for _, s := range have {
		k, err := sigKey(s)
		if err != nil {
			return err
		}
		ann, err := s.Annotations()
		if err != nil {
			return err
		}
		if drop[ann["predicateType"]] && !ourKeys[k] {
			continue
		}
		kept = append(kept, s)
		seen[k] = true
	}
	var add []oci.Signature
	for _, s := range ours {
		k, _ := sigKey(s)
		if !seen[k] {
			seen[k] = true
			add = append(add, s)
		}
	}
	base := existing
	switch {
	case len(kept) != len(have):
		if base, err = mutate.AppendSignatures(empty.Signatures(), false, kept...); err != nil {
			return err
		}
	case len(add) == 0:
		return nil // everything is there already
	}
	img, err := mutate.AppendSignatures(base, false, add...)
	if err != nil {
		return err
	}
	return remote.Write(t, img, ropts...)
}

// sigKey identifies a signature layer: its content and its signature.
func sigKey(s oci.Signature) (string, error) {
	d, err := s.Digest()
	if err != nil {
		return "", err
	}
	b64, err := s.Base64Signature()
	if err != nil {
		return "", err
	}
	return d.String() + " " + b64, nil
}

// subjectDescriptor is the descriptor of an entity's manifest, the subject
// of its referrers.
func subjectDescriptor(se oci.SignedEntity) (v1.Descriptor, error) {
	type manifested interface {
		RawManifest() ([]byte, error)
		MediaType() (types.MediaType, error)
	}
	m, ok := se.(manifested)
	if !ok {
		return v1.Descriptor{}, fmt.Errorf("%T has no manifest", se)
	}
	raw, err := m.RawManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := m.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	h, err := se.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(raw))}, nil
}

// errNoBundle is returned for attestations that cannot be published as
// referrers because no sigstore bundle was made for them.
var errNoBundle = errors.New("attestations without sigstore bundles (sign with sign.Sign to publish them as referrers)")
