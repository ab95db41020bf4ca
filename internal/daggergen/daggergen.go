package daggergen

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"dagger.io/dagger"

	"github.com/distill-dev/distill/internal/plan"
)

// Bases resolves a base image for a platform as a container.
type Bases interface {
	Base(ref plan.BaseRef, p plan.Platform) (*dagger.Container, error)
}

// Options are the run-time inputs of a generation.
type Options struct {
	// BuildPlatform is where build and test stages run (default linux/amd64).
	BuildPlatform plan.Platform
	// Args override the Spec's build arguments.
	Args map[string]string
	// Epoch is SOURCE_DATE_EPOCH: artifact timestamps and the created label.
	Epoch time.Time
	// Source and Revision label the runtime (org.opencontainers.image.*).
	Source, Revision string
	// Secrets are the secrets steps may mount, by id: the Spec's, and the
	// fetch steps' plan.SecretCABundle and plan.SecretEnvPrefix+NAME.
	Secrets map[string]*dagger.Secret
}

// Program is a Graph as Dagger containers, all lazy until evaluated.
type Program struct {
	Graph *plan.Graph
	// Runtimes are the images that ship, by target platform in Graph order.
	Runtimes []Image
	// Builds are the build stages' final containers, by target platform.
	Builds []Image
	// Tests must succeed (Sync) before anything is exported.
	Tests []Check

	build  plan.Platform
	stages map[stageKey]*dagger.Container
}

// Image is one platform's container.
type Image struct {
	Platform  plan.Platform
	Container *dagger.Container
}

// Check is a container whose evaluation must succeed.
type Check struct {
	Name      string
	Container *dagger.Container
}

// Generate turns g into containers on c. src is the project source. It reads
// the build stages' outputs to tell files from directories among the runtime
// artifacts, so it runs the build.
func Generate(ctx context.Context, c *dagger.Client, g *plan.Graph, src *dagger.Directory, bases Bases, opts Options) (*Program, error) {
	if opts.BuildPlatform.OS == "" {
		opts.BuildPlatform = plan.Platform{OS: "linux", Arch: "amd64"}
	}
	gen := &generator{c: c, graph: g, src: src, bases: bases, opts: opts, stages: map[stageKey]*dagger.Container{}}
	for _, st := range g.Stages {
		for _, p := range gen.graph.PlatformsOf(st, gen.opts.BuildPlatform) {
			if err := gen.stage(st, p); err != nil {
				return nil, err
			}
		}
	}
	prog := &Program{Graph: g, build: opts.BuildPlatform, stages: gen.stages}
	for _, st := range g.StagesWith(plan.RoleTest) {
		prog.Tests = append(prog.Tests, Check{Name: st.Name, Container: gen.stages[gen.key(st, opts.BuildPlatform)]})
	}
	for _, p := range g.Platforms {
		rt, err := gen.runtime(ctx, p)
		if err != nil {
			return nil, err
		}
		prog.Runtimes = append(prog.Runtimes, Image{Platform: p, Container: rt})
		if builds := g.StagesWith(plan.RoleBuild); len(builds) > 0 {
			prog.Builds = append(prog.Builds, Image{Platform: p, Container: gen.stages[gen.key(builds[0], p)]})
		}
	}
	return prog, nil
}

type stageKey struct {
	name     string
	platform plan.Platform
}

type generator struct {
	c      *dagger.Client
	graph  *plan.Graph
	src    *dagger.Directory
	bases  Bases
	opts   Options
	stages map[stageKey]*dagger.Container
}

func (gen *generator) key(st *plan.Stage, p plan.Platform) stageKey {
	return stageKey{st.Name, plan.StagePlatform(st, p, gen.opts.BuildPlatform)}
}

func (gen *generator) stageContainer(name string, p plan.Platform) (*dagger.Container, error) {
	st, ok := gen.graph.Stage(name)
	if !ok {
		return nil, fmt.Errorf("stage %q is not defined", name)
	}
	c, ok := gen.stages[gen.key(st, p)]
	if !ok {
		return nil, fmt.Errorf("stage %q is used before it is built", name)
	}
	return c, nil
}

