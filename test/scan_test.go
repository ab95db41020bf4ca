package test_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
	"github.com/distill-dev/distill/test/harness"
)

// findingIDs lists a report's open finding IDs.
func findingIDs(r *scan.Report) []string {
	var ids []string
	for _, f := range r.Findings {
		if f.Suppressed == nil {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func scanOf(t *testing.T, res *pipeline.Result, label string) *scan.Report {
	t.Helper()
	for _, f := range res.Scans {
		if f.Label == label {
			return f.Report
		}
	}
	t.Fatalf("no %s scan in %+v", label, res.Scans)
	return nil
}

// TestBobsStory: the build stage carries an old Go (go1.21.0, as an old
// golang image does) while the project pins a patched toolchain in go.mod,
// which the build switches to (GOTOOLCHAIN=auto). The build stage's scan
// finds the old toolchain's standard-library vulnerabilities; the runtime,
// which ships only the binary built with go1.26.11, has none. Gating the
// runtime passes; gating the build stage fails, naming the IDs.
func TestBobsStory(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	gomod := filepath.Join(dir, "go.mod")
	mod, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(gomod, append(mod, []byte("\ntoolchain go1.26.11\n")...), 0o644)
	s, err := spec.Load(filepath.Join(dir, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Build.Go.Version = "1.21.0"
	s.Build.Env = map[string]string{"GOTOOLCHAIN": "auto"}
	s.Scan = &spec.Scan{Stages: []string{"build"}}
	reports := t.TempDir()
	ctx := context.Background()
	res, err := pipeline.BuildSpec(ctx, s, buildOpts(t, b, pipeline.Dir(dir), pipeline.ReportDir(reports))...)
	if err != nil {
		t.Fatalf("build with the runtime gated: %v", err)
	}
	runtime, build := scanOf(t, res, "runtime"), scanOf(t, res, "build")
	t.Logf("%s", scan.Line([]*scan.Report{runtime, build}))
	if ids := findingIDs(runtime); len(ids) != 0 {
		t.Errorf("the runtime has findings: %v", ids)
	}
	if !covers(runtime, "go") {
		t.Errorf("the runtime's Go packages were not checked: %+v", runtime.Coverage)
	}
	ids := findingIDs(build)
	if len(ids) < 50 {
		t.Fatalf("the build stage's scan found %d vulnerabilities, want the old toolchain's (≥ 50): %v", len(ids), ids)
	}
	stdlib121 := 0
	for _, f := range build.Findings {
		if f.Package == "stdlib" && strings.HasPrefix(f.Version, "v1.21.0") {
			stdlib121++
		}
	}
	if stdlib121 == 0 {
		t.Errorf("no finding of the go1.21.0 standard library in the build stage")
	}
	// The shipped binary was built with the pinned, patched toolchain.
	cdx, err := os.ReadFile(filepath.Join(reports, "runtime.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cdx), "pkg:golang/stdlib@v1.26.11") {
		t.Errorf("the runtime SBOM does not show a go1.26.11 binary")
	}
	for _, f := range []string{"runtime.vulns.json", "runtime.sarif", "runtime.spdx.json", "build.vulns.json", "build.sarif", "build.cdx.json", "build.spdx.json", "summary.md"} {
		if _, err := os.Stat(filepath.Join(reports, f)); err != nil {
			t.Errorf("report dir: %v", err)
		}
	}

	// The same pipeline with the build stage gated fails, naming the IDs.
	s.Policy = &spec.Policy{Stages: map[string]string{"build": "gate"}}
	_, err = pipeline.BuildSpec(ctx, s, buildOpts(t, b, pipeline.Dir(dir))...)
	var ge *scan.GateError
	if !errors.As(err, &ge) || ge.Stage != "build" || len(ge.Failing) != len(ids) {
		t.Fatalf("gating the build stage: %v", err)
	}
	mustContain(t, "gate error", err.Error(), "build: ", ids[0], "UNKNOWN→HIGH")
}

func covers(r *scan.Report, eco string) bool {
	for _, c := range r.Coverage {
		if c.Ecosystem == eco {
			return c.Checked
		}
	}
	return false
}

// TestVulnerableDependencyGate: a runtime with golang.org/x/text v0.3.5
// (known OSV entries) fails the gate; an OpenVEX not_affected statement, or
// an ignore that has not expired, lets it pass; an expired ignore fails again.
func TestVulnerableDependencyGate(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	get := exec.Command("go", "get", "golang.org/x/text@v0.3.5")
	get.Dir = dir
	get.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := get.CombinedOutput(); err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	s, err := spec.Load(filepath.Join(dir, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	build := func() error {
		_, err := pipeline.BuildSpec(ctx, s, buildOpts(t, b, pipeline.Dir(dir))...)
		return err
	}

	err = build()
	var ge *scan.GateError
	if !errors.As(err, &ge) || ge.Stage != "runtime" {
		t.Fatalf("a vulnerable dependency passed the gate: %v", err)
	}
	var ids []string
	for _, f := range ge.Failing {
		if f.Package != "golang.org/x/text" {
			t.Errorf("unexpected failing finding %s %s", f.ID, f.Package)
		}
		ids = append(ids, f.ID)
	}
	t.Logf("failing: %v", err)
	gateStopsEverything(t, b, dir, ids)

	// OpenVEX: not_affected for each finding.
	vexDoc := map[string]any{
		"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex/go-app-1",
		"author": "distill tests", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
	}
	var stmts []map[string]any
	for _, id := range ids {
		stmts = append(stmts, map[string]any{
			"vulnerability": map[string]any{"name": id},
			"products":      []map[string]any{{"@id": "pkg:golang/golang.org/x/text@v0.3.5"}},
			"status":        "not_affected", "justification": "vulnerable_code_not_in_execute_path",
		})
	}
	vexDoc["statements"] = stmts
	dt, _ := json.Marshal(vexDoc)
	os.WriteFile(filepath.Join(dir, "vex.json"), dt, 0o644)
	s.Policy = &spec.Policy{VEX: []string{"vex.json"}}
	if err := build(); err != nil {
		t.Fatalf("with the VEX document: %v", err)
	}

	// An ignore that has not expired.
	future := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	past := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	ignores := func(expires string) []spec.Ignore {
		var out []spec.Ignore
		for _, id := range ids {
			out = append(out, spec.Ignore{ID: id, Reason: "the matcher never sees attacker input", Expires: expires})
		}
		return out
	}
	s.Policy = &spec.Policy{Ignore: ignores(future)}
	if err := build(); err != nil {
		t.Fatalf("with unexpired ignores: %v", err)
	}
	s.Policy = &spec.Policy{Ignore: ignores(past)}
	err = build()
	if !errors.As(err, &ge) || len(ge.Failing) != len(ids) {
		t.Fatalf("with expired ignores the gate must fail again: %v", err)
	}
}

// gateStopsEverything runs `distill build` of project dir, whose runtime fails the
// gate on ids, asking for every output, a push, signatures and attestations: the
// command fails naming each ID, and nothing is written, pushed or signed.
func gateStopsEverything(t *testing.T, b *basesFixture, dir string, ids []string) {
	t.Helper()
	reg := harness.Registry(t)
	work := t.TempDir()
	t.Setenv("DISTILL_SIGN_PASSWORD", "gate-test")
	prefix := filepath.Join(work, "cosign")
	if log, err := runDistill(t, b, "sign", "keygen", "--output-key-prefix", prefix); err != nil {
		t.Fatalf("keygen: %v\n%s", err, log)
	}
	repo := fmt.Sprintf("%s/distill-test/gated-%d", reg, time.Now().UnixNano())
	outputs := map[string]string{
		"oci":    filepath.Join(work, "layout"),
		"docker": filepath.Join(work, "image.tar"),
		"tar":    filepath.Join(work, "image.oci.tar"),
	}
	args := []string{"build", dir, "--progress", "plain", "--lock", b.lock,
		"--push", repo + ":v1", "--sign", "--key", prefix + ".key", "--no-tlog"}
	for kind, path := range outputs {
		args = append(args, "--output", kind+":"+path)
	}
	log, err := runDistill(t, b, args...)
	if err == nil {
		t.Fatalf("distill build passed a failing gate:\n%s", log)
	}
	mustContain(t, "distill build output", log, append([]string{"runtime"}, ids...)...)
	for kind, path := range outputs {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the gate failed but the %s output %s was written (%v)", kind, path, err)
		}
	}
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	if tags, err := remote.List(r); err == nil && len(tags) > 0 {
		t.Errorf("the gate failed but %s has tags %v (an image, a signature or an attestation was pushed)", repo, tags)
	}
	if strings.Contains(log, "signing ") || strings.Contains(log, "pushed ") {
		t.Errorf("the gate failed but distill went on to sign or push:\n%s", log)
	}
}

// TestScanRunsInParallelWithTests: the runtime's scan does not wait for the
// test stage (visible in the stage timings), and the runtime SBOM accounts
// for every file a package installed in the image.
func TestScanRunsInParallelWithTests(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	editGreeting(t, dir) // a change unique to this run: nothing is cached
	s, err := spec.Load(filepath.Join(dir, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A test stage that takes a while, so the overlap does not depend on timing luck.
	s.Test.Steps = []spec.Step{{Name: "integration tests", Run: "sleep 6"}}
	reports := t.TempDir()
	res, err := pipeline.BuildSpec(context.Background(), s, buildOpts(t, b, pipeline.Dir(dir), pipeline.ReportDir(reports))...)
	if err != nil {
		t.Fatal(err)
	}
	timing := map[string]runnerStage{}
	for _, st := range res.Stages {
		timing[st.Stage] = runnerStage{st.Start, st.End}
		t.Logf("%-22s %s … %s", st.Stage, st.Start.Format("15:04:05.000"), st.End.Format("15:04:05.000"))
	}
	test, scanRT := timing["test"], timing["scan runtime"]
	if test.start.IsZero() || scanRT.start.IsZero() {
		t.Fatalf("no timings for test or scan runtime: %+v", res.Stages)
	}
	if !(scanRT.start.Before(test.end) && test.start.Before(scanRT.end)) {
		t.Errorf("the runtime scan (%v–%v) did not overlap the test stage (%v–%v)", scanRT.start, scanRT.end, test.start, test.end)
	}

	// Every file a package installed is in the image, and the SBOM names the package.
	cdx, err := os.ReadFile(filepath.Join(reports, "runtime.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	files, md5sums, err := sbom.ImageFiles(layoutImage(t, res.Layout))
	if err != nil {
		t.Fatal(err)
	}
	if err := sbom.CheckFiles(cdx, md5sums, files); err != nil {
		t.Fatal(err)
	}
	if len(md5sums) < 4 {
		t.Fatalf("only %d packages with file lists in the image", len(md5sums))
	}
	reportsNameScannerAndDB(t, reports, res)
}

// reportsNameScannerAndDB: every report of a live build records the pinned
// trivy's version and the database's source and date — the report, SARIF and
// the markdown summary alike.
func reportsNameScannerAndDB(t *testing.T, dir string, res *pipeline.Result) {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/aquasecurity/trivy")
	cmd.Dir = filepath.Join(harness.RepoRoot(t), "tools", "trivy")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if len(res.Scans) == 0 {
		t.Fatal("no scans in the result")
	}
	for _, sc := range res.Scans {
		r := sc.Report
		if r.Scanner.Name != "trivy" || strings.TrimPrefix(r.Scanner.Version, "v") != version || !strings.HasPrefix(r.Scanner.Image, "distill/trivy@sha256:") {
			t.Errorf("%s report: scanner %+v, want trivy %s from a distill/trivy image", sc.Label, r.Scanner, version)
		}
		if r.DB.Source == "" || r.DB.UpdatedAt.IsZero() {
			t.Errorf("%s report: database %+v lacks its source or date", sc.Label, r.DB)
		}
		date := r.DB.UpdatedAt.UTC().Format(time.DateOnly)
		for _, file := range []string{sc.Label + ".vulns.json", sc.Label + ".sarif", "summary.md"} {
			dt, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(dt), version) {
				t.Errorf("%s does not name trivy %s", file, version)
			}
			if !strings.Contains(string(dt), date) {
				t.Errorf("%s does not date the database (%s)", file, date)
			}
		}
	}
}

type runnerStage struct{ start, end time.Time }

// TestScanAndSBOMCommands scans an image distill built, from its OCI layout,
// with distill scan (exit 1 when --fail-on fails) and distill sbom
// (deterministic: two runs give the same bytes).
func TestScanAndSBOMCommands(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	get := exec.Command("go", "get", "golang.org/x/text@v0.3.5")
	get.Dir = dir
	get.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := get.CombinedOutput(); err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	layout := filepath.Join(t.TempDir(), "oci")
	if log, err := runDistill(t, b, "build", dir, "--progress", "quiet", "--lock", b.lock, "--fail-on", "NONE", "--output", "oci:"+layout); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	log, err := runDistill(t, b, "scan", "oci:"+layout, "--progress", "quiet")
	if err != nil {
		t.Fatalf("scan without a gate: %v\n%s", err, log)
	}
	mustContain(t, "scan table", log, "CVE-2021-38561", "golang.org/x/text", "debian: 4 packages NOT CHECKED")
	log, err = runDistill(t, b, "scan", "oci:"+layout, "--progress", "quiet", "--format", "json", "--fail-on", "HIGH")
	if err == nil {
		t.Fatalf("--fail-on HIGH passed an image with x/text v0.3.5:\n%s", log)
	}
	mustContain(t, "gate", log, `"schemaVersion": "distill.dev/scan/v1"`, "findings at or above HIGH")

	var sboms []string
	for range 2 {
		out := filepath.Join(t.TempDir(), "go-app.cdx.json")
		if log, err := runDistill(t, b, "sbom", "oci:"+layout, "--progress", "quiet", "-o", out); err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		dt, _ := os.ReadFile(out)
		sboms = append(sboms, string(dt))
	}
	if sboms[0] != sboms[1] || !strings.Contains(sboms[0], "pkg:golang/golang.org/x/text@v0.3.5") {
		t.Fatalf("distill sbom is not deterministic or misses x/text (%d, %d bytes)", len(sboms[0]), len(sboms[1]))
	}
}
