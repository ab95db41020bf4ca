package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
)

func TestDetectExamples(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want *spec.Spec
	}{
		{"go-app", &spec.Spec{APIVersion: spec.APIVersion, Name: "go-app", Build: spec.Build{Go: &spec.GoBuild{Main: "./cmd/go-app"}}}},
		{"go-app-failing", &spec.Spec{APIVersion: spec.APIVersion, Name: "go-app-failing", Build: spec.Build{Go: &spec.GoBuild{Main: "."}}}},
		{"node-app", &spec.Spec{APIVersion: spec.APIVersion, Name: "node-app", Build: spec.Build{Node: &spec.NodeBuild{Main: "server.js"}}}},
		{"python-app", &spec.Spec{APIVersion: spec.APIVersion, Name: "python-app", Build: spec.Build{Python: &spec.PythonBuild{Main: "-m app"}}}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			s, err := pipeline.Detect(filepath.Join(examples, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if asJSON(t, s) != asJSON(t, tc.want) {
				t.Errorf("Detect:\n got %s\nwant %s", asJSON(t, s), asJSON(t, tc.want))
			}
			if _, err := plan.Compile(s); err != nil {
				t.Errorf("the detected Spec does not compile: %v", err)
			}
		})
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		check func(t *testing.T, s *spec.Spec)
	}{
		{"go with several commands builds the root", map[string]string{"go.mod": "module x\n", "cmd/a/main.go": "", "cmd/b/main.go": ""},
			func(t *testing.T, s *spec.Spec) {
				if s.Build.Go == nil || s.Build.Go.Main != "." {
					t.Errorf("%s", asJSON(t, s))
				}
			}},
		{"go with a file in cmd", map[string]string{"go.mod": "module x\n", "cmd/README": ""},
			func(t *testing.T, s *spec.Spec) {
				if s.Build.Go.Main != "." {
					t.Errorf("%s", asJSON(t, s))
				}
			}},
		{"go command name made valid", map[string]string{"go.mod": "module x\n", "cmd/My_Tool/main.go": ""},
			func(t *testing.T, s *spec.Spec) {
				if s.Name != "my_tool" || s.Build.Go.Main != "./cmd/My_Tool" {
					t.Errorf("%s", asJSON(t, s))
				}
			}},
		{"go wins over node", map[string]string{"go.mod": "module x\n", "package.json": "{}"},
			func(t *testing.T, s *spec.Spec) {
				if s.Build.Go == nil || s.Build.Node != nil {
					t.Errorf("%s", asJSON(t, s))
				}
			}},
		{"scoped npm package", map[string]string{"package.json": `{"name": "@Team/Web App"}`},
			func(t *testing.T, s *spec.Spec) {
				if s.Name != "team-web-app" || s.Build.Node == nil || s.Build.Node.Main != "" {
					t.Errorf("%s", asJSON(t, s))
				}
			}},
		{"python main.py", map[string]string{"main.py": "", "app/__main__.py": ""},
			func(t *testing.T, s *spec.Spec) {
				if s.Build.Python == nil || s.Build.Python.Main != "" {
					t.Errorf("main.py is the default and wins: %s", asJSON(t, s))
				}
			}},
		{"python pyproject with two runnable packages", map[string]string{"pyproject.toml": "", "a/__main__.py": "", "b/__main__.py": ""},
			func(t *testing.T, s *spec.Spec) {
				if s.Build.Python == nil || s.Build.Python.Main != "" {
					t.Errorf("%s", asJSON(t, s))
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pipeline.Detect(writeFiles(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

func TestDetectErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := pipeline.Detect(empty)
	if err == nil || !strings.Contains(err.Error(), "no distill.yaml, and no go.mod, package.json or requirements.txt") || !strings.Contains(err.Error(), empty) {
		t.Errorf("Detect(empty) = %v", err)
	}
	if _, err := pipeline.Load(empty); err == nil {
		t.Error("Load(empty) succeeded")
	}
	bad := writeFiles(t, map[string]string{"package.json": "{"})
	if _, err := pipeline.Detect(bad); err == nil || !strings.Contains(err.Error(), filepath.Join(bad, "package.json")) {
		t.Errorf("Detect(bad package.json) = %v", err)
	}
}

func TestLoad(t *testing.T) {
	// distill.yaml is preferred over what Detect would infer.
	s, err := pipeline.Load(filepath.Join(examples, "go-app"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Build.Go.LDFlags == nil || *s.Build.Go.LDFlags != "-s -w -X main.version=1.0.0" {
		t.Errorf("Load(go-app) did not read its distill.yaml: %s", asJSON(t, s))
	}
	dir := writeFiles(t, map[string]string{
		"go.mod":       "module x\n",
		"distill.yaml": "apiVersion: distill.dev/v1\nname: from-yaml\nbuild:\n  image: debian\n  steps: [{run: make}]\n  artifacts: [{from: out}]\n",
	})
	if s, err := pipeline.Load(dir); err != nil || s.Name != "from-yaml" || s.Build.Go != nil {
		t.Errorf("Load = %v, %v; want the distill.yaml", s, err)
	}
	// A broken distill.yaml is an error, not a reason to detect.
	dir = writeFiles(t, map[string]string{"go.mod": "module x\n", "distill.yaml": "name: x\nbuild: {go: {}}\nruntime: {base: statik}\n"})
	_, err = pipeline.Load(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "distill.yaml")+":3:") {
		t.Errorf("Load = %v, want an error at %s:3", err, filepath.Join(dir, "distill.yaml"))
	}
	// Without one, the project is detected.
	dir = writeFiles(t, map[string]string{"package.json": `{"name": "web", "main": "server.js"}`})
	if s, err := pipeline.Load(dir); err != nil || s.Name != "web" || s.Build.Node == nil || s.Build.Node.Main != "server.js" {
		t.Errorf("Load = %v, %v; want the detected Node preset", s, err)
	}
}
