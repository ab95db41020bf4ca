package rootfs

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/lockfile"
	"github.com/distill-dev/distill/internal/toolchain"
)

// Codename is the Debian release images are assembled from.
const Codename = "bookworm"

// DefaultGoVersion is the Go release line builder images carry unless asked
// otherwise; it resolves to the newest patch release the module proxy serves.
const DefaultGoVersion = "1.26"

// Archive is the part of the Debian archive client the assembly uses
// (*debian.Client implements it).
type Archive interface {
	// IndexID identifies the archive state from its verified releases.
	IndexID(ctx context.Context, codename string) (string, error)
	Index(ctx context.Context, codename string) (*debian.Index, error)
	FetchAll(ctx context.Context, pkgs []*debian.Package) (map[string]string, error)
}

// Toolchains resolves, identifies and downloads toolchain module zips
// (*toolchain.Fetcher implements it).
type Toolchains interface {
	// Resolve turns a requested version ("1.26") into a release ("go1.26.11").
	Resolve(ctx context.Context, want, platform string) (string, error)
	// Lookup returns a release's module version and go.sum hash without
	// hashing its zip (no Zip in the result).
	Lookup(ctx context.Context, version, platform string) (*toolchain.Go, error)
	// Download returns the zip after hashing it; a non-empty pinned hash
	// must match.
	Download(ctx context.Context, version, platform, pinned string) (*toolchain.Go, error)
}

// Assembler builds flavour images. It is configured once per run; Build may be
// called for several flavours and platforms, sharing indexes and downloads.
type Assembler struct {
	archives   func(arch string) (Archive, error)
	mirrors    debian.Mirrors
	toolchains Toolchains
	lock       *lockfile.Lock
	locked     bool
	epoch      time.Time
	logf       func(format string, args ...any)

	cache       Cache
	resolutions string // resolution cache directory, "" for none

	indexes map[string]*debian.Index
	states  map[string]string // IndexID by architecture, read once per Assembler
	clients map[string]Archive
}

// Option configures an Assembler.
type Option func(*Assembler) error

// WithLock records resolutions in lock; with locked set, Build installs
// exactly what lock pins and fails when it pins nothing for a request.
func WithLock(lock *lockfile.Lock, locked bool) Option {
	return func(a *Assembler) error {
		if lock == nil {
			return errors.New("WithLock: nil lock")
		}
		a.lock, a.locked = lock, locked
		return nil
	}
}

// WithEpoch sets the timestamp of every file, layer and config
// (SOURCE_DATE_EPOCH). The zero Time means the Unix epoch, the default.
func WithEpoch(t time.Time) Option {
	return func(a *Assembler) error {
		if t.IsZero() {
			t = time.Unix(0, 0)
		}
		a.epoch = t.UTC()
		return nil
	}
}

// WithToolchains sets how toolchains are resolved and downloaded.
func WithToolchains(t Toolchains) Option {
	return func(a *Assembler) error { a.toolchains = t; return nil }
}

// Cache stores assembled images by cache key (ocistore.Store implements it).
type Cache interface {
	Get(key string) (v1.Image, bool, error)
	Put(img v1.Image, key, ref string) (v1.Hash, error)
}

// WithCache skips assembly when an image for the same inputs is cached.
func WithCache(c Cache) Option {
	return func(a *Assembler) error { a.cache = c; return nil }
}

// WithResolutionCache keeps each layer's resolved packages in dir, keyed by
// the Debian archive state (debian.Client.IndexID) and the layer's request,
// so that an unlocked build against an unchanged archive reads no Packages
// index. The packages come from releases verified the same way either way,
// and every .deb is still checked against its SHA-256 when it is fetched.
func WithResolutionCache(dir string) Option {
	return func(a *Assembler) error {
		if dir == "" {
			return errors.New("WithResolutionCache: empty directory")
		}
		a.resolutions = dir
		return nil
	}
}

// WithLogf receives progress lines ("resolving …", "fetching 12 packages").
func WithLogf(f func(format string, args ...any)) Option {
	return func(a *Assembler) error { a.logf = f; return nil }
}

