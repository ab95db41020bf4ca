package scanrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
)

// Scan is what one scan stage produced, as a backend delivers it: trivy's
// JSON report (every package and finding), and trivy's CycloneDX and SPDX
// documents.
type Scan struct {
	Stage             string
	Platform          plan.Platform
	Gate              bool // the policy fails the build on this scan's findings
	Report, CDX, SPDX []byte
}

// Files are the documents one scan produced.
type Files struct {
	Label       string    // "runtime", "runtime linux/arm64", "build"
	Started     time.Time // when the scan was started and when its report arrived
	Finished    time.Time
	Report      *scan.Report
	CDX, SPDX   []byte // normalised SBOMs
	TrivyReport []byte // trivy's own JSON
}

// Collector holds each scan to the policy as it arrives and keeps its files.
// Set the fields, then pass OnScan to solver.Request.
type Collector struct {
	Policy  scan.Policy
	Now     time.Time // for ignore expiry; time.Now() when zero
	Multi   bool      // several platforms: runtime labels name the platform
	Image   string    // the pipeline's name, in reports
	Scanner scan.Scanner
	DB      scan.DB
	// SBOM makes the normalised SBOMs of a scan (see SBOMs); nil: none.
	SBOM func(out Scan, label string) (cdx, spdx []byte, err error)

	started time.Time
	mu      sync.Mutex
	files   []Files
}

// OnScan is a solver.Request.OnScan: it returns the failed gate, which fails
// the build before anything is exported.
func (c *Collector) OnScan(_ context.Context, out Scan) error {
	label := plan.ScanLabel(out.Stage, out.Platform, c.Multi)
	r, err := scan.FromTrivy(out.Report, scan.Meta{Stage: label, Image: c.Image, Scanner: c.Scanner, DB: c.DB})
	if err != nil {
		return fmt.Errorf("scan %s: %w", label, err)
	}
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	c.Policy.Evaluate(r, now, out.Gate)
	c.mu.Lock()
	if c.started.IsZero() {
		c.started = now.UTC()
	}
	f := Files{Label: label, Report: r, TrivyReport: out.Report, Started: c.started, Finished: time.Now().UTC()}
	c.mu.Unlock()
	if c.SBOM != nil {
		if f.CDX, f.SPDX, err = c.SBOM(out, label); err != nil {
			return fmt.Errorf("SBOM of %s: %w", label, err)
		}
	}
	c.mu.Lock()
	c.files = append(c.files, f)
	c.mu.Unlock()
	return r.Err()
}

// Start records when the scans started (reports carry it); OnScan uses the
// first report's time otherwise.
func (c *Collector) Start(t time.Time) {
	c.mu.Lock()
	c.started = t.UTC()
	c.mu.Unlock()
}

