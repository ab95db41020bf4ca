// Command genschema writes distill.schema.json from the Spec types (go generate).
package main

import (
	"log"
	"os"

	"github.com/distill-dev/distill/pipeline/spec"
)

func main() {
	dt, err := spec.GenerateSchema(".")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("distill.schema.json", dt, 0o644); err != nil {
		log.Fatal(err)
	}
}