// NewAssembler returns an Assembler that gets packages for a Debian
// architecture from archives(arch); mirrors turn locked packages back into URLs.
func NewAssembler(archives func(arch string) (Archive, error), mirrors debian.Mirrors, opts ...Option) (*Assembler, error) {
	a := &Assembler{
		archives:   archives,
		mirrors:    mirrors,
		toolchains: &toolchain.Fetcher{},
		lock:       lockfile.New(Codename),
		epoch:      time.Unix(0, 0).UTC(),
		logf:       func(string, ...any) {},
		indexes:    map[string]*debian.Index{},
		states:     map[string]string{},
		clients:    map[string]Archive{},
	}
	for _, o := range opts {
		if err := o(a); err != nil {
			return nil, err
		}
	}
	if a.lock.Debian != "" && a.lock.Debian != Codename {
		return nil, fmt.Errorf("distill.lock pins Debian %q, this distill assembles %q: re-resolve without --locked", a.lock.Debian, Codename)
	}
	a.lock.Debian = Codename
	return a, nil
}

// Lock returns the lock with everything resolved so far.
func (a *Assembler) Lock() *lockfile.Lock { return a.lock }

// Request names an image to assemble.
type Request struct {
	Flavour   string // "static", "cc:debug", "go"
	Platform  string // "linux/amd64" (default) or "linux/arm64"
	GoVersion string // for flavours with a Go toolchain; DefaultGoVersion when empty
}

// Installed is one package an image contains, as assembled.
type Installed struct {
	Name, Version, Architecture, Source, SourceVersion string
	SHA256                                             string // of the .deb
	Layer                                              string
}

// Result is an assembled image and what went into it.
type Result struct {
	Image    v1.Image
	Flavour  Flavour
	Debug    bool
	Platform string
	Packages []Installed // sorted by name
	// Toolchain is the image's toolchain; its Zip is set only when the image
	// was assembled rather than taken from the cache.
	Toolchain *toolchain.Go
}

// layerPlan is one package layer to assemble.
type layerPlan struct {
	name     string // lock key and history name: flavour name, or "<flavour>:debug"
	debug    bool   // the busybox layer of a :debug variant
	kind     Kind
	first    bool // carries accounts, merged-/usr links and base directories
	packages []*debian.Package
}

