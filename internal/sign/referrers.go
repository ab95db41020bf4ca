package sign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
)

const (
	// sigArtifactType is the artifact type of cosign's OCI 1.1 signature
	// referrers (`cosign sign --registry-referrers-mode=oci-1-1`).
	sigArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json"
	// bundleMediaType is the media type, and artifact type, of a sigstore
	// bundle v0.3 (`cosign attest --new-bundle-format`).
	bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// bundlePrefix starts the media type of every sigstore bundle version.
	bundlePrefix = "application/vnd.dev.sigstore.bundle"
)

// referrerManifest is an image manifest with the OCI 1.1 artifactType
// field, which go-containerregistry's v1.Manifest lacks (cosign writes
// the same).
type referrerManifest struct {
	v1.Manifest
	ArtifactType string `json:"artifactType,omitempty"`
}

// rawManifest is a manifest to PUT as it is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// writeSignatureReferrer stores the signatures of n as one referrer of it,
// in the format of cosign's WriteSignaturesExperimentalOCI: the signature
// image's layers and config, the config's media type set to the cosign
// signature artifact type, and the subject n. The same signatures always
// give the same manifest, so writing it again changes nothing.
func writeSignatureReferrer(repo name.Repository, n node, sigs oci.Signatures, ropts []remote.Option) error {
	list, err := sigs.Get()
	if err != nil || len(list) == 0 {
		return err
	}
	subject, err := subjectDescriptor(n.entity)
	if err != nil {
		return err
	}
	for _, s := range list {
		if err := remote.WriteLayer(repo, s, ropts...); err != nil {
			return err
		}
	}
	cfg, err := sigs.RawConfigFile()
	if err != nil {
		return err
	}
	if err := remote.WriteLayer(repo, static.NewLayer(cfg, types.OCIConfigJSON), ropts...); err != nil {
		return err
	}
	m, err := sigs.Manifest()
	if err != nil {
		return err
	}
	rm := referrerManifest{Manifest: *m, ArtifactType: sigArtifactType}
	rm.Config.MediaType = sigArtifactType
	rm.Subject = &subject
	return putReferrer(repo, rm, ropts)
}

// writeAttestationReferrers stores each attestation of n as a sigstore
// bundle referrer, as `cosign attest --new-bundle-format` does (without its
// creation-time annotation, so that writing it again changes nothing).
func writeAttestationReferrers(repo name.Repository, n node, atts oci.Signatures, ropts []remote.Option) error {
	list, err := atts.Get()
	if err != nil || len(list) == 0 {
		return err
	}
	bc, ok := n.entity.(bundleCarrier)
	if !ok || len(bc.referrerBundles()) != len(list) {
		return errNoBundle
	}
	subject, err := subjectDescriptor(n.entity)
	if err != nil {
		return err
	}
	for _, b := range bc.referrerBundles() {
		if b.err != nil {
			return b.err
		}
		layer := static.NewLayer(b.json, bundleMediaType)
		if err := remote.WriteLayer(repo, layer, ropts...); err != nil {
			return err
		}
		empty := static.NewLayer([]byte("{}"), types.OCIConfigJSON)
		if err := remote.WriteLayer(repo, empty, ropts...); err != nil {
			return err
		}
		ld, err := layerDescriptor(layer)
		if err != nil {
			return err
		}
		cd, err := layerDescriptor(empty)
		if err != nil {
			return err
		}
		cd.MediaType = "application/vnd.oci.empty.v1+json"
		rm := referrerManifest{
			Manifest: v1.Manifest{
				SchemaVersion: 2,
				MediaType:     types.OCIManifestSchema1,
				Config:        cd,
				Layers:        []v1.Descriptor{ld},
				Subject:       &subject,
				Annotations: map[string]string{
					"dev.sigstore.bundle.content":       "dsse-envelope",
					"dev.sigstore.bundle.predicateType": b.predicateType,
				},
			},
			ArtifactType: bundleMediaType,
		}
		if err := putReferrer(repo, rm, ropts); err != nil {
			return err
		}
	}
	return nil
}

func layerDescriptor(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	sz, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: sz}, nil
}

// putReferrer PUTs a referrer manifest by its digest.
func putReferrer(repo name.Repository, rm referrerManifest, ropts []remote.Option) error {
	raw, err := json.Marshal(rm)
	if err != nil {
		return err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return remote.Put(repo.Digest(h.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1}, ropts...)
}

// referrers lists the referrers of repo@h, as the registry's referrers API
// or the referrers tag schema gives them.
func referrers(repo name.Repository, h v1.Hash, ropts []remote.Option) ([]v1.Descriptor, error) {
	idx, err := remote.Referrers(repo.Digest(h.String()), ropts...)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	return im.Manifests, nil
}

// referrerSignatures reads the signature layers of the cosign signature
// referrers among refs.
func referrerSignatures(repo name.Repository, refs []v1.Descriptor, ropts []remote.Option) ([]oci.Signature, error) {
	var out []oci.Signature
	for _, d := range refs {
		if d.ArtifactType != sigArtifactType {
			continue
		}
		sigs, err := ociremote.Signatures(repo.Digest(d.Digest.String()), ociremote.WithRemoteOptions(ropts...))
		if err != nil {
			return nil, fmt.Errorf("signature referrer %s: %w", d.Digest, err)
		}
		list, err := sigs.Get()
		if err != nil {
			return nil, fmt.Errorf("signature referrer %s: %w", d.Digest, err)
		}
		out = append(out, list...)
	}
	return out, nil
}

// referrerBundle is a sigstore bundle read from a referrer, or why it
// could not be read.
type referrerBundle struct {
	digest      v1.Hash // of the referrer manifest
	annotations map[string]string
	bundle      *sgbundle.Bundle
	err         error
}

// referrerBundles reads the sigstore bundles among refs. Referrers that are
// not bundles are skipped; bundles that cannot be read are returned with
// the error, so that Verify can say why an attestation does not count.
func referrerBundles(repo name.Repository, refs []v1.Descriptor, ropts []remote.Option) ([]referrerBundle, error) {
	var out []referrerBundle
	for _, d := range refs {
		if d.ArtifactType == sigArtifactType {
			continue
		}
		img, err := remote.Image(repo.Digest(d.Digest.String()), ropts...)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", d.Digest, err)
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", d.Digest, err)
		}
		if len(m.Layers) != 1 || !strings.HasPrefix(string(m.Layers[0].MediaType), bundlePrefix) {
			continue
		}
		rb := referrerBundle{digest: d.Digest, annotations: m.Annotations}
		rb.bundle, rb.err = readBundle(img, m.Layers[0].Digest)
		out = append(out, rb)
	}
	return out, nil
}

func readBundle(img v1.Image, h v1.Hash) (*sgbundle.Bundle, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, err
	}
	var bundle sgbundle.Bundle
	if err := bundle.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	if !bundle.MinVersion("v0.3") {
		return nil, errors.New("sigstore bundle older than v0.3")
	}
	return &bundle, nil
}
