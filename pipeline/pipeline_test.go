package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
)

var examples = filepath.Join("..", "examples")

func mustSpec(t *testing.T, p *pipeline.Pipeline) *spec.Spec {
	t.Helper()
	s, err := p.Spec()
	if err != nil {
		t.Fatalf("Spec: %v", err)
	}
	return s
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// Every method returns a new Pipeline; pipelines derived from one parent
// share nothing with it or with each other.
func TestBuilderIsImmutable(t *testing.T) {
	parent := pipeline.Go(pipeline.Main("./cmd/app")).
		Env(map[string]string{"A": "1"}).
		Ports("8080").
		Labels(map[string]string{"team": "core"}).
		Steps(pipeline.Run("make gen"))
	before := asJSON(t, mustSpec(t, parent))

	a := parent.Runtime(pipeline.Debug(pipeline.Static)).
		Env(map[string]string{"A": "2", "B": "1"}).
		Ports("9090").
		Labels(map[string]string{"team": "edge"}).
		Steps(pipeline.Command("make", "docs")).
		Platforms("linux/amd64", "linux/arm64").
		Test("./internal/...")
	b := parent.Name("other").Arg("V", "1").SkipTests().User("nonroot").Cmd("--serve")

	if after := asJSON(t, mustSpec(t, parent)); after != before {
		t.Errorf("deriving changed the parent:\nbefore %s\n after %s", before, after)
	}
	sa, sb := mustSpec(t, a), mustSpec(t, b)
	if sa.Runtime.Base != "static:debug" || sa.Runtime.Env["A"] != "2" || len(sa.Runtime.Ports) != 2 ||
		len(sa.Build.Steps) != 2 || sa.Runtime.Labels["team"] != "edge" || sa.Test.Go.Packages[0] != "./internal/..." {
		t.Errorf("a: %s", asJSON(t, sa))
	}
	if sb.Name != "other" || sb.Runtime.Base != "static" || sb.Runtime.Env["A"] != "1" || len(sb.Runtime.Ports) != 1 ||
		len(sb.Build.Steps) != 1 || !sb.Test.Skip || sb.Args["V"] != "1" {
		t.Errorf("b: %s", asJSON(t, sb))
	}

	// Maps and slices given to the builder, and Specs taken from it, are
	// copies.
	env := map[string]string{"X": "1"}
	platforms := []string{"linux/amd64"}
	p := parent.Env(env).Platforms(platforms...)
	env["X"] = "changed"
	platforms[0] = "changed"
	s := mustSpec(t, p)
	if s.Runtime.Env["X"] != "1" || s.Platforms[0] != "linux/amd64" {
		t.Errorf("the pipeline follows the caller's map or slice: %s", asJSON(t, s))
	}
	s.Runtime.Env["X"] = "changed"
	s.Build.Steps[0].Run = "changed"
	if s2 := mustSpec(t, p); s2.Runtime.Env["X"] != "1" || s2.Build.Steps[0].Run != "make gen" {
		t.Errorf("a Spec taken from the pipeline is shared with it: %s", asJSON(t, s2))
	}

	// FromSpec copies too.
	orig := &spec.Spec{Name: "x", Build: spec.Build{Go: &spec.GoBuild{}}, Runtime: spec.Runtime{Env: map[string]string{"K": "v"}}}
	fp := pipeline.FromSpec(orig).Env(map[string]string{"K": "w"})
	if orig.Runtime.Env["K"] != "v" || mustSpec(t, fp).Runtime.Env["K"] != "w" {
		t.Error("FromSpec shares the Spec it is given")
	}
}

func TestStepIsImmutable(t *testing.T) {
	base := pipeline.Run("make").Env("A", "1").Cache("/c", "c")
	one := base.Env("B", "2").Secret("s1").Named("one")
	two := base.Env("C", "3").SSH("default").NoNetwork().Workdir("/w")
	s := mustSpec(t, pipeline.New("x").Builder("debian").
		Steps(base, one, two).
		Artifacts(spec.Artifact{From: "out"}))
	got := s.Build.Steps
	if len(got[0].Env) != 1 || len(got[0].Secrets) != 0 || len(got[0].SSH) != 0 || got[0].Network != "" || got[0].Name != "" {
		t.Errorf("base step changed: %s", asJSON(t, got[0]))
	}
	if got[1].Env["B"] != "2" || got[1].Env["C"] != "" || len(got[1].Secrets) != 1 || got[1].Name != "one" {
		t.Errorf("step one: %s", asJSON(t, got[1]))
	}
	if got[2].Env["C"] != "3" || got[2].Env["B"] != "" || len(got[2].SSH) != 1 || got[2].Network != "none" || got[2].Workdir != "/w" {
		t.Errorf("step two: %s", asJSON(t, got[2]))
	}
	// Secrets and SSH from the builder are required (the build fails
	// without them); caches are shared.
	if !got[1].Secrets[0].Required || !got[2].SSH[0].Required || got[0].Caches[0] != (spec.Cache{Target: "/c", ID: "c"}) {
		t.Errorf("steps: %s", asJSON(t, got))
	}
	env := mustSpec(t, pipeline.New("x").Builder("debian").Artifacts(spec.Artifact{From: "o"}).
		Steps(pipeline.Command("make").SecretEnv("token", "TOKEN"))).Build.Steps[0].Secrets[0]
	if env != (spec.Secret{ID: "token", Env: "TOKEN", Required: true}) {
		t.Errorf("SecretEnv: %+v", env)
	}
}

// Mistakes surface from Validate, Spec and Build (before any engine is
// contacted), naming what caused them; building never panics.
func TestDeferredErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     *pipeline.Pipeline
		field string // a spec.FieldError's field, or "" for a construction error
		msg   string
	}{
		{"Test without the Go preset", pipeline.Node("web", "server.js").Test("./...").Runtime(pipeline.NodeJS), "", "need the Go preset"},
		{"first error wins", pipeline.Python("py", "main.py").Test("./...").Runtime("statik"), "", "Test("},
		{"mistyped flavour", pipeline.Go(pipeline.Main("./cmd/app")).Runtime("statik"), "runtime.base", `"statik" is not a flavour`},
		{"bad platform", pipeline.Go(pipeline.Main("./cmd/app")).Platforms("linux/riscv64"), "platforms[0]", "not supported"},
		{"no name", pipeline.Go(), "name", "required"},
		{"cgo on static", pipeline.Go(pipeline.Main("./cmd/app"), pipeline.CGO()).Runtime(pipeline.Static), "runtime.base", "no C library"},
		{"custom without artifacts", pipeline.New("tool").Builder("debian").Steps(pipeline.Run("make")), "build.artifacts", "required"},
		{"bad step", pipeline.Go(pipeline.Main("./cmd/app")).Steps(pipeline.Run("make").Workdir("rel")), "build.steps[0].workdir", "absolute"},
		{"bad test step", pipeline.Go(pipeline.Main("./cmd/app")).TestSteps(pipeline.Run("x").Cache("c", "")), "test.steps[0].caches[0].target", "absolute"},
		{"bad user", pipeline.Go(pipeline.Main("./cmd/app")).User("rooot"), "runtime.user", "rooot"},
		{"git and path", pipeline.Go(pipeline.Main("./cmd/app")).GitSource("", "main"), "source.git.url", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				if !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("%s: %v, want %q", what, err, tc.msg)
				}
				var es spec.Errors
				if tc.field == "" {
					return
				}
				if !errors.As(err, &es) || es[0].Field != tc.field {
					t.Errorf("%s: %v, want an error on %s", what, err, tc.field)
				}
			}
			check("Validate", tc.p.Validate())
			_, err := tc.p.Spec()
			check("Spec", err)
			res, err := tc.p.Build(context.Background(), pipeline.Output("oci:unused"))
			check("Build", err)
			if res != nil {
				t.Errorf("Build returned a result: %v", res)
			}
		})
	}
}

