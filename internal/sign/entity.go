package sign

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/signed"
)

// signedImage is an image with the signatures and attestations Sign made
// for it. It is a cosign oci.SignedImage: cosign's writers (ociremote,
// ocilayout) and Publish take it as it is.
type signedImage struct {
	v1.Image
	sigs, atts oci.Signatures
	// bundles are the attestations again as sigstore bundles, for
	// publishing them as OCI 1.1 referrers.
	bundles []attBundle
}

var _ oci.SignedImage = (*signedImage)(nil)

func (s *signedImage) Signatures() (oci.Signatures, error)   { return s.sigs, nil }
func (s *signedImage) Attestations() (oci.Signatures, error) { return s.atts, nil }
func (s *signedImage) Attachment(n string) (oci.File, error) {
	return nil, fmt.Errorf("attachment %q not found", n)
}
func (s *signedImage) referrerBundles() []attBundle { return s.bundles }

// signedIndex is an image index with its own signatures and attestations
// and those of its platform images (children).
type signedIndex struct {
	index
	sigs, atts oci.Signatures
	bundles    []attBundle
	children   map[v1.Hash]oci.SignedEntity
}

var _ oci.SignedImageIndex = (*signedIndex)(nil)

func (s *signedIndex) Signatures() (oci.Signatures, error)   { return s.sigs, nil }
func (s *signedIndex) Attestations() (oci.Signatures, error) { return s.atts, nil }
func (s *signedIndex) Attachment(n string) (oci.File, error) {
	return nil, fmt.Errorf("attachment %q not found", n)
}
func (s *signedIndex) referrerBundles() []attBundle { return s.bundles }

// SignedImage returns the signed platform image h.
func (s *signedIndex) SignedImage(h v1.Hash) (oci.SignedImage, error) {
	if c, ok := s.children[h].(oci.SignedImage); ok {
		return c, nil
	}
	img, err := s.Image(h)
	if err != nil {
		return nil, err
	}
	return signed.Image(img), nil
}

// SignedImageIndex returns the signed child index h.
func (s *signedIndex) SignedImageIndex(h v1.Hash) (oci.SignedImageIndex, error) {
	if c, ok := s.children[h].(oci.SignedImageIndex); ok {
		return c, nil
	}
	ii, err := s.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return signed.ImageIndex(ii), nil
}

// index is v1.ImageIndex under another name, so that embedding it does not
// make a field named ImageIndex that hides the method.
type index v1.ImageIndex

// bundleCarrier is implemented by the entities Sign makes.
type bundleCarrier interface {
	referrerBundles() []attBundle
}

// isPlatformChild reports whether an index entry is something Sign signs and
// Verify checks: an image or index, but not a BuildKit attestation manifest
// (an image with platform unknown/unknown that only carries attestations).
func isPlatformChild(d v1.Descriptor) bool {
	if !d.MediaType.IsImage() && !d.MediaType.IsIndex() {
		return false
	}
	return d.Annotations["vnd.docker.reference.type"] != "attestation-manifest"
}

// node is one signed entity of a Publish or Verify walk.
type node struct {
	digest   v1.Hash
	platform string // "linux/amd64"; empty for the top
	entity   oci.SignedEntity
}

// walk lists se and, for an index, its platform children (depth first,
// children before their index), each once.
func walk(se oci.SignedEntity) ([]node, error) {
	var out []node
	seen := map[v1.Hash]bool{}
	var visit func(se oci.SignedEntity, platform string) error
	visit = func(se oci.SignedEntity, platform string) error {
		h, err := se.Digest()
		if err != nil {
			return err
		}
		if seen[h] {
			return nil
		}
		seen[h] = true
		if ii, ok := se.(oci.SignedImageIndex); ok {
			im, err := ii.IndexManifest()
			if err != nil {
				return err
			}
			for _, d := range im.Manifests {
				if !isPlatformChild(d) {
					continue
				}
				var child oci.SignedEntity
				if d.MediaType.IsIndex() {
					child, err = ii.SignedImageIndex(d.Digest)
				} else {
					child, err = ii.SignedImage(d.Digest)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", d.Digest, err)
				}
				if err := visit(child, platformString(d.Platform)); err != nil {
					return err
				}
			}
		}
		out = append(out, node{digest: h, platform: platform, entity: se})
		return nil
	}
	return out, visit(se, "")
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return ""
	}
	return p.String()
}
