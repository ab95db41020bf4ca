// Package pipeline is distill's Go API: a build expressed as Go code that
// runs build, test (and, later, scan) stages as separate containers on
// BuildKit and assembles a distroless runtime from their outputs.
//
//	p := pipeline.Go(pipeline.Main("./cmd/app")).
//		Test("./...").
//		Runtime(pipeline.Static).
//		Platforms("linux/amd64", "linux/arm64")
//	res, err := p.Build(ctx, pipeline.Output("oci:out/app"))
//
// Every method returns a new Pipeline (the receiver is never modified) and
// errors are reported by Validate and Build, naming the field, as llb.State
// does. A Pipeline is a view of a spec.Spec — the same plain data a
// distill.yaml holds — and Spec returns it.
//
// This package must not import cobra, Dagger or the BuildKit frontend
// gateway; those are adapters around it.
package pipeline