func (gen *generator) stage(st *plan.Stage, target plan.Platform) error {
	var ctr *dagger.Container
	if st.From != "" {
		from, err := gen.stageContainer(st.From, target)
		if err != nil {
			return fmt.Errorf("stage %s: %w", st.Name, err)
		}
		ctr = from
	} else {
		base, err := gen.bases.Base(st.Base, gen.opts.BuildPlatform)
		if err != nil {
			return fmt.Errorf("stage %s: base %s: %w", st.Name, st.Base, err)
		}
		ctr = base
	}
	if st.Workdir != "" {
		ctr = ctr.WithWorkdir(st.Workdir)
	}
	for _, kv := range st.Env {
		ctr = ctr.WithEnvVariable(kv.Key, kv.Value)
	}
	for i, op := range st.Ops {
		switch {
		case op.Copy != nil:
			src, err := gen.copySource(op.Copy, target)
			if err != nil {
				return fmt.Errorf("stage %s: op %d: %w", st.Name, i, err)
			}
			ctr = ctr.WithDirectory(op.Copy.Dest, src.Directory(op.Copy.Src), dagger.ContainerWithDirectoryOpts{
				Include: op.Copy.Include, Exclude: op.Copy.Exclude,
			})
		case op.Exec != nil:
			var err error
			if ctr, err = gen.exec(ctr, st, op.Exec, target); err != nil {
				return fmt.Errorf("stage %s: %s: %w", st.Name, op.Exec.Name, err)
			}
		}
	}
	gen.stages[gen.key(st, target)] = ctr
	return nil
}

func (gen *generator) copySource(c *plan.Copy, target plan.Platform) (*dagger.Directory, error) {
	if c.FromStage != "" {
		from, err := gen.stageContainer(c.FromStage, target)
		if err != nil {
			return nil, err
		}
		return from.Rootfs(), nil
	}
	return gen.src, nil
}

