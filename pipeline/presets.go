package pipeline

import (
	"slices"

	"github.com/distill-dev/distill/pipeline/spec"
)

// GoOption configures the Go preset.
type GoOption func(*spec.GoBuild)

// Main is the Go package to build ("./cmd/app"; default ".").
func Main(pkg string) GoOption { return func(g *spec.GoBuild) { g.Main = pkg } }

// Binary names the executable (default: the pipeline name).
func Binary(name string) GoOption { return func(g *spec.GoBuild) { g.Binary = name } }

// GoVersion selects the Go release ("1.26": its newest patch release).
func GoVersion(v string) GoOption { return func(g *spec.GoBuild) { g.Version = v } }

// CGO enables cgo (the runtime defaults to cc).
func CGO() GoOption { return func(g *spec.GoBuild) { g.CGO = true } }

// Tags sets build tags.
func Tags(tags ...string) GoOption { return func(g *spec.GoBuild) { g.Tags = slices.Clone(tags) } }

// LDFlags sets the linker flags (default "-s -w").
func LDFlags(flags string) GoOption { return func(g *spec.GoBuild) { g.LDFlags = &flags } }

// Go starts a pipeline with the Go preset: go mod download as its own cached
// step, a static -trimpath build with a build cache (cross-compiled per
// platform), go test ./... in its own container, and the static runtime.
// The name defaults to the last element of Main.
func Go(opts ...GoOption) *Pipeline {
	g := &spec.GoBuild{}
	for _, o := range opts {
		o(g)
	}
	name := lastElem(g.Main)
	if g.Binary != "" {
		name = g.Binary
	}
	return &Pipeline{spec: &spec.Spec{APIVersion: spec.APIVersion, Name: name, Build: spec.Build{Go: g}}}
}

// Node starts a pipeline with the Node preset: npm ci (cache mount), npm run
// build when present, npm test in its own container, production
// dependencies only in the nodejs runtime; main is the file node runs.
func Node(name, main string) *Pipeline {
	return &Pipeline{spec: &spec.Spec{APIVersion: spec.APIVersion, Name: name, Build: spec.Build{Node: &spec.NodeBuild{Main: main}}}}
}

// Python starts a pipeline with the Python preset: a virtual environment
// with requirements.txt (pip cache mount), tests (pytest or unittest) in their
// own container, the python3 runtime; main is the script ("main.py") or
// "-m module".
func Python(name, main string) *Pipeline {
	return &Pipeline{spec: &spec.Spec{APIVersion: spec.APIVersion, Name: name, Build: spec.Build{Python: &spec.PythonBuild{Main: main}}}}
}

func lastElem(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	if p == "." || p == "" {
		return ""
	}
	return p
}
