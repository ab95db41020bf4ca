package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// File is the name distill looks for in a project directory.
const File = "distill.yaml"

// LoadDir returns the Spec of a project directory: its distill.yaml, or,
// without one, a preset detected from go.mod, package.json or
// requirements.txt.
func LoadDir(dir string) (*Spec, error) {
	file := filepath.Join(dir, File)
	if _, err := os.Stat(file); err == nil {
		return Load(file)
	}
	return Detect(dir)
}

// Detect infers a Spec from a project's files: a Go module (main package
// ./cmd/<name> when there is exactly one, else the module root), a Node
// package (package.json main), or a Python project (main.py, else the one
// package with a __main__.py, run with -m).
func Detect(dir string) (*Spec, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	name := imageName(filepath.Base(abs))
	s := &Spec{APIVersion: APIVersion, Name: name}
	switch {
	case exists(dir, "go.mod"):
		main := "."
		if cmds, _ := os.ReadDir(filepath.Join(dir, "cmd")); len(cmds) == 1 && cmds[0].IsDir() {
			main = "./cmd/" + cmds[0].Name()
			s.Name = imageName(cmds[0].Name())
		}
		s.Build.Go = &GoBuild{Main: main}
	case exists(dir, "package.json"):
		var pkg struct{ Name, Main string }
		dt, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(dt, &pkg); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "package.json"), err)
		}
		if pkg.Name != "" {
			s.Name = imageName(pkg.Name)
		}
		s.Build.Node = &NodeBuild{Main: pkg.Main}
	case exists(dir, "requirements.txt"), exists(dir, "pyproject.toml"), exists(dir, "main.py"):
		s.Build.Python = &PythonBuild{}
		if !exists(dir, "main.py") {
			if pkg := pythonMainPackage(dir); pkg != "" {
				s.Build.Python.Main = "-m " + pkg
			}
		}
	default:
		return nil, fmt.Errorf("%s: no %s, and no go.mod, package.json or requirements.txt to infer a pipeline from (see `distill build --help`)", dir, File)
	}
	return s, nil
}

// pythonMainPackage is the one top-level package with a __main__.py (run
// as python -m <package>), or "" when there is none or more than one.
func pythonMainPackage(dir string) string {
	entries, _ := os.ReadDir(dir)
	var pkgs []string
	for _, e := range entries {
		if e.IsDir() && exists(filepath.Join(dir, e.Name()), "__main__.py") {
			pkgs = append(pkgs, e.Name())
		}
	}
	if len(pkgs) != 1 {
		return ""
	}
	return pkgs[0]
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return !errors.Is(err, fs.ErrNotExist)
}

var nameInvalid = regexp.MustCompile(`[^a-z0-9._-]+`)

// imageName turns a directory or package name into a valid image name.
func imageName(s string) string {
	s = strings.ToLower(strings.TrimPrefix(s, "@"))
	s = strings.ReplaceAll(s, "/", "-")
	s = nameInvalid.ReplaceAllString(s, "-")
	s = strings.Trim(s, "._-")
	if s == "" {
		return "app"
	}
	return s
}
