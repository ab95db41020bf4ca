package llbgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/distill-dev/distill/internal/plan"
)

// Bases gives the LLB state and image config of a base image for a
// platform. Implementations resolve every base before Generate runs, so
// Base does no I/O.
type Bases interface {
	Base(ref plan.BaseRef, p plan.Platform) (llb.State, *ocispecs.Image, error)
}

// Options are the inputs of a build that are not in the Spec.
type Options struct {
	// BuildPlatform is where build and test stages run (default linux/amd64).
	BuildPlatform plan.Platform
	// Args override the Spec's build arguments (--build-arg).
	Args map[string]string
	// Epoch is SOURCE_DATE_EPOCH: file times of runtime layers and the
	// image's created time.
	Epoch time.Time
	// Source (a URL) and Revision (a commit) become OCI labels.
	Source, Revision string
	// LocalOpts are added to the local build context source (the frontend
	// adds its session id).
	LocalOpts []llb.LocalOption
	// Scanner runs the graph's scans; required when it has any.
	Scanner *Scanner
}

// Program is a Graph compiled for BuildKit.
type Program struct {
	Graph *plan.Graph
	// Runtimes are the images to export, by target platform, in Graph order.
	Runtimes []Runtime
	// Builds are the build stages' final states (what --target build
	// exports), by target platform.
	Builds []Runtime
	// Tests must succeed before anything is exported.
	Tests []Check
	// Scans produce reports and SBOMs; gated ones must pass the policy.
	Scans []ScanJob
}

// Runtime is one platform's image.
type Runtime struct {
	Platform plan.Platform
	State    llb.State
	Config   *ocispecs.Image
}

// Check is a state whose solve must succeed.
type Check struct {
	Name  string
	State llb.State
}

// Generate compiles a graph into LLB states.
func Generate(g *plan.Graph, bases Bases, opts Options) (*Program, error) {
	if opts.BuildPlatform.OS == "" {
		opts.BuildPlatform = plan.Platform{OS: "linux", Arch: "amd64"}
	}
	gen := &generator{graph: g, bases: bases, opts: opts, states: map[stageKey]llb.State{}}
	prog := &Program{Graph: g}
	for _, st := range g.Stages {
		for _, p := range gen.graph.PlatformsOf(st, gen.opts.BuildPlatform) {
			if err := gen.stage(st, p); err != nil {
				return nil, err
			}
		}
	}
	for _, st := range g.StagesWith(plan.RoleTest) {
		prog.Tests = append(prog.Tests, Check{Name: st.Name, State: gen.states[gen.key(st, opts.BuildPlatform)]})
	}
	for _, p := range g.Platforms {
		rt, err := gen.runtime(p)
		if err != nil {
			return nil, err
		}
		prog.Runtimes = append(prog.Runtimes, rt)
		if builds := g.StagesWith(plan.RoleBuild); len(builds) > 0 {
			b := builds[0]
			prog.Builds = append(prog.Builds, Runtime{Platform: p, State: gen.states[gen.key(b, p)]})
		}
	}
	scans, err := gen.scanJobs(prog)
	if err != nil {
		return nil, err
	}
	prog.Scans = scans
	return prog, nil
}

type stageKey struct {
	name     string
	platform plan.Platform
}

type generator struct {
	graph  *plan.Graph
	bases  Bases
	opts   Options
	states map[stageKey]llb.State
}

// key finds the state of a stage for platform p: per-platform stages have
// one per target; the others one for the build platform.
func (gen *generator) key(st *plan.Stage, p plan.Platform) stageKey {
	return stageKey{st.Name, plan.StagePlatform(st, p, gen.opts.BuildPlatform)}
}

func (gen *generator) stageState(name string, p plan.Platform) (llb.State, error) {
	st, ok := gen.graph.Stage(name)
	if !ok {
		return llb.State{}, fmt.Errorf("stage %q is not defined", name)
	}
	s, ok := gen.states[gen.key(st, p)]
	if !ok {
		return llb.State{}, fmt.Errorf("stage %q is used before it is built", name)
	}
	return s, nil
}

