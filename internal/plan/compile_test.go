package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/pipeline/spec"
)

func compile(t *testing.T, s *spec.Spec) *Graph {
	t.Helper()
	g, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return g
}

func dump(v any) string {
	dt, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(dt)
}

func assertEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, dump(got), dump(want))
	}
}

func stageNames(g *Graph) []string {
	var names []string
	for _, s := range g.Stages {
		names = append(names, s.Name)
	}
	return names
}

func mustStage(t *testing.T, g *Graph, name string) *Stage {
	t.Helper()
	s, ok := g.Stage(name)
	if !ok {
		t.Fatalf("no stage %q in %v", name, stageNames(g))
	}
	return s
}

// execs lists the exec ops of a stage.
func execs(s *Stage) []*Exec {
	var out []*Exec
	for _, op := range s.Ops {
		if op.Exec != nil {
			out = append(out, op.Exec)
		}
	}
	return out
}

func goSpec(mod func(*spec.Spec)) *spec.Spec {
	s := &spec.Spec{APIVersion: spec.APIVersion, Name: "app", Build: spec.Build{Go: &spec.GoBuild{Main: "./cmd/app"}}}
	if mod != nil {
		mod(s)
	}
	return s
}

var (
	goCache   = []CacheMount{{Target: "/root/.cache/go-build", ID: "distill-go-build", Sharing: "shared"}}
	goOffline = []KV{{"CGO_ENABLED", "0"}, {"GOCACHE", "/root/.cache/go-build"}, {"GOFLAGS", "-mod=readonly"}, {"GOPROXY", "off"}}
)

