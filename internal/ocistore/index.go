package ocistore

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// ReadLayout returns the index (index.json) of the OCI image layout in dir.
func ReadLayout(dir string) (v1.ImageIndex, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	return idx, nil
}

// Single returns the image of an index that holds one platform's image; ok is false
// when it holds none or several. Nested indexes count by their images (a layout that
// WriteIndex wrote holds the build's index), and attestation manifests do not count.
func Single(idx v1.ImageIndex) (img v1.Image, ok bool, err error) {
	imgs, err := platformImages(idx)
	if err != nil || len(imgs) != 1 {
		return nil, false, err
	}
	img, err = imgs[0].image()
	if err != nil {
		return nil, false, err
	}
	return img, true, nil
}

// indexedImage is an image manifest of an index.
type indexedImage struct {
	in   v1.ImageIndex // the index (maybe nested) listing it
	desc v1.Descriptor
}

func (i indexedImage) image() (v1.Image, error) { return i.in.Image(i.desc.Digest) }

// platform names the image's platform: from its descriptor, else from its config.
func (i indexedImage) platform() string {
	if p := i.desc.Platform; p != nil && p.String() != "" {
		return p.String()
	}
	if img, err := i.image(); err == nil {
		if cf, err := img.ConfigFile(); err == nil && cf.Platform() != nil && cf.Platform().String() != "" {
			return cf.Platform().String()
		}
	}
	return "unknown platform (" + i.desc.Digest.String() + ")"
}

// platformImages lists the image manifests of idx and of the indexes nested in it,
// in index order, leaving out attestation manifests.
func platformImages(idx v1.ImageIndex) ([]indexedImage, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []indexedImage
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			imgs, err := platformImages(child)
			if err != nil {
				return nil, err
			}
			out = append(out, imgs...)
		case d.MediaType.IsImage() && !isAttestation(d):
			out = append(out, indexedImage{in: idx, desc: d})
		}
	}
	return out, nil
}

// isAttestation reports whether d is one of the attestation manifests BuildKit adds
// to an index next to the platform images (platform unknown/unknown).
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

func platformNames(imgs []indexedImage) []string {
	names := make([]string, len(imgs))
	for i, img := range imgs {
		names[i] = img.platform()
	}
	return names
}
