package spec

import (
	"errors"
	"strings"
	"testing"
)

// goSpec is a minimal valid Spec with the Go preset, changed by mod.
func goSpec(mod func(s *Spec)) *Spec {
	s := &Spec{APIVersion: APIVersion, Name: "app", Build: Build{Go: &GoBuild{}}}
	if mod != nil {
		mod(s)
	}
	return s
}

// customSpec is a minimal valid Spec without a preset, changed by mod.
func customSpec(mod func(s *Spec)) *Spec {
	s := &Spec{
		APIVersion: APIVersion, Name: "app",
		Build: Build{
			Image:     "debian",
			Steps:     []Step{{Run: "make"}},
			Artifacts: []Artifact{{From: "bin/app"}},
		},
	}
	if mod != nil {
		mod(s)
	}
	return s
}

func TestValidateAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec *Spec
	}{
		{"go preset, all defaults", goSpec(nil)},
		{"empty apiVersion defaults", goSpec(func(s *Spec) { s.APIVersion = "" })},
		{"name with separators", goSpec(func(s *Spec) { s.Name = "my.app_2-x" })},
		{"node preset", &Spec{Name: "web", Build: Build{Node: &NodeBuild{Main: "server.js"}}}},
		{"python preset", &Spec{Name: "py", Build: Build{Python: &PythonBuild{Main: "-m app"}}}},
		{"custom build", customSpec(nil)},
		{"custom build on an image", customSpec(func(s *Spec) { s.Build.Image = "golang:1.26" })},
		{"image named like a flavour, with its path", customSpec(func(s *Spec) { s.Build.Image = "library/python:3.12" })},
		{"Docker Hub image named like a flavour, with a tag", customSpec(func(s *Spec) { s.Build.Image = "python:3.12" })},
		{"runtime image named like a flavour, with a tag", goSpec(func(s *Spec) { s.Runtime.Base = "static:latest" })},
		{"git source", goSpec(func(s *Spec) { s.Source.Git = &GitSource{URL: "https://example.invalid/app.git", Ref: "v1"} })},
		{"git source with path .", goSpec(func(s *Spec) { s.Source = Source{Path: ".", Git: &GitSource{URL: "https://example.invalid/a.git"}} })},
		{"source subdirectory", goSpec(func(s *Spec) { s.Source.Path = "services/api"; s.Source.Exclude = []string{"*.md"} })},
		{"both platforms, arm64/v8", goSpec(func(s *Spec) { s.Platforms = []string{"linux/amd64", "linux/arm64/v8"} })},
		{"args", goSpec(func(s *Spec) { s.Args = map[string]string{"VERSION": "1", "_x": ""} })},
		{"go version with patch", goSpec(func(s *Spec) { s.Build.Go.Version = "1.26.11" })},
		{"go version with go prefix", goSpec(func(s *Spec) { s.Build.Go.Version = "go1.25" })},
		{"go main in cmd", goSpec(func(s *Spec) { s.Build.Go.Main = "./cmd/app" })},
		{"cgo on cc", goSpec(func(s *Spec) { s.Build.Go.CGO = true })},
		{"cgo on base:debug", goSpec(func(s *Spec) { s.Build.Go.CGO = true; s.Runtime.Base = "base:debug" })},
		{"go test flags", goSpec(func(s *Spec) {
			s.Test = &Test{Go: &GoTest{Packages: []string{"./internal/..."}, Flags: []string{"-count=1"}}}
		})},
		{"test steps without preset", customSpec(func(s *Spec) { s.Test = &Test{Steps: []Step{{Command: []string{"make", "test"}}}} })},
		{"step with every mount", goSpec(func(s *Spec) {
			s.Build.Steps = []Step{{
				Run: "make", Workdir: "/src/sub", Network: "none", Env: map[string]string{"A": "1"},
				Caches:  []Cache{{Target: "/root/.cache/x", Sharing: "locked"}, {Target: "/c", ID: "c", Sharing: "private"}},
				Secrets: []Secret{{ID: "npmrc", Target: "/root/.npmrc"}, {ID: "token.v1", Env: "TOKEN"}, {ID: "plain"}},
				SSH:     []SSH{{}, {ID: "github", Target: "/run/ssh.sock"}},
			}}
		})},
		{"artifact with target", customSpec(func(s *Spec) { s.Build.Artifacts = []Artifact{{From: "dist", To: "/app/dist"}} })},
		{"runtime debug flavour", goSpec(func(s *Spec) { s.Runtime.Base = "static:debug" })},
		{"runtime image by digest", goSpec(func(s *Spec) {
			s.Runtime.Base = "example.invalid/distroless/static@sha256:" + strings.Repeat("a", 64)
		})},
		{"runtime image with any user", goSpec(func(s *Spec) {
			s.Runtime.Base = "example.invalid/distroless/static:nonroot"
			s.Runtime.User = "appuser:app"
		})},
		{"runtime users", goSpec(func(s *Spec) { s.Runtime.User = "nonroot:nonroot" })},
		{"numeric user", goSpec(func(s *Spec) { s.Runtime.User = "1000" })},
		{"ports", goSpec(func(s *Spec) { s.Runtime.Ports = []string{"8080", "53/udp", "443/tcp", "1", "65535"} })},
		{"runtime workdir and env", goSpec(func(s *Spec) { s.Runtime.Workdir = "/app"; s.Runtime.Env = map[string]string{"PORT": "8080"} })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.spec.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  *Spec
		field string
		msg   string // a part of the message
	}{
		{"apiVersion", goSpec(func(s *Spec) { s.APIVersion = "distill.dev/v2" }), "apiVersion", `"distill.dev/v2" is not supported`},
		{"name missing", goSpec(func(s *Spec) { s.Name = ""; s.Build.Go.Binary = "app" }), "name", "required"},
		{"name upper case", goSpec(func(s *Spec) { s.Name = "App" }), "name", "lower-case letters"},
		{"name trailing dash", goSpec(func(s *Spec) { s.Name = "app-" }), "name", "lower-case letters"},
		{"path and git", goSpec(func(s *Spec) { s.Source = Source{Path: "sub", Git: &GitSource{URL: "https://example.invalid/a.git"}} }), "source", "not both"},
		{"git url", goSpec(func(s *Spec) { s.Source.Git = &GitSource{Ref: "main"} }), "source.git.url", "required"},
		{"absolute path", goSpec(func(s *Spec) { s.Source.Path = "/srv/app" }), "source.path", "inside the project"},
		{"path outside", goSpec(func(s *Spec) { s.Source.Path = "sub/../../other" }), "source.path", "inside the project"},
		{"platform", goSpec(func(s *Spec) { s.Platforms = []string{"linux/amd64", "linux/s390x"} }), "platforms[1]", `"linux/s390x" is not supported`},
		{"platform twice", goSpec(func(s *Spec) { s.Platforms = []string{"linux/arm64", "linux/arm64/v8"} }), "platforms[1]", "listed twice"},
		{"arg name", goSpec(func(s *Spec) { s.Args = map[string]string{"OK": "", "BAD-NAME": "x"} }), "args.BAD-NAME", "not a valid environment variable name"},
		{"two presets", goSpec(func(s *Spec) { s.Build.Node = &NodeBuild{} }), "build", "choose one preset"},
		{"custom without image", customSpec(func(s *Spec) { s.Build.Image = "" }), "build.image", "required without a preset"},
		{"custom without steps", customSpec(func(s *Spec) { s.Build.Steps = nil }), "build.steps", "required without a preset"},
		{"custom without artifacts", customSpec(func(s *Spec) { s.Build.Artifacts = nil }), "build.artifacts", "required without a preset"},
		{"builder: a runtime flavour", customSpec(func(s *Spec) { s.Build.Image = "static" }), "build.image", "here the flavours are debian, go, node, python"},
		{"builder: no debug variant", customSpec(func(s *Spec) { s.Build.Image = "go:debug" }), "build.image", "here the flavours are"},
		{"builder: mistyped flavour", customSpec(func(s *Spec) { s.Build.Image = "debain" }), "build.image", `"debain" is not a flavour`},
		{"builder: bad reference", customSpec(func(s *Spec) { s.Build.Image = "Example.invalid/UPPER:1" }), "build.image", "neither a flavour"},
		{"go version", goSpec(func(s *Spec) { s.Build.Go.Version = "2.0" }), "build.go.version", "want a Go release"},
		{"go version before toolchain modules", goSpec(func(s *Spec) { s.Build.Go.Version = "1.2" }), "build.go.version", "quote versions"},
		{"go version word", goSpec(func(s *Spec) { s.Build.Go.Version = "latest" }), "build.go.version", "want a Go release"},
		{"go main absolute", goSpec(func(s *Spec) { s.Build.Go.Main = "/cmd/app" }), "build.go.main", "inside the project"},
		{"go main outside", goSpec(func(s *Spec) { s.Build.Go.Main = "../other" }), "build.go.main", "inside the project"},
		{"go binary path", goSpec(func(s *Spec) { s.Build.Go.Binary = "bin/app" }), "build.go.binary", "want a file name"},
		{"go binary space", goSpec(func(s *Spec) { s.Build.Go.Binary = "my app" }), "build.go.binary", "want a file name"},
		{"cgo two platforms", goSpec(func(s *Spec) {
			s.Build.Go.CGO = true
			s.Platforms = []string{"linux/amd64", "linux/arm64"}
		}), "build.go.cgo", "cross C toolchains"},
		{"cgo on static", goSpec(func(s *Spec) { s.Build.Go.CGO = true; s.Runtime.Base = "static" }), "runtime.base", "static has no C library"},
		{"cgo on static:debug", goSpec(func(s *Spec) { s.Build.Go.CGO = true; s.Runtime.Base = "static:debug" }), "runtime.base", "static has no C library"},
		{"build env", goSpec(func(s *Spec) { s.Build.Env = map[string]string{"1X": ""} }), "build.env.1X", "not a valid environment variable name"},
		{"step: run and command", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Command: []string{"b"}}} }), "build.steps[0]", "set exactly one of run"},
		{"step: neither", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "ok"}, {Name: "empty"}} }), "build.steps[1]", "set exactly one of run"},
		{"step: workdir", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Workdir: "sub"}} }), "build.steps[0].workdir", `"sub": want an absolute path`},
		{"step: network", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Network: "host"}} }), "build.steps[0].network", `"host": want default or none`},
		{"step: env", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Env: map[string]string{"A B": ""}}} }), "build.steps[0].env.A B", "not a valid environment variable name"},
		{"cache target", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Caches: []Cache{{Target: "/ok"}, {Target: "rel"}}}} }), "build.steps[0].caches[1].target", `"rel": want an absolute path`},
		{"cache sharing", goSpec(func(s *Spec) {
			s.Build.Steps = []Step{{Run: "a", Caches: []Cache{{Target: "/c", Sharing: "exclusive"}}}}
		}), "build.steps[0].caches[0].sharing", "want shared, private or locked"},
		{"secret id", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Secrets: []Secret{{ID: "a/b"}}}} }), "build.steps[0].secrets[0].id", "want letters, digits"},
		{"secret id empty", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Secrets: []Secret{{}}}} }), "build.steps[0].secrets[0].id", `"": want letters`},
		{"secret target and env", goSpec(func(s *Spec) {
			s.Build.Steps = []Step{{Run: "a", Secrets: []Secret{{ID: "s", Target: "/s", Env: "S"}}}}
		}), "build.steps[0].secrets[0]", "not both"},
		{"secret target", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Secrets: []Secret{{ID: "s", Target: "s"}}}} }), "build.steps[0].secrets[0].target", "want an absolute path"},
		{"secret env", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", Secrets: []Secret{{ID: "s", Env: "-S"}}}} }), "build.steps[0].secrets[0].env", "not a valid environment variable name"},
		{"ssh target", goSpec(func(s *Spec) { s.Build.Steps = []Step{{Run: "a", SSH: []SSH{{}, {Target: "agent.sock"}}}} }), "build.steps[0].ssh[1].target", "want an absolute path"},
		{"artifact from", customSpec(func(s *Spec) { s.Build.Artifacts = []Artifact{{To: "/app/x"}} }), "build.artifacts[0].from", "required"},
		{"artifact to", customSpec(func(s *Spec) { s.Build.Artifacts = []Artifact{{From: "x", To: "app/x"}} }), "build.artifacts[0].to", "want an absolute path in the runtime"},
		{"test go without go", customSpec(func(s *Spec) { s.Test = &Test{Go: &GoTest{}} }), "test.go", "needs the go build preset"},
		{"test env", goSpec(func(s *Spec) { s.Test = &Test{Env: map[string]string{"A=B": ""}} }), "test.env.A=B", "not a valid environment variable name"},
		{"test step", goSpec(func(s *Spec) { s.Test = &Test{Steps: []Step{{}}} }), "test.steps[0]", "set exactly one of run"},
		{"test step mount", goSpec(func(s *Spec) { s.Test = &Test{Steps: []Step{{Run: "a", Caches: []Cache{{Target: "x"}}}}} }), "test.steps[0].caches[0].target", "want an absolute path"},
		{"runtime: mistyped flavour", goSpec(func(s *Spec) { s.Runtime.Base = "statik" }), "runtime.base", `"statik" is not a flavour (static, base, cc, python3, nodejs)`},
		{"runtime: builder flavour", goSpec(func(s *Spec) { s.Runtime.Base = "go" }), "runtime.base", "here the flavours are static, base, cc, python3, nodejs"},
		{"runtime: bad reference", goSpec(func(s *Spec) { s.Runtime.Base = "example.invalid/a b:1" }), "runtime.base", "neither a flavour"},
		{"runtime: user", goSpec(func(s *Spec) { s.Runtime.User = "rooot" }), "runtime.user", `"rooot" is not a user of distill's runtime flavours`},
		{"runtime: group", goSpec(func(s *Spec) { s.Runtime.User = "65532:staff" }), "runtime.user", `"staff" is not a user`},
		{"runtime: workdir", goSpec(func(s *Spec) { s.Runtime.Workdir = "app" }), "runtime.workdir", "want an absolute path"},
		{"runtime: env", goSpec(func(s *Spec) { s.Runtime.Env = map[string]string{"": "x"} }), "runtime.env.", "not a valid environment variable name"},
		{"runtime: port word", goSpec(func(s *Spec) { s.Runtime.Ports = []string{"8080", "http"} }), "runtime.ports[1]", "want PORT or PORT/tcp or PORT/udp"},
		{"runtime: port zero", goSpec(func(s *Spec) { s.Runtime.Ports = []string{"0"} }), "runtime.ports[0]", "want PORT"},
		{"runtime: port too high", goSpec(func(s *Spec) { s.Runtime.Ports = []string{"65536"} }), "runtime.ports[0]", "want PORT"},
		{"runtime: port protocol", goSpec(func(s *Spec) { s.Runtime.Ports = []string{"80/sctp"} }), "runtime.ports[0]", "want PORT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if err == nil {
				t.Fatal("Validate accepted the spec")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Validate returned %T, want spec.Errors: %v", err, err)
			}
			if len(es) != 1 {
				t.Fatalf("want exactly one error, got %d:\n%v", len(es), err)
			}
			if es[0].Field != tc.field {
				t.Errorf("Field = %q, want %q (%v)", es[0].Field, tc.field, es[0])
			}
			if !strings.Contains(es[0].Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", es[0].Msg, tc.msg)
			}
			if !strings.HasPrefix(es[0].Error(), tc.field+": ") {
				t.Errorf("Error() = %q, want it to start with the field", es[0].Error())
			}
		})
	}
}

