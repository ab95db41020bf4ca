package llbgen

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/pipeline/spec"
)

var epoch = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)

var (
	amd64 = plan.Platform{OS: "linux", Arch: "amd64"}
	arm64 = plan.Platform{OS: "linux", Arch: "arm64"}
)

func generate(t testing.TB, s *spec.Spec, opts Options) (*Program, *FakeBases) {
	t.Helper()
	g, err := plan.Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if opts.Epoch.IsZero() {
		opts.Epoch = epoch
	}
	if opts.Scanner == nil {
		opts.Scanner = FakeScanner()
	}
	b := &FakeBases{}
	prog, err := Generate(g, b, opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return prog, b
}

func twoPlatformGo() *spec.Spec {
	return &spec.Spec{
		Name:      "app",
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Build:     spec.Build{Go: &spec.GoBuild{Main: "./cmd/app"}},
		Runtime:   spec.Runtime{Ports: []string{"8080"}},
	}
}

func runtimeFor(t *testing.T, prog *Program, p plan.Platform) Runtime {
	t.Helper()
	for _, rt := range prog.Runtimes {
		if rt.Platform == p {
			return rt
		}
	}
	t.Fatalf("no runtime for %s", p)
	return Runtime{}
}

func TestProgramShape(t *testing.T) {
	prog, bases := generate(t, twoPlatformGo(), Options{})
	var platforms []plan.Platform
	for _, rt := range prog.Runtimes {
		platforms = append(platforms, rt.Platform)
	}
	if !slices.Equal(platforms, []plan.Platform{amd64, arm64}) {
		t.Errorf("runtimes for %v", platforms)
	}
	if len(prog.Builds) != 2 || prog.Builds[0].Platform != amd64 || prog.Builds[1].Platform != arm64 {
		t.Errorf("builds: %+v", prog.Builds)
	}
	if len(prog.Tests) != 1 || prog.Tests[0].Name != "test" {
		t.Errorf("tests: %+v", prog.Tests)
	}
	// Builders run on the build platform; the runtime base is the target's.
	want := []string{"distill/go (go 1.26) linux/amd64", "distill/static linux/amd64", "distill/static linux/arm64"}
	if !slices.Equal(bases.Requests, want) {
		t.Errorf("bases asked for %q, want %q", bases.Requests, want)
	}
}

// The arm64 image cross-compiles on the build platform with GOOS/GOARCH of
// the target, offline, with the build cache.
func TestGoBuildPerPlatform(t *testing.T) {
	prog, _ := generate(t, twoPlatformGo(), Options{})
	for _, p := range []plan.Platform{amd64, arm64} {
		vs := Vertices(t, runtimeFor(t, prog, p).State)
		e, v := execNamed(t, vs, "[build "+p.String()+"] go build ./cmd/app")
		for _, kv := range []string{"GOOS=linux", "GOARCH=" + p.Arch, "CGO_ENABLED=0", "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOCACHE=/root/.cache/go-build"} {
			if !hasEnv(e.Meta.Env, kv) {
				t.Errorf("%s: env %q lacks %s", p, e.Meta.Env, kv)
			}
		}
		if !slices.Equal(e.Meta.Args, []string{"go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "/out/app", "./cmd/app"}) {
			t.Errorf("%s: args %q", p, e.Meta.Args)
		}
		if e.Meta.Cwd != "/src" {
			t.Errorf("%s: cwd %q", p, e.Meta.Cwd)
		}
		if pl := v.Op.Platform; pl == nil || pl.OS != "linux" || pl.Architecture != "amd64" {
			t.Errorf("%s: the build runs on %v, want the build platform linux/amd64", p, pl)
		}
		caches := mountsOf(e, pb.MountType_CACHE)
		if len(caches) != 1 || caches[0].Dest != "/root/.cache/go-build" || caches[0].CacheOpt.ID != "distill-go-build" || caches[0].CacheOpt.Sharing != pb.CacheSharingOpt_SHARED {
			t.Errorf("%s: cache mounts %v", p, caches)
		}
		if len(mountsOf(e, pb.MountType_SECRET)) != 0 || len(e.Secretenv) != 0 {
			t.Errorf("%s: the build gets secrets: %v %v", p, e.Mounts, e.Secretenv)
		}
		// Each runtime contains its own platform's build only.
		for _, other := range vs {
			if other.Op.GetExec() != nil && strings.HasPrefix(other.Name, "[build ") && !strings.HasPrefix(other.Name, "[build "+p.String()+"]") {
				t.Errorf("%s runtime depends on %q", p, other.Name)
			}
		}
	}
}

// Fetch steps get the client's network settings as optional secrets and
// nothing of them in plain environment; other steps get none.
func TestFetchSecrets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   *spec.Spec
		exec   string
		env    []string // secret env names that must be offered
		plain  []string // plain env that must be set
		absent []string // env names that must not be in plain env
	}{
		{
			name: "go", spec: twoPlatformGo(), exec: "[deps] go mod download",
			env:    []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOINSECURE", "HTTPS_PROXY", "https_proxy", "NO_PROXY"},
			plain:  []string{"GOFLAGS=-modcacherw"},
			absent: []string{"GOPROXY", "HTTPS_PROXY", "GOSUMDB"},
		},
		{
			name: "npm", spec: &spec.Spec{Name: "web", Build: spec.Build{Node: &spec.NodeBuild{}}}, exec: "[deps] npm ci",
			env:    []string{"NPM_CONFIG_REGISTRY", "HTTP_PROXY"},
			plain:  []string{"NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt", "NPM_CONFIG_AUDIT=false"},
			absent: []string{"NPM_CONFIG_REGISTRY", "GOPROXY"},
		},
		{
			name: "pip", spec: &spec.Spec{Name: "py", Build: spec.Build{Python: &spec.PythonBuild{}}}, exec: "[deps] pip install -r requirements.txt",
			env:    []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "no_proxy"},
			plain:  []string{"PIP_CERT=/etc/ssl/certs/ca-certificates.crt", "PIP_NO_INPUT=1"},
			absent: []string{"PIP_INDEX_URL", "GOPROXY"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, _ := generate(t, tc.spec, Options{})
			vs := Vertices(t, prog.Runtimes[0].State)
			e, _ := execNamed(t, vs, tc.exec)
			secrets := mountsOf(e, pb.MountType_SECRET)
			if len(secrets) != 1 {
				t.Fatalf("secret mounts %v, want the CA bundle", secrets)
			}
			ca := secrets[0]
			if ca.Dest != "/etc/ssl/certs/ca-certificates.crt" || ca.SecretOpt.ID != SecretCABundle || !ca.SecretOpt.Optional || ca.SecretOpt.Mode != 0o444 {
				t.Errorf("CA bundle mount %v", ca)
			}
			offered := map[string]*pb.SecretEnv{}
			for _, se := range e.Secretenv {
				offered[se.Name] = se
			}
			for _, name := range tc.env {
				se, ok := offered[name]
				if !ok {
					t.Errorf("secret env %s not offered: %v", name, e.Secretenv)
					continue
				}
				if se.ID != SecretEnvPrefix+name || !se.Optional {
					t.Errorf("secret env %s: %v", name, se)
				}
			}
			if e.Network != pb.NetMode_UNSET {
				t.Errorf("network %v, want the default", e.Network)
			}
			for _, kv := range tc.plain {
				if !hasEnv(e.Meta.Env, kv) {
					t.Errorf("env %q lacks %s", e.Meta.Env, kv)
				}
			}
			for _, name := range tc.absent {
				if v, ok := envValue(e.Meta.Env, name); ok {
					t.Errorf("%s=%s is in plain env (and so in the cache key)", name, v)
				}
			}
			// No other exec gets secrets but the production install of npm.
			for _, v := range vs {
				if x := v.Op.GetExec(); x != nil && v.Name != tc.exec && v.Name != "[prod-deps] npm ci --omit=dev" {
					if len(mountsOf(x, pb.MountType_SECRET)) > 0 || len(x.Secretenv) > 0 {
						t.Errorf("%q gets secrets", v.Name)
					}
				}
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{"HTTPS_PROXY", "no_proxy", "GOPROXY", "NPM_CONFIG_REGISTRY", "PIP_INDEX_URL"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames() lacks %s: %v", want, names)
		}
	}
	if c := slices.Clone(names); len(slices.Compact(slices.Sorted(slices.Values(c)))) != len(names) {
		t.Errorf("EnvNames() has duplicates: %v", names)
	}
}

// Runtime artifacts are copied in one file op, at the epoch.
func TestRuntimeCopy(t *testing.T) {
	prog, _ := generate(t, &spec.Spec{
		Name:  "app",
		Build: spec.Build{Go: &spec.GoBuild{}, Artifacts: []spec.Artifact{{From: "config/app.toml", To: "/etc/app.toml"}}},
	}, Options{})
	vs := Vertices(t, prog.Runtimes[0].State)
	var copies []*pb.FileActionCopy
	var runtimeOps []string
	for _, v := range fileOps(vs) {
		if !strings.HasPrefix(v.Name, "[runtime ") {
			continue
		}
		runtimeOps = append(runtimeOps, v.Name)
		for _, a := range v.Op.GetFile().Actions {
			if c := a.GetCopy(); c != nil {
				copies = append(copies, c)
			}
		}
	}
	if !slices.Equal(runtimeOps, []string{"[runtime linux/amd64] copy artifacts"}) {
		t.Fatalf("runtime file ops %q, want one", runtimeOps)
	}
	if len(copies) != 2 {
		t.Fatalf("%d copies, want 2", len(copies))
	}
	for i, want := range [][2]string{{"/out/app", "/app/app"}, {"/src/config/app.toml", "/etc/app.toml"}} {
		c := copies[i]
		if c.Src != want[0] || c.Dest != want[1] {
			t.Errorf("copy %d: %s → %s, want %s → %s", i, c.Src, c.Dest, want[0], want[1])
		}
		if c.Timestamp != epoch.UnixNano() {
			t.Errorf("copy %d: timestamp %d, want the epoch %d", i, c.Timestamp, epoch.UnixNano())
		}
		if !c.CreateDestPath || !c.DirCopyContents {
			t.Errorf("copy %d: %v", i, c)
		}
	}
	// The build's own copies (sources) keep their file times.
	for _, v := range fileOps(vs) {
		if strings.HasPrefix(v.Name, "[runtime ") {
			continue
		}
		for _, a := range v.Op.GetFile().Actions {
			if c := a.GetCopy(); c != nil && c.Timestamp != -1 {
				t.Errorf("%s: timestamp %d", v.Name, c.Timestamp)
			}
		}
	}
}

func TestNodeRuntimeCopies(t *testing.T) {
	prog, _ := generate(t, &spec.Spec{Name: "web", Build: spec.Build{Node: &spec.NodeBuild{}}}, Options{})
	vs := Vertices(t, prog.Runtimes[0].State)
	var got []string
	for _, v := range fileOps(vs) {
		if strings.HasPrefix(v.Name, "[runtime ") {
			for _, a := range v.Op.GetFile().Actions {
				c := a.GetCopy()
				got = append(got, c.Src+" → "+c.Dest+" -"+strings.Join(c.ExcludePatterns, ","))
			}
		}
	}
	want := []string{"/src → /app -node_modules", "/src/node_modules → /app/node_modules -"}
	if !slices.Equal(got, want) {
		t.Errorf("runtime copies %q, want %q", got, want)
	}
	// npm ci --omit=dev is in the runtime's graph, the dev install's npm test is not.
	execNamed(t, vs, "[prod-deps] npm ci --omit=dev")
	for _, v := range vs {
		if v.Name == "[test] npm test" {
			t.Error("the runtime depends on the test stage")
		}
	}
}

// Steps of the Spec: secrets, SSH, cache mounts, network, workdir, env and
// build arguments (overridable) reach the exec.
func TestUserStepsInLLB(t *testing.T) {
	s := &spec.Spec{
		Name: "app",
		Args: map[string]string{"VERSION": "1.0", "CHANNEL": "stable"},
		Build: spec.Build{
			Go:  &spec.GoBuild{},
			Env: map[string]string{"STAGE": "build"},
			Steps: []spec.Step{{
				Name: "generate", Run: "make generate", Workdir: "/src/gen", Network: "none",
				Env:     map[string]string{"STEP": "1"},
				Caches:  []spec.Cache{{Target: "/cache/a"}, {Target: "/cache/b", ID: "bee", Sharing: "locked"}, {Target: "/cache/c", Sharing: "private"}},
				Secrets: []spec.Secret{{ID: "netrc"}, {ID: "key", Target: "/keys/k", Required: true}, {ID: "token", Env: "TOKEN", Required: true}, {ID: "opt", Env: "OPT"}},
				SSH:     []spec.SSH{{}, {ID: "github", Target: "/run/gh.sock", Required: true}},
			}},
		},
		Test: &spec.Test{Env: map[string]string{"TZ": "UTC"}},
	}
	prog, _ := generate(t, s, Options{Args: map[string]string{"VERSION": "2.0", "EXTRA": "x"}})
	vs := Vertices(t, prog.Runtimes[0].State)
	e, _ := execNamed(t, vs, "[build] generate")
	if !slices.Equal(e.Meta.Args, []string{"sh", "-c", "make generate"}) || e.Meta.Cwd != "/src/gen" {
		t.Errorf("args %q cwd %q", e.Meta.Args, e.Meta.Cwd)
	}
	if e.Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", e.Network)
	}
	for _, kv := range []string{"VERSION=2.0", "CHANNEL=stable", "EXTRA=x", "STAGE=build", "STEP=1"} {
		if !hasEnv(e.Meta.Env, kv) {
			t.Errorf("env %q lacks %s", e.Meta.Env, kv)
		}
	}
	if hasEnv(e.Meta.Env, "VERSION=1.0") {
		t.Errorf("the overridden build argument is still there: %q", e.Meta.Env)
	}

	caches := map[string]*pb.CacheOpt{}
	for _, m := range mountsOf(e, pb.MountType_CACHE) {
		caches[m.Dest] = m.CacheOpt
	}
	for dest, want := range map[string]*pb.CacheOpt{
		"/cache/a": {ID: "/cache/a", Sharing: pb.CacheSharingOpt_SHARED},
		"/cache/b": {ID: "bee", Sharing: pb.CacheSharingOpt_LOCKED},
		"/cache/c": {ID: "/cache/c", Sharing: pb.CacheSharingOpt_PRIVATE},
	} {
		if got := caches[dest]; got == nil || got.ID != want.ID || got.Sharing != want.Sharing {
			t.Errorf("cache %s: %v, want %v", dest, got, want)
		}
	}
	if len(caches) != 3 {
		t.Errorf("%d cache mounts, want 3", len(caches))
	}

	secrets := map[string]*pb.Mount{}
	for _, m := range mountsOf(e, pb.MountType_SECRET) {
		secrets[m.Dest] = m
	}
	if m := secrets["/run/secrets/netrc"]; m == nil || m.SecretOpt.ID != "netrc" || !m.SecretOpt.Optional {
		t.Errorf("secret netrc: %v", m)
	}
	if m := secrets["/keys/k"]; m == nil || m.SecretOpt.ID != "key" || m.SecretOpt.Optional {
		t.Errorf("secret key: %v", m)
	}
	if len(secrets) != 2 {
		t.Errorf("secret mounts %v", secrets)
	}
	envSecrets := map[string]*pb.SecretEnv{}
	for _, se := range e.Secretenv {
		envSecrets[se.Name] = se
	}
	if se := envSecrets["TOKEN"]; se == nil || se.ID != "token" || se.Optional {
		t.Errorf("secret env TOKEN: %v", se)
	}
	if se := envSecrets["OPT"]; se == nil || se.ID != "opt" || !se.Optional {
		t.Errorf("secret env OPT: %v", se)
	}
	if _, ok := envValue(e.Meta.Env, "TOKEN"); ok {
		t.Error("a secret is in plain env")
	}

	ssh := mountsOf(e, pb.MountType_SSH)
	if len(ssh) != 2 {
		t.Fatalf("ssh mounts %v", ssh)
	}
	if ssh[0].SSHOpt.ID != "default" || !ssh[0].SSHOpt.Optional || ssh[0].Dest == "" {
		t.Errorf("ssh default: %v", ssh[0])
	}
	if ssh[1].SSHOpt.ID != "github" || ssh[1].SSHOpt.Optional || ssh[1].Dest != "/run/gh.sock" {
		t.Errorf("ssh github: %v", ssh[1])
	}

	// Build arguments reach every exec: the download, the build, the tests.
	tvs := Vertices(t, prog.Tests[0].State)
	for _, name := range []string{"[deps] go mod download", "[build] go build .", "[test] go test ./..."} {
		vv := vs
		if strings.HasPrefix(name, "[test]") {
			vv = tvs
		}
		x, _ := execNamed(t, vv, name)
		if !hasEnv(x.Meta.Env, "VERSION=2.0") || !hasEnv(x.Meta.Env, "EXTRA=x") {
			t.Errorf("%s: env %q lacks the build arguments", name, x.Meta.Env)
		}
	}
	// build.env is the environment of every build-side container, the test's
	// included (tests compile the same code); test.env adds to it.
	x, _ := execNamed(t, tvs, "[test] go test ./...")
	if !hasEnv(x.Meta.Env, "TZ=UTC") || !hasEnv(x.Meta.Env, "STAGE=build") {
		t.Errorf("test env %q: want the test's env and the build's", x.Meta.Env)
	}
}

func TestSources(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		s := &spec.Spec{Name: "app", Source: spec.Source{Path: "svc", Exclude: []string{"tmp"}}, Build: spec.Build{Go: &spec.GoBuild{}}}
		prog, _ := generate(t, s, Options{LocalOpts: []llb.LocalOption{llb.SessionID("session-1")}})
		var locals []*pb.SourceOp
		for _, v := range Vertices(t, prog.Runtimes[0].State) {
			if src := v.Op.GetSource(); src != nil && strings.HasPrefix(src.Identifier, "local://") {
				locals = append(locals, src)
			}
		}
		if len(locals) != 1 {
			t.Fatalf("local sources: %v", locals)
		}
		l := locals[0]
		if l.Identifier != "local://"+plan.ContextName || l.Attrs[pb.AttrLocalSessionID] != "session-1" ||
			l.Attrs[pb.AttrSharedKeyHint] != plan.ContextName || l.Attrs[pb.AttrExcludePatterns] != `[".git","tmp"]` {
			t.Errorf("local source %v", l)
		}
	})
	t.Run("git", func(t *testing.T) {
		s := &spec.Spec{Name: "app", Source: spec.Source{Git: &spec.GitSource{URL: "https://example.invalid/team/app.git", Ref: "v1.2.0"}}, Build: spec.Build{Go: &spec.GoBuild{}}}
		prog, _ := generate(t, s, Options{})
		var ids []string
		for _, v := range Vertices(t, prog.Runtimes[0].State) {
			if src := v.Op.GetSource(); src != nil && !strings.HasPrefix(src.Identifier, "docker-image://") {
				ids = append(ids, src.Identifier)
			}
		}
		if len(ids) != 1 || !strings.HasPrefix(ids[0], "git://example.invalid/team/app.git") || !strings.HasSuffix(ids[0], "#v1.2.0") {
			t.Errorf("sources %q, want the git repository at v1.2.0", ids)
		}
	})
}

