package plan

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{"": TargetRuntime, "runtime": TargetRuntime, "test": TargetTest, "build": TargetBuild} {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"scan", "Runtime", " build"} {
		if _, err := ParseTarget(in); err == nil || !strings.Contains(err.Error(), "want build, test or runtime") {
			t.Errorf("ParseTarget(%q) = %v", in, err)
		}
	}
}

func TestStopAtDropsScansBelowTheRuntime(t *testing.T) {
	for target, scans := range map[Target]int{TargetRuntime: 1, TargetTest: 0, TargetBuild: 0} {
		g := &Graph{Scans: []Scan{{Stage: RuntimeStage}}}
		g.StopAt(target)
		if len(g.Scans) != scans {
			t.Errorf("StopAt(%s): %d scans, want %d", target, len(g.Scans), scans)
		}
	}
}