// Validate reports every problem, in field order, not just the first.
func TestValidateReportsAll(t *testing.T) {
	s := &Spec{
		APIVersion: "v0",
		Name:       "Bad Name",
		Platforms:  []string{"windows/amd64"},
		Build:      Build{Go: &GoBuild{Version: "x", Binary: "app"}},
		Runtime:    Runtime{User: "rooot", Ports: []string{"http"}},
	}
	err := s.Validate()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Validate = %v, want Errors", err)
	}
	var fields []string
	for _, e := range es {
		fields = append(fields, e.Field)
	}
	want := []string{"apiVersion", "name", "platforms[0]", "build.go.version", "runtime.user", "runtime.ports[0]"}
	if strings.Join(fields, " ") != strings.Join(want, " ") {
		t.Errorf("fields = %q, want %q", fields, want)
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(want) {
		t.Errorf("Error() has %d lines, want one per problem:\n%v", got, err)
	}
}

func TestIsFlavour(t *testing.T) {
	for _, tc := range []struct {
		name  string
		list  []string
		debug bool
		want  bool
	}{
		{"static", RuntimeFlavours, true, true},
		{"static:debug", RuntimeFlavours, true, true},
		{"static:debug", RuntimeFlavours, false, false},
		{"nodejs", RuntimeFlavours, false, true},
		{"go", RuntimeFlavours, true, false},
		{"go", BuilderFlavours, false, true},
		{"static:latest", RuntimeFlavours, true, false},
		{"", RuntimeFlavours, true, false},
	} {
		if got := IsFlavour(tc.name, tc.list, tc.debug); got != tc.want {
			t.Errorf("IsFlavour(%q, %v, %v) = %v, want %v", tc.name, tc.list, tc.debug, got, tc.want)
		}
	}
}

func TestFieldErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  *FieldError
		want string
	}{
		{&FieldError{Field: "name", Msg: "required"}, "name: required"},
		{&FieldError{Msg: "bad"}, "bad"},
		{&FieldError{Field: "runtime.user", Msg: "no", File: "distill.yaml"}, "distill.yaml: runtime.user: no"},
		{&FieldError{Field: "runtime.user", Msg: "no", File: "distill.yaml", Line: 12}, "distill.yaml:12: runtime.user: no"},
		{&FieldError{Field: "runtime.user", Msg: "no", File: "d.yaml", Line: 12, Column: 9, SourceLine: "  user: rooot"},
			"d.yaml:12:9: runtime.user: no\n      user: rooot"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
