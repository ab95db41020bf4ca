package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/solver"
	"github.com/distill-dev/distill/internal/vulndb"
)

// ScanFiles are the documents one scan produced, as written to the report dir.
type ScanFiles struct {
	Label       string    // "runtime", "runtime linux/arm64", "build"
	Started     time.Time // when the scan was started and when its report arrived
	Finished    time.Time
	Report      *scan.Report
	CDX, SPDX   []byte // normalised SBOMs
	TrivyReport []byte // trivy's own JSON
}

// scans collects scan outputs as the solver delivers them and holds each
// to the policy.
type scans struct {
	env     *scanEnv
	started time.Time
	policy  scan.Policy
	now     time.Time
	multi   bool
	image   string
	scanner scan.Scanner
	db      scan.DB
	sbom    func(out solver.ScanOutput, label string) (cdx, spdx []byte, err error)

	mu    sync.Mutex
	files []ScanFiles
}

func (s *scans) onScan(_ context.Context, out solver.ScanOutput) error {
	label := out.Job.Label(s.multi)
	r, err := scan.FromTrivy(out.Report, scan.Meta{Stage: label, Image: s.image, Scanner: s.scanner, DB: s.db})
	if err != nil {
		return fmt.Errorf("scan %s: %w", label, err)
	}
	s.policy.Evaluate(r, s.now, out.Job.Gate)
	f := ScanFiles{Label: label, Report: r, TrivyReport: out.Report, Started: s.started, Finished: time.Now().UTC()}
	if s.sbom != nil {
		if f.CDX, f.SPDX, err = s.sbom(out, label); err != nil {
			return fmt.Errorf("SBOM of %s: %w", label, err)
		}
	}
	s.mu.Lock()
	s.files = append(s.files, f)
	s.mu.Unlock()
	return r.Err()
}

// gateError is the first failed gate among the scans (in report order), or
// nil. BuildKit returns the build function's errors as text; this keeps the
// typed error for callers.
func (s *scans) gateError() error {
	for _, f := range s.results() {
		if err := f.Report.Err(); err != nil {
			return err
		}
	}
	return nil
}

