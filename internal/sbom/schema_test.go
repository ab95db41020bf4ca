package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// moduleDir is where the go command keeps a module of distill's build list.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	return moduleDirIn(t, ".", module)
}

// moduleDirIn is where the go command keeps a module of the build list of the
// module in dir.
func moduleDirIn(t *testing.T, dir, module string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-json", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m %s (in %s): %v", module, dir, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if m.Dir == "" {
		t.Fatalf("go list -m %s (in %s): module not downloaded (run go mod download there)", module, dir)
	}
	return m.Dir
}

// cryptographyDefsStub stands in for cryptography-defs.schema.json, which
// bom-1.7.schema.json references but cyclonedx-go v0.11.0 does not ship. It is
// used only under components[].cryptoProperties, which trivy does not write
// (validateCycloneDX checks that).
const cryptographyDefsStub = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "http://cyclonedx.org/schema/cryptography-defs.schema.json",
  "definitions": {"algorithmFamiliesEnum": {"type": "string"}, "ellipticCurvesEnum": {"type": "string"}}
}`

// cycloneDXSchema compiles the official CycloneDX JSON schema of a spec
// version, read from the schema/ directory of the cyclonedx-go module distill
// builds with, with format assertions on.
func cycloneDXSchema(t *testing.T, specVersion string) *jsonschema.Schema {
	t.Helper()
	dir := filepath.Join(moduleDir(t, "github.com/CycloneDX/cyclonedx-go"), "schema")
	const base = "http://cyclonedx.org/schema/"
	files := map[string]string{
		"bom-" + specVersion + ".schema.json": "bom-" + specVersion + ".schema.json",
		"spdx.schema.json":                    "spdx.schema.json",
		"jsf-0.82.schema.json":                "jsf-0.82.schemax.json", // the module's name for it
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for id, file := range files {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(base+id, doc); err != nil {
			t.Fatal(err)
		}
	}
	stub, err := jsonschema.UnmarshalJSON(strings.NewReader(cryptographyDefsStub))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(base+"cryptography-defs.schema.json", stub); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(base + "bom-" + specVersion + ".schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validateCycloneDX validates a document against the schema of its specVersion.
func validateCycloneDX(t *testing.T, dt []byte) error {
	t.Helper()
	var head struct {
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(dt, &head); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(dt, []byte(`"cryptoProperties"`)) {
		t.Fatal("the document has cryptoProperties, which the stubbed cryptography-defs schema cannot check")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(dt))
	if err != nil {
		t.Fatal(err)
	}
	return cycloneDXSchema(t, head.SpecVersion).Validate(doc)
}