// Build assembles the image a request names.
func (a *Assembler) Build(ctx context.Context, req Request) (*Result, error) {
	f, debug, err := Lookup(req.Flavour)
	if err != nil {
		return nil, err
	}
	platform, arch, err := normalisePlatform(req.Platform)
	if err != nil {
		return nil, err
	}
	plans, err := a.plan(ctx, f, debug, platform, arch)
	if err != nil {
		return nil, err
	}
	var tc *toolchain.Go
	for _, fl := range f.chain() {
		if fl.Toolchain == "go" {
			if tc, err = a.goToolchain(ctx, req.GoVersion, platform); err != nil {
				return nil, err
			}
		}
	}

	res := &Result{Flavour: f, Debug: debug, Platform: platform, Toolchain: tc}
	var all []*debian.Package
	for _, p := range plans {
		all = append(all, p.packages...)
		for _, pkg := range p.packages {
			res.Packages = append(res.Packages, Installed{
				Name: pkg.Name, Version: pkg.Version, Architecture: pkg.Architecture,
				Source: pkg.Source, SourceVersion: pkg.SourceVersion, SHA256: pkg.SHA256, Layer: p.name,
			})
		}
	}
	sort.Slice(res.Packages, func(i, j int) bool { return res.Packages[i].Name < res.Packages[j].Name })

	// The key needs the toolchain's identity only; its zip is fetched and
	// hashed below, when the image is assembled.
	key := cacheKey(f, debug, platform, a.epoch, plans, tc)
	if a.cache != nil {
		img, ok, err := a.cache.Get(key)
		if err != nil {
			return nil, err
		}
		if ok {
			a.logf("%s %s: cached", res.Name(), platform)
			res.Image = img
			return res, nil
		}
	}

	if tc != nil {
		if tc, err = a.downloadToolchain(ctx, tc); err != nil {
			return nil, err
		}
		res.Toolchain = tc
	}
	archive, err := a.archive(arch)
	if err != nil {
		return nil, err
	}
	a.logf("fetching %d packages for %s %s", len(all), res.Name(), platform)
	files, err := archive.FetchAll(ctx, all)
	if err != nil {
		return nil, a.explainFetchError(err)
	}
	a.logf("assembling %s %s", res.Name(), platform)
	if res.Image, err = a.assemble(f, debug, platform, plans, files, tc); err != nil {
		return nil, err
	}
	if a.cache != nil {
		if _, err := a.cache.Put(res.Image, key, "distill/"+res.Name()); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// explainFetchError says what a failed download means for a locked build.
func (a *Assembler) explainFetchError(err error) error {
	if !a.locked {
		return err
	}
	var he *debian.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusNotFound {
		return fmt.Errorf("--locked: %w: the mirror no longer has a package distill.lock pins (Debian drops superseded versions); "+
			"build without --locked to re-resolve and update the lock, or point --debian-mirror at a snapshot mirror", err)
	}
	var ce *debian.ChecksumError
	if errors.As(err, &ce) {
		return fmt.Errorf("--locked: %w: the mirror serves other bytes than distill.lock pins", err)
	}
	return err
}

// Name is the flavour name with its variant ("static:debug").
func (r *Result) Name() string {
	if r.Debug {
		return r.Flavour.Name + DebugSuffix
	}
	return r.Flavour.Name
}

// layerSpec is a package layer to plan: where it goes in the image and what
// it resolves.
type layerSpec struct {
	name  string // lock key and history name: flavour name, or "<flavour>:debug"
	kind  Kind
	first bool
	debug bool
	req   layerRequest
}

// layerRequest is what a layer resolves, stated without an index: the roots
// (the flavour chain's packages so far), the names to leave out, and whether
// the index's required packages (debootstrap's minbase) are roots as well.
type layerRequest struct {
	Packages []string `json:"packages"`
	Omit     []string `json:"omit,omitempty"`
	MinBase  bool     `json:"minBase,omitempty"`
}

// resolveRequest is r against an index.
func (r layerRequest) resolveRequest(ix *debian.Index) debian.ResolveRequest {
	pkgs := slices.Clone(r.Packages)
	if r.MinBase {
		for _, n := range ix.Required() {
			if !slices.Contains(packageManagers, n) {
				pkgs = append(pkgs, n)
			}
		}
	}
	return debian.ResolveRequest{Packages: pkgs, Omit: r.Omit}
}

// layerSpecs lists the package layers of a flavour chain, each resolving
// its chain's packages so far, then the busybox layer of a :debug variant.
func layerSpecs(f Flavour, debug bool) []layerSpec {
	var specs []layerSpec
	var roots, omit []string
	for i, fl := range f.chain() {
		if len(fl.Packages) == 0 && !fl.MinBase {
			continue // a toolchain-only layer
		}
		roots = append(roots, fl.Packages...)
		omit = append(omit, fl.Omit...)
		specs = append(specs, layerSpec{name: fl.Name, kind: fl.Kind, first: i == 0, req: layerRequest{
			Packages: slices.Clone(roots), Omit: slices.Concat(omit, packageManagers), MinBase: fl.MinBase}})
	}
	if debug {
		specs = append(specs, layerSpec{name: f.Name + DebugSuffix, kind: Runtime, debug: true,
			req: layerRequest{Packages: []string{busyboxPackage}}})
	}
	return specs
}

// resolvedPackage is a package a layer resolved and how the lock pins it.
type resolvedPackage struct {
	pkg *debian.Package
	pin lockfile.Package
}

// plan decides the packages of every layer: from the lock when locked,
// otherwise by resolving each layer's request (from the resolution cache or
// the index), each layer getting what its parents do not already install.
func (a *Assembler) plan(ctx context.Context, f Flavour, debug bool, platform, arch string) ([]layerPlan, error) {
	specs := layerSpecs(f, debug)
	var resolved [][]resolvedPackage
	if !a.locked {
		var err error
		if resolved, err = a.resolveLayers(ctx, specs, platform, arch); err != nil {
			return nil, err
		}
	}
	installed := map[string]bool{}
	plans := make([]layerPlan, 0, len(specs))
	for i, s := range specs {
		var pkgs []*debian.Package
		if a.locked {
			var err error
			if pkgs, err = a.lockedLayer(s.name, platform); err != nil {
				return nil, err
			}
		} else {
			pinned := map[string]lockfile.Package{}
			for _, r := range resolved[i] {
				if installed[r.pkg.Name] {
					continue
				}
				pkgs = append(pkgs, r.pkg)
				pinned[r.pkg.Name] = r.pin
			}
			a.lock.SetLayer(platform, s.name, pinned)
		}
		for _, p := range pkgs {
			installed[p.Name] = true
		}
		plans = append(plans, layerPlan{name: s.name, kind: s.kind, first: s.first, debug: s.debug, packages: pkgs})
	}
	return plans, nil
}

// lockedLayer returns the packages the lock pins for a layer.
func (a *Assembler) lockedLayer(layer, platform string) ([]*debian.Package, error) {
	pinned, err := a.lock.Layer(platform, layer)
	if err != nil {
		return nil, fmt.Errorf("--locked: %w; run without --locked to resolve it", err)
	}
	var pkgs []*debian.Package
	for _, name := range slices.Sorted(maps.Keys(pinned)) {
		p, err := a.lockedPackage(name, pinned[name])
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// resolveLayers resolves every layer's request: all from the resolution
// cache when it holds them for the archive's current state, otherwise all
// from the index (so that one image never mixes two archive states), which
// are then kept in the cache.
func (a *Assembler) resolveLayers(ctx context.Context, specs []layerSpec, platform, arch string) ([][]resolvedPackage, error) {
	if a.resolutions != "" {
		state, err := a.archiveState(ctx, arch)
		if err != nil {
			return nil, err
		}
		if out, ok := a.cachedResolutions(state, platform, specs); ok {
			return out, nil
		}
	}
	ix, err := a.index(ctx, arch)
	if err != nil {
		return nil, err
	}
	out := make([][]resolvedPackage, len(specs))
	for i, s := range specs {
		pkgs, err := ix.Resolve(s.req.resolveRequest(ix))
		if err != nil {
			return nil, fmt.Errorf("flavour layer %q: %w", s.name, err)
		}
		for _, p := range pkgs {
			out[i] = append(out[i], resolvedPackage{pkg: p, pin: a.lockEntry(p)})
		}
		if a.resolutions != "" && ix.ID() != "" {
			if err := a.keepResolution(ix.ID(), platform, s, out[i]); err != nil {
				a.logf("not caching the resolution of layer %s: %v", s.name, err)
			}
		}
	}
	return out, nil
}

// archiveState is the IndexID of the Debian archive for arch: the loaded
// index's, else the one read first in this Assembler's life, so that the
// releases are downloaded once per run.
func (a *Assembler) archiveState(ctx context.Context, arch string) (string, error) {
	if ix, ok := a.indexes[arch]; ok && ix.ID() != "" {
		return ix.ID(), nil
	}
	if id, ok := a.states[arch]; ok {
		return id, nil
	}
	c, err := a.archive(arch)
	if err != nil {
		return "", err
	}
	id, err := c.IndexID(ctx, Codename)
	if err != nil {
		return "", err
	}
	a.states[arch] = id
	return id, nil
}

func (a *Assembler) lockEntry(p *debian.Package) lockfile.Package {
	archive := "debian"
	if strings.HasSuffix(p.Suite, "-security") {
		archive = "security"
	}
	return lockfile.Package{
		Version: p.Version, Architecture: p.Architecture,
		Source: p.Source, SourceVersion: p.SourceVersion,
		Archive: archive, Filename: p.Filename, Size: p.Size, SHA256: p.SHA256,
	}
}

func (a *Assembler) lockedPackage(name string, l lockfile.Package) (*debian.Package, error) {
	var base string
	switch l.Archive {
	case "debian":
		base = a.mirrors.Debian
	case "security":
		base = a.mirrors.Security
	default:
		return nil, fmt.Errorf("distill.lock: package %s: unknown archive %q (want debian or security)", name, l.Archive)
	}
	if base == "" {
		return nil, fmt.Errorf("distill.lock pins %s=%s from the %s archive, but no mirror for it is configured (--debian-mirror, --debian-security-mirror)", name, l.Version, l.Archive)
	}
	return &debian.Package{
		Name: name, Version: l.Version, Architecture: l.Architecture,
		Source: l.Source, SourceVersion: l.SourceVersion,
		Filename: l.Filename, Size: l.Size, SHA256: l.SHA256, BaseURI: base,
	}, nil
}

func (a *Assembler) archive(arch string) (Archive, error) {
	if c, ok := a.clients[arch]; ok {
		return c, nil
	}
	c, err := a.archives(arch)
	if err != nil {
		return nil, err
	}
	a.clients[arch] = c
	return c, nil
}

func (a *Assembler) index(ctx context.Context, arch string) (*debian.Index, error) {
	if ix, ok := a.indexes[arch]; ok {
		return ix, nil
	}
	c, err := a.archive(arch)
	if err != nil {
		return nil, err
	}
	a.logf("reading the Debian %s index for %s", Codename, arch)
	ix, err := c.Index(ctx, Codename)
	if err != nil {
		return nil, err
	}
	a.indexes[arch] = ix
	return ix, nil
}

// goToolchain identifies the Go toolchain of a request without fetching its
// zip: from the lock when locked, else by resolving the release and asking
// the go command for its go.sum hash, which the lock then pins.
func (a *Assembler) goToolchain(ctx context.Context, want, platform string) (*toolchain.Go, error) {
	if want == "" {
		want = DefaultGoVersion
	}
	if a.locked {
		version, pinned, err := a.lockedToolchain(want, platform)
		if err != nil {
			return nil, err
		}
		mv, err := toolchain.ModVersion(version, platform)
		if err != nil {
			return nil, err
		}
		if pinned.Sum == "" || (pinned.Version != "" && pinned.Version != mv) {
			return nil, fmt.Errorf("--locked: distill.lock pins Go %s for %s as %s@%s with sum %q, want %s@%s with its go.sum hash; run without --locked to resolve it",
				version, platform, pinned.Module, pinned.Version, pinned.Sum, toolchain.GoModule, mv)
		}
		return &toolchain.Go{Version: version, Platform: platform, ModVersion: mv, Sum: pinned.Sum}, nil
	}
	version, err := a.toolchains.Resolve(ctx, want, platform)
	if err != nil {
		return nil, err
	}
	g, err := a.toolchains.Lookup(ctx, version, platform)
	if err != nil {
		return nil, err
	}
	a.lock.SetToolchain(version, platform, lockfile.Toolchain{Module: toolchain.GoModule, Version: g.ModVersion, Sum: g.Sum})
	return g, nil
}

// downloadToolchain fetches the zip of an identified toolchain for assembly;
// it must hash to the go.sum hash the image's cache key names.
func (a *Assembler) downloadToolchain(ctx context.Context, id *toolchain.Go) (*toolchain.Go, error) {
	a.logf("fetching Go %s for %s", id.Version, id.Platform)
	g, err := a.toolchains.Download(ctx, id.Version, id.Platform, id.Sum)
	if err != nil {
		return nil, err
	}
	if g.ModVersion != id.ModVersion || g.Sum != id.Sum || g.Zip == "" {
		return nil, &toolchain.SumError{Module: toolchain.GoModule + "@" + id.ModVersion, Want: id.Sum, Got: g.Sum, Source: "the resolved toolchain"}
	}
	return g, nil
}

// lockedToolchain finds the pinned release matching a request: "1.26" matches
// the go1.26.x the lock holds.
func (a *Assembler) lockedToolchain(want, platform string) (string, lockfile.Toolchain, error) {
	want = "go" + strings.TrimPrefix(want, "go")
	for _, v := range slices.Sorted(maps.Keys(a.lock.Toolchains)) {
		if v == want || strings.HasPrefix(v, want+".") {
			t, err := a.lock.Toolchain(v, platform)
			if err == nil {
				return v, t, nil
			}
		}
	}
	return "", lockfile.Toolchain{}, fmt.Errorf("--locked: Go %s for %s: %w; run without --locked to resolve it", strings.TrimPrefix(want, "go"), platform, lockfile.ErrNotLocked)
}

// normalisePlatform returns the canonical OCI platform ("linux/arm64/v8" is
// "linux/arm64"; empty is linux/amd64) and its Debian architecture.
func normalisePlatform(platform string) (string, string, error) {
	switch platform {
	case "", "linux/amd64":
		return "linux/amd64", "amd64", nil
	case "linux/arm64", "linux/arm64/v8":
		return "linux/arm64", "arm64", nil
	}
	return "", "", fmt.Errorf("platform %q is not supported (linux/amd64, linux/arm64)", platform)
}

// compression level per kind: runtime images are small and shipped often;
// builder layers are large and stay on the build machine.
func compressionLevel(k Kind) int {
	if k == Runtime {
		return gzip.BestCompression
	}
	return gzip.DefaultCompression
}
