package toolchain

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/dirhash"
)

// fakeGo writes a shell script that answers `go list -m -versions` and
// `go mod download -json` like the real go command would.
func fakeGo(t *testing.T, versions, zipPath, sum string) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
case "$1 $2" in
"list -m") echo "golang.org/toolchain ` + versions + `" ;;
"mod download") printf '{"Path":"golang.org/toolchain","Zip":"%s","Sum":"%s"}\n' "` + zipPath + `" "` + sum + `" ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`
	p := filepath.Join(dir, "go")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func testZip(t *testing.T) (string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tc.zip")
	f, _ := os.Create(p)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64/bin/go")
	w.Write([]byte("#!fake"))
	zw.Close()
	f.Close()
	sum, err := dirhash.HashZip(p, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	return p, sum
}

func TestResolvePicksNewestPatchForPlatform(t *testing.T) {
	versions := "v0.0.1-go1.26.9.linux-amd64 v0.0.1-go1.26.11.linux-amd64 v0.0.1-go1.26.12.linux-arm64 " +
		"v0.0.1-go1.26.10.linux-amd64 v0.0.1-go1.27.4.linux-amd64 v0.0.1-go1.26rc1.linux-amd64"
	f := &Fetcher{GoCmd: fakeGo(t, versions, "", "")}
	ctx := context.Background()
	for _, tc := range []struct{ want, platform, got string }{
		{"1.26", "linux/amd64", "go1.26.11"},
		{"go1.26", "linux/amd64", "go1.26.11"},
		{"1.26", "linux/arm64", "go1.26.12"},
		{"1.27", "linux/amd64", "go1.27.4"},
		{"1.21.0", "linux/amd64", "go1.21.0"},
		{"go1.26.3", "linux/amd64", "go1.26.3"},
	} {
		got, err := f.Resolve(ctx, tc.want, tc.platform)
		if err != nil || got != tc.got {
			t.Errorf("Resolve(%q, %s) = %q, %v; want %q", tc.want, tc.platform, got, err, tc.got)
		}
	}
	if _, err := f.Resolve(ctx, "1.19", "linux/amd64"); err == nil || !strings.Contains(err.Error(), "no Go 1.19 release") {
		t.Errorf("want no-release error, got %v", err)
	}
	if _, err := f.Resolve(ctx, "latest", "linux/amd64"); err == nil || !strings.Contains(err.Error(), `"latest"`) {
		t.Errorf("want a version syntax error, got %v", err)
	}
}

func TestDownloadVerifiesTheZip(t *testing.T) {
	zipPath, sum := testZip(t)
	ctx := context.Background()

	g, err := (&Fetcher{GoCmd: fakeGo(t, "", zipPath, sum)}).Download(ctx, "go1.26.11", "linux/amd64", "")
	if err != nil {
		t.Fatal(err)
	}
	if g.ModVersion != "v0.0.1-go1.26.11.linux-amd64" || g.Sum != sum || g.Zip != zipPath {
		t.Fatalf("unexpected %+v", g)
	}

	// The go command reporting another hash than the zip has.
	_, err = (&Fetcher{GoCmd: fakeGo(t, "", zipPath, "h1:AAAA")}).Download(ctx, "go1.26.11", "linux/amd64", "")
	var se *SumError
	if !errors.As(err, &se) || se.Source != "the go command" {
		t.Fatalf("want SumError from the go command, got %v", err)
	}
	// A lockfile pinning another hash.
	_, err = (&Fetcher{GoCmd: fakeGo(t, "", zipPath, sum)}).Download(ctx, "go1.26.11", "linux/amd64", "h1:BBBB")
	if !errors.As(err, &se) || se.Source != "distill.lock" || !strings.Contains(err.Error(), "h1:BBBB") {
		t.Fatalf("want SumError naming distill.lock, got %v", err)
	}
}

func TestMissingGoCommand(t *testing.T) {
	_, err := (&Fetcher{GoCmd: filepath.Join(t.TempDir(), "nope")}).Resolve(context.Background(), "1.26", "linux/amd64")
	if !errors.Is(err, ErrNoGoCommand) {
		t.Fatalf("want ErrNoGoCommand, got %v", err)
	}
}