// results returns the scans in a stable order: runtimes by platform, then stages.
func (s *scans) results() []ScanFiles {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]ScanFiles(nil), s.files...)
	rank := func(l string) string {
		if strings.HasPrefix(l, plan.RuntimeStage) {
			return "0 " + l
		}
		return "1 " + l
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if rank(out[j].Label) < rank(out[i].Label) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// policyFrom turns the graph's policy into the scan package's, loading VEX
// documents relative to dir.
func policyFrom(p plan.Policy, dir string, extraVEX []string, failOn string) (scan.Policy, error) {
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
	for _, path := range docs {
		doc, err := scan.LoadVEX(path)
		if err != nil {
			return out, err
		}
		out.VEX = append(out.VEX, doc)
	}
	return out, out.Validate()
}

// ensureVulnDB opens the vulnerability database; when there is none it
// fetches trivy's (distill db update) and, when that cannot be reached,
// builds one from the Go vulnerability database, saying so loudly: the
// reports then say which ecosystems were not checked.
func ensureVulnDB(ctx context.Context, dir string, logf func(string, ...any)) (*vulndb.DB, error) {
	if dir == "" {
		var err error
		if dir, err = vulndb.DefaultDir(); err != nil {
			return nil, err
		}
	}
	db, err := vulndb.Open(dir)
	var nf *vulndb.NotFoundError
	if err == nil || !errors.As(err, &nf) {
		return db, err
	}
	logf("no vulnerability database in %s: fetching trivy's (distill db update)", dir)
	trivy, terr := vulndb.FindTrivy()
	if terr == nil {
		if db, err = vulndb.Update(ctx, trivy, dir, "", vulndb.WithLogf(logf)); err == nil {
			return db, nil
		}
		logf("distill db update failed: %v", err)
	}
	logf("WARNING: building the vulnerability database from the Go vulnerability database instead (distill db build --from-go-vulndb): Go modules and the standard library are checked, Debian, npm and Python packages are NOT")
	osv, err := vulndb.DownloadGoVulnDB(ctx, vulndb.DefaultGoVulnDBVersion)
	if err != nil {
		return nil, err
	}
	return vulndb.BuildFromGoVulnDB(ctx, osv, dir, vulndb.WithLogf(logf))
}

// writeReports writes each scan's documents and summary.md into dir:
// <label>.vulns.json, .sarif, .cdx.json, .spdx.json.
func writeReports(dir string, files []ScanFiles) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var reports []*scan.Report
	for _, f := range files {
		base := filepath.Join(dir, fileLabel(f.Label))
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

// fileLabel makes a scan label a file name: "runtime linux/arm64" → "runtime-linux-arm64".
func fileLabel(label string) string {
	return strings.NewReplacer(" ", "-", "/", "-").Replace(label)
}

// prepareScans sets up what the graph's scans need: the vulnerability
// database (mounted as a local context), the scanner image, the policy with
// its VEX documents, and the SBOM records of the bases distill installed.
func prepareScans(ctx context.Context, opts Options, svc *baseimage.Service, g *plan.Graph, dir string, epoch time.Time,
	bases bases, gen *llbgen.Options, so *client.SolveOpt) (*scans, error) {
	env, err := newScanEnv(ctx, svc, opts.VulnDB, opts.Logf)
	if err != nil {
		return nil, err
	}
	db := env.db
	if so.LocalMounts == nil {
		so.LocalMounts = map[string]fsutil.FS{}
	}
	so.LocalMounts[vulnDBContext] = env.dbFS
	gen.Scanner = &env.scanner
	pol, err := policyFrom(g.Policy, dir, opts.VEX, opts.FailOn)
	if err != nil {
		return nil, err
	}
	if age := db.Age(time.Now()); age > 7*24*time.Hour {
		opts.Logf("WARNING: the vulnerability database is %d days old (%s); refresh it with distill db update or distill db build", int(age.Hours()/24), db.Info.Source)
	}
	// SBOM records: the runtime of each platform is the runtime base plus the
	// artifacts; the other stages' records are their builder's packages.
	records := map[string][]sbom.Installed{}
	for k, b := range bases {
		var recs []sbom.Installed
		for _, p := range b.packages {
			recs = append(recs, sbom.Installed(p))
		}
		if k.ref == g.Runtime.Base {
			records[plan.RuntimeStage+" "+k.platform.String()] = recs
		}
	}
	s := &scans{
		env:     env,
		started: time.Now().UTC(),
		policy:  pol,
		now:     time.Now(),
		multi:   len(g.Platforms) > 1,
		image:   g.Name,
		scanner: env.scanInfo(),
		db:      env.dbInfo(),
	}
	s.sbom = func(out solver.ScanOutput, label string) ([]byte, []byte, error) {
		o := sbom.Options{Epoch: epoch, Name: g.Name, Stage: label}
		runtime := out.Job.Stage == plan.RuntimeStage
		if runtime {
			o.Installed = records[plan.RuntimeStage+" "+out.Job.Platform.String()]
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
	return s, nil
}

// scanEnv is what any scan needs: the vulnerability database (opened or
// provisioned) as a local context, and the scanner image.
type scanEnv struct {
	db      *vulndb.DB
	dbFS    fsutil.FS
	scanner llbgen.Scanner
	info    scannerInfo
}

func newScanEnv(ctx context.Context, svc *baseimage.Service, dbDir string, logf func(string, ...any)) (*scanEnv, error) {
	db, err := ensureVulnDB(ctx, dbDir, logf)
	if err != nil {
		return nil, err
	}
	_, dbState, err := vulnDB(db.Dir)
	if err != nil {
		return nil, err
	}
	dbFS, err := fsutil.NewFS(db.Dir)
	if err != nil {
		return nil, err
	}
	image, info, err := scannerImage(ctx, svc, "linux/amd64")
	if err != nil {
		return nil, err
	}
	return &scanEnv{db: db, dbFS: dbFS, scanner: llbgen.Scanner{Image: image, DB: dbState}, info: info}, nil
}

func (e *scanEnv) scanInfo() scan.Scanner {
	return scan.Scanner{Name: "trivy", Version: e.info.Version, Image: e.info.Image}
}

func (e *scanEnv) dbInfo() scan.DB {
	i := e.db.Info
	return scan.DB{Source: i.Source, Schema: i.Schema, UpdatedAt: i.UpdatedAt, Ecosystems: i.Ecosystems}
}
