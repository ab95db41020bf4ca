package llbgen_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
)

var epoch = time.Unix(1700000000, 0)

var examplesDir = filepath.Join("..", "..", "examples")

// digests generates s afresh and identifies every state and image config
// of the program, by name.
func digests(t *testing.T, s *spec.Spec, opts llbgen.Options) map[string]digest.Digest {
	t.Helper()
	g, err := plan.Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if opts.Scanner == nil {
		opts.Scanner = llbgen.FakeScanner()
	}
	prog, err := llbgen.Generate(g, &llbgen.FakeBases{}, opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	out := map[string]digest.Digest{}
	for _, rt := range prog.Runtimes {
		out["runtime "+rt.Platform.String()] = llbgen.StateDigest(t, rt.State)
		cfg, err := json.Marshal(rt.Config)
		if err != nil {
			t.Fatal(err)
		}
		out["config "+rt.Platform.String()] = digest.FromBytes(cfg)
	}
	for _, b := range prog.Builds {
		out["build "+b.Platform.String()] = llbgen.StateDigest(t, b.State)
	}
	for _, c := range prog.Tests {
		out["test "+c.Name] = llbgen.StateDigest(t, c.State)
	}
	for _, j := range prog.Scans {
		out["scan "+j.Label(true)] = llbgen.StateDigest(t, j.Outputs)
	}
	return out
}

func manyKeys(prefix string) map[string]string {
	m := map[string]string{}
	for i := range 30 {
		m[fmt.Sprintf("%s_%02d", prefix, i)] = fmt.Sprint(i)
	}
	return m
}

// TestDeterministic generates each program 25 times, from a fresh Compile
// and Generate, and requires exactly one digest per state.
func TestDeterministic(t *testing.T) {
	load := func(t *testing.T, dir string) *spec.Spec {
		s, err := pipeline.Load(filepath.Join(examplesDir, dir))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := map[string]func(t *testing.T) *spec.Spec{
		"go-app": func(t *testing.T) *spec.Spec {
			s, err := spec.Load(filepath.Join(examplesDir, "go-app", "distill.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"go-app two platforms": func(t *testing.T) *spec.Spec {
			s := load(t, "go-app")
			s.Platforms = []string{"linux/amd64", "linux/arm64"}
			return s
		},
		"node-app":   func(t *testing.T) *spec.Spec { return load(t, "node-app") },
		"python-app": func(t *testing.T) *spec.Spec { return load(t, "python-app") },
		"many keys": func(t *testing.T) *spec.Spec {
			step := spec.Step{Run: "make", Env: manyKeys("STEP"), Caches: []spec.Cache{{Target: "/c"}},
				Secrets: []spec.Secret{{ID: "a"}, {ID: "b", Env: "B"}}, SSH: []spec.SSH{{}}}
			return &spec.Spec{
				Name: "many", Platforms: []string{"linux/arm64", "linux/amd64"}, Args: manyKeys("ARG"),
				Build: spec.Build{Go: &spec.GoBuild{}, Env: manyKeys("BUILD"), Steps: []spec.Step{step}},
				Test:  &spec.Test{Env: manyKeys("TEST"), Steps: []spec.Step{step}},
				Runtime: spec.Runtime{Env: manyKeys("RT"), Labels: manyKeys("label"),
					Ports: []string{"1", "2", "3/udp", "4", "5", "6", "7", "8"}},
			}
		},
	}
	opts := llbgen.Options{
		Epoch: epoch, Source: "https://example.invalid/distill", Revision: "abc",
		Args: manyKeys("OVERRIDE"),
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			first := digests(t, mk(t), opts)
			if len(first) < 3 {
				t.Fatalf("only %v", first)
			}
			for i := 1; i < 25; i++ {
				got := digests(t, mk(t), opts)
				for k, d := range first {
					if got[k] != d {
						t.Fatalf("run %d: %s is %s, was %s", i, k, got[k], d)
					}
				}
				if len(got) != len(first) {
					t.Fatalf("run %d: %d states, was %d", i, len(got), len(first))
				}
			}
		})
	}
}

// The digests used above do see changes: another epoch, argument or
// platform is another definition.
func TestDigestsSeeChanges(t *testing.T) {
	s, err := spec.Load(filepath.Join(examplesDir, "go-app", "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Platforms = []string{"linux/amd64", "linux/arm64"}
	base := digests(t, s, llbgen.Options{Epoch: epoch})
	if base["runtime linux/amd64"] == base["runtime linux/arm64"] {
		t.Error("both platforms have one runtime definition")
	}
	later := digests(t, s, llbgen.Options{Epoch: epoch.Add(time.Second)})
	if later["runtime linux/amd64"] == base["runtime linux/amd64"] || later["config linux/amd64"] == base["config linux/amd64"] {
		t.Error("the epoch does not change the runtime")
	}
	if later["test test"] != base["test test"] || later["build linux/amd64"] != base["build linux/amd64"] {
		t.Error("the epoch changes the build or test stage (it should only date the runtime)")
	}
	arg := digests(t, s, llbgen.Options{Epoch: epoch, Args: map[string]string{"X": "1"}})
	if arg["build linux/amd64"] == base["build linux/amd64"] || arg["test test"] == base["test test"] {
		t.Error("a build argument does not change the build and test stages")
	}
}

// Every example loads (its distill.yaml, or the preset detected from its
// files), compiles and generates.
func TestExamplesGenerate(t *testing.T) {
	for _, dir := range []string{"go-app", "go-app-failing", "node-app", "python-app"} {
		t.Run(dir, func(t *testing.T) {
			s, err := pipeline.Load(filepath.Join(examplesDir, dir))
			if err != nil {
				t.Fatal(err)
			}
			d := digests(t, s, llbgen.Options{Epoch: epoch})
			if _, ok := d["runtime linux/amd64"]; !ok {
				t.Errorf("no runtime: %v", d)
			}
			if _, ok := d["test test"]; !ok {
				t.Errorf("no test stage: %v", d)
			}
		})
	}
}
