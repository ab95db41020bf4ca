package plan

import "fmt"

// Target is how far a build goes; every backend and front end uses it.
type Target string

const (
	// TargetRuntime runs the tests and scans and returns the runtime images (the default).
	TargetRuntime Target = "runtime"
	// TargetTest runs the build and test stages and returns the test stage.
	TargetTest Target = "test"
	// TargetBuild returns the build stage (no tests).
	TargetBuild Target = "build"
)

// ParseTarget checks a --target value; empty is TargetRuntime.
func ParseTarget(s string) (Target, error) {
	switch t := Target(s); t {
	case "":
		return TargetRuntime, nil
	case TargetRuntime, TargetTest, TargetBuild:
		return t, nil
	}
	return "", fmt.Errorf("--target %q: want build, test or runtime", s)
}

// StopAt trims g to what building up to t needs: the build and test targets
// assemble no runtime, so nothing ships and nothing is scanned.
func (g *Graph) StopAt(t Target) {
	if t != TargetRuntime {
		g.Scans = nil
	}
}
