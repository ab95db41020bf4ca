module github.com/distill-dev/distill/tools/schemas

go 1.26

// Official JSON schemas the tests validate distill's documents against, taken from
// a module so that the go command verifies them (go.sum, checksum database):
// sbom-utility ships the SPDX 2.3 schemas copied from the spdx-spec repository
// (resources/schema/spdx/2.3 and 2.3.1). internal/sbom's tests read them from
// the module cache; `make test` downloads it. The tool directive keeps
// `go mod tidy` from dropping the requirement; the tool itself is not built.
tool github.com/CycloneDX/sbom-utility

require (
	github.com/CycloneDX/sbom-utility v0.16.0 // indirect
	github.com/fatih/color v1.15.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hokaccha/go-prettyjson v0.0.0-20211117102719-0474bc63780f // indirect
	github.com/iancoleman/orderedmap v0.3.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/jwangsadinata/go-multimap v0.0.0-20190620162914-c29f3d7f33b6 // indirect
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mrutkows/go-jsondiff v0.2.0 // indirect
	github.com/sergi/go-diff v1.3.1 // indirect
	github.com/spf13/cobra v1.7.0 // indirect
	github.com/spf13/pflag v1.0.5 // indirect
	github.com/xeipuuv/gojsonpointer v0.0.0-20190905194746-02993c407bfb // indirect
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415 // indirect
	github.com/xeipuuv/gojsonschema v1.2.0 // indirect
	golang.org/x/exp v0.0.0-20231006140011-7918f672742d // indirect
	golang.org/x/sys v0.13.0 // indirect
)
