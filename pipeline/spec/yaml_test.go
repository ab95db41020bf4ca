package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseErr parses doc and returns its single error with a position.
func parseErr(t *testing.T, doc string) *FieldError {
	t.Helper()
	s, err := Parse([]byte(doc), "distill.yaml")
	if err == nil {
		t.Fatalf("Parse accepted the document: %+v", s)
	}
	var fe *FieldError
	var es Errors
	switch {
	case errors.As(err, &es):
		if len(es) != 1 {
			t.Fatalf("want one error, got %d:\n%v", len(es), err)
		}
		fe = es[0]
	case errors.As(err, &fe):
	default:
		t.Fatalf("Parse returned %T, want *FieldError or Errors: %v", err, err)
	}
	return fe
}

func TestParseErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		name         string
		doc          string
		field        string // "" for decoding errors
		msg          string
		line, column int
		sourceLine   string
	}{
		{
			name: "unknown field",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go:
    mian: ./cmd/app
`,
			msg: `unknown field "mian"`, line: 5, column: 5, sourceLine: "    mian: ./cmd/app",
		},
		{
			name: "unknown top-level field",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go: {}
runtimes:
  base: static
`,
			msg: `unknown field "runtimes"`, line: 5, column: 1, sourceLine: "runtimes:",
		},
		{
			name: "wrong type",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go:
    cgo: maybe
`,
			msg: "cannot unmarshal", line: 5, column: 10, sourceLine: "    cgo: maybe",
		},
		{
			name: "scalar for a list",
			doc: `apiVersion: distill.dev/v1
name: app
platforms: linux/amd64
build:
  go: {}
`,
			msg: "where sequence is expected", line: 3, column: 12, sourceLine: "platforms: linux/amd64",
		},
		{
			name: "syntax error: unterminated string",
			doc: `apiVersion: distill.dev/v1
name: "app
build:
  go: {}
`,
			msg: "double-quoted", line: 2, column: 7, sourceLine: `name: "app`,
		},
		{
			name: "syntax error: indentation",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go: {}
   steps: []
runtime: {}
`,
			msg: "not allowed", line: 5, column: 4, sourceLine: "   steps: []",
		},
		{
			name: "duplicate key",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go: {}
name: other
`,
			msg: `"name" already defined`, line: 5, column: 1, sourceLine: "name: other",
		},
		{
			name: "validation error",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go:
    main: ./cmd/app
runtime:
  user: rooot
`,
			field: "runtime.user", msg: `"rooot" is not a user`, line: 7, column: 9, sourceLine: "  user: rooot",
		},
		{
			name: "validation error after a syntax line and comments",
			doc: `# syntax=example.invalid/distill/frontend:v1
# yaml-language-server: $schema=distill.schema.json
apiVersion: distill.dev/v1
name: app
build:
  go:
    version: "2.0"   # not a Go release
`,
			field: "build.go.version", msg: "want a Go release", line: 7, column: 14, sourceLine: `    version: "2.0"   # not a Go release`,
		},
		{
			name: "list element",
			doc: `apiVersion: distill.dev/v1
name: app
platforms:
  - linux/amd64
  - linux/s390x
build:
  go: {}
`,
			field: "platforms[1]", msg: "not supported", line: 5, column: 5, sourceLine: "  - linux/s390x",
		},
		{
			name: "nested list element",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go: {}
  steps:
    - run: make generate
    - run: make
      caches:
        - target: /ok
        - target: relative/cache
`,
			field: "build.steps[1].caches[1].target", msg: "want an absolute path", line: 10, column: 19, sourceLine: "        - target: relative/cache",
		},
		{
			name: "map key",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go: {}
runtime:
  env:
    PORT: "8080"
    BAD-NAME: x
`,
			field: "runtime.env.BAD-NAME", msg: "not a valid environment variable name", line: 8, sourceLine: "    BAD-NAME: x",
		},
		{
			name: "missing field: reported at its parent",
			doc: `apiVersion: distill.dev/v1
name: app
source:
  git:
    ref: main
build:
  go: {}
`,
			field: "source.git.url", msg: "required", line: 4, column: 3, sourceLine: "  git:",
		},
		{
			name: "missing field of a flow mapping",
			doc: `apiVersion: distill.dev/v1
name: app
source:
  git: {ref: main}
build:
  go: {}
`,
			field: "source.git.url", msg: "required", line: 4, sourceLine: "  git: {ref: main}",
		},
		{
			name: "missing build field",
			doc: `apiVersion: distill.dev/v1
name: app

build:
  image: debian
  steps:
    - run: make
`,
			field: "build.artifacts", msg: "required without a preset", line: 4, column: 1, sourceLine: "build:",
		},
		{
			name: "mapping-valued field",
			doc: `apiVersion: distill.dev/v1
name: app
build:
  go: {}
  node:
    main: index.js
`,
			field: "build", msg: "choose one preset", line: 3, column: 1, sourceLine: "build:",
		},
		{
			name: "missing top-level field",
			doc: `# a comment
apiVersion: distill.dev/v1
build:
  go:
    binary: app
`,
			field: "name", msg: "required", line: 2, sourceLine: "apiVersion: distill.dev/v1",
		},
		{
			name: "JSON",
			doc: `{
  "apiVersion": "distill.dev/v1",
  "name": "app",
  "build": {"go": {}},
  "runtime": {"ports": ["8080", "http"]}
}
`,
			field: "runtime.ports[1]", msg: "want PORT", line: 5, column: 33, sourceLine: `  "runtime": {"ports": ["8080", "http"]}`,
		},
		{
			name: "JSON unknown field",
			doc:  `{"apiVersion": "distill.dev/v1", "name": "app", "build": {"go": {"bin": "x"}}}`,
			msg:  `unknown field "bin"`, line: 1, column: 66,
			sourceLine: `{"apiVersion": "distill.dev/v1", "name": "app", "build": {"go": {"bin": "x"}}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := parseErr(t, tc.doc)
			if fe.Field != tc.field {
				t.Errorf("Field = %q, want %q", fe.Field, tc.field)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tc.msg)
			}
			if fe.File != "distill.yaml" {
				t.Errorf("File = %q", fe.File)
			}
			if fe.Line != tc.line || (tc.column != 0 && fe.Column != tc.column) {
				t.Errorf("position = %d:%d, want %d:%d", fe.Line, fe.Column, tc.line, tc.column)
			}
			if fe.Column < 1 {
				t.Errorf("Column = %d, want a column", fe.Column)
			}
			if fe.SourceLine != tc.sourceLine {
				t.Errorf("SourceLine = %q, want %q", fe.SourceLine, tc.sourceLine)
			}
			// The whole message: file:line:column: field: msg, then the quoted line.
			prefix := "distill.yaml:" + itoa(fe.Line) + ":" + itoa(fe.Column) + ": "
			if tc.field != "" {
				prefix += tc.field + ": "
			}
			msg := fe.Error()
			if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, "\n    "+tc.sourceLine) {
				t.Errorf("Error() = %q, want %q…%q", msg, prefix, "\n    "+tc.sourceLine)
			}
		})
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Every validation error gets its position, not only the first.
func TestParseLocatesEveryError(t *testing.T) {
	doc := `apiVersion: distill.dev/v1
name: App
build:
  go:
    binary: my app
    version: latest
runtime:
  ports: ["8080", "x"]
`
	_, err := Parse([]byte(doc), "d.yaml")
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse = %v, want Errors", err)
	}
	want := map[string]int{"name": 2, "build.go.version": 6, "build.go.binary": 5, "runtime.ports[1]": 8}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(es), len(want), err)
	}
	for _, e := range es {
		if e.File != "d.yaml" || e.Line != want[e.Field] || e.SourceLine == "" {
			t.Errorf("%s at %s:%d (%q), want line %d", e.Field, e.File, e.Line, e.SourceLine, want[e.Field])
		}
	}
}

func TestParseValid(t *testing.T) {
	yamlDoc := `# syntax=example.invalid/distill/frontend:v1
apiVersion: distill.dev/v1
name: app
platforms: [linux/amd64, linux/arm64]
args:
  VERSION: "1.0"
build:
  go:
    main: ./cmd/app
    ldflags: ""
  steps:
    - name: generate
      command: [go, generate, ./...]
      secrets:
        - id: netrc
          target: /root/.netrc
      ssh:
        - {}
test:
  go:
    flags: [-count=1]
runtime:
  env: {PORT: "8080"}
  ports: ["8080"]
  labels:
    org.opencontainers.image.vendor: Example
`
	jsonDoc := `{
  "apiVersion": "distill.dev/v1",
  "name": "app",
  "platforms": ["linux/amd64", "linux/arm64"],
  "args": {"VERSION": "1.0"},
  "build": {
    "go": {"main": "./cmd/app", "ldflags": ""},
    "steps": [{"name": "generate", "command": ["go", "generate", "./..."],
               "secrets": [{"id": "netrc", "target": "/root/.netrc"}], "ssh": [{}]}]
  },
  "test": {"go": {"flags": ["-count=1"]}},
  "runtime": {"env": {"PORT": "8080"}, "ports": ["8080"],
              "labels": {"org.opencontainers.image.vendor": "Example"}}
}`
	empty := ""
	want := &Spec{
		APIVersion: APIVersion, Name: "app",
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Args:      map[string]string{"VERSION": "1.0"},
		Build: Build{
			Go: &GoBuild{Main: "./cmd/app", LDFlags: &empty},
			Steps: []Step{{
				Name: "generate", Command: []string{"go", "generate", "./..."},
				Secrets: []Secret{{ID: "netrc", Target: "/root/.netrc"}},
				SSH:     []SSH{{}},
			}},
		},
		Test: &Test{Go: &GoTest{Flags: []string{"-count=1"}}},
		Runtime: Runtime{
			Env:    map[string]string{"PORT": "8080"},
			Ports:  []string{"8080"},
			Labels: map[string]string{"org.opencontainers.image.vendor": "Example"},
		},
	}
	for name, doc := range map[string]string{"yaml": yamlDoc, "json": jsonDoc} {
		t.Run(name, func(t *testing.T) {
			s, err := Parse([]byte(doc), "distill."+name)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s, want) {
				t.Errorf("Parse:\n got %s\nwant %s", snapshot(t, s), snapshot(t, want))
			}
			// An explicitly empty ldflags stays empty (no default -s -w).
			if got := *s.WithDefaults().Build.Go.LDFlags; got != "" {
				t.Errorf("ldflags = %q, want empty", got)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "distill.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: distill.dev/v1\nname: app\nbuild:\n  go:\n    tags: netgo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != file || fe.Line != 5 {
		t.Fatalf("Load = %v, want an error at %s:5", err, file)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want ErrNotExist", err)
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{
		"a.b[2].c": "a.b[2]",
		"a.b[2]":   "a.b",
		"a.b":      "a",
		"a":        "",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// A file must name its format; the Go API fills apiVersion in.
func TestParseRequiresAPIVersion(t *testing.T) {
	fe := parseErr(t, "name: app\nbuild:\n  go: {}\n")
	if fe.Field != "apiVersion" || !strings.Contains(fe.Msg, APIVersion) || fe.Line != 1 {
		t.Fatalf("got %+v", fe)
	}
	s := &Spec{Name: "app", Build: Build{Go: &GoBuild{}}}
	if err := s.Validate(); err != nil {
		t.Fatalf("a Spec from the Go API without apiVersion: %v", err)
	}
}