// exec runs e as LLB does: build arguments and the exec's environment for
// this exec only, its caches, secrets and the fetch settings mounted.
func (gen *generator) exec(ctr *dagger.Container, st *plan.Stage, e *plan.Exec, target plan.Platform) (*dagger.Container, error) {
	if len(e.SSH) > 0 {
		for _, s := range e.SSH {
			if s.Required {
				return nil, fmt.Errorf("SSH agent forwarding (ssh %q) is not supported by the Dagger backend: use distill build", s.ID)
			}
		}
	}
	env := map[string]string{}
	maps.Copy(env, gen.args())
	vars := plan.PlatformVars(target, gen.opts.BuildPlatform)
	for _, kv := range e.Env {
		env[kv.Key] = plan.Expand(kv.Value, vars)
	}
	for _, kv := range plan.FetchEnvDefaults[e.Fetch] {
		env[kv[0]] = kv[1]
	}
	var undo []func(*dagger.Container) *dagger.Container
	for _, k := range slices.Sorted(maps.Keys(env)) {
		ctr = ctr.WithEnvVariable(k, env[k])
		undo = append(undo, func(c *dagger.Container) *dagger.Container { return c.WithoutEnvVariable(k) })
	}
	for _, cm := range e.Caches {
		ctr = ctr.WithMountedCache(cm.Target, gen.c.CacheVolume("distill-"+cm.ID), dagger.ContainerWithMountedCacheOpts{Sharing: cacheSharing(cm.Sharing)})
		undo = append(undo, func(c *dagger.Container) *dagger.Container { return c.WithoutMount(cm.Target) })
	}
	mountSecret := func(id, target, envName string, required bool) error {
		s, ok := gen.opts.Secrets[id]
		if !ok {
			if required {
				return fmt.Errorf("secret %q is required and was not given", id)
			}
			return nil
		}
		if envName != "" {
			ctr = ctr.WithSecretVariable(envName, s)
			undo = append(undo, func(c *dagger.Container) *dagger.Container { return c.WithoutSecretVariable(envName) })
			return nil
		}
		ctr = ctr.WithMountedSecret(target, s)
		undo = append(undo, func(c *dagger.Container) *dagger.Container { return c.WithoutMount(target) })
		return nil
	}
	for _, s := range e.Secrets {
		if err := mountSecret(s.ID, s.Target, s.Env, s.Required); err != nil {
			return nil, err
		}
	}
	if e.Fetch != plan.FetchNone {
		mountSecret(plan.SecretCABundle, plan.CABundlePath, "", false)
		for _, name := range plan.FetchEnvOf(e.Fetch) {
			mountSecret(plan.SecretEnvPrefix+name, "", name, false)
		}
	}
	if e.Workdir != "" {
		if st.Workdir == "" {
			return nil, fmt.Errorf("a step's own working directory needs the stage's (the Dagger backend restores it after the step)")
		}
		ctr = ctr.WithWorkdir(e.Workdir)
		undo = append(undo, func(c *dagger.Container) *dagger.Container { return c.WithWorkdir(st.Workdir) })
	}
	ctr = ctr.WithExec(e.Args)
	// What was for this exec only goes; the filesystem stays.
	for i := len(undo) - 1; i >= 0; i-- {
		ctr = undo[i](ctr)
	}
	return ctr, nil
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

func cacheSharing(s string) dagger.CacheSharingMode {
	switch s {
	case "private":
		return dagger.CacheSharingModePrivate
	case "locked":
		return dagger.CacheSharingModeLocked
	}
	return dagger.CacheSharingModeShared
}

// runtime assembles one platform's image: the runtime base with every
// artifact copied in (root-owned, timestamps at the epoch) and the Spec's
// image config.
func (gen *generator) runtime(ctx context.Context, p plan.Platform) (*dagger.Container, error) {
	r := gen.graph.Runtime
	rt, err := gen.bases.Base(r.Base, p)
	if err != nil {
		return nil, fmt.Errorf("runtime base %s for %s: %w", r.Base, p, err)
	}
	epoch := int(gen.opts.Epoch.Unix())
	for _, a := range r.Artifacts {
		from, err := gen.stageContainer(a.Stage, p)
		if err != nil {
			return nil, fmt.Errorf("runtime artifact %s: %w", a.Src, err)
		}
		ft, err := from.Stat(a.Src).FileType(ctx)
		if err != nil {
			return nil, fmt.Errorf("runtime artifact %s of stage %s: %w", a.Src, a.Stage, err)
		}
		if ft == dagger.FileTypeDirectory {
			rt = rt.WithDirectory(a.Dest, from.Directory(a.Src).WithTimestamps(epoch), dagger.ContainerWithDirectoryOpts{Exclude: a.Exclude, Owner: "0:0"})
		} else {
			rt = rt.WithFile(a.Dest, from.File(a.Src).WithTimestamps(epoch), dagger.ContainerWithFileOpts{Owner: "0:0"})
		}
	}
	return gen.config(rt), nil
}

// config applies the Spec's image config and the runtime labels.
func (gen *generator) config(rt *dagger.Container) *dagger.Container {
	c := gen.graph.Runtime.Config
	if len(c.Entrypoint) > 0 {
		rt = rt.WithEntrypoint(c.Entrypoint) // resets the base's command, as Docker does
	}
	if len(c.Cmd) > 0 {
		rt = rt.WithDefaultArgs(c.Cmd)
	}
	if c.Workdir != "" {
		rt = rt.WithWorkdir(c.Workdir)
	}
	if c.User != "" {
		rt = rt.WithUser(c.User)
	}
	for _, kv := range c.Env {
		rt = rt.WithEnvVariable(kv.Key, kv.Value)
	}
	for _, port := range c.Ports {
		num, proto, _ := strings.Cut(port, "/")
		var n int
		fmt.Sscanf(num, "%d", &n)
		opts := dagger.ContainerWithExposedPortOpts{Protocol: dagger.NetworkProtocolTcp}
		if strings.EqualFold(proto, "udp") {
			opts.Protocol = dagger.NetworkProtocolUdp
		}
		rt = rt.WithExposedPort(n, opts)
	}
	labels := gen.graph.RuntimeLabels(gen.opts.Epoch, gen.opts.Source, gen.opts.Revision)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		rt = rt.WithLabel(k, labels[k])
	}
	return rt.WithoutLabel(plan.LabelDescription)
}
