package plan

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/pipeline/spec"
)

var update = flag.Bool("update", false, "rewrite the golden graphs in testdata/")

// manyKeys is a map large enough that Go's map iteration order differs from
// run to run.
func manyKeys(prefix string) map[string]string {
	m := map[string]string{}
	for i := range 40 {
		m[fmt.Sprintf("%s_%02d", prefix, 39-i)] = fmt.Sprint(i)
	}
	return m
}

func manyKeysSpec() *spec.Spec {
	step := spec.Step{Run: "make", Env: manyKeys("STEP")}
	return &spec.Spec{
		Name:      "app",
		Platforms: []string{"linux/arm64", "linux/amd64"},
		Args:      manyKeys("ARG"),
		Build: spec.Build{
			Go:    &spec.GoBuild{Main: "./cmd/app"},
			Env:   manyKeys("BUILD"),
			Steps: []spec.Step{step},
		},
		Test: &spec.Test{Go: &spec.GoTest{}, Env: manyKeys("TEST"), Steps: []spec.Step{step}},
		Runtime: spec.Runtime{
			Env:    manyKeys("RUNTIME"),
			Labels: manyKeys("label"),
			Ports:  []string{"9000", "8000", "8000/tcp", "7000/udp"},
		},
	}
}

// Compile is deterministic: the same Spec gives the same graph, and no map
// iteration order shows in it.
func TestCompileDeterministic(t *testing.T) {
	s := manyKeysSpec()
	first := compile(t, s)
	for range 25 {
		if g := compile(t, s); !reflect.DeepEqual(g, first) {
			t.Fatalf("two compiles of one Spec differ:\n%s\n%s", dump(first), dump(g))
		}
	}
	sorted := func(what string, kv []KV) {
		t.Helper()
		if len(kv) != 40 {
			t.Errorf("%s: %d entries, want 40", what, len(kv))
		}
		if !slices.IsSortedFunc(kv, func(a, b KV) int { return strings.Compare(a.Key, b.Key) }) {
			t.Errorf("%s is not sorted: %v", what, kv)
		}
	}
	sorted("args", first.Args)
	sorted("build env (on deps, inherited)", mustStage(t, first, "deps").Env)
	sorted("build step env", execs(mustStage(t, first, "build"))[1].Env)
	sorted("test env", mustStage(t, first, "test").Env)
	sorted("test step env", execs(mustStage(t, first, "test"))[1].Env)
	sorted("runtime labels", first.Runtime.Config.Labels)
	if env := first.Runtime.Config.Env; !slices.IsSortedFunc(env, func(a, b KV) int { return strings.Compare(a.Key, b.Key) }) {
		t.Errorf("runtime env is not sorted: %v", env)
	}
	assertEqual(t, "ports", first.Runtime.Config.Ports, []string{"7000/udp", "8000/tcp", "9000/tcp"})
	// Platforms keep the Spec's order: the first is the default of outputs.
	assertEqual(t, "platforms", first.Platforms, []Platform{{OS: "linux", Arch: "arm64"}, {OS: "linux", Arch: "amd64"}})
}

// goldenSpecs are the Specs whose whole graph is kept in testdata/: every
// example's distill.yaml and every document of pipeline/spec/testdata/valid.
func goldenSpecs(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "distill.yaml"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range examples {
		files[filepath.Base(filepath.Dir(f))] = f
	}
	valid, err := filepath.Glob(filepath.Join("..", "..", "pipeline", "spec", "testdata", "valid", "*"))
	if err != nil || len(valid) == 0 {
		t.Fatalf("no spec documents: %v", err)
	}
	for _, f := range valid {
		files["spec-"+strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))] = f
	}
	return files
}

// TestGolden compares compiled graphs with testdata/<name>.graph.json. After
// an intended change, run `go test ./internal/plan -update` and review the diff.
func TestGolden(t *testing.T) {
	for name, file := range goldenSpecs(t) {
		t.Run(name, func(t *testing.T) {
			s, err := spec.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			got := []byte(dump(compile(t, s)) + "\n")
			golden := filepath.Join("testdata", name+".graph.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("graph of %s differs from %s (run go test ./internal/plan -update if intended):\n%s", file, golden, got)
			}
		})
	}
}