func (gen *generator) stage(st *plan.Stage, target plan.Platform) error {
	var s llb.State
	if st.From != "" {
		from, err := gen.stageState(st.From, target)
		if err != nil {
			return fmt.Errorf("stage %s: %w", st.Name, err)
		}
		s = from
	} else {
		base, _, err := gen.bases.Base(st.Base, gen.opts.BuildPlatform)
		if err != nil {
			return fmt.Errorf("stage %s: base %s: %w", st.Name, st.Base, err)
		}
		s = base
	}
	if st.Workdir != "" {
		s = s.Dir(st.Workdir)
	}
	for _, kv := range st.Env {
		s = s.AddEnv(kv.Key, kv.Value)
	}
	for i, op := range st.Ops {
		switch {
		case op.Copy != nil:
			src, err := gen.copySource(op.Copy, target)
			if err != nil {
				return fmt.Errorf("stage %s: op %d: %w", st.Name, i, err)
			}
			s = s.File(llb.Copy(src, op.Copy.Src, op.Copy.Dest, &llb.CopyInfo{
				CopyDirContentsOnly: true,
				IncludePatterns:     op.Copy.Include,
				ExcludePatterns:     op.Copy.Exclude,
				CreateDestPath:      true,
				AllowWildcard:       true,
				AllowEmptyWildcard:  true,
			}), llb.WithCustomNamef("[%s] copy %s", gen.label(st, target), copyDescription(op.Copy)))
		case op.Exec != nil:
			s = s.Run(gen.execOptions(st, op.Exec, target)...).Root()
		}
	}
	gen.states[gen.key(st, target)] = s
	return nil
}

func (gen *generator) label(st *plan.Stage, target plan.Platform) string {
	if st.PerPlatform && len(gen.graph.Platforms) > 1 {
		return st.Name + " " + target.String()
	}
	return st.Name
}

func copyDescription(c *plan.Copy) string {
	from := "source"
	if c.FromStage != "" {
		from = c.FromStage
	}
	what := c.Src
	if len(c.Include) > 0 {
		what = strings.Join(c.Include, " ")
	}
	return fmt.Sprintf("%s:%s → %s", from, what, c.Dest)
}

func (gen *generator) copySource(c *plan.Copy, target plan.Platform) (llb.State, error) {
	if c.FromStage != "" {
		return gen.stageState(c.FromStage, target)
	}
	return gen.source(), nil
}

// source is the project: the local build context or a Git checkout.
func (gen *generator) source() llb.State {
	src := gen.graph.Source
	if src.Git != nil {
		return llb.Git(src.Git.URL, src.Git.Ref, llb.WithCustomNamef("git %s", src.Git.URL))
	}
	opts := append([]llb.LocalOption{
		llb.ExcludePatterns(src.Local.Exclude),
		llb.SharedKeyHint(plan.ContextName),
		// A stable id: without one, every Marshal draws a random id, which
		// makes the definition differ between runs and solves.
		llb.LocalUniqueID("distill:" + gen.graph.Name + ":" + plan.ContextName),
		llb.WithCustomName("[source] " + src.Local.Path),
	}, gen.opts.LocalOpts...)
	return llb.Local(plan.ContextName, opts...)
}

// execOptions builds the run options of an exec: arguments, environment
// (build args, then the step's own, with target platform variables
// expanded), mounts, secrets and network.
func (gen *generator) execOptions(st *plan.Stage, e *plan.Exec, target plan.Platform) []llb.RunOption {
	vars := plan.PlatformVars(target, gen.opts.BuildPlatform)
	opts := []llb.RunOption{
		llb.Args(e.Args),
		llb.WithCustomNamef("[%s] %s", gen.label(st, target), e.Name),
	}
	for _, k := range slices.Sorted(maps.Keys(gen.args())) {
		opts = append(opts, llb.AddEnv(k, gen.args()[k]))
	}
	for _, kv := range e.Env {
		opts = append(opts, llb.AddEnv(kv.Key, plan.Expand(kv.Value, vars)))
	}
	if e.Workdir != "" {
		opts = append(opts, llb.Dir(e.Workdir))
	}
	for _, c := range e.Caches {
		opts = append(opts, llb.AddMount(c.Target, llb.Scratch(), llb.AsPersistentCacheDir(c.ID, cacheSharing(c.Sharing))))
	}
	for _, sec := range e.Secrets {
		so := []llb.SecretOption{llb.SecretID(sec.ID)}
		if !sec.Required {
			so = append(so, llb.SecretOptional)
		}
		if sec.Env != "" {
			opts = append(opts, llb.AddSecretWithDest(sec.ID, nil, append(so, llb.SecretAsEnvName(sec.Env))...))
		} else {
			opts = append(opts, llb.AddSecret(sec.Target, so...))
		}
	}
	for _, ssh := range e.SSH {
		so := []llb.SSHOption{llb.SSHID(ssh.ID)}
		if ssh.Target != "" {
			so = append(so, llb.SSHSocketTarget(ssh.Target))
		}
		if !ssh.Required {
			so = append(so, llb.SSHOptional)
		}
		opts = append(opts, llb.AddSSHSocket(so...))
	}
	if e.Network == "none" {
		opts = append(opts, llb.Network(pb.NetMode_NONE))
	}
	return append(opts, fetchOptions(e.Fetch)...)
}

