package vulndb

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// tarGz packs files of dir into a tar.gz at its top level, as trivy's db.tar.gz.
func tarGz(t testing.TB, dir string, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	built := filepath.Join(t.TempDir(), "built")
	if _, err := BuildFromGoVulnDB(ctx, writeOSV(t, false), built, WithModuleVersion(DefaultGoVulnDBVersion)); err != nil {
		t.Fatal(err)
	}
	check := func(name string, db *DB, wantSource string) {
		t.Helper()
		if db.Info.Source != wantSource || db.Info.Advisories != 2 || !db.Info.Covers("go") || db.Info.Schema != 2 {
			t.Errorf("%s: Info = %+v\nwant source %q", name, db.Info, wantSource)
		}
		opened, err := Open(db.Dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if opened.Info.Source != wantSource {
			t.Errorf("%s: reopened source %q", name, opened.Info.Source)
		}
		if want, got := boltContent(t, filepath.Join(built, DBFile)), boltContent(t, filepath.Join(db.Dir, DBFile)); len(want) != len(got) {
			t.Errorf("%s: %d keys imported, want %d", name, len(got), len(want))
		}
	}
	out := filepath.Join(t.TempDir(), "vulndb")

	// trivy's artifact: trivy.db and metadata.json only.
	tgz := filepath.Join(t.TempDir(), "db.tar.gz")
	if err := os.WriteFile(tgz, tarGz(t, built, DBFile, MetadataFile), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Import(ctx, tgz, out)
	if err != nil {
		t.Fatal(err)
	}
	check("tar.gz", db, "import "+tgz+" sha256:"+sha256File(t, tgz))

	// A distill database carried across: its source is kept.
	withInfo := filepath.Join(t.TempDir(), "distill-db.tar.gz")
	if err := os.WriteFile(withInfo, tarGz(t, built, DBFile, MetadataFile, InfoFile), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = Import(ctx, withInfo, out)
	if err != nil {
		t.Fatal(err)
	}
	check("tar.gz with sidecar", db, "import "+withInfo+" sha256:"+sha256File(t, withInfo)+" of go-vulndb golang.org/x/vulndb@"+DefaultGoVulnDBVersion)

	// A directory, and trivy's cache layout (<dir>/db).
	db, err = Import(ctx, built, out)
	if err != nil {
		t.Fatal(err)
	}
	check("dir", db, "import "+built+" trivy.db sha256:"+sha256File(t, filepath.Join(built, DBFile))+" of go-vulndb golang.org/x/vulndb@"+DefaultGoVulnDBVersion)
	cache := t.TempDir()
	if err := os.CopyFS(filepath.Join(cache, "db"), os.DirFS(built)); err != nil {
		t.Fatal(err)
	}
	if _, err = Import(ctx, cache, out); err != nil {
		t.Errorf("trivy cache layout: %v", err)
	}
}

func TestImportRejects(t *testing.T) {
	ctx := context.Background()
	built := filepath.Join(t.TempDir(), "built")
	if _, err := BuildFromGoVulnDB(ctx, writeOSV(t, false), built); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "vulndb")
	write := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldSchema := copyDir(t, built)
	if err := os.WriteFile(filepath.Join(oldSchema, MetadataFile), []byte(`{"Version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ src, want string }{
		"missing file":     {filepath.Join(t.TempDir(), "nope.tar.gz"), "no such file"},
		"no metadata":      {write("db.tar.gz", tarGz(t, built, DBFile)), "want trivy.db and metadata.json"},
		"not a tar":        {write("db.tar.gz", []byte("hello")), "not a tar"},
		"schema 1":         {oldSchema, "schema 1"},
		"empty directory":  {t.TempDir(), "want trivy.db and metadata.json"},
		"not bbolt in tar": {write("x.tar.gz", tarGz(t, writeFiles(t, map[string]string{DBFile: "junk", MetadataFile: `{"Version":2}`}), DBFile, MetadataFile)), "not a readable trivy database"},
	} {
		if _, err := Import(ctx, tc.src, out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed import left %s: %v", out, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("staging left behind: %v", entries)
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
