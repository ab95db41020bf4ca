package plan

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/distill-dev/distill/pipeline/spec"
)

// Paths shared by the presets.
const (
	SrcDir  = "/src"      // the project in build and test containers
	OutDir  = "/out"      // build outputs of the Go preset
	AppDir  = "/app"      // the application in the runtime
	VenvDir = "/opt/venv" // the Python virtual environment, same path in build and runtime
)

// Compile validates s and compiles it into a Graph.
func Compile(s *spec.Spec) (*Graph, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	d := s.WithDefaults()
	g := &Graph{Name: d.Name, Args: sortedKV(d.Args)}
	g.Source = compileSource(d.Source)
	for _, ps := range d.Platforms {
		p, err := ParsePlatform(ps)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(g.Platforms, p) {
			g.Platforms = append(g.Platforms, p)
		}
	}
	c := &compiler{spec: d, graph: g}
	switch {
	case d.Build.Go != nil:
		c.goPreset()
	case d.Build.Node != nil:
		c.nodePreset()
	case d.Build.Python != nil:
		c.pythonPreset()
	default:
		c.custom()
	}
	c.runtimeConfig()
	if err := c.scans(); err != nil {
		return nil, err
	}
	return g, nil
}

// Default policy: gate the runtime at HIGH, count unknown severities as HIGH.
const (
	DefaultFailOn    = "HIGH"
	DefaultUnknownAs = "HIGH"
)

// scans adds the scan stages and the policy: the runtime always (unless
// scanning is off), then the Spec's stages, each gated or reported.
func (c *compiler) scans() error {
	p := spec.Policy{}
	if c.spec.Policy != nil {
		p = *c.spec.Policy
	}
	pol := Policy{FailOn: p.FailOn, UnknownAs: p.UnknownAs, FixedOnly: p.FixedOnly, VEX: slices.Clone(p.VEX)}
	if pol.FailOn == "" {
		pol.FailOn = DefaultFailOn
	}
	if pol.UnknownAs == "" {
		pol.UnknownAs = DefaultUnknownAs
	}
	for _, ig := range p.Ignore {
		pol.Ignore = append(pol.Ignore, Ignore{ID: ig.ID, Package: ig.Package, Reason: ig.Reason, Expires: ig.Expires})
	}
	c.graph.Policy = pol
	if c.spec.Scan != nil && c.spec.Scan.Skip {
		return nil
	}
	gate := func(stage string) bool {
		if mode, ok := p.Stages[stage]; ok {
			return mode == "gate"
		}
		return stage == RuntimeStage
	}
	c.graph.Scans = append(c.graph.Scans, Scan{Stage: RuntimeStage, Gate: gate(RuntimeStage)})
	if c.spec.Scan != nil {
		for _, st := range c.spec.Scan.Stages {
			if _, ok := c.graph.Stage(st); !ok {
				var names []string
				for _, s := range c.graph.Stages {
					names = append(names, s.Name)
				}
				return &spec.FieldError{Field: "scan.stages", Msg: fmt.Sprintf("%q is not a stage of this pipeline (%s)", st, strings.Join(names, ", "))}
			}
			c.graph.Scans = append(c.graph.Scans, Scan{Stage: st, Gate: gate(st)})
		}
	}
	return nil
}

type compiler struct {
	spec  *spec.Spec
	graph *Graph
}

func compileSource(s spec.Source) Source {
	if s.Git != nil {
		return Source{Git: &GitSource{URL: s.Git.URL, Ref: s.Git.Ref}}
	}
	ex := slices.Clone(s.Exclude)
	ex = append(ex, ".git")
	slices.Sort(ex)
	return Source{Local: &LocalSource{Path: path.Clean(s.Path), Exclude: slices.Compact(ex)}}
}

// builder is the base of build, test and prepare stages.
func (c *compiler) builder() BaseRef {
	img := c.spec.Build.Image
	if spec.IsFlavour(img, spec.BuilderFlavours, false) {
		b := BaseRef{Flavour: img}
		if img == "go" {
			b.GoVersion = spec.DefaultGoVersion
			if c.spec.Build.Go != nil {
				b.GoVersion = c.spec.Build.Go.Version
			}
		}
		return b
	}
	return BaseRef{Image: img}
}

// add appends a stage. Stages that start on the builder image get the
// build environment (build.env); the stages derived from them inherit it, so
// a setting such as GOTOOLCHAIN applies from the dependency download on.
func (c *compiler) add(st *Stage) *Stage {
	if st.Workdir == "" {
		st.Workdir = SrcDir
	}
	if st.From == "" && len(c.spec.Build.Env) > 0 {
		env := map[string]string{}
		for _, kv := range st.Env {
			env[kv.Key] = kv.Value
		}
		for k, v := range c.spec.Build.Env {
			env[k] = v
		}
		st.Env = sortedKV(env)
	}
	c.graph.Stages = append(c.graph.Stages, st)
	return st
}

