package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/vulndb"
)

// testGoDB builds a one-advisory Go database (dated 2026-03-04) in a new directory.
func testGoDB(t *testing.T) string {
	t.Helper()
	osvDir := t.TempDir()
	entry := `{"id": "GO-2099-0002", "modified": "2026-03-04T05:06:07Z", "summary": "DoS in github.com/example/mod",
  "details": "x", "affected": [{"package": {"name": "github.com/example/mod", "ecosystem": "Go"},
  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.4.1"}]}]}]}`
	if err := os.WriteFile(filepath.Join(osvDir, "GO-2099-0002.json"), []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "vulndb")
	if _, err := vulndb.BuildFromGoVulnDB(context.Background(), osvDir, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDBStatusNamesWhatIsNotCovered(t *testing.T) {
	dir := testGoDB(t)
	defer func(f func() time.Time) { dbNow = f }(dbNow)

	dbNow = func() time.Time { return time.Date(2026, 3, 5, 5, 6, 7, 0, time.UTC) } // one day later
	out, err := run(t, "db", "status", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"source       go-vulndb ", "covers       go\n", "advisories   1\n", "2026-03-04 05:06:07 UTC (24h0m0s ago)",
		"WARNING: Debian packages are NOT checked by this database",
		"WARNING: npm packages are NOT checked by this database",
		"WARNING: Python packages are NOT checked by this database",
		"findings are UNKNOWN",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Go modules") || strings.Contains(out, "max-age") {
		t.Errorf("status warns about Go or age for a fresh Go database:\n%s", out)
	}

	dbNow = func() time.Time { return time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC) }
	out, err = run(t, "db", "status", "--dir", dir, "--max-age", "168h")
	if err != nil {
		t.Fatalf("a stale database must not fail status: %v", err)
	}
	if !strings.Contains(out, "WARNING: the advisories are 19 days old, older than --max-age 168h0m0s") {
		t.Errorf("no stale warning:\n%s", out)
	}
}

func TestDBStatusWithoutDatabase(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("DISTILL_CACHE", cache)
	_, err := run(t, "db", "status")
	want := `no vulnerability database in ` + filepath.Join(cache, "vulndb") + `: run "distill db build --from-go-vulndb"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestDBImportPrintsSummary(t *testing.T) {
	src := testGoDB(t)
	dir := filepath.Join(t.TempDir(), "imported")
	out, err := run(t, "--progress", "quiet", "db", "import", src, "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"database     " + dir, "source       import " + src + " trivy.db sha256:", "advisories   1", "ecosystems   go", "NOT covered  debian, npm, python", "size "} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
}

func TestDBCommandsRejectBadInputBeforeWork(t *testing.T) {
	tools := t.TempDir()
	t.Setenv("DISTILL_TOOLS", tools)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	t.Setenv("DISTILL_CACHE", t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"db", "build"}, "--from-go-vulndb"},
		{[]string{"db", "build", "--from-go-vulndb", "--vulndb-version", "v1.0.0"}, "want a pseudo-version"},
		{[]string{"db", "update"}, `trivy not found (looked in ` + filepath.Join(tools, "bin", "trivy")},
		{[]string{"db", "update"}, `run "make setup"`},
		{[]string{"db", "import"}, "accepts 1 arg"},
		{[]string{"db", "import", filepath.Join(tools, "missing.tar.gz")}, "no such file"},
		{[]string{"db", "status", "--max-age", "soon"}, "invalid argument"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
