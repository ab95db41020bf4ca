package spec

import (
	_ "embed"
	"encoding/json"

	"github.com/invopop/jsonschema"
)

//go:generate go run ./internal/genschema

// SchemaJSON is the JSON Schema of a distill.yaml (generated from the Spec
// types and their comments; a test keeps it current). Editors use it for
// completion: `# yaml-language-server: $schema=<url of distill.schema.json>`.
//
//go:embed distill.schema.json
var SchemaJSON []byte

// SchemaID is the $id of the schema.
const SchemaID = "https://distill.dev/schemas/distill.dev/v1/distill.schema.json"

// GenerateSchema reflects the Spec types into a JSON Schema. commentsDir, when
// not empty, is this package's source directory, whose doc comments become
// descriptions.
func GenerateSchema(commentsDir string) ([]byte, error) {
	r := &jsonschema.Reflector{
		RequiredFromJSONSchemaTags: false,
		DoNotReference:             false,
		ExpandedStruct:             true,
	}
	if commentsDir != "" {
		if err := r.AddGoComments("github.com/distill-dev/distill/pipeline/spec", commentsDir); err != nil {
			return nil, err
		}
	}
	s := r.Reflect(&Spec{})
	s.ID = SchemaID
	s.Title = "distill.yaml"
	s.Description = "A distill pipeline: build, test and a distroless runtime, as plain data."
	dt, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dt, '\n'), nil
}
