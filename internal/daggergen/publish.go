package daggergen

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger.io/dagger"

	"github.com/distill-dev/distill/internal/attest"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/pipeline/spec"
)

// PublishOptions say how Publish signs and where it pushes.
type PublishOptions struct {
	// Address is the tag to publish (REPO:TAG); signatures name its repository.
	Address string
	// Signer signs the image, each platform image and the attestations.
	Signer sign.Options
	// Endpoint is where Address's registry is reached from here when it is
	// not its own host (a registry on the host's loopback, reached through a
	// Dagger service tunnel): host:port. The signatures still name Address.
	Endpoint string
	// Referrers stores signatures and attestations as OCI 1.1 referrers.
	Referrers bool
	// Spec goes into the provenance (Result.Spec).
	Spec *spec.Spec
}

// Publish signs a Dagger run's images and their attestations, as distill
// build --push --sign does, and pushes them with the tag moved last. It
// returns REPO@digest.
func Publish(ctx context.Context, res *Result, o PublishOptions, workdir string) (string, error) {
	tag, err := name.NewTag(o.Address)
	if err != nil {
		return "", fmt.Errorf("publish address %q: want REPOSITORY:TAG: %w", o.Address, err)
	}
	// The image as the engine exports it: an OCI layout.
	tarball := filepath.Join(workdir, "image.tar")
	var variants []*dagger.Container
	for _, img := range res.Images[1:] {
		variants = append(variants, img.Container)
	}
	if _, err := res.Images[0].Container.Export(ctx, tarball, dagger.ContainerExportOpts{PlatformVariants: variants}); err != nil {
		return "", err
	}
	dir := filepath.Join(workdir, "layout")
	if err := untar(tarball, dir); err != nil {
		return "", err
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return "", err
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		return "", fmt.Errorf("the exported image: %d entries, %v", len(im.Manifests), err)
	}
	top := im.Manifests[0]
	var entity any
	platforms := map[v1.Hash]string{}
	if top.MediaType.IsImage() {
		img, err := idx.Image(top.Digest)
		if err != nil {
			return "", err
		}
		entity = img
		platforms[top.Digest] = res.Images[0].Platform.String()
	} else {
		child, err := idx.ImageIndex(top.Digest)
		if err != nil {
			return "", err
		}
		cm, err := child.IndexManifest()
		if err != nil {
			return "", err
		}
		for _, d := range cm.Manifests {
			if d.Platform != nil {
				platforms[d.Digest] = d.Platform.OS + "/" + d.Platform.Architecture
			}
		}
		entity = child
	}

	specJSON, err := json.Marshal(o.Spec.WithDefaults())
	if err != nil {
		return "", err
	}
	multi := len(res.Images) > 1
	atts := map[v1.Hash][]sign.Attestation{}
	for d, p := range platforms {
		label := plan.RuntimeStage
		if multi {
			label += " " + p
		}
		var scanned *attest.Scanned
		for _, f := range res.Scans {
			if f.Label == label {
				scanned = &attest.Scanned{CDX: f.CDX, SPDX: f.SPDX, Report: f.Report, Started: f.Started, Finished: f.Finished}
			}
		}
		preds, err := attest.ForImage(scanned, BuilderID, func(b []attest.Byproduct) ([]byte, error) {
			return provenance(res, o, specJSON, b)
		})
		if err != nil {
			return "", err
		}
		for _, pr := range preds {
			atts[d] = append(atts[d], sign.Attestation{PredicateType: pr.PredicateType, Predicate: pr.Predicate})
		}
	}
	se, err := sign.Sign(ctx, entity, tag.Context(), atts, o.Signer)
	if err != nil {
		return "", err
	}
	push := tag
	if o.Endpoint != "" {
		if push, err = name.NewTag(o.Endpoint+"/"+tag.RepositoryStr()+":"+tag.TagStr(), name.Insecure); err != nil {
			return "", err
		}
	}
	d, err := sign.Publish(ctx, push, se, sign.PublishOptions{Referrers: o.Referrers, ReplaceAttestations: true, Remote: []remote.Option{remote.WithContext(ctx)}})
	if err != nil {
		return "", err
	}
	return tag.Context().String() + "@" + d.String(), nil
}

// BuilderID identifies the Dagger module in provenance and vuln predicates.
const BuilderID = "https://distill.dev/distill-dagger"

func provenance(res *Result, o PublishOptions, specJSON []byte, byproducts []attest.Byproduct) ([]byte, error) {
	var platforms []string
	for _, p := range res.Graph.Platforms {
		platforms = append(platforms, p.String())
	}
	epoch := res.epoch
	pv := attest.Provenance{
		BuilderID: BuilderID, Spec: specJSON, Target: string(plan.TargetRuntime), Platforms: platforms,
		SourceDateEpoch: &epoch, BuildPlatform: "linux/amd64",
		Source:     attest.Source{URI: "dagger:source"},
		Byproducts: byproducts,
		Versions:   map[string]string{"dagger": "v0.19.10"},
	}
	cat := res.catalog
	for _, u := range res.Graph.Bases(plan.Platform{OS: "linux", Arch: "amd64"}) {
		b, err := cat.Lookup(u.Ref, u.Platform)
		if err != nil {
			continue // an image reference: pulled as it is
		}
		for _, pkg := range b.Packages {
			pv.Packages = append(pv.Packages, attest.Package{Name: pkg.Name, Version: pkg.Version, Arch: pkg.Architecture, SHA256: pkg.SHA256, Image: u.Ref.String() + " " + u.Platform.String()})
		}
		if t := b.Toolchain; t != nil {
			pv.Toolchains = append(pv.Toolchains, attest.Toolchain{Module: "golang.org/toolchain", Version: t.ModVersion, Sum: t.Sum})
		}
		if _, d, ok := strings.Cut(b.Image, "@"); ok {
			if h, err := v1.NewHash(d); err == nil {
				pv.BaseImages = append(pv.BaseImages, attest.Image{Name: u.Ref.String(), Platform: u.Platform.String(), Digest: h})
			}
		}
	}
	if _, d, ok := strings.Cut(cat.Scanner.Image, "@"); ok {
		if h, err := v1.NewHash(d); err == nil {
			pv.Scanner = attest.Image{Name: strings.SplitN(cat.Scanner.Image, "@", 2)[0], Digest: h}
		}
	}
	pv.ScannerVersion = cat.Scanner.Version
	i := cat.VulnDB.Info
	pv.VulnDB = attest.VulnDB{Source: i.Source, Schema: i.Schema, UpdatedAt: i.UpdatedAt, SHA256: cat.VulnDB.SHA256}
	return attest.SLSA(pv)
}

// untar extracts an OCI tarball (regular files and directories only) into dir.
func untar(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("%s: entry %q leaves the directory", file, h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				var out *os.File
				if out, err = os.Create(p); err == nil {
					_, err = io.Copy(out, tr)
					err = errors.Join(err, out.Close())
				}
			}
		}
		if err != nil {
			return err
		}
	}
}
