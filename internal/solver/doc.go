// Package solver runs a compiled program (internal/llbgen) through a
// BuildKit gateway client: the test stages and every platform's runtime are
// solved in parallel, a failing test fails the build before anything is
// exported, and the result carries the runtime images with their configs as
// BuildKit's image exporters expect them.
//
// The same function serves the CLI and Go API (run in-process through the
// engine's gateway) and the BuildKit frontend (run inside buildkitd), so
// both export exactly the same images. It must not export, push or sign.
package solver
