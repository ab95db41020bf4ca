package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/internal/vulndb"
	"github.com/distill-dev/distill/pipeline/spec"
)

// FrontendBinary is where the frontend image holds distill-frontend.
const FrontendBinary = "/usr/local/bin/distill-frontend"

// FrontendOptions say what `distill frontend publish` pushes.
type FrontendOptions struct {
	// Repo is the repository prefix: REPO/frontend, REPO/static, REPO/go, …
	Repo string
	// Tag is the frontend image's tag (default "latest").
	Tag string
	// Binary is distill-frontend built for linux/amd64.
	Binary string
	// Specs are the pipelines whose base flavours the catalog carries.
	Specs []*spec.Spec
	// Platforms are the runtime platforms of the flavours the Specs use and
	// of the static flavour (default linux/amd64 and linux/arm64).
	Platforms []string
	Bases     baseimage.Config
	VulnDB    string
	// Signing signs every image pushed; required unless AllowUnsigned.
	Signing       *Signing
	AllowUnsigned bool
	Logf          func(format string, args ...any)
}

// FrontendResult is what was published.
type FrontendResult struct {
	// Image is the frontend's reference, pinned: REPO/frontend:TAG@sha256:…
	Image   string
	Catalog *catalog.Catalog
	// Pushed are every tag pushed, with its digest.
	Pushed []Published
}

// PublishFrontend assembles the frontend image and the images its catalog
// names, signs them, and pushes them: the bases (one tag per flavour, an
// index when several platforms), the scanner, the vulnerability database,
// then the frontend, whose catalog pins all of them by digest.
func PublishFrontend(ctx context.Context, o FrontendOptions) (*FrontendResult, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Tag == "" {
		o.Tag = "latest"
	}
	if len(o.Platforms) == 0 {
		o.Platforms = []string{"linux/amd64", "linux/arm64"}
	}
	repo := strings.TrimSuffix(o.Repo, "/")
	if repo == "" {
		return nil, fmt.Errorf("frontend publish: a repository is required (FRONTEND_REPO, e.g. registry.example.com/distill)")
	}
	if o.Signing == nil && !o.AllowUnsigned {
		return nil, fmt.Errorf("frontend publish signs what it pushes: pass a key (--key) or --allow-unsigned")
	}
	p := &publisher{o: o, repo: repo, res: &FrontendResult{Catalog: &catalog.Catalog{}}}
	if o.Signing != nil {
		so, err := signOptions(ctx, *o.Signing)
		if err != nil {
			return nil, err
		}
		p.sign = &so
	}
	bcfg := o.Bases
	if bcfg.Logf == nil {
		bcfg.Logf = o.Logf
	}
	svc, err := baseimage.New(bcfg)
	if err != nil {
		return nil, err
	}

	// Bases: what the Specs use, and static for Dockerfile runtimes.
	groups, err := frontendBases(o.Specs, o.Platforms)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if err := p.base(ctx, svc, g); err != nil {
			return nil, err
		}
	}

	// The scanner and the vulnerability database.
	scanner, info, err := scannerV1(ctx, svc, buildPlatform.String())
	if err != nil {
		return nil, err
	}
	ref, err := p.push(ctx, "trivy", strings.TrimPrefix(info.Version, "v"), scanner)
	if err != nil {
		return nil, err
	}
	p.res.Catalog.Scanner = catalog.Scanner{Image: ref, Version: info.Version}
	db, err := ensureVulnDB(ctx, o.VulnDB, o.Logf)
	if err != nil {
		return nil, err
	}
	i := db.Info
	dbDesc := catalog.VulnDB{SHA256: fileHash(filepath.Join(db.Dir, vulndb.DBFile)),
		Info: catalog.DBInfo{Source: i.Source, Schema: i.Schema, UpdatedAt: i.UpdatedAt, Ecosystems: i.Ecosystems}}
	dbImg, err := vulnDBImage(db, dbDesc)
	if err != nil {
		return nil, err
	}
	if dbDesc.Image, err = p.push(ctx, "vulndb", "latest", dbImg); err != nil {
		return nil, err
	}
	p.res.Catalog.VulnDB = dbDesc

	// The frontend: static + distill-frontend + the catalog.
	base, err := svc.Build(ctx, rootfs.Request{Flavour: "static", Platform: buildPlatform.String()})
	if err != nil {
		return nil, err
	}
	cat, err := p.res.Catalog.Marshal()
	if err != nil {
		return nil, err
	}
	img, err := rootfs.AddFiles(base.Image, []rootfs.File{
		{Path: FrontendBinary, Mode: 0o755, From: o.Binary},
		{Path: catalog.Path, Mode: 0o644, Data: cat},
	}, time.Unix(0, 0), "distill: frontend", func(c *v1.Config) {
		c.Entrypoint = []string{FrontendBinary}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		// BuildKit reads the frontend's capabilities from this label.
		c.Labels["moby.buildkit.frontend.caps"] = "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
		c.Labels["dev.distill.frontend"] = distillVersion()
	})
	if err != nil {
		return nil, err
	}
	if p.res.Image, err = p.push(ctx, "frontend", o.Tag, img); err != nil {
		return nil, err
	}
	if err := svc.SaveLock(); err != nil {
		return nil, err
	}
	return p.res, nil
}

