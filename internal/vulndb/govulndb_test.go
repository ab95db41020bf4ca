package vulndb

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/types"
	bolt "go.etcd.io/bbolt"
)

const goBucket = "go::The Go Vulnerability Database"

// readGoAdvisories opens a built database with trivy-db's own reader and returns
// the advisories of pkg in the Go bucket.
func readGoAdvisories(t *testing.T, dir string, pkgs ...string) (map[string][]types.Advisory, func(id string) (types.Vulnerability, error)) {
	t.Helper()
	trivyDBMu.Lock()
	defer trivyDBMu.Unlock()
	if err := trivydb.Init(dir); err != nil {
		t.Fatal(err)
	}
	defer trivydb.Close()
	dbc := trivydb.Config{}
	out := map[string][]types.Advisory{}
	for _, pkg := range pkgs {
		advs, err := dbc.GetAdvisories(goBucket, pkg)
		if err != nil {
			t.Fatalf("advisories of %s: %v", pkg, err)
		}
		out[pkg] = advs
	}
	vulns := map[string]types.Vulnerability{}
	errs := map[string]error{}
	for _, id := range []string{"CVE-2099-0001", "GO-2099-0002", "CVE-2099-0003", "CVE-2099-0004"} {
		vulns[id], errs[id] = dbc.GetVulnerability(id)
	}
	return out, func(id string) (types.Vulnerability, error) { return vulns[id], errs[id] }
}

