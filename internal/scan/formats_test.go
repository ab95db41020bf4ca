package scan

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
	"github.com/owenrumney/go-sarif/v2/sarif"
)

// scenario is a fixture with a policy, as a pipeline would evaluate it.
type scenario struct {
	name    string // golden file base name
	fixture string
	stage   string
	db      DB
	policy  func(t testing.TB) Policy
	gate    bool
}

var scenarios = []scenario{
	{
		// Debian and Go advisories; an ignore, an expired ignore and an
		// invalid one; gated and failing.
		name: "runtime-fixtures", fixture: "runtime-fixtures", stage: "runtime", db: fixturesDB, gate: true,
		policy: func(testing.TB) Policy {
			p := DefaultPolicy()
			p.Ignore = []Ignore{
				{ID: "CVE-0000-0001", Reason: "bash is only in the debug image", Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), Source: "distill.yaml:14"},
				{ID: "GO-0000-0001", Reason: "waiting for upstream", Expires: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Source: "distill.yaml:18"},
				{ID: "CVE-0000-0003", Source: "distill.yaml:21"},
			}
			return p
		},
	},
	{
		// The real Go vulnerability database (UNKNOWN severities) and no
		// Debian data; VEX statements; gated and failing.
		name: "runtime-govulndb", fixture: "runtime-govulndb", stage: "runtime", db: goDB, gate: true,
		policy: func(t testing.TB) Policy {
			p := DefaultPolicy()
			p.VEX = []*vex.VEX{loadVEX(t, "runtime.openvex.json")}
			return p
		},
	},
	{
		// No findings, but Debian was not checked.
		name: "static-govulndb", fixture: "static-govulndb", stage: "runtime", db: goDB, gate: true,
		policy: func(testing.TB) Policy { return DefaultPolicy() },
	},
	{
		// A report-only build stage with Go, npm, Python and Debian packages.
		name: "build-govulndb", fixture: "build-govulndb", stage: "build", db: goDB, gate: false,
		policy: func(testing.TB) Policy { return DefaultPolicy() },
	},
}

func (s scenario) report(t testing.TB) *Report {
	t.Helper()
	r := load(t, s.fixture, s.stage, s.db)
	s.policy(t).Evaluate(r, now, s.gate)
	return r
}

func scenarioByName(t testing.TB, name string) *Report {
	t.Helper()
	for _, s := range scenarios {
		if s.name == name {
			return s.report(t)
		}
	}
	t.Fatalf("no scenario %s", name)
	return nil
}

func table(t testing.TB, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.Table(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r := s.report(t)
			j, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, s.name+".json", j)
			sf, err := r.SARIF()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, s.name+".sarif", sf)
			golden(t, s.name+".txt", table(t, r))
		})
	}
	golden(t, "summary.md", Markdown([]*Report{scenarioByName(t, "build-govulndb"), scenarioByName(t, "runtime-govulndb")}))
	golden(t, "summary-fixtures.md", Markdown([]*Report{scenarioByName(t, "runtime-fixtures")}))
	golden(t, "summary-static.md", Markdown([]*Report{scenarioByName(t, "static-govulndb")}))
}

