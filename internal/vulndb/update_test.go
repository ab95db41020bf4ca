package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTrivy writes a shell script that behaves like `trivy image
// --download-db-only`: it copies the database in $FAKE_TRIVY_DB into
// <cache-dir>/db and records its arguments in $FAKE_TRIVY_ARGS. With
// $FAKE_TRIVY_FAIL set it prints that and fails.
func fakeTrivy(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trivy")
	script := `#!/bin/sh
echo "$@" > "$FAKE_TRIVY_ARGS"
if [ -n "$FAKE_TRIVY_FAIL" ]; then echo "$FAKE_TRIVY_FAIL" >&2; exit 1; fi
while [ $# -gt 0 ]; do
  if [ "$1" = --cache-dir ]; then cache=$2; fi
  shift
done
echo "INFO [vulndb] Downloading vulnerability DB..."
mkdir -p "$cache/db" "$cache/fanal"
cp "$FAKE_TRIVY_DB/trivy.db" "$FAKE_TRIVY_DB/metadata.json" "$cache/db/"
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	built := filepath.Join(t.TempDir(), "built")
	if _, err := BuildFromGoVulnDB(ctx, writeOSV(t, false), built); err != nil {
		t.Fatal(err)
	}
	trivy := fakeTrivy(t)
	args := filepath.Join(t.TempDir(), "args")
	t.Setenv("FAKE_TRIVY_DB", built)
	t.Setenv("FAKE_TRIVY_ARGS", args)
	out := filepath.Join(t.TempDir(), "vulndb")

	var log []string
	db, err := Update(ctx, trivy, out, "", WithLogf(func(f string, a ...any) {
		if f == "trivy: %s" {
			log = append(log, a[0].(string))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if db.Info.Source != "trivy-db (trivy's default repository)" || db.Info.Advisories != 2 {
		t.Errorf("Info = %+v", db.Info)
	}
	got, _ := os.ReadFile(args)
	for _, want := range []string{"image --download-db-only --cache-dir ", "--skip-version-check", "--disable-telemetry"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("trivy args %q lack %q", got, want)
		}
	}
	if strings.Contains(string(got), "--db-repository") {
		t.Errorf("trivy args %q name a repository although none was given", got)
	}
	if len(log) != 1 || !strings.Contains(log[0], "Downloading vulnerability DB") {
		t.Errorf("trivy output not passed on: %q", log)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 3 {
		t.Errorf("%s holds %v, want the database files only (not trivy's fanal cache)", out, entries)
	}

	if db, err = Update(ctx, trivy, out, "127.0.0.1:5000/trivy-db:2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(args); !strings.Contains(string(got), "--db-repository 127.0.0.1:5000/trivy-db:2") {
		t.Errorf("trivy args %q lack the repository", got)
	}
	if db.Info.Source != "trivy-db 127.0.0.1:5000/trivy-db:2" {
		t.Errorf("Source = %q", db.Info.Source)
	}
}

func TestUpdateFailures(t *testing.T) {
	ctx := context.Background()
	trivy := fakeTrivy(t)
	t.Setenv("FAKE_TRIVY_ARGS", filepath.Join(t.TempDir(), "args"))
	out := filepath.Join(t.TempDir(), "vulndb")

	t.Setenv("FAKE_TRIVY_FAIL", `FATAL Fatal error run error: init error: DB error: failed to download vulnerability DB: OCI artifact error: failed to download artifact: dial tcp: lookup example.invalid: no such host`)
	_, err := Update(ctx, trivy, out, "")
	var derr *DownloadError
	if !errors.As(err, &derr) || !derr.Unreachable {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"trivy's default repository", "no such host", `"distill db build --from-go-vulndb"`, `"distill db import FILE"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	t.Setenv("FAKE_TRIVY_FAIL", "FATAL unknown flag: --download-db-only")
	_, err = Update(ctx, trivy, out, "")
	if !errors.As(err, &derr) || derr.Unreachable || !strings.Contains(err.Error(), "unknown flag") {
		t.Errorf("err = %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("failed updates left %v", entries)
	}
}

func TestFindTrivy(t *testing.T) {
	tools := t.TempDir()
	t.Setenv("DISTILL_TOOLS", tools)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := FindTrivy()
	var nf *TrivyNotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), filepath.Join(tools, "bin", "trivy")) ||
		!strings.HasSuffix(err.Error(), `PATH): run "make setup"`) {
		t.Fatalf("err = %v", err)
	}
	bin := filepath.Join(tools, "bin", "trivy")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindTrivy(); err != nil || got != bin {
		t.Errorf("FindTrivy = %q, %v; want %s", got, err, bin)
	}
}
