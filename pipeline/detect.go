package pipeline

import "github.com/distill-dev/distill/pipeline/spec"

// SpecFile is the name distill looks for in a project directory.
const SpecFile = spec.File

// Load returns the Spec of a project directory: its distill.yaml, or, without
// one, a preset detected from go.mod, package.json or requirements.txt.
func Load(dir string) (*spec.Spec, error) { return spec.LoadDir(dir) }

// Detect infers a Spec from a project's files: a Go module (main package
// ./cmd/<name> when there is exactly one, else the module root), a Node
// package (package.json main), or a Python project (main.py, else the one
// package with a __main__.py, run with -m).
func Detect(dir string) (*spec.Spec, error) { return spec.Detect(dir) }
