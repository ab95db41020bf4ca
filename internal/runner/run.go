package runner

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/tonistiigi/fsutil"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scanrun"
	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/internal/solver"
	"github.com/distill-dev/distill/pipeline/spec"
)

// Options are the run-time inputs of a pipeline run.
type Options struct {
	// Dir is the directory the Spec's paths are relative to (distill.yaml's).
	Dir string
	// Outputs receive the result besides the OCI layout in Layout.
	Outputs []ocistore.Output
	// Layout is the OCI layout directory the engine exports into (default:
	// <cache>/images/<name>).
	Layout string
	Target plan.Target
	// Platforms override the Spec's.
	Platforms []string
	// Args override the Spec's build arguments.
	Args map[string]string
	// Epoch is SOURCE_DATE_EPOCH; nil means the last commit's time when the
	// project is in Git, else 0.
	Epoch *time.Time
	// Secrets and SSH are forwarded to steps that ask for them.
	Secrets []Secret
	SSH     []string
	// CABundle is handed to fetch steps (default $SSL_CERT_FILE or Debian's bundle).
	CABundle string
	// Engine configures the BuildKit connection (BUILDKIT_HOST or a local buildkitd).
	Engine []engine.Option
	// Mirrors maps a registry (docker.io) to mirrors its images are pulled
	// from, for image-reference bases. They configure the local buildkitd
	// distill starts; a BuildKit at BUILDKIT_HOST uses its own configuration.
	Mirrors map[string][]string
	// Bases configures base image assembly (mirrors, lockfile, cache).
	Bases baseimage.Config
	// Logf receives progress lines of distill's own steps.
	Logf func(format string, args ...any)

	// ReportDir receives each scan's vulnerability report (JSON, SARIF), its
	// SBOMs (CycloneDX, SPDX) and summary.md, also when a gate fails.
	ReportDir string
	// VulnDB is the vulnerability database directory (default: distill's cache).
	VulnDB string
	// FailOn overrides the policy's threshold (a severity, or NONE).
	FailOn string
	// VEX adds OpenVEX documents to the policy's.
	VEX []string
	// ScanStages adds stages to scan; NoScan turns scanning off.
	ScanStages []string
	NoScan     bool
	// Signing signs the image and its attestations before any push; pushes
	// (image: outputs) need it unless AllowUnsigned.
	Signing       *Signing
	AllowUnsigned bool
}

// Result is what a run produced.
type Result struct {
	Name string
	// Digest is what outputs name: the image manifest for one platform, the
	// index for several.
	Digest v1.Hash
	Images []Image
	// Layout is the OCI layout holding the result.
	Layout   string
	Outputs  []ocistore.Output
	Stages   []StageTiming
	Epoch    time.Time
	Duration time.Duration
	// Bases are the base images used, by "flavour platform".
	Bases map[string]string
	// Scans are the scan stages' reports and SBOMs, runtimes first.
	Scans []ScanFiles
	// Published are the tags pushed, signed unless AllowUnsigned.
	Published []Published
}

// Image is one platform's runtime image.
type Image struct {
	Platform string
	Digest   v1.Hash
	Size     int64 // compressed: manifest, config and layers
	Layers   int
}