// The whole graph of the Go preset with every default.
func TestGoPreset(t *testing.T) {
	g := compile(t, goSpec(nil))
	goBase := BaseRef{Flavour: "go", GoVersion: "1.26"}
	want := &Graph{
		Name:      "app",
		Source:    Source{Local: &LocalSource{Path: ".", Exclude: []string{".git"}}},
		Platforms: []Platform{{OS: "linux", Arch: "amd64"}},
		Stages: []*Stage{
			{
				Name: "deps", Role: RolePrepare, Base: goBase, Workdir: "/src",
				Ops: []Op{
					{Copy: &Copy{Src: ".", Dest: "/src/", Include: []string{"go.mod", "go.sum"}}},
					{Exec: &Exec{Name: "go mod download", Args: []string{"go", "mod", "download"}, Env: []KV{{"GOFLAGS", "-modcacherw"}}, Fetch: FetchGo}},
				},
			},
			{
				Name: "src", Role: RolePrepare, From: "deps", Workdir: "/src",
				Ops: []Op{{Copy: &Copy{Src: ".", Dest: "/src/"}}},
			},
			{
				Name: "build", Role: RoleBuild, From: "src", PerPlatform: true, Workdir: "/src",
				Ops: []Op{{Exec: &Exec{
					Name: "go build ./cmd/app",
					Args: []string{"go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "/out/app", "./cmd/app"},
					Env: []KV{{"CGO_ENABLED", "0"}, {"GOARCH", "${TARGETARCH}"}, {"GOCACHE", "/root/.cache/go-build"},
						{"GOFLAGS", "-mod=readonly"}, {"GOOS", "${TARGETOS}"}, {"GOPROXY", "off"}},
					Caches: goCache,
				}}},
			},
			{
				Name: "test", Role: RoleTest, From: "src", Workdir: "/src",
				Ops: []Op{{Exec: &Exec{Name: "go test ./...", Args: []string{"go", "test", "./..."}, Env: goOffline, Caches: goCache}}},
			},
		},
		Runtime: Runtime{
			Base:      BaseRef{Flavour: "static"},
			Artifacts: []Artifact{{Stage: "build", Src: "/out/app", Dest: "/app/app"}},
			Config:    ImageConfig{Entrypoint: []string{"/app/app"}, User: "65532:65532"},
		},
		// The runtime is always scanned and gated, at HIGH with unknown severities as HIGH.
		Scans:  []Scan{{Stage: "runtime", Gate: true}},
		Policy: Policy{FailOn: "HIGH", UnknownAs: "HIGH"},
	}
	assertEqual(t, "graph", g, want)

	// Only the download reaches the network, and only it copies no more
	// than go.mod and go.sum (so that it is cached until they change).
	for _, st := range g.Stages {
		for _, e := range execs(st) {
			if (e.Fetch != FetchNone) != (st.Name == "deps") {
				t.Errorf("stage %s: exec %q has Fetch %q", st.Name, e.Name, e.Fetch)
			}
		}
	}
}

func TestGoPresetOptions(t *testing.T) {
	noLD := ""
	g := compile(t, goSpec(func(s *spec.Spec) {
		s.Name = "svc"
		s.Platforms = []string{"linux/amd64", "linux/arm64/v8"}
		s.Args = map[string]string{"VERSION": "2"}
		s.Build.Go.Main = "cmd/server" // made explicit for go build
		s.Build.Go.Binary = "server"
		s.Build.Go.Tags = []string{"netgo", "osusergo"}
		s.Build.Go.LDFlags = &noLD
		s.Build.Env = map[string]string{"B": "2", "A": "1"}
		s.Build.Steps = []spec.Step{{Run: "cp LICENSE /out/"}}
		s.Build.Artifacts = []spec.Artifact{{From: "/out/LICENSE"}}
		s.Runtime.Entrypoint = []string{"/app/server", "serve"}
	}))
	assertEqual(t, "platforms", g.Platforms, []Platform{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}})
	assertEqual(t, "args", g.Args, []KV{{"VERSION", "2"}})
	// build.env is set where the builder image is first used (deps) and inherited from there.
	assertEqual(t, "deps env", mustStage(t, g, "deps").Env, []KV{{"A", "1"}, {"B", "2"}})
	build := mustStage(t, g, "build")
	assertEqual(t, "build env", build.Env, []KV(nil))
	ex := execs(build)
	if len(ex) != 2 {
		t.Fatalf("build has %d execs, want go build and the user step", len(ex))
	}
	assertEqual(t, "go build args", ex[0].Args, []string{"go", "build", "-trimpath", "-tags", "netgo,osusergo", "-o", "/out/server", "./cmd/server"})
	assertEqual(t, "user step", ex[1].Args, []string{"sh", "-c", "cp LICENSE /out/"})
	assertEqual(t, "artifacts", g.Runtime.Artifacts, []Artifact{
		{Stage: "build", Src: "/out/server", Dest: "/app/server"},
		{Stage: "build", Src: "/out/LICENSE", Dest: "/out/LICENSE"},
	})
	assertEqual(t, "entrypoint", g.Runtime.Config.Entrypoint, []string{"/app/server", "serve"})
}

func TestGoPresetCGO(t *testing.T) {
	g := compile(t, goSpec(func(s *spec.Spec) { s.Build.Go.CGO = true }))
	for _, name := range []string{"build", "test"} {
		e := execs(mustStage(t, g, name))[0]
		if i := slices.Index(e.Env, KV{"CGO_ENABLED", "1"}); i < 0 {
			t.Errorf("%s env %v: want CGO_ENABLED=1", name, e.Env)
		}
	}
	assertEqual(t, "runtime base", g.Runtime.Base, BaseRef{Flavour: "cc"})
}

