// Package runner executes a pipeline Spec on BuildKit from the client side:
// it compiles the Spec (internal/plan), assembles the distill base images the
// plan needs (internal/baseimage), connects to or starts the engine, runs the
// build function (internal/solver) with the project directory, the base image
// store, secrets and SSH agents attached, exports the result into an OCI
// layout and writes the requested outputs from it.
//
// The CLI and the Go API (package pipeline) both run pipelines through Run;
// it holds no language or stage knowledge of its own.
package runner