func TestGenerateErrors(t *testing.T) {
	g, err := plan.Compile(&spec.Spec{Name: "app", Build: spec.Build{Go: &spec.GoBuild{}}, Runtime: spec.Runtime{Base: "example.invalid/missing:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(g, &FakeBases{}, Options{}); err == nil || !strings.Contains(err.Error(), "runtime base example.invalid/missing:1") {
		t.Errorf("Generate = %v, want the runtime base's error", err)
	}
	g.Stages[1].From = "nowhere"
	if _, err := Generate(g, &FakeBases{}, Options{}); err == nil || !strings.Contains(err.Error(), `stage "nowhere" is not defined`) {
		t.Errorf("Generate = %v, want an undefined stage error", err)
	}
}

// Every op names its platform, so that the definition does not depend on
// the platform of the machine that marshals it.
func TestNoHostPlatform(t *testing.T) {
	prog, _ := generate(t, twoPlatformGo(), Options{})
	states := []llb.State{prog.Tests[0].State}
	for _, rt := range prog.Runtimes {
		states = append(states, rt.State)
	}
	other := llb.LinuxS390x
	for i, st := range states {
		if a, b := StateDigest(t, st), StateDigest(t, st, other); a != b {
			t.Errorf("state %d: its definition depends on the platform it is marshalled on", i)
			for _, v := range Vertices(t, st, other) {
				if v.Op.Platform != nil && v.Op.Platform.Architecture == "s390x" {
					t.Errorf("state %d: %q takes the marshalling machine's platform", i, v.Name)
				}
			}
		}
	}
}
