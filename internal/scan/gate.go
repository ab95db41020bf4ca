package scan

import (
	"fmt"
	"strings"
)

// maxListed is how many failing findings a GateError's message lists.
const maxListed = 10

// GateError reports a gated stage whose findings failed its policy.
type GateError struct {
	Stage     string
	FailOn    Severity
	FixedOnly bool
	// Failing are the findings that failed the gate, highest severity first.
	Failing []Finding
}

func (e *GateError) Error() string {
	var b strings.Builder
	what := "findings"
	if len(e.Failing) == 1 {
		what = "finding"
	}
	if e.FixedOnly {
		what = "fixable " + what
	}
	// The same advisory in several files (a toolchain's binaries) is listed once.
	type key struct{ id, pkg, version string }
	var uniq []Finding
	count := map[key]int{}
	for _, f := range e.Failing {
		k := key{f.ID, f.Package, f.Version}
		if count[k] == 0 {
			uniq = append(uniq, f)
		}
		count[k]++
	}
	fmt.Fprintf(&b, "%s: %d %s at or above %s", e.Stage, len(e.Failing), what, e.FailOn)
	if len(uniq) != len(e.Failing) {
		fmt.Fprintf(&b, " (%d distinct)", len(uniq))
	}
	b.WriteString(": ")
	for i, f := range uniq {
		if i == maxListed {
			fmt.Fprintf(&b, ", and %d more", len(uniq)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(describe(f))
		if n := count[key{f.ID, f.Package, f.Version}]; n > 1 {
			fmt.Fprintf(&b, " ×%d", n)
		}
	}
	return b.String()
}

// describe is a finding in one phrase:
// "CVE-2021-38561 golang.org/x/text v0.3.5 (UNKNOWN→HIGH, fixed in 0.3.7)".
func describe(f Finding) string {
	fix := "no fix"
	if f.Fixed {
		fix = "fixed in " + f.FixedVersion
	}
	return fmt.Sprintf("%s %s %s (%s, %s)", f.ID, f.Package, f.Version, f.Label(), fix)
}

// Err returns a *GateError when the report's stage is gated and failed its
// policy, and nil otherwise: before [Policy.Evaluate], for a passing stage and
// for a report-only stage.
func (r *Report) Err() error {
	p := r.Policy
	if p == nil || !p.Gate || p.Passed {
		return nil
	}
	return &GateError{Stage: r.Stage, FailOn: p.FailOn, FixedOnly: p.FixedOnly, Failing: p.Failing}
}