// sourceStage copies the whole project onto a stage (the "src" stage every
// preset builds and tests from).
func (c *compiler) sourceStage(from string, exclude ...string) *Stage {
	st := &Stage{Name: "src", Role: RolePrepare, From: from}
	if from == "" {
		st.Base = c.builder()
	}
	st.Ops = append(st.Ops, Op{Copy: &Copy{Src: ".", Dest: SrcDir + "/", Exclude: exclude}})
	return c.add(st)
}

// userSteps turns spec steps into exec ops.
func userSteps(steps []spec.Step) []Op {
	ops := make([]Op, 0, len(steps))
	for _, s := range steps {
		e := &Exec{
			Name:    s.Name,
			Env:     sortedKV(s.Env),
			Workdir: s.Workdir,
			Network: s.Network,
		}
		if e.Network == "default" {
			e.Network = ""
		}
		if s.Run != "" {
			e.Args = []string{"sh", "-c", s.Run}
			if e.Name == "" {
				e.Name = s.Run
			}
		} else {
			e.Args = slices.Clone(s.Command)
			if e.Name == "" {
				e.Name = strings.Join(s.Command, " ")
			}
		}
		for _, m := range s.Caches {
			id := m.ID
			if id == "" {
				id = m.Target
			}
			sharing := m.Sharing
			if sharing == "" {
				sharing = "shared"
			}
			e.Caches = append(e.Caches, CacheMount{Target: m.Target, ID: id, Sharing: sharing})
		}
		for _, sec := range s.Secrets {
			m := SecretMount{ID: sec.ID, Target: sec.Target, Env: sec.Env, Required: sec.Required}
			if m.Target == "" && m.Env == "" {
				m.Target = "/run/secrets/" + sec.ID
			}
			e.Secrets = append(e.Secrets, m)
		}
		for _, ssh := range s.SSH {
			id := ssh.ID
			if id == "" {
				id = "default"
			}
			e.SSH = append(e.SSH, SSHMount{ID: id, Target: ssh.Target, Required: ssh.Required})
		}
		ops = append(ops, Op{Exec: e})
	}
	return ops
}

// testStage adds the test stage on top of from, with the preset's test ops
// (nil for none) and the spec's test steps; nothing when tests are skipped.
func (c *compiler) testStage(from string, preset []Op) {
	t := c.spec.Test
	if t != nil && t.Skip {
		return
	}
	var ops []Op
	ops = append(ops, preset...)
	var env []KV
	if t != nil {
		ops = append(ops, userSteps(t.Steps)...)
		env = sortedKV(t.Env)
	}
	if len(ops) == 0 {
		return
	}
	c.add(&Stage{Name: "test", Role: RoleTest, From: from, Env: env, Ops: ops})
}

// custom is a pipeline without a preset: the build stage runs the steps on
// the builder image and the artifacts go into the runtime.
func (c *compiler) custom() {
	b := c.spec.Build
	src := c.sourceStage("")
	build := c.add(&Stage{Name: "build", Role: RoleBuild, From: src.Name, Ops: userSteps(b.Steps)})
	c.testStage(build.Name, nil)
	c.graph.Runtime.Base = runtimeBase(c.spec.Runtime.Base)
	c.userArtifacts(build.Name)
}

// userArtifacts adds the spec's artifacts, relative paths being relative to /src.
func (c *compiler) userArtifacts(stage string) {
	for _, a := range c.spec.Build.Artifacts {
		src := a.From
		if !path.IsAbs(src) {
			src = path.Join(SrcDir, src)
		}
		dest := a.To
		if dest == "" {
			dest = path.Join(AppDir, path.Base(src))
			if path.IsAbs(a.From) {
				dest = a.From
			}
		}
		c.graph.Runtime.Artifacts = append(c.graph.Runtime.Artifacts, Artifact{Stage: stage, Src: src, Dest: dest})
	}
}

func runtimeBase(base string) BaseRef {
	if spec.IsFlavour(base, spec.RuntimeFlavours, true) {
		return BaseRef{Flavour: base}
	}
	return BaseRef{Image: base}
}

// runtimeConfig applies the spec's runtime settings over the preset's.
func (c *compiler) runtimeConfig() {
	r := c.spec.Runtime
	cfg := &c.graph.Runtime.Config
	if len(r.Entrypoint) > 0 {
		cfg.Entrypoint = slices.Clone(r.Entrypoint)
	}
	if len(r.Cmd) > 0 {
		cfg.Cmd = slices.Clone(r.Cmd)
	}
	if r.Workdir != "" {
		cfg.Workdir = r.Workdir
	}
	cfg.User = r.User
	env := map[string]string{}
	for _, kv := range cfg.Env {
		env[kv.Key] = kv.Value
	}
	for k, v := range r.Env {
		env[k] = v
	}
	cfg.Env = sortedKV(env)
	for _, p := range r.Ports {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		cfg.Ports = append(cfg.Ports, p)
	}
	sort.Strings(cfg.Ports)
	cfg.Ports = slices.Compact(cfg.Ports)
	cfg.Labels = sortedKV(r.Labels)
}

func sortedKV(m map[string]string) []KV {
	if len(m) == 0 {
		return nil
	}
	out := make([]KV, 0, len(m))
	for k, v := range m {
		out = append(out, KV{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