// GateError is the first failed gate among the scans (in report order), or
// nil. BuildKit returns the build function's errors as text; this keeps the
// typed error for callers.
func (c *Collector) GateError() error {
	for _, f := range c.Results() {
		if err := f.Report.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Results returns the scans in a stable order: runtimes by platform, then stages.
func (c *Collector) Results() []Files {
	c.mu.Lock()
	out := slices.Clone(c.files)
	c.mu.Unlock()
	rank := func(l string) string {
		if strings.HasPrefix(l, plan.RuntimeStage) {
			return "0 " + l
		}
		return "1 " + l
	}
	slices.SortStableFunc(out, func(a, b Files) int { return strings.Compare(rank(a.Label), rank(b.Label)) })
	return out
}

// Find returns the scan labelled label.
func (c *Collector) Find(label string) (Files, bool) {
	for _, f := range c.Results() {
		if f.Label == label {
			return f, true
		}
	}
	return Files{}, false
}

// SBOMs returns a Collector.SBOM for a pipeline: deterministic CycloneDX and
// SPDX at epoch; a runtime's SBOM is checked against records, what distill
// installed into each runtime base ("runtime linux/amd64" → packages).
func SBOMs(name string, epoch time.Time, records map[string][]sbom.Installed) func(Scan, string) ([]byte, []byte, error) {
	return func(out Scan, label string) ([]byte, []byte, error) {
		o := sbom.Options{Epoch: epoch, Name: name, Stage: label}
		runtime := out.Stage == plan.RuntimeStage
		if runtime {
			o.Installed = records[plan.RuntimeStage+" "+out.Platform.String()]
		}
		cdx, err := sbom.CycloneDX(out.CDX, o)
		if err != nil {
			return nil, nil, err
		}
		spdx, err := sbom.SPDX(out.SPDX, o)
		if err != nil {
			return nil, nil, err
		}
		// The runtime SBOM accounts for every package distill installed, and
		// for nothing else from Debian: a mismatch is a bug, not a finding.
		if runtime && len(o.Installed) > 0 {
			if err := sbom.CheckComplete(cdx, o.Installed); err != nil {
				return nil, nil, err
			}
		}
		return cdx, spdx, nil
	}
}

// Policy turns the graph's policy into the scan package's, loading VEX
// documents relative to dir with loadVEX (scan.LoadVEX when nil; the frontend
// reads them from the build context).
func Policy(p plan.Policy, dir string, extraVEX []string, failOn string, loadVEX func(string) (*vex.VEX, error)) (scan.Policy, error) {
	var out scan.Policy
	if failOn != "" {
		p.FailOn = failOn
	}
	if p.FailOn != "NONE" {
		sev, err := scan.ParseSeverity(p.FailOn)
		if err != nil {
			return out, fmt.Errorf("policy failOn: %w", err)
		}
		out.FailOn = sev
	}
	sev, err := scan.ParseSeverity(p.UnknownAs)
	if err != nil {
		return out, fmt.Errorf("policy unknownAs: %w", err)
	}
	out.UnknownAs, out.FixedOnly = sev, p.FixedOnly
	for i, ig := range p.Ignore {
		entry := scan.Ignore{ID: ig.ID, Package: ig.Package, Reason: ig.Reason, Source: fmt.Sprintf("policy.ignore[%d]", i)}
		if ig.Expires != "" {
			t, err := time.Parse(time.DateOnly, ig.Expires)
			if err != nil {
				return out, fmt.Errorf("policy.ignore[%d].expires: %w", i, err)
			}
			entry.Expires = t.Add(24*time.Hour - time.Second) // the whole last day counts
		}
		out.Ignore = append(out.Ignore, entry)
	}
	var docs []string
	for _, v := range p.VEX {
		docs = append(docs, filepath.Join(dir, filepath.FromSlash(v)))
	}
	docs = append(docs, extraVEX...)
	if loadVEX == nil {
		loadVEX = scan.LoadVEX
	}
	for _, path := range docs {
		doc, err := loadVEX(path)
		if err != nil {
			return out, err
		}
		out.VEX = append(out.VEX, doc)
	}
	return out, out.Validate()
}

// WriteReports writes each scan's documents and summary.md into dir:
// <label>.vulns.json, .sarif, .cdx.json, .spdx.json.
func WriteReports(dir string, files []Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var reports []*scan.Report
	for _, f := range files {
		base := filepath.Join(dir, FileLabel(f.Label))
		js, err := f.Report.JSON()
		if err != nil {
			return err
		}
		sarif, err := f.Report.SARIF()
		if err != nil {
			return err
		}
		for name, dt := range map[string][]byte{".vulns.json": js, ".sarif": sarif, ".cdx.json": f.CDX, ".spdx.json": f.SPDX} {
			if dt == nil {
				continue
			}
			if err := os.WriteFile(base+name, dt, 0o644); err != nil {
				return err
			}
		}
		reports = append(reports, f.Report)
	}
	return os.WriteFile(filepath.Join(dir, "summary.md"), scan.Markdown(reports), 0o644)
}

// FileLabel makes a scan label a file name: "runtime linux/arm64" → "runtime-linux-arm64".
func FileLabel(label string) string {
	return strings.NewReplacer(" ", "-", "/", "-").Replace(label)
}
