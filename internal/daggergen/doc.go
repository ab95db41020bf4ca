// Package daggergen is the Dagger backend: a plan.Graph as Dagger API calls
// (containers, directories, cache volumes, secrets), as internal/llbgen is
// the BuildKit one. Both walk the same stage graph, so a Spec builds the
// same stages and the same runtime on either: only the engine differs.
package daggergen
