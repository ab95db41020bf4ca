package scanrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scan"
)

// fixture is a real trivy report (internal/sbom/testdata): 2 Debian and 3 Go
// findings.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join("..", "sbom", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func TestCollectorGatesAndOrders(t *testing.T) {
	amd64, arm64 := plan.Platform{OS: "linux", Arch: "amd64"}, plan.Platform{OS: "linux", Arch: "arm64"}
	pol := scan.Policy{FailOn: scan.Low, UnknownAs: scan.High}
	c := &Collector{Policy: pol, Multi: true, Image: "go-app",
		SBOM: SBOMs("go-app", time.Unix(0, 0), nil)}
	report, cdx, spdx := fixture(t, "report.json"), fixture(t, "trivy.cdx.json"), fixture(t, "trivy.spdx.json")
	ctx := context.Background()

	// A reported stage's findings do not fail the build; a gated runtime's do.
	if err := c.OnScan(ctx, Scan{Stage: "build", Platform: amd64, Report: report, CDX: cdx, SPDX: spdx}); err != nil {
		t.Fatalf("reported stage: %v", err)
	}
	err := c.OnScan(ctx, Scan{Stage: plan.RuntimeStage, Platform: arm64, Gate: true, Report: report, CDX: cdx, SPDX: spdx})
	var ge *scan.GateError
	if !errors.As(err, &ge) || ge.Stage != "runtime linux/arm64" || len(ge.Failing) == 0 {
		t.Fatalf("gated runtime: %v", err)
	}
	if !errors.As(c.GateError(), &ge) {
		t.Errorf("GateError() = %v", c.GateError())
	}
	var labels []string
	for _, f := range c.Results() {
		labels = append(labels, f.Label)
		if len(f.CDX) == 0 || len(f.SPDX) == 0 || f.Report == nil || f.Started.IsZero() || f.Finished.Before(f.Started) {
			t.Errorf("%s: files %+v", f.Label, f)
		}
	}
	if len(labels) != 2 || labels[0] != "runtime linux/arm64" || labels[1] != "build" {
		t.Errorf("results in order %v, want runtimes first", labels)
	}
	if f, ok := c.Find("build"); !ok || f.Report.Stage != "build" {
		t.Errorf("Find(build) = %+v, %v", f, ok)
	}

	dir := t.TempDir()
	if err := WriteReports(dir, c.Results()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runtime-linux-arm64.vulns.json", "runtime-linux-arm64.sarif", "build.cdx.json", "build.spdx.json", "summary.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestPolicyFromPlan(t *testing.T) {
	vex := filepath.Join(t.TempDir(), "vex.json")
	os.WriteFile(vex, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex/1","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,
"statements":[{"vulnerability":{"name":"CVE-2021-38561"},"products":[{"@id":"pkg:golang/golang.org/x/text@v0.3.5"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`), 0o644)
	p, err := Policy(plan.Policy{FailOn: "HIGH", UnknownAs: "CRITICAL", Ignore: []plan.Ignore{{ID: "CVE-1", Reason: "r", Expires: "2026-12-31"}}},
		filepath.Dir(vex), nil, "critical", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.FailOn != scan.Critical || p.UnknownAs != scan.Critical || len(p.Ignore) != 1 || p.Ignore[0].Expires.Format(time.DateTime) != "2026-12-31 23:59:59" {
		t.Errorf("policy %+v", p)
	}
	p, err = Policy(plan.Policy{FailOn: "NONE", UnknownAs: "HIGH", VEX: []string{"vex.json"}}, filepath.Dir(vex), nil, "", nil)
	if err != nil || p.FailOn != "" || len(p.VEX) != 1 {
		t.Errorf("policy %+v, %v", p, err)
	}
	if _, err := Policy(plan.Policy{FailOn: "SEVERE", UnknownAs: "HIGH"}, "", nil, "", nil); err == nil {
		t.Error("an unknown severity was accepted")
	}
}