var buildPlatform = plan.Platform{OS: "linux", Arch: "amd64"}

// baseGroup is one flavour (and Go version) on several platforms: one tag.
type baseGroup struct {
	ref       plan.BaseRef
	platforms []plan.Platform
}

// frontendBases lists the flavours the Specs use (stage bases on the build
// platform, runtimes on theirs) and static on every platform.
func frontendBases(specs []*spec.Spec, platforms []string) ([]baseGroup, error) {
	var uses []plan.BaseUse
	for _, p := range platforms {
		pl, err := plan.ParsePlatform(p)
		if err != nil {
			return nil, err
		}
		uses = append(uses, plan.BaseUse{Ref: plan.BaseRef{Flavour: "static"}, Platform: pl})
	}
	for _, s := range specs {
		s = s.Clone()
		s.Platforms = slices.Clone(platforms)
		g, err := plan.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("spec %s: %w", s.Name, err)
		}
		uses = append(uses, g.Bases(buildPlatform)...)
	}
	var groups []baseGroup
	for _, u := range uses {
		if u.Ref.Flavour == "" {
			continue // image references are pulled as they are
		}
		i := slices.IndexFunc(groups, func(g baseGroup) bool { return g.ref == u.Ref })
		if i < 0 {
			groups = append(groups, baseGroup{ref: u.Ref})
			i = len(groups) - 1
		}
		if !slices.Contains(groups[i].platforms, u.Platform) {
			groups[i].platforms = append(groups[i].platforms, u.Platform)
		}
	}
	return groups, nil
}

type publisher struct {
	o    FrontendOptions
	repo string
	sign *sign.Options
	res  *FrontendResult
}

// base assembles a flavour for each of its platforms, pushes them under one
// tag (REPO/go:1.26, REPO/static:latest, REPO/static:debug) and records
// each platform image in the catalog.
func (p *publisher) base(ctx context.Context, svc *baseimage.Service, g baseGroup) error {
	flavour, tag, _ := strings.Cut(g.ref.Flavour, ":")
	if tag == "" {
		tag = "latest"
	}
	if g.ref.GoVersion != "" {
		tag = g.ref.GoVersion
	}
	var entries []catalog.Base
	var imgs []v1.Image
	for _, pl := range g.platforms {
		r, err := svc.Build(ctx, rootfs.Request{Flavour: g.ref.Flavour, Platform: pl.String(), GoVersion: g.ref.GoVersion})
		if err != nil {
			return fmt.Errorf("base image %s for %s: %w", g.ref, pl, err)
		}
		d, err := r.Image.Digest()
		if err != nil {
			return err
		}
		imgs = append(imgs, r.Image)
		entries = append(entries, catalog.Base{
			Flavour: g.ref.Flavour, GoVersion: g.ref.GoVersion, Platform: pl.String(),
			Image: p.repo + "/" + flavour + "@" + d.String(), Packages: r.Packages, Toolchain: r.Toolchain,
		})
	}
	var entity any = imgs[0]
	if len(imgs) > 1 {
		idx, err := platformIndex(imgs, g.platforms)
		if err != nil {
			return err
		}
		entity = idx
	}
	if _, err := p.push(ctx, flavour, tag, entity); err != nil {
		return err
	}
	for _, e := range entries {
		p.res.Catalog.Add(e)
	}
	return nil
}

