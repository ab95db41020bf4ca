package plan

import "strings"

// Go build cache, shared by every Go build and test of the machine's engine,
// as the go command's own cache is shared between projects.
const (
	goCacheDir = "/root/.cache/go-build"
	goCacheID  = "distill-go-build"
)

// goPreset: deps (go.mod and go.sum only, go mod download: a cached layer
// that changes only with them) → src (the whole project) → build, once per
// target platform, cross-compiling with GOOS/GOARCH; test on src, in its own
// container. Build and test never reach the network (GOPROXY=off): only the
// download step does, with the client's proxy settings.
func (c *compiler) goPreset() {
	g := c.spec.Build.Go
	b := c.spec.Build
	deps := c.add(&Stage{
		Name: "deps", Role: RolePrepare, Base: c.builder(),
		Ops: []Op{
			{Copy: &Copy{Src: ".", Dest: SrcDir + "/", Include: []string{"go.mod", "go.sum"}}},
			{Exec: &Exec{Name: "go mod download", Args: []string{"go", "mod", "download"},
				Env: []KV{{"GOFLAGS", "-modcacherw"}}, Fetch: FetchGo}},
		},
	})
	src := c.sourceStage(deps.Name)

	cgo := "0"
	if g.CGO {
		cgo = "1"
	}
	offline := []KV{{"CGO_ENABLED", cgo}, {"GOCACHE", goCacheDir}, {"GOFLAGS", "-mod=readonly"}, {"GOPROXY", "off"}}
	cache := []CacheMount{{Target: goCacheDir, ID: goCacheID, Sharing: "shared"}}

	args := []string{"go", "build", "-trimpath"}
	if len(g.Tags) > 0 {
		args = append(args, "-tags", strings.Join(g.Tags, ","))
	}
	if *g.LDFlags != "" {
		args = append(args, "-ldflags", *g.LDFlags)
	}
	out := OutDir + "/" + g.Binary
	args = append(args, "-o", out, goPackage(g.Main))
	buildEnv := append([]KV{{"GOARCH", "${TARGETARCH}"}, {"GOOS", "${TARGETOS}"}}, offline...)
	ops := []Op{{Exec: &Exec{Name: "go build " + goPackage(g.Main), Args: args, Env: sortKV(buildEnv), Caches: cache}}}
	ops = append(ops, userSteps(b.Steps)...)
	build := c.add(&Stage{Name: "build", Role: RoleBuild, From: src.Name, PerPlatform: true, Ops: ops})

	var testOps []Op
	if t := c.spec.Test; t == nil || t.Go != nil || len(t.Steps) == 0 {
		pkgs := []string{"./..."}
		var flags []string
		if t != nil && t.Go != nil {
			pkgs, flags = t.Go.Packages, t.Go.Flags
		}
		targs := append(append([]string{"go", "test"}, flags...), pkgs...)
		testOps = append(testOps, Op{Exec: &Exec{Name: strings.Join(targs, " "), Args: targs, Env: offline, Caches: cache}})
	}
	c.testStage(src.Name, testOps)

	c.graph.Runtime.Base = runtimeBase(c.spec.Runtime.Base)
	bin := AppDir + "/" + g.Binary
	c.graph.Runtime.Artifacts = append(c.graph.Runtime.Artifacts, Artifact{Stage: build.Name, Src: out, Dest: bin})
	c.userArtifacts(build.Name)
	c.graph.Runtime.Config.Entrypoint = []string{bin}
}

// goPackage makes a main package path explicit for go build ("cmd/app" → "./cmd/app").
func goPackage(main string) string {
	if main == "." || strings.HasPrefix(main, "./") || strings.Contains(strings.SplitN(main, "/", 2)[0], ".") {
		return main
	}
	return "./" + main
}

func sortKV(kv []KV) []KV {
	m := map[string]string{}
	for _, e := range kv {
		m[e.Key] = e.Value
	}
	return sortedKV(m)
}