func TestBuildFromGoVulnDB(t *testing.T) {
	osvDir := writeOSV(t, false)
	out := filepath.Join(t.TempDir(), "vulndb")
	var log []string
	db, err := BuildFromGoVulnDB(context.Background(), osvDir, out, WithLogf(func(f string, a ...any) {
		log = append(log, f)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 {
		t.Error("no progress reported")
	}

	advs, vuln := readGoAdvisories(t, out, "stdlib", "github.com/example/mod", "toolchain", "golang.org/x/text")
	if got := advs["stdlib"]; len(got) != 1 || got[0].VulnerabilityID != "CVE-2099-0001" ||
		!slices.Equal(got[0].VulnerableVersions, []string{"<1.20.8", ">=1.21.0-0, <1.21.1"}) ||
		!slices.Equal(got[0].PatchedVersions, []string{"1.20.8", "1.21.1"}) ||
		!slices.Equal(got[0].OSes, []string{"windows"}) || !slices.Equal(got[0].VendorIDs, []string{"GHSA-aaaa-bbbb-cccc", "GO-2099-0001"}) {
		t.Errorf("stdlib advisories: %+v", got)
	}
	if got := advs["github.com/example/mod"]; len(got) != 1 || got[0].VulnerabilityID != "GO-2099-0002" ||
		!slices.Equal(got[0].VulnerableVersions, []string{">=1.0.0, <1.4.1"}) {
		t.Errorf("third-party module advisories (trivy-db's stock source drops these): %+v", got)
	}
	if got := advs["toolchain"]; len(got) != 0 {
		t.Errorf("toolchain advisories kept: %+v", got)
	}
	if got := advs["golang.org/x/text"]; len(got) != 0 {
		t.Errorf("withdrawn advisory kept: %+v", got)
	}
	for _, id := range []string{"CVE-2099-0001", "GO-2099-0002"} {
		v, err := vuln(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if v.Severity != types.SeverityUnknown.String() || len(v.VendorSeverity) != 0 {
			t.Errorf("%s: severity %q %v, want UNKNOWN and no vendor severity (none invented)", id, v.Severity, v.VendorSeverity)
		}
		if !slices.Contains(v.References, "https://pkg.go.dev/vuln/"+map[string]string{"CVE-2099-0001": "GO-2099-0001", "GO-2099-0002": "GO-2099-0002"}[id]) {
			t.Errorf("%s: references %v lack the pkg.go.dev page", id, v.References)
		}
	}
	for _, id := range []string{"CVE-2099-0003", "CVE-2099-0004"} {
		if _, err := vuln(id); err == nil {
			t.Errorf("%s (toolchain or withdrawn) is in the database", id)
		}
	}

	updated := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) // the newest "modified"
	want := Info{
		Source: "go-vulndb " + osvDir, Schema: 2, UpdatedAt: updated, NextUpdate: updated.Add(24 * time.Hour),
		Ecosystems: []string{"go"}, Advisories: 2,
	}
	if !infoEqual(db.Info, want) {
		t.Errorf("Info = %+v\nwant   %+v", db.Info, want)
	}
	opened, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if !infoEqual(opened.Info, want) {
		t.Errorf("Open: Info = %+v\nwant %+v", opened.Info, want)
	}
	sidecar, err := os.ReadFile(filepath.Join(out, InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	wantSidecar := `{
  "source": "go-vulndb ` + osvDir + `",
  "schema": 2,
  "updatedAt": "2026-03-04T05:06:07Z",
  "nextUpdate": "2026-03-05T05:06:07Z",
  "ecosystems": [
    "go"
  ],
  "advisories": 2
}
`
	if string(sidecar) != wantSidecar {
		t.Errorf("%s:\n%s\nwant\n%s", InfoFile, sidecar, wantSidecar)
	}
	md, err := os.ReadFile(filepath.Join(out, MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Version":2,"NextUpdate":"2026-03-05T05:06:07Z","UpdatedAt":"2026-03-04T05:06:07Z","DownloadedAt":"0001-01-01T00:00:00Z"}` + "\n"; string(md) != want {
		t.Errorf("%s = %s, want %s", MetadataFile, md, want)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("staging left behind next to %s: %v", out, entries)
	}
}

func infoEqual(a, b Info) bool {
	return a.Source == b.Source && a.Schema == b.Schema && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.NextUpdate.Equal(b.NextUpdate) && slices.Equal(a.Ecosystems, b.Ecosystems) && a.Advisories == b.Advisories
}

// boltContent reads every key and value of a bbolt file, by bucket path.
func boltContent(t testing.TB, path string) map[string]string {
	t.Helper()
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := map[string]string{}
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(prefix+"/"+string(k), b.Bucket(k))
			}
			m[prefix+"/"+string(k)] = string(v)
			return nil
		})
	}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// Two builds from one snapshot give the same metadata.json and distill-db.json
// (no clock) and the same database content; a rebuild replaces an existing
// database in place.
func TestBuildFromGoVulnDBIsReproducible(t *testing.T) {
	osvDir := writeOSV(t, false)
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	for _, out := range []string{a, b, b} { // b twice: replacing a database
		if _, err := BuildFromGoVulnDB(context.Background(), osvDir, out); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{MetadataFile, InfoFile} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of one snapshot", name)
		}
	}
	// trivy.db holds the same keys and values; its bytes may differ, because bbolt
	// allocates pages for sibling buckets in map order.
	if x, y := boltContent(t, filepath.Join(a, DBFile)), boltContent(t, filepath.Join(b, DBFile)); !maps.Equal(x, y) {
		t.Errorf("%s content differs between two builds of one snapshot", DBFile)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 2 {
		t.Errorf("%s holds %v, want a and b only", tmp, entries)
	}
}

// The pinned snapshot has zeroed "modified" times: the pseudo-version dates it.
func TestBuildDatesBySnapshotVersion(t *testing.T) {
	osvDir := writeOSV(t, true)
	out := filepath.Join(t.TempDir(), "db")
	if _, err := BuildFromGoVulnDB(context.Background(), osvDir, out); err == nil ||
		!strings.Contains(err.Error(), "cannot date the snapshot") {
		t.Fatalf("undatable snapshot: err = %v", err)
	}
	db, err := BuildFromGoVulnDB(context.Background(), osvDir, out, WithModuleVersion(DefaultGoVulnDBVersion))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC); !db.Info.UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt = %s, want the pseudo-version's %s", db.Info.UpdatedAt, want)
	}
	if want := "go-vulndb golang.org/x/vulndb@" + DefaultGoVulnDBVersion; db.Info.Source != want {
		t.Errorf("Source = %q, want %q", db.Info.Source, want)
	}

	// A module cache path names its version.
	modDir := filepath.Join(t.TempDir(), "golang.org", "x", "vulndb@"+DefaultGoVulnDBVersion, "data", "osv")
	if err := os.MkdirAll(filepath.Dir(modDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(osvDir, modDir); err != nil {
		t.Fatal(err)
	}
	db, err = BuildFromGoVulnDB(context.Background(), modDir, out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "go-vulndb golang.org/x/vulndb@" + DefaultGoVulnDBVersion; db.Info.Source != want {
		t.Errorf("from the module cache path: Source = %q, want %q", db.Info.Source, want)
	}

	if _, err := BuildFromGoVulnDB(context.Background(), modDir, out, WithModuleVersion("v1.2.3")); err == nil {
		t.Error("a release version was accepted as a snapshot version")
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	if _, err := BuildFromGoVulnDB(ctx, empty, filepath.Join(t.TempDir(), "db")); err == nil || !strings.Contains(err.Error(), "no OSV entries") {
		t.Errorf("empty dir: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "GO-1.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildFromGoVulnDB(ctx, bad, filepath.Join(t.TempDir(), "db")); err == nil || !strings.Contains(err.Error(), "GO-1.json") {
		t.Errorf("bad JSON: %v", err)
	}
	// A directory that is not a database is never replaced.
	home := t.TempDir()
	keep := filepath.Join(home, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildFromGoVulnDB(ctx, writeOSV(t, false), home); err == nil || !strings.Contains(err.Error(), "not a vulnerability database directory") {
		t.Errorf("foreign directory: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("foreign file gone: %v", err)
	}
}
