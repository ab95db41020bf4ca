// Package spec is distill's pipeline as plain data: the Spec that a
// distill.yaml holds, that the Go API in package pipeline builds, and that the
// Dagger module and the BuildKit frontend produce from their own inputs.
//
// A Spec is serialisable (JSON and YAML, with a generated JSON Schema for
// editor completion), validated in one place (Validate) with errors that name
// the field, and — when it comes from YAML — the file, line and column.
//
// It holds no behaviour beyond defaults and validation: internal/plan turns a
// Spec into a stage graph. It must not import BuildKit, Dagger or cobra.
package spec
