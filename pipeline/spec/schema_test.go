package spec

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The committed schema is what the Spec types and their comments generate.
func TestSchemaIsCurrent(t *testing.T) {
	dt, err := GenerateSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dt, SchemaJSON) {
		t.Fatal("distill.schema.json is out of date with the Spec types: run `go generate ./pipeline/spec/`")
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// validateSchema checks a distill.yaml (YAML or JSON) against the schema.
func validateSchema(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("YAMLToJSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// specFiles lists every distill.yaml of the examples and every document of
// this package's testdata/valid.
func specFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join("..", "..", "examples"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "distill.yaml" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	valid, err := filepath.Glob(filepath.Join("testdata", "valid", "*"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, valid...)
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	return files
}

// Every distill.yaml distill ships is valid for the schema (what editors
// check) and for Parse (what distill checks).
func TestSchemaAcceptsExamples(t *testing.T) {
	sch := compileSchema(t)
	for _, file := range specFiles(t) {
		t.Run(file, func(t *testing.T) {
			dt, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateSchema(t, sch, dt); err != nil {
				t.Errorf("schema: %v", err)
			}
			if _, err := Parse(dt, file); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

// Mistakes the schema catches in an editor, and that Parse rejects too.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	base := "apiVersion: distill.dev/v1\nname: app\n"
	for _, tc := range []struct {
		name, doc string
		want      string // a part of the schema's error
	}{
		{"unknown field", base + "build:\n  go:\n    mian: ./cmd/app\n", "mian"},
		{"unknown top-level field", base + "build: {go: {}}\nruntimes: {base: static}\n", "runtimes"},
		{"unknown step field", base + "build:\n  go: {}\n  steps:\n    - run: make\n      cache: [/c]\n", "cache"},
		{"wrong type", base + "build:\n  go:\n    cgo: maybe\n", "boolean"},
		{"string for a list", base + "platforms: linux/amd64\nbuild: {go: {}}\n", "array"},
		{"bad name", "apiVersion: distill.dev/v1\nname: My App\nbuild: {go: {}}\n", "pattern"},
		{"bad apiVersion", "apiVersion: distill.dev/v2\nname: app\nbuild: {go: {}}\n", "distill.dev/v1"},
		{"missing build", base, "build"},
		{"bad network", base + "build:\n  go: {}\n  steps:\n    - run: make\n      network: host\n", "/build/steps/0/network"},
		{"bad sharing", base + "build:\n  go: {}\n  steps:\n    - run: make\n      caches: [{target: /c, sharing: exclusive}]\n", "/build/steps/0/caches/0/sharing"},
		{"cache without target", base + "build:\n  go: {}\n  steps:\n    - run: make\n      caches: [{id: c}]\n", "target"},
		{"duplicate platform", "apiVersion: distill.dev/v1\nname: app\nplatforms: [linux/amd64, linux/amd64]\nbuild: {go: {}}\n", "are equal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateSchema(t, sch, []byte(tc.doc))
			if err == nil {
				t.Fatal("the schema accepted the document")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("schema error %q does not mention %q", err, tc.want)
			}
			if _, err := Parse([]byte(tc.doc), "distill.yaml"); err == nil {
				t.Error("Parse accepted what the schema rejects")
			}
		})
	}
}

// Every field of the Spec types is in the schema with a description (from
// the doc comments), so that editors can explain it.
func TestSchemaDescribesFields(t *testing.T) {
	var schema struct {
		Properties map[string]struct{ Description string } `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]struct {
				Description string `json:"description"`
				Ref         string `json:"$ref"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := yaml.Unmarshal(SchemaJSON, &schema); err != nil {
		t.Fatal(err)
	}
	for name, p := range schema.Properties {
		if p.Description == "" {
			t.Errorf("property %s has no description", name)
		}
	}
	// Fields whose meaning is in their type's description or is obvious.
	undocumented := map[string]bool{
		"Build.go": true, "Build.node": true, "Build.python": true,
		"GitSource.url": true, "Secret.id": true, "Secret.target": true, "Secret.env": true,
		"Secret.required": true, "SSH.required": true,
	}
	for def, d := range schema.Defs {
		for name, p := range d.Properties {
			if p.Description == "" && p.Ref == "" && !undocumented[def+"."+name] {
				t.Errorf("%s.%s has no description", def, name)
			}
		}
	}
}

// Every YAML example of docs/distill-yaml.md is valid, for distill and for
// the schema. Fragments (without a name) are checked as part of a minimal
// document.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "distill-yaml.md"))
	if err != nil {
		t.Fatal(err)
	}
	sch := compileSchema(t)
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	if len(blocks) < 8 {
		t.Fatalf("found only %d YAML examples", len(blocks))
	}
	for i, b := range blocks {
		example, _, ok := strings.Cut(b, "```")
		if !ok {
			t.Fatalf("example %d is not closed", i)
		}
		if !strings.Contains(example, "\nname: ") {
			if !strings.Contains(example, "\nbuild:") && !strings.HasPrefix(example, "build:") {
				example += "build: {go: {}}\n"
			}
			example = "name: doc-example\n" + example
		}
		if !strings.Contains(example, "apiVersion:") {
			example = "apiVersion: distill.dev/v1\n" + example
		}
		if _, err := Parse([]byte(example), "example"); err != nil {
			t.Errorf("example %d:\n%s\n%v", i, example, err)
			continue
		}
		if err := validateSchema(t, sch, []byte(example)); err != nil {
			t.Errorf("example %d: schema: %v\n%s", i, err, example)
		}
	}
}
