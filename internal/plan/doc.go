// Package plan turns a spec.Spec into a stage graph: which containers run,
// on which base, with which commands, mounts and secrets, and which files the
// runtime image receives from which stage.
//
// Presets (Go, Node, Python) expand here into ordinary stages and steps, so
// the backends (internal/llbgen for BuildKit, the Dagger module) implement a
// small set of primitives — copy, exec, cache/secret/SSH mounts — and know
// nothing about languages.
//
// Compile is pure and deterministic: no I/O, no clock, sorted maps. It must
// not import BuildKit or Dagger.
package plan