func TestGoPresetTests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		test  *spec.Test
		stage bool
		args  [][]string
	}{
		{"default", nil, true, [][]string{{"go", "test", "./..."}}},
		{"packages and flags", &spec.Test{Go: &spec.GoTest{Packages: []string{"./a/...", "./b"}, Flags: []string{"-race", "-count=1"}}}, true,
			[][]string{{"go", "test", "-race", "-count=1", "./a/...", "./b"}}},
		{"env only keeps go test", &spec.Test{Env: map[string]string{"TZ": "UTC"}}, true, [][]string{{"go", "test", "./..."}}},
		{"go test and steps", &spec.Test{Go: &spec.GoTest{}, Steps: []spec.Step{{Command: []string{"go", "vet", "./..."}}}}, true,
			[][]string{{"go", "test", "./..."}, {"go", "vet", "./..."}}},
		{"steps only", &spec.Test{Steps: []spec.Step{{Run: "make lint"}}}, true, [][]string{{"sh", "-c", "make lint"}}},
		{"skip", &spec.Test{Skip: true, Go: &spec.GoTest{}}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := compile(t, goSpec(func(s *spec.Spec) { s.Test = tc.test }))
			st, ok := g.Stage("test")
			if ok != tc.stage {
				t.Fatalf("test stage present = %v, want %v (%v)", ok, tc.stage, stageNames(g))
			}
			if !ok {
				assertEqual(t, "stages", stageNames(g), []string{"deps", "src", "build"})
				if len(g.StagesWith(RoleTest)) != 0 {
					t.Error("StagesWith(RoleTest) is not empty")
				}
				return
			}
			var args [][]string
			for _, e := range execs(st) {
				args = append(args, e.Args)
			}
			assertEqual(t, "test execs", args, tc.args)
			if st.From != "src" {
				t.Errorf("test runs on %q, want src (the sources, not the build's outputs)", st.From)
			}
			if tc.test != nil {
				assertEqual(t, "test env", st.Env, sortedKV(tc.test.Env))
			}
		})
	}
}

func TestNodePreset(t *testing.T) {
	g := compile(t, &spec.Spec{
		Name:    "web",
		Build:   spec.Build{Node: &spec.NodeBuild{Main: "server.js"}},
		Runtime: spec.Runtime{Env: map[string]string{"PORT": "3000"}, Ports: []string{"3000"}},
	})
	assertEqual(t, "stages", stageNames(g), []string{"deps", "src", "build", "test", "prod-deps"})
	nodeBase := BaseRef{Flavour: "node"}
	npmEnv := []KV{{"NPM_CONFIG_AUDIT", "false"}, {"NPM_CONFIG_FUND", "false"}, {"NPM_CONFIG_UPDATE_NOTIFIER", "false"}}
	npmCache := []CacheMount{{Target: "/root/.npm", ID: "distill-npm", Sharing: "locked"}}
	manifests := []string{"package.json", "package-lock.json", "npm-shrinkwrap.json"}

	deps := mustStage(t, g, "deps")
	assertEqual(t, "deps", deps, &Stage{
		Name: "deps", Role: RolePrepare, Base: nodeBase, Workdir: "/src", Env: npmEnv,
		Ops: []Op{
			{Copy: &Copy{Src: ".", Dest: "/src/", Include: manifests}},
			{Exec: &Exec{Name: "npm ci", Args: []string{"npm", "ci"}, Caches: npmCache, Fetch: FetchNPM}},
		},
	})
	src := mustStage(t, g, "src")
	assertEqual(t, "src copy", src.Ops, []Op{{Copy: &Copy{Src: ".", Dest: "/src/", Exclude: []string{"node_modules"}}}})
	build := mustStage(t, g, "build")
	assertEqual(t, "build execs", execs(build), []*Exec{{Name: "npm run build", Args: []string{"npm", "run", "--if-present", "build"}, Network: "none"}})
	test := mustStage(t, g, "test")
	if test.From != "build" || test.Role != RoleTest {
		t.Errorf("test stage: From %q Role %q", test.From, test.Role)
	}
	assertEqual(t, "test execs", execs(test), []*Exec{{Name: "npm test", Args: []string{"npm", "run", "--if-present", "test"}, Network: "none"}})

	// Production dependencies are installed apart, from the manifests only.
	prod := mustStage(t, g, "prod-deps")
	assertEqual(t, "prod-deps", prod, &Stage{
		Name: "prod-deps", Role: RoleBuild, Base: nodeBase, Workdir: "/src", Env: npmEnv,
		Ops: []Op{
			{Copy: &Copy{Src: ".", Dest: "/src/", Include: manifests}},
			{Exec: &Exec{Name: "npm ci --omit=dev", Args: []string{"npm", "ci", "--omit=dev"}, Caches: npmCache, Fetch: FetchNPM}},
		},
	})
	assertEqual(t, "runtime", g.Runtime, Runtime{
		Base: BaseRef{Flavour: "nodejs"},
		Artifacts: []Artifact{
			{Stage: "build", Src: "/src", Dest: "/app", Exclude: []string{"node_modules"}},
			{Stage: "prod-deps", Src: "/src/node_modules", Dest: "/app/node_modules"},
		},
		Config: ImageConfig{
			Entrypoint: []string{"/usr/bin/node", "/app/server.js"},
			Env:        []KV{{"NODE_ENV", "production"}, {"PORT", "3000"}},
			Workdir:    "/app", User: "65532:65532", Ports: []string{"3000/tcp"},
		},
	})
	// The build stages' first is the one --target build exports.
	if b := g.StagesWith(RoleBuild); len(b) != 2 || b[0].Name != "build" {
		t.Errorf("build stages %v", b)
	}
}