// args are the build arguments with run-time overrides.
func (gen *generator) args() map[string]string {
	m := map[string]string{}
	for _, kv := range gen.graph.Args {
		m[kv.Key] = kv.Value
	}
	maps.Copy(m, gen.opts.Args)
	return m
}

func cacheSharing(s string) llb.CacheMountSharingMode {
	switch s {
	case "private":
		return llb.CacheMountPrivate
	case "locked":
		return llb.CacheMountLocked
	}
	return llb.CacheMountShared
}

// runtime assembles one platform's image: the runtime base for p with every
// artifact copied in one layer, timestamps at the epoch.
func (gen *generator) runtime(p plan.Platform) (Runtime, error) {
	r := gen.graph.Runtime
	base, cfg, err := gen.bases.Base(r.Base, p)
	if err != nil {
		return Runtime{}, fmt.Errorf("runtime base %s for %s: %w", r.Base, p, err)
	}
	epoch := gen.opts.Epoch.UTC()
	var action *llb.FileAction
	for _, a := range r.Artifacts {
		from, err := gen.stageState(a.Stage, p)
		if err != nil {
			return Runtime{}, fmt.Errorf("runtime artifact %s: %w", a.Src, err)
		}
		ci := &llb.CopyInfo{
			CopyDirContentsOnly: true,
			ExcludePatterns:     a.Exclude,
			CreateDestPath:      true,
			CreatedTime:         &epoch,
		}
		if action == nil {
			action = llb.Copy(from, a.Src, a.Dest, ci)
		} else {
			action = action.Copy(from, a.Src, a.Dest, ci)
		}
	}
	st := base
	if action != nil {
		st = base.File(action, llb.WithCustomNamef("[runtime %s] copy artifacts", p))
	}
	img, err := gen.imageConfig(cfg, p)
	if err != nil {
		return Runtime{}, err
	}
	return Runtime{Platform: p, State: st, Config: img}, nil
}

// imageConfig is the runtime base's config with the graph's overrides, the
// OCI labels, and the epoch as creation time.
func (gen *generator) imageConfig(base *ocispecs.Image, p plan.Platform) (*ocispecs.Image, error) {
	img := cloneImage(base)
	c := gen.graph.Runtime.Config
	img.Platform = ocispecs.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
	epoch := gen.opts.Epoch.UTC()
	img.Created = &epoch
	if len(c.Entrypoint) > 0 {
		img.Config.Entrypoint = slices.Clone(c.Entrypoint)
		img.Config.Cmd = nil // as Docker: a new entrypoint resets the base's command
	}
	if len(c.Cmd) > 0 {
		img.Config.Cmd = slices.Clone(c.Cmd)
	}
	if c.Workdir != "" {
		img.Config.WorkingDir = c.Workdir
	}
	if c.User != "" {
		img.Config.User = c.User
	}
	img.Config.Env = mergeEnv(img.Config.Env, c.Env)
	if len(c.Ports) > 0 {
		if img.Config.ExposedPorts == nil {
			img.Config.ExposedPorts = map[string]struct{}{}
		}
		for _, port := range c.Ports {
			img.Config.ExposedPorts[port] = struct{}{}
		}
	}
	labels := maps.Clone(img.Config.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, gen.graph.RuntimeLabels(epoch, gen.opts.Source, gen.opts.Revision))
	delete(labels, plan.LabelDescription) // the base's, not this image's
	img.Config.Labels = labels
	img.History = append(img.History, ocispecs.History{
		Created:   &epoch,
		CreatedBy: "distill: runtime artifacts of " + gen.graph.Name,
		Comment:   "distill",
	})
	if len(gen.graph.Runtime.Artifacts) == 0 {
		img.History[len(img.History)-1].EmptyLayer = true
	}
	return img, nil
}

// mergeEnv sets each of add on env (KEY=VALUE), replacing a value of the same key.
func mergeEnv(env []string, add []plan.KV) []string {
	out := slices.Clone(env)
	for _, kv := range add {
		replaced := false
		for i, e := range out {
			if k, _, _ := strings.Cut(e, "="); k == kv.Key {
				out[i] = kv.Key + "=" + kv.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, kv.Key+"="+kv.Value)
		}
	}
	return out
}

func cloneImage(img *ocispecs.Image) *ocispecs.Image {
	c := *img
	c.Config.Env = slices.Clone(img.Config.Env)
	c.Config.Entrypoint = slices.Clone(img.Config.Entrypoint)
	c.Config.Cmd = slices.Clone(img.Config.Cmd)
	c.Config.Labels = maps.Clone(img.Config.Labels)
	c.Config.ExposedPorts = maps.Clone(img.Config.ExposedPorts)
	c.Config.Volumes = maps.Clone(img.Config.Volumes)
	c.RootFS.DiffIDs = slices.Clone(img.RootFS.DiffIDs)
	c.History = slices.Clone(img.History)
	return &c
}
