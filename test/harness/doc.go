// Package harness gives the integration tests in test/ their prerequisites: a BuildKit
// engine, a local registry, the repository root. It owns one rule for a missing
// prerequisite (Require): under -short the test is skipped; in CI (CI=true) it fails,
// because integration tests must run there; elsewhere it is skipped with the reason.
//
// It starts nothing: test/services.sh does, and exports BUILDKIT_HOST and
// DISTILL_TEST_REGISTRY (make test runs the tests through it).
package harness