// The same inputs give byte-identical outputs.
func TestDeterministic(t *testing.T) {
	for _, s := range scenarios {
		var first [4][]byte
		for i := 0; i < 20; i++ {
			r := s.report(t)
			j, _ := r.JSON()
			sf, _ := r.SARIF()
			out := [4][]byte{j, sf, table(t, r), Markdown([]*Report{r})}
			if i == 0 {
				first = out
				continue
			}
			for k := range out {
				if !bytes.Equal(out[k], first[k]) {
					t.Fatalf("%s: output %d differs on run %d:\n%s", s.name, k, i, firstDiff(first[k], out[k]))
				}
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := scenarioByName(t, "runtime-fixtures")
	j, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseReport(j)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.JSON()
	if !bytes.Equal(j, again) {
		t.Errorf("round trip differs:\n%s", firstDiff(j, again))
	}
	if _, err := ParseReport([]byte(`{"schemaVersion":"other"}`)); err == nil {
		t.Error("foreign schema accepted")
	}
	// Map keys are sorted; lists are never null.
	if !bytes.Contains(j, []byte(`"bySeverity": {
      "CRITICAL": 0,
      "HIGH": 3,`)) {
		t.Errorf("bySeverity not sorted:\n%s", j)
	}
	empty, _ := (&Report{SchemaVersion: SchemaVersion, Stage: "x"}).JSON()
	if bytes.Contains(empty, []byte("null")) {
		t.Errorf("empty report has nulls:\n%s", empty)
	}
}

// SARIF output parses back with go-sarif and has one rule per vulnerability
// ID and one result per finding.
func TestSARIFStructure(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r := s.report(t)
			raw, err := r.SARIF()
			if err != nil {
				t.Fatal(err)
			}
			log, err := sarif.FromBytes(raw)
			if err != nil {
				t.Fatal(err)
			}
			if log.Version != "2.1.0" || len(log.Runs) != 1 {
				t.Fatalf("version %s, %d runs", log.Version, len(log.Runs))
			}
			run := log.Runs[0]
			if run.Tool.Driver == nil || run.Tool.Driver.Name != "distill" || *run.AutomationDetails.ID != "distill/"+s.stage+"/" {
				t.Errorf("tool/automation = %+v %+v", run.Tool.Driver, run.AutomationDetails)
			}
			uniq := map[string]bool{}
			for _, f := range r.Findings {
				uniq[f.ID] = true
			}
			if len(run.Tool.Driver.Rules) != len(uniq) || len(run.Results) != len(r.Findings) {
				t.Fatalf("%d rules, %d results; want %d, %d", len(run.Tool.Driver.Rules), len(run.Results), len(uniq), len(r.Findings))
			}
			suppressed := 0
			for i, res := range run.Results {
				f := r.Findings[i]
				if res.RuleIndex == nil || run.Tool.Driver.Rules[*res.RuleIndex].ID != *res.RuleID || *res.RuleID != f.ID {
					t.Errorf("result %d: rule %v index %v", i, res.RuleID, res.RuleIndex)
				}
				if *res.Level != sarifLevel(f.Effective) {
					t.Errorf("result %d: level %s for %s", i, *res.Level, f.Effective)
				}
				if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == nil {
					t.Errorf("result %d: locations %+v", i, res.Locations)
				}
				if len(res.Suppressions) > 0 {
					suppressed++
					sp := res.Suppressions[0]
					if sp.Kind != "external" || *sp.Status != "accepted" || sp.Guid == nil || sp.Location == nil ||
						!strings.Contains(*sp.Justification, f.Suppressed.Reason) {
						t.Errorf("result %d: suppression %+v", i, sp)
					}
				}
			}
			if suppressed != r.Summary.Suppressed {
				t.Errorf("%d suppressed results, want %d", suppressed, r.Summary.Suppressed)
			}
			notes := len(r.NotChecked()) + len(r.Policy.Expired) + len(r.Policy.Invalid)
			if len(run.Invocations) != 1 || len(run.Invocations[0].ToolExecutionNotifications) != notes {
				t.Errorf("invocations %+v, want %d notifications", run.Invocations, notes)
			}
		})
	}
}

// A report never claims "0 vulnerabilities" without saying which ecosystems
// were not checked, in any format.
func TestNotCheckedIsLoud(t *testing.T) {
	r := scenarioByName(t, "static-govulndb")
	if r.Summary.Total != 0 || !r.Policy.Passed {
		t.Fatalf("fixture changed: %+v", r.Summary)
	}
	j, _ := r.JSON()
	sf, _ := r.SARIF()
	for name, out := range map[string]string{
		"table":    string(table(t, r)),
		"markdown": string(Markdown([]*Report{r})),
		"line":     Line([]*Report{r}),
		"sarif":    string(sf),
	} {
		if !strings.Contains(out, "debian") || !strings.Contains(out, "NOT CHECKED") {
			t.Errorf("%s does not say debian was NOT CHECKED:\n%s", name, out)
		}
	}
	var back struct {
		Coverage []Coverage
		Policy   struct{ NotChecked []string }
	}
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(back.Coverage, Coverage{"debian", 5, false}) || !slices.Equal(back.Policy.NotChecked, []string{"debian"}) {
		t.Errorf("JSON coverage %+v, notChecked %v", back.Coverage, back.Policy.NotChecked)
	}
}

func TestLine(t *testing.T) {
	build := scenarioByName(t, "build-govulndb")
	runtime := scenarioByName(t, "runtime-govulndb")
	static := scenarioByName(t, "static-govulndb")
	got := Line([]*Report{build, runtime})
	want := "build: 18 vulns (18 high; debian, npm, python NOT CHECKED) · " +
		"runtime: 14 vulns (14 high; 4 suppressed; debian NOT CHECKED) FAILED"
	if got != want {
		t.Errorf("Line:\n got %s\nwant %s", got, want)
	}
	if got := Line([]*Report{static}); got != "runtime: 0 vulns (debian NOT CHECKED)" {
		t.Errorf("Line = %s", got)
	}
	fx := scenarioByName(t, "runtime-fixtures")
	if got := Line([]*Report{fx}); got != "runtime: 6 vulns (3 high; 1 suppressed) FAILED" {
		t.Errorf("Line = %s", got)
	}
	// Thousands are grouped with a space.
	big := &Report{Stage: "build", Summary: Summary{Open: 1234, BySeverity: map[Severity]int{Critical: 7}}}
	if got := Line([]*Report{big}); got != "build: 1 234 vulns (7 critical)" {
		t.Errorf("Line = %s", got)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1 000", 1234567: "1 234 567", -1234: "-1 234"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
