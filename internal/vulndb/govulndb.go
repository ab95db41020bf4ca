package vulndb

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/ecosystem"
	"github.com/aquasecurity/trivy-db/pkg/types"
	trivyvulndb "github.com/aquasecurity/trivy-db/pkg/vulndb"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/osv"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/vulnerability"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/module"
	"k8s.io/utils/clock"
)

// GoVulnDBModule is the Go module that carries the Go vulnerability database as OSV
// files under data/osv.
const GoVulnDBModule = "golang.org/x/vulndb"

// DefaultGoVulnDBVersion is the golang.org/x/vulndb snapshot distill builds from by
// default. Its OSV entries have zeroed "modified" times, so the database is dated
// by this pseudo-version: 2026-11-05 23:49:57 UTC.
const DefaultGoVulnDBVersion = "v0.0.0-20261105234957-e22db6528018"

// goDataSource is trivy-db's own description of the Go database: the bucket is
// "go::The Go Vulnerability Database", as in the published trivy DB.
var goDataSource = types.DataSource{
	ID:   vulnerability.GoVulnDB,
	Name: "The Go Vulnerability Database",
	URL:  "https://pkg.go.dev/vuln/",
}

// buildStats counts what BuildFromGoVulnDB kept and skipped, for its log.
type buildStats struct {
	Entries   int // OSV files read
	Withdrawn int // entries skipped because they are withdrawn
	Toolchain int // advisories skipped because they concern the toolchain (cmd/go), not code in binaries
	Packages  int // package advisories stored (one per vulnerability ID and package)
}

// BuildFromGoVulnDB builds a trivy DB from the OSV files of a golang.org/x/vulndb
// snapshot (osvDir = <module>/data/osv) into outDir, with trivy-db's OSV parser and
// builder. Every module is kept (trivy-db's stock source keeps only stdlib and
// golang.org/x); toolchain advisories and withdrawn entries are skipped. Entries
// without CVSS keep severity UNKNOWN: the Go database has no severities and this
// function invents none.
//
// metadata.json is dated by the snapshot: the newest "modified" time among the
// entries or, when they are all zero, the time in the module's pseudo-version
// (WithModuleVersion, or read from a module cache path). It never uses the clock,
// so two builds from one snapshot write identical metadata.json and
// distill-db.json. The bbolt file is compacted.
//
// Builds in one process run one at a time: trivy-db keeps its open database in a
// package variable.
func BuildFromGoVulnDB(ctx context.Context, osvDir, outDir string, opts ...Option) (*DB, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	snap, err := scanOSV(osvDir)
	if err != nil {
		return nil, err
	}
	version := o.moduleVersion
	if version == "" {
		version = versionFromPath(osvDir)
	}
	updated := snap.modified
	if updated.IsZero() && version != "" {
		updated, _ = pseudoVersionTime(version)
	}
	if updated.IsZero() {
		return nil, fmt.Errorf("%s: cannot date the snapshot: no entry has a \"modified\" time and the %s version is unknown (give it with WithModuleVersion)", osvDir, GoVulnDBModule)
	}
	source := "go-vulndb " + osvDir
	if version != "" {
		source = "go-vulndb " + GoVulnDBModule + "@" + version
	}
	o.logf("building a trivy DB from %d OSV entries (%s), dated %s", snap.entries, source, updated.Format(time.RFC3339))

	staging, err := stage(outDir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)
	stats, err := buildTrivyDB(ctx, osvDir, staging, updated, o)
	if err != nil {
		return nil, err
	}
	stats.Entries, stats.Withdrawn = snap.entries, snap.withdrawn
	o.logf("%d package advisories from %d entries; skipped %d withdrawn entries and %d toolchain advisories",
		stats.Packages, stats.Entries, stats.Withdrawn, stats.Toolchain)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := compact(filepath.Join(staging, DBFile)); err != nil {
		return nil, err
	}
	info, err := describe(staging, source)
	if err != nil {
		return nil, err
	}
	if err := writeInfo(staging, info); err != nil {
		return nil, err
	}
	if err := install(staging, outDir); err != nil {
		return nil, fmt.Errorf("installing the database in %s: %w", outDir, err)
	}
	return &DB{Dir: outDir, Info: info}, nil
}

// snapshot is what scanOSV learns before the build.
type snapshot struct {
	entries, withdrawn int
	modified           time.Time // newest "modified"
}