func TestNodeEnvOverride(t *testing.T) {
	g := compile(t, &spec.Spec{Name: "web", Build: spec.Build{Node: &spec.NodeBuild{}},
		Runtime: spec.Runtime{Env: map[string]string{"NODE_ENV": "staging"}}})
	assertEqual(t, "env", g.Runtime.Config.Env, []KV{{"NODE_ENV", "staging"}})
	assertEqual(t, "entrypoint", g.Runtime.Config.Entrypoint, []string{"/usr/bin/node", "/app/index.js"})
}

func TestPythonPreset(t *testing.T) {
	g := compile(t, &spec.Spec{Name: "py", Build: spec.Build{Python: &spec.PythonBuild{Main: "-m app"}}})
	assertEqual(t, "stages", stageNames(g), []string{"deps", "src", "build", "test"})
	deps := mustStage(t, g, "deps")
	assertEqual(t, "deps base", deps.Base, BaseRef{Flavour: "python"})
	assertEqual(t, "deps env", deps.Env, []KV{{"PIP_NO_INPUT", "1"}})
	assertEqual(t, "deps copy", deps.Ops[0].Copy, &Copy{Src: ".", Dest: "/src/", Include: []string{"requirements.txt"}})
	install := deps.Ops[1].Exec
	if install.Fetch != FetchPip || !strings.HasPrefix(install.Args[2], "python3 -m venv --without-pip /opt/venv && if [ -f requirements.txt ]; then python3 -m pip --python /opt/venv/bin/python install") {
		t.Errorf("install exec: %s", dump(install))
	}
	assertEqual(t, "pip cache", install.Caches, []CacheMount{{Target: "/root/.cache/pip", ID: "distill-pip", Sharing: "locked"}})
	assertEqual(t, "src exclude", mustStage(t, g, "src").Ops[0].Copy.Exclude, []string{".venv", "__pycache__"})
	if e := execs(mustStage(t, g, "test")); len(e) != 1 || e[0].Network != "none" || !strings.Contains(e[0].Args[2], "-m unittest discover") {
		t.Errorf("test execs: %s", dump(e))
	}
	assertEqual(t, "runtime", g.Runtime, Runtime{
		Base: BaseRef{Flavour: "python3"},
		Artifacts: []Artifact{
			{Stage: "deps", Src: "/opt/venv", Dest: "/opt/venv"},
			{Stage: "build", Src: "/src", Dest: "/app", Exclude: []string{".venv", "__pycache__", "tests"}},
		},
		Config: ImageConfig{
			Entrypoint: []string{"/opt/venv/bin/python3", "-m", "app"},
			Env: []KV{{"PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
				{"PYTHONUNBUFFERED", "1"}},
			Workdir: "/app", User: "65532:65532",
		},
	})
}

func TestPythonScriptAndQuoting(t *testing.T) {
	g := compile(t, &spec.Spec{Name: "py", Build: spec.Build{Python: &spec.PythonBuild{Main: "src/main.py", Requirements: "reqs/it's prod.txt"}}})
	assertEqual(t, "entrypoint", g.Runtime.Config.Entrypoint, []string{"/opt/venv/bin/python3", "/app/src/main.py"})
	install := mustStage(t, g, "deps").Ops[1].Exec.Args[2]
	if !strings.Contains(install, `if [ -f 'reqs/it'\''s prod.txt' ]`) || !strings.Contains(install, `-r 'reqs/it'\''s prod.txt'`) {
		t.Errorf("requirements not quoted for sh: %s", install)
	}
}

func TestCustomBuild(t *testing.T) {
	g := compile(t, &spec.Spec{
		Name: "tool",
		Build: spec.Build{
			Image: "golang:1.26",
			Env:   map[string]string{"CGO_ENABLED": "0"},
			Steps: []spec.Step{{Run: "make"}},
			Artifacts: []spec.Artifact{
				{From: "bin/tool"},                           // relative to /src, into /app
				{From: "./dist/", To: "/srv/www"},            // relative, explicit target
				{From: "/etc/tool.conf"},                     // absolute: same path
				{From: "/usr/local/bin/x", To: "/usr/bin/x"}, // absolute, explicit
			},
		},
		Test:    &spec.Test{Steps: []spec.Step{{Command: []string{"make", "check"}}}},
		Runtime: spec.Runtime{Base: "base:debug"},
	})
	assertEqual(t, "stages", stageNames(g), []string{"src", "build", "test"})
	src := mustStage(t, g, "src")
	assertEqual(t, "src base", src.Base, BaseRef{Image: "golang:1.26"})
	build := mustStage(t, g, "build")
	if build.From != "src" || build.PerPlatform || build.Role != RoleBuild {
		t.Errorf("build: %s", dump(build))
	}
	assertEqual(t, "src env (build.env, inherited by build)", src.Env, []KV{{"CGO_ENABLED", "0"}})
	if test := mustStage(t, g, "test"); test.From != "build" {
		t.Errorf("test runs on %q, want build", test.From)
	}
	assertEqual(t, "runtime base", g.Runtime.Base, BaseRef{Flavour: "base:debug"})
	assertEqual(t, "artifacts", g.Runtime.Artifacts, []Artifact{
		{Stage: "build", Src: "/src/bin/tool", Dest: "/app/tool"},
		{Stage: "build", Src: "/src/dist", Dest: "/srv/www"},
		{Stage: "build", Src: "/etc/tool.conf", Dest: "/etc/tool.conf"},
		{Stage: "build", Src: "/usr/local/bin/x", Dest: "/usr/bin/x"},
	})
	assertEqual(t, "config", g.Runtime.Config, ImageConfig{User: "65532:65532"})
}

func TestCustomBuilderFlavour(t *testing.T) {
	g := compile(t, &spec.Spec{Name: "t", Build: spec.Build{Image: "go", Steps: []spec.Step{{Run: "make"}}, Artifacts: []spec.Artifact{{From: "t"}}}})
	// The go builder without the Go preset has the default Go version.
	assertEqual(t, "base", mustStage(t, g, "src").Base, BaseRef{Flavour: "go", GoVersion: spec.DefaultGoVersion})
	if _, ok := g.Stage("test"); ok {
		t.Error("a custom build without test steps has a test stage")
	}
}

func TestUserSteps(t *testing.T) {
	g := compile(t, goSpec(func(s *spec.Spec) {
		s.Build.Steps = []spec.Step{
			{Run: "make gen", Network: "default"},
			{
				Name: "fetch", Command: []string{"git", "clone", "x"}, Workdir: "/build",
				Env:     map[string]string{"Z": "1", "A": "2"},
				Network: "none",
				Caches:  []spec.Cache{{Target: "/c"}, {Target: "/d", ID: "dd", Sharing: "private"}},
				Secrets: []spec.Secret{{ID: "netrc"}, {ID: "tok", Env: "TOKEN", Required: true}, {ID: "key", Target: "/k"}},
				SSH:     []spec.SSH{{}, {ID: "gh", Target: "/s.sock", Required: true}},
			},
		}
	}))
	ex := execs(mustStage(t, g, "build"))[1:]
	assertEqual(t, "steps", ex, []*Exec{
		{Name: "make gen", Args: []string{"sh", "-c", "make gen"}},
		{
			Name: "fetch", Args: []string{"git", "clone", "x"}, Workdir: "/build",
			Env:     []KV{{"A", "2"}, {"Z", "1"}},
			Network: "none",
			Caches:  []CacheMount{{Target: "/c", ID: "/c", Sharing: "shared"}, {Target: "/d", ID: "dd", Sharing: "private"}},
			Secrets: []SecretMount{{ID: "netrc", Target: "/run/secrets/netrc"}, {ID: "tok", Env: "TOKEN", Required: true}, {ID: "key", Target: "/k"}},
			SSH:     []SSHMount{{ID: "default"}, {ID: "gh", Target: "/s.sock", Required: true}},
		},
	})
	// A command without a name is named after its arguments.
	g = compile(t, goSpec(func(s *spec.Spec) { s.Build.Steps = []spec.Step{{Command: []string{"go", "vet", "./..."}}} }))
	if e := execs(mustStage(t, g, "build"))[1]; e.Name != "go vet ./..." {
		t.Errorf("name = %q", e.Name)
	}
}

func TestRuntimeConfig(t *testing.T) {
	g := compile(t, goSpec(func(s *spec.Spec) {
		s.Runtime = spec.Runtime{
			Base:       "example.invalid/distroless/static:nonroot",
			Entrypoint: []string{"/app/app", "--serve"},
			Cmd:        []string{"--port", "8080"},
			Env:        map[string]string{"B": "2", "A": "1"},
			Workdir:    "/data",
			User:       "app",
			Ports:      []string{"9090", "8080/tcp", "8080", "53/udp"},
			Labels:     map[string]string{"z": "1", "a": "2"},
		}
	}))
	assertEqual(t, "base", g.Runtime.Base, BaseRef{Image: "example.invalid/distroless/static:nonroot"})
	assertEqual(t, "config", g.Runtime.Config, ImageConfig{
		Entrypoint: []string{"/app/app", "--serve"},
		Cmd:        []string{"--port", "8080"},
		Env:        []KV{{"A", "1"}, {"B", "2"}},
		Workdir:    "/data",
		User:       "app",
		Ports:      []string{"53/udp", "8080/tcp", "9090/tcp"},
		Labels:     []KV{{"a", "2"}, {"z", "1"}},
	})
}

func TestSources(t *testing.T) {
	g := compile(t, goSpec(func(s *spec.Spec) {
		s.Source = spec.Source{Path: "./services/api/", Exclude: []string{"tmp", ".git", "docs"}}
	}))
	assertEqual(t, "local", g.Source, Source{Local: &LocalSource{Path: "services/api", Exclude: []string{".git", "docs", "tmp"}}})
	g = compile(t, goSpec(func(s *spec.Spec) {
		s.Source = spec.Source{Git: &spec.GitSource{URL: "https://example.invalid/a.git", Ref: "v1"}}
	}))
	assertEqual(t, "git", g.Source, Source{Git: &GitSource{URL: "https://example.invalid/a.git", Ref: "v1"}})
}

func TestCompileValidates(t *testing.T) {
	_, err := Compile(goSpec(func(s *spec.Spec) { s.Runtime.Base = "statik" }))
	var es spec.Errors
	if !errors.As(err, &es) || es[0].Field != "runtime.base" {
		t.Fatalf("Compile = %v, want a spec error on runtime.base", err)
	}
}

// Compile does not modify the Spec it is given.
func TestCompileKeepsSpec(t *testing.T) {
	s := goSpec(func(s *spec.Spec) { s.Runtime.Env = map[string]string{"A": "1"} })
	before := dump(s)
	compile(t, s)
	if after := dump(s); after != before {
		t.Errorf("Compile modified the Spec:\nbefore %s\n after %s", before, after)
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]Platform{
		"linux/amd64":    {OS: "linux", Arch: "amd64"},
		"linux/arm64":    {OS: "linux", Arch: "arm64"},
		"linux/arm64/v8": {OS: "linux", Arch: "arm64"},
		"linux/arm/v7":   {OS: "linux", Arch: "arm", Variant: "v7"},
	} {
		got, err := ParsePlatform(in)
		if err != nil || got != want {
			t.Errorf("ParsePlatform(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	assertEqual(t, "String", Platform{OS: "linux", Arch: "arm", Variant: "v7"}.String(), "linux/arm/v7")
	for _, in := range []string{"", "linux", "/amd64", "linux/", "a/b/c/d"} {
		if _, err := ParsePlatform(in); err == nil {
			t.Errorf("ParsePlatform(%q) succeeded", in)
		}
	}
}

func TestBaseRefString(t *testing.T) {
	for _, tc := range []struct {
		ref  BaseRef
		want string
	}{
		{BaseRef{Flavour: "static:debug"}, "distill/static:debug"},
		{BaseRef{Flavour: "go", GoVersion: "1.26"}, "distill/go (go 1.26)"},
		{BaseRef{Image: "golang:1.26"}, "golang:1.26"},
	} {
		assertEqual(t, "String", tc.ref.String(), tc.want)
	}
}

func TestScansAndPolicy(t *testing.T) {
	s := goSpec(nil)
	s.Scan = &spec.Scan{Stages: []string{"build", "deps"}}
	s.Policy = &spec.Policy{FailOn: "CRITICAL", UnknownAs: "MEDIUM", FixedOnly: true, VEX: []string{"vex.json"},
		Ignore: []spec.Ignore{{ID: "GO-2021-0113", Reason: "not reachable", Expires: "2027-01-31"}},
		Stages: map[string]string{"build": "gate"}}
	g, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []Scan{{Stage: "runtime", Gate: true}, {Stage: "build", Gate: true}, {Stage: "deps", Gate: false}}
	assertEqual(t, "scans", g.Scans, want)
	assertEqual(t, "policy", g.Policy, Policy{FailOn: "CRITICAL", UnknownAs: "MEDIUM", FixedOnly: true, VEX: []string{"vex.json"},
		Ignore: []Ignore{{ID: "GO-2021-0113", Reason: "not reachable", Expires: "2027-01-31"}}})

	s.Policy.Stages = map[string]string{"runtime": "report"}
	if g, err = Compile(s); err != nil || g.Scans[0].Gate {
		t.Fatalf("runtime set to report: %+v %v", g.Scans, err)
	}
	s.Scan = &spec.Scan{Skip: true}
	s.Policy = nil
	if g, err = Compile(s); err != nil || len(g.Scans) != 0 {
		t.Fatalf("scan skipped: %+v %v", g.Scans, err)
	}
	s.Scan = &spec.Scan{Stages: []string{"nosuch"}}
	if _, err := Compile(s); err == nil || !strings.Contains(err.Error(), `"nosuch" is not a stage`) {
		t.Fatalf("unknown stage: %v", err)
	}
}