// push signs e (a v1.Image or v1.ImageIndex) and publishes it as
// REPO/name:tag, returning REPO/name@digest.
func (p *publisher) push(ctx context.Context, repoName, tag string, e any) (string, error) {
	t, err := name.NewTag(p.repo + "/" + repoName + ":" + tag)
	if err != nil {
		return "", err
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	var d v1.Hash
	if p.sign != nil {
		se, err := sign.Sign(ctx, e, t.Context(), nil, *p.sign)
		if err != nil {
			return "", err
		}
		var referrers bool
		if p.o.Signing != nil {
			referrers = p.o.Signing.Referrers
		}
		if d, err = sign.Publish(ctx, t, se, sign.PublishOptions{Referrers: referrers, Remote: ropts}); err != nil {
			return "", err
		}
	} else {
		switch x := e.(type) {
		case v1.Image:
			err = remote.Write(t, x, ropts...)
			if err == nil {
				d, err = x.Digest()
			}
		case v1.ImageIndex:
			err = remote.WriteIndex(t, x, ropts...)
			if err == nil {
				d, err = x.Digest()
			}
		default:
			err = fmt.Errorf("push %s: %T is not an image", t, e)
		}
		if err != nil {
			return "", err
		}
	}
	p.o.Logf("pushed %s@%s%s", t, d, map[bool]string{true: " (signed)", false: " UNSIGNED"}[p.sign != nil])
	p.res.Pushed = append(p.res.Pushed, Published{Tag: t.String(), Digest: d, Signed: p.sign != nil, Tlog: p.sign != nil && p.sign.Tlog})
	return t.Context().String() + "@" + d.String(), nil
}

// platformIndex is an OCI index of one image per platform.
func platformIndex(imgs []v1.Image, platforms []plan.Platform) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for i, img := range imgs {
		pl := platforms[i]
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1,
			Platform:  &v1.Platform{OS: pl.OS, Architecture: pl.Arch, Variant: pl.Variant},
		}})
	}
	return mutate.AppendManifests(idx, adds...), nil
}

// vulnDBImage is the database as an image: trivy.db, metadata.json and
// distill's description at its root (mounted where trivy reads its cache),
// described by its catalog.VulnDBLabel too.
func vulnDBImage(db *vulndb.DB, desc catalog.VulnDB) (v1.Image, error) {
	label, err := json.Marshal(desc)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = buildPlatform.OS, buildPlatform.Arch
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	var files []rootfs.File
	for _, f := range []string{vulndb.DBFile, vulndb.MetadataFile, vulndb.InfoFile} {
		path := filepath.Join(db.Dir, f)
		if _, err := os.Stat(path); err != nil && f == vulndb.InfoFile {
			continue // a database put there by hand: the frontend says its source is unknown
		}
		files = append(files, rootfs.File{Path: "/" + f, Mode: 0o644, From: path})
	}
	return rootfs.AddFiles(img, files, db.Info.UpdatedAt, "distill: vulnerability database "+db.Info.Source, func(c *v1.Config) {
		c.Labels = map[string]string{catalog.VulnDBLabel: string(label)}
	})
}