func TestBuildOptionErrors(t *testing.T) {
	p := pipeline.Go(pipeline.Main("./cmd/app"))
	_, err := p.Build(context.Background(), pipeline.Output("zip:out.zip"), pipeline.Target("deploy"), pipeline.Progress("fancy", nil))
	if err == nil {
		t.Fatal("Build accepted bad options")
	}
	for _, want := range []string{"build options", "zip:out.zip", `"deploy"`, `"fancy"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestGoNames(t *testing.T) {
	for _, tc := range []struct {
		p          *pipeline.Pipeline
		name, main string
		binary     string
	}{
		{pipeline.Go(pipeline.Main("./cmd/x")), "x", "./cmd/x", "x"},
		{pipeline.Go(pipeline.Main("./cmd/x"), pipeline.Binary("srv")), "srv", "./cmd/x", "srv"},
		{pipeline.Go(pipeline.Main("tools/gen")), "gen", "tools/gen", "gen"},
		{pipeline.Go(pipeline.Main("./cmd/x")).Name("y"), "y", "./cmd/x", "y"},
		{pipeline.Go().Name("root"), "root", ".", "root"},
	} {
		s := mustSpec(t, tc.p)
		if s.Name != tc.name || s.Build.Go.Main != tc.main || s.Build.Go.Binary != tc.binary {
			t.Errorf("name %q main %q binary %q, want %q %q %q", s.Name, s.Build.Go.Main, s.Build.Go.Binary, tc.name, tc.main, tc.binary)
		}
	}
	s := mustSpec(t, pipeline.Go(pipeline.Main("./cmd/x"), pipeline.GoVersion("1.25.3"), pipeline.Tags("a", "b"), pipeline.CGO()))
	if g := s.Build.Go; g.Version != "1.25.3" || strings.Join(g.Tags, ",") != "a,b" || !g.CGO || s.Runtime.Base != "cc" {
		t.Errorf("go options: %s", asJSON(t, s))
	}
}

func TestPresets(t *testing.T) {
	n := mustSpec(t, pipeline.Node("web", "server.js"))
	if n.Build.Node.Main != "server.js" || n.Runtime.Base != "nodejs" || n.Build.Image != "node" {
		t.Errorf("node: %s", asJSON(t, n))
	}
	py := mustSpec(t, pipeline.Python("py", "-m app").Runtime(pipeline.Debug(pipeline.Python3)))
	if py.Build.Python.Main != "-m app" || py.Runtime.Base != "python3:debug" {
		t.Errorf("python: %s", asJSON(t, py))
	}
	c := mustSpec(t, pipeline.New("tool").Builder("golang:1.26").Source("sub", "docs").
		Steps(pipeline.Run("make")).Artifacts(spec.Artifact{From: "bin/tool"}).
		Runtime(pipeline.CC).Entrypoint("/app/tool").TestSteps(pipeline.Run("make check")))
	if c.Build.Image != "golang:1.26" || c.Source.Path != "sub" || c.Source.Exclude[0] != "docs" ||
		c.Runtime.Entrypoint[0] != "/app/tool" || len(c.Test.Steps) != 1 {
		t.Errorf("custom: %s", asJSON(t, c))
	}
}

// The Go API pipeline written after examples/go-app/distill.yaml is the
// same Spec, and so the same image.
func TestGoAPIEqualsYAML(t *testing.T) {
	loaded, err := spec.Load(filepath.Join(examples, "go-app", "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.Go(pipeline.Main("./cmd/go-app"), pipeline.LDFlags("-s -w -X main.version=1.0.0")).
		Runtime(pipeline.Static).
		Env(map[string]string{"PORT": "8080"}).
		Ports("8080").
		Name("go-app")

	// The YAML lists go test's packages, which are the default.
	withTest := mustSpec(t, p.Test("./..."))
	if want := loaded.WithDefaults(); !reflect.DeepEqual(withTest, want) {
		t.Errorf("Spec of the Go API:\n got %s\nwant %s", asJSON(t, withTest), asJSON(t, want))
	}
	// Without them the Spec differs, the pipeline does not.
	g1, err := plan.Compile(mustSpec(t, p))
	if err != nil {
		t.Fatal(err)
	}
	g2, err := plan.Compile(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g1, g2) {
		t.Errorf("graphs differ:\n got %s\nwant %s", asJSON(t, g1), asJSON(t, g2))
	}
}