// Run executes s.
func Run(ctx context.Context, s *spec.Spec, opts Options) (*Result, error) {
	begin := time.Now()
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Target == "" {
		opts.Target = plan.TargetRuntime
	}
	s = s.With(spec.Overrides{Platforms: opts.Platforms, ScanStages: opts.ScanStages, NoScan: opts.NoScan})
	g, err := plan.Compile(s)
	if err != nil {
		return nil, err
	}
	g.StopAt(opts.Target)
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	tags, otherOutputs, err := pushes(opts.Outputs)
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 && opts.Signing == nil && !opts.AllowUnsigned {
		return nil, fmt.Errorf("pushing %s needs signing (--sign with --key or --keyless): distill never publishes an unsigned image (--allow-unsigned to push anyway)", tags[0])
	}
	if opts.Signing != nil && len(tags) == 0 {
		return nil, fmt.Errorf("--sign signs for the repository the image is pushed to: add --push REPOSITORY:TAG")
	}
	var signOpts sign.Options
	if opts.Signing != nil {
		// The key first: a wrong password fails before the build, not after.
		if signOpts, err = signOptions(ctx, *opts.Signing); err != nil {
			return nil, err
		}
		if len(g.Scans) == 0 {
			opts.Logf("WARNING: signing without scans: the image gets no SBOM or vulnerability attestations")
		}
	}

	// Sources: the local context, its .dockerignore, and Git facts for labels and the epoch.
	var contextDir string
	if g.Source.Local != nil {
		contextDir = filepath.Join(dir, filepath.FromSlash(g.Source.Local.Path))
		ignore, err := dockerignore(contextDir)
		if err != nil {
			return nil, err
		}
		g.Source.Local.Exclude = append(g.Source.Local.Exclude, ignore...)
	}
	git, _ := readGitInfo(ctx, dir)
	epoch := time.Unix(0, 0).UTC()
	switch {
	case opts.Epoch != nil:
		epoch = opts.Epoch.UTC()
	case !git.Time.IsZero():
		epoch = git.Time
	}

	// Base images: assembled into distill's store before the engine runs.
	bcfg := opts.Bases
	if bcfg.Logf == nil {
		bcfg.Logf = opts.Logf
	}
	svc, err := baseimage.New(bcfg)
	if err != nil {
		return nil, err
	}
	buildPlatform := plan.Platform{OS: "linux", Arch: "amd64"}
	keys := neededBases(g, buildPlatform)
	resolved, err := assembleFlavours(ctx, svc, keys)
	if err != nil {
		return nil, err
	}
	if err := svc.SaveLock(); err != nil {
		return nil, err
	}

	engineOpts := opts.Engine
	if len(opts.Mirrors) > 0 {
		engineOpts = append(slices.Clone(engineOpts), engine.WithConfig(engine.MirrorConfig(opts.Mirrors)))
	}
	e, err := engine.Start(ctx, engineOpts...)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if len(opts.Mirrors) > 0 && !e.Started() && e.PID() == 0 {
		opts.Logf("registry mirrors apply to the local buildkitd only; the BuildKit at %s uses its own configuration", e.Addr())
	}

	layoutDir := opts.Layout
	if layoutDir == "" {
		root, err := baseimage.CacheRoot()
		if err != nil {
			return nil, err
		}
		layoutDir = filepath.Join(root, "images", g.Name)
	}
	if err := os.RemoveAll(layoutDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(layoutDir, 0o755); err != nil {
		return nil, err
	}

	solveOpt, err := solveOptions(ctx, opts, svc, contextDir, layoutDir, g.Name, epoch)
	if err != nil {
		return nil, err
	}
	trace := engine.NewTrace()
	genOpts := llbgen.Options{BuildPlatform: buildPlatform, Args: opts.Args, Epoch: epoch, Source: git.Remote, Revision: git.Revision}
	var sc *scans
	if len(g.Scans) > 0 {
		if sc, err = prepareScans(ctx, opts, svc, g, dir, epoch, resolved, &genOpts, &solveOpt); err != nil {
			return nil, err
		}
	}
	_, err = e.Build(ctx, solveOpt, "distill", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		if err := resolveImages(ctx, c, keys, resolved); err != nil {
			return nil, err
		}
		prog, err := llbgen.Generate(g, resolved, genOpts)
		if err != nil {
			return nil, err
		}
		req := solver.Request{Program: prog, Target: opts.Target, Epoch: epoch}
		if sc != nil {
			req.OnScan = sc.OnScan
		}
		return solver.Build(ctx, c, req)
	}, trace.Observe)
	stages := stageTimings(trace, g)
	var scanned []ScanFiles
	if sc != nil {
		scanned = sc.Results()
		if opts.ReportDir != "" {
			if werr := scanrun.WriteReports(opts.ReportDir, scanned); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err != nil {
		if sc != nil {
			if gerr := sc.GateError(); gerr != nil {
				return nil, gerr
			}
		}
		return nil, explainFailure(err, trace)
	}

	res := &Result{Name: g.Name, Layout: layoutDir, Stages: stages, Epoch: epoch, Bases: map[string]string{}, Scans: scanned}
	for k, b := range resolved {
		res.Bases[k.Ref.String()+" "+k.Platform.String()] = b.digest
	}
	if opts.Target == plan.TargetTest {
		res.Duration = time.Since(begin)
		return res, nil
	}
	if err := collectImages(res, layoutDir); err != nil {
		return nil, err
	}
	for _, o := range otherOutputs {
		opts.Logf("writing %s", o)
		if err := writeOutput(ctx, o, layoutDir, g.Name); err != nil {
			return nil, fmt.Errorf("writing %s: %w", o, err)
		}
		res.Outputs = append(res.Outputs, o)
	}
	switch {
	case len(tags) > 0 && opts.Signing != nil:
		info, _ := e.Client().Info(ctx)
		bk := ""
		if info != nil {
			bk = info.BuildkitVersion.Version
		}
		var env *scanEnv
		if sc != nil {
			env = sc.env
		}
		secretIDs := make([]string, 0, len(opts.Secrets))
		for _, sec := range opts.Secrets {
			secretIDs = append(secretIDs, sec.ID)
		}
		args := map[string]string{}
		for _, kv := range g.Args {
			args[kv.Key] = kv.Value
		}
		maps.Copy(args, opts.Args)
		pin := provenanceInputs{spec: s, graph: g, target: string(opts.Target), args: args, secretIDs: secretIDs,
			epoch: epoch, git: git, dir: dir, bases: resolved, scanner: env, buildkit: bk}
		if err := signAndPublish(ctx, *opts.Signing, signOpts, res, tags, pin, opts.Logf); err != nil {
			return nil, err
		}
	case len(tags) > 0:
		for _, t := range tags {
			o := ocistore.Output{Kind: ocistore.Push, Target: t.String()}
			opts.Logf("pushing %s UNSIGNED (--allow-unsigned)", t)
			if err := writeOutput(ctx, o, layoutDir, g.Name); err != nil {
				return nil, fmt.Errorf("writing %s: %w", o, err)
			}
			res.Published = append(res.Published, Published{Tag: t.String(), Digest: res.Digest})
		}
	}
	res.Duration = time.Since(begin)
	return res, nil
}

func solveOptions(ctx context.Context, opts Options, svc *baseimage.Service, contextDir, layoutDir, name string, epoch time.Time) (client.SolveOpt, error) {
	cs, err := svc.Store.ContentStore()
	if err != nil {
		return client.SolveOpt{}, err
	}
	ca := opts.CABundle
	if ca == "" {
		ca = defaultCABundle()
	}
	secrets, err := secretsAttachable(ctx, opts.Secrets, ca)
	if err != nil {
		return client.SolveOpt{}, err
	}
	attach := []session.Attachable{secrets}
	if len(opts.SSH) > 0 {
		ssh, err := sshAttachable(opts.SSH)
		if err != nil {
			return client.SolveOpt{}, err
		}
		attach = append(attach, ssh)
	}
	so := client.SolveOpt{
		OCIStores: map[string]content.Store{llbgen.BaseStoreID: cs},
		Session:   attach,
		Exports: []client.ExportEntry{{
			Type:      client.ExporterOCI,
			OutputDir: layoutDir,
			Attrs: map[string]string{
				"tar":            "false",
				"name":           "distill/" + name + ":latest",
				"oci-mediatypes": "true",
				// No rewrite-timestamp: every layer already carries the epoch (base
				// layers from internal/rootfs, artifacts copied with it as their
				// time), and rewriting would recompress the base layers, so they
				// would no longer be shared with the base images' blobs.
				"source-date-epoch": fmt.Sprint(epoch.Unix()),
			},
		}},
	}
	if opts.Target == plan.TargetTest {
		so.Exports = nil
	}
	if contextDir != "" {
		fs, err := fsutil.NewFS(contextDir)
		if err != nil {
			return client.SolveOpt{}, fmt.Errorf("build context %s: %w", contextDir, err)
		}
		so.LocalMounts = map[string]fsutil.FS{plan.ContextName: fs}
	}
	return so, nil
}

// collectImages reads the exported layout: the result's digest and each
// platform image's size.
func collectImages(res *Result, layoutDir string) error {
	idx, err := ocistore.ReadLayout(layoutDir)
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(im.Manifests) != 1 {
		return fmt.Errorf("exported layout %s holds %d entries, want 1", layoutDir, len(im.Manifests))
	}
	top := im.Manifests[0]
	res.Digest = top.Digest
	add := func(img v1.Image, platform string) error {
		m, err := img.Manifest()
		if err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		raw, err := img.RawManifest()
		if err != nil {
			return err
		}
		size := int64(len(raw)) + m.Config.Size
		for _, l := range m.Layers {
			size += l.Size
		}
		res.Images = append(res.Images, Image{Platform: platform, Digest: d, Size: size, Layers: len(m.Layers)})
		return nil
	}
	if top.MediaType.IsImage() {
		img, err := idx.Image(top.Digest)
		if err != nil {
			return err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		return add(img, cf.OS+"/"+cf.Architecture)
	}
	child, err := idx.ImageIndex(top.Digest)
	if err != nil {
		return err
	}
	cm, err := child.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range cm.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" || !d.MediaType.IsImage() {
			continue // attestation manifests
		}
		img, err := child.Image(d.Digest)
		if err != nil {
			return err
		}
		if err := add(img, d.Platform.String()); err != nil {
			return err
		}
	}
	return nil
}

func writeOutput(ctx context.Context, o ocistore.Output, layoutDir, name string) error {
	idx, err := ocistore.ReadLayout(layoutDir)
	if err != nil {
		return err
	}
	ref := "distill/" + name + ":latest"
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	top := im.Manifests[0]
	if top.MediaType.IsImage() {
		img, err := idx.Image(top.Digest)
		if err != nil {
			return err
		}
		return ocistore.Write(ctx, o, img, ref)
	}
	child, err := idx.ImageIndex(top.Digest)
	if err != nil {
		return err
	}
	return ocistore.WriteIndex(ctx, o, child, ref)
}

// StageTiming is how long a stage's steps took, from BuildKit's statuses.
type StageTiming struct {
	Stage string
	// Start and End are the first start and last completion of its steps
	// (zero when BuildKit reported none): stages that overlap ran in parallel.
	Start, End time.Time
	Duration   time.Duration
	Steps      int
	Cached     int // steps answered from the cache
}