// scanOSV reads every OSV file once for its dates, so that bad JSON is reported
// with its file name before any work, and so that the build is dated by its data.
func scanOSV(osvDir string) (snapshot, error) {
	var s snapshot
	err := filepath.WalkDir(osvDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var e struct {
			ID        string     `json:"id"`
			Modified  time.Time  `json:"modified"`
			Withdrawn *time.Time `json:"withdrawn"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if e.ID == "" {
			return fmt.Errorf("%s: not an OSV entry (no id)", path)
		}
		s.entries++
		if e.Withdrawn != nil {
			s.withdrawn++
		}
		if e.Modified.After(s.modified) {
			s.modified = e.Modified.UTC()
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("reading OSV entries: %w", err)
	}
	if s.entries == 0 {
		return s, fmt.Errorf("%s holds no OSV entries (*.json): give the data/osv directory of %s", osvDir, GoVulnDBModule)
	}
	return s, nil
}

// versionFromPath reads VERSION from a module cache path
// …/golang.org/x/vulndb@VERSION/data/osv; "" when osvDir is not one.
func versionFromPath(osvDir string) string {
	abs, err := filepath.Abs(osvDir)
	if err != nil {
		return ""
	}
	if filepath.Base(abs) != "osv" || filepath.Base(filepath.Dir(abs)) != "data" {
		return ""
	}
	mod := filepath.Dir(filepath.Dir(abs))
	v, ok := strings.CutPrefix(filepath.Base(mod), "vulndb@")
	if !ok || filepath.Base(filepath.Dir(mod)) != "x" || filepath.Base(filepath.Dir(filepath.Dir(mod))) != "golang.org" {
		return ""
	}
	if _, err := pseudoVersionTime(v); err != nil {
		return ""
	}
	return v
}

// pseudoVersionTime is the commit time in a pseudo-version (golang.org/x/vulndb
// has no releases).
func pseudoVersionTime(v string) (time.Time, error) {
	t, err := module.PseudoVersionTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s version %q: want a pseudo-version such as %s: %w", GoVulnDBModule, v, DefaultGoVulnDBVersion, err)
	}
	return t.UTC(), nil
}

// trivyDBMu serialises builds: trivy-db's db package holds one open database.
var trivyDBMu sync.Mutex

// buildTrivyDB runs trivy-db's builder (insert, then optimize and cleanup) with
// the Go source below, writing trivy.db and metadata.json into dir.
func buildTrivyDB(ctx context.Context, osvDir, dir string, updated time.Time, o *options) (buildStats, error) {
	trivyDBMu.Lock()
	defer trivyDBMu.Unlock()
	setTrivyDBLogger(o.logf)
	if err := ctx.Err(); err != nil {
		return buildStats{}, err
	}
	// The file is rewritten by compact, so nothing here needs to reach the disk.
	if err := db.Init(dir, db.WithBoltOptions(&bolt.Options{Timeout: 5 * time.Second, NoSync: true, NoFreelistSync: true})); err != nil {
		return buildStats{}, err
	}
	src := &goSource{stats: &buildStats{}}
	b := trivyvulndb.New(osvDir, dir, o.updateInterval,
		trivyvulndb.WithClock(fixedClock{at: updated}),
		trivyvulndb.WithVulnSrcs(map[types.SourceID]vulnsrc.VulnSrc{src.Name(): src}))
	err := b.Build([]string{string(src.Name())})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return buildStats{}, fmt.Errorf("building the trivy DB: %w", err)
	}
	return *src.stats, nil
}

// goSource is a trivy-db vulnerability source for a directory of Go OSV files.
type goSource struct{ stats *buildStats }

func (*goSource) Name() types.SourceID { return vulnerability.GoVulnDB }

// Update stores the advisories of the OSV files under dir.
func (s *goSource) Update(dir string) error {
	return osv.New(".", vulnerability.GoVulnDB, map[ecosystem.Type]types.DataSource{ecosystem.Go: goDataSource},
		osv.WithTransformer(goTransformer{stats: s.stats})).Update(dir)
}

// goTransformer is trivy-db's govulndb transformer without its module filter.
type goTransformer struct{ stats *buildStats }

// PostParseAffected records the GOOS/GOARCH an advisory is limited to, as trivy-db's
// govulndb source does (trivy's detector does not use them today).
func (goTransformer) PostParseAffected(adv osv.Advisory, affected osv.Affected) (osv.Advisory, error) {
	var oses, arches []string
	for _, imp := range affected.EcosystemSpecific.Imports {
		oses = append(oses, imp.GOOS...)
		arches = append(arches, imp.GOARCH...)
	}
	adv.OSes, adv.Arches = uniq(oses), uniq(arches)
	return adv, nil
}

// TransformAdvisories drops withdrawn entries (whatever their date, so that the
// result does not depend on when it is built) and toolchain advisories, and adds
// the entry's pkg.go.dev page as a reference. Severity is left as parsed.
func (t goTransformer) TransformAdvisories(advs []osv.Advisory, entry osv.Entry) ([]osv.Advisory, error) {
	if entry.Withdrawn != nil {
		return nil, nil
	}
	var specific struct {
		URL string `json:"url"`
	}
	if len(entry.DatabaseSpecific) > 0 {
		if err := json.Unmarshal(entry.DatabaseSpecific, &specific); err != nil {
			return nil, fmt.Errorf("%s: database_specific: %w", entry.ID, err)
		}
	}
	out := make([]osv.Advisory, 0, len(advs))
	for _, adv := range advs {
		if adv.PkgName == "toolchain" { // cmd/go: never code inside a built binary
			t.stats.Toolchain++
			continue
		}
		if specific.URL != "" {
			adv.References = append(adv.References, specific.URL)
		}
		out = append(out, adv)
	}
	// trivy-db hands them over in map order.
	slices.SortFunc(out, func(a, b osv.Advisory) int {
		return strings.Compare(a.PkgName+"\x00"+a.VulnerabilityID, b.PkgName+"\x00"+b.VulnerabilityID)
	})
	t.stats.Packages += len(out)
	return out, nil
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// fixedClock makes trivy-db date metadata.json by the snapshot instead of now.
type fixedClock struct {
	clock.RealClock
	at time.Time
}

func (c fixedClock) Now() time.Time                  { return c.at }
func (c fixedClock) Since(t time.Time) time.Duration { return c.at.Sub(t) }
