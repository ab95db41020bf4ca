package toolchain

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/dirhash"
)

// fakeGo writes a shell script that answers `go list -m -versions` and
// `go mod download -json` like the real go command would, and records each
// call's first two arguments in a file beside it (see goCalls).
func fakeGo(t *testing.T, versions, zipPath, sum string) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
echo "$1 $2" >> "$(dirname "$0")/calls"
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

// goCalls returns the calls a fakeGo command answered ("list -m", "mod download").
func goCalls(t *testing.T, goCmd string) []string {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(filepath.Dir(goCmd), "calls"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(dt)), "\n")
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

// Lookup reports the go command's hash without opening the zip; only
// Download hashes it, and refuses a zip that does not match.
func TestLookupDoesNotHashTheZip(t *testing.T) {
	zipPath, sum := testZip(t)
	ctx := context.Background()
	// The module cache's zip was replaced after the go command recorded its hash.
	if err := os.WriteFile(zipPath, []byte("not the zip the hash is of"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{GoCmd: fakeGo(t, "", zipPath, sum)}
	g, err := f.Lookup(ctx, "go1.26.11", "linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	want := Go{Version: "go1.26.11", Platform: "linux/amd64", ModVersion: "v0.0.1-go1.26.11.linux-amd64", Sum: sum}
	if *g != want {
		t.Errorf("Lookup = %+v, want %+v (no Zip)", *g, want)
	}
	if _, err := f.Download(ctx, "go1.26.11", "linux/amd64", sum); err == nil {
		t.Error("Download accepted a zip that does not hash to the go command's sum")
	}
	if got := goCalls(t, f.GoCmd); len(got) != 2 || got[0] != "mod download" {
		t.Errorf("go calls %q, want two mod downloads", got)
	}

	_, err = (&Fetcher{GoCmd: fakeGo(t, "", zipPath, "")}).Lookup(ctx, "go1.26.11", "linux/amd64")
	if err == nil || !strings.Contains(err.Error(), "reported zip") {
		t.Errorf("a go command reporting no hash: err = %v", err)
	}
	if _, err := f.Lookup(ctx, "go1.26.11", "linux"); err == nil {
		t.Error("Lookup accepted platform \"linux\"")
	}
}

// With a cache directory and a TTL, Resolve asks the proxy once per TTL;
// a line the kept list lacks, a stale or corrupt list, and a zero TTL ask again.
func TestResolveKeepsTheVersionList(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cache := t.TempDir()
	f := &Fetcher{
		GoCmd:       fakeGo(t, "v0.0.1-go1.26.10.linux-amd64 v0.0.1-go1.26.11.linux-amd64", "", ""),
		CacheDir:    cache,
		VersionsTTL: DefaultVersionsTTL,
		now:         func() time.Time { return now },
	}
	lists := func() int {
		n := 0
		for _, c := range goCalls(t, f.GoCmd) {
			if c == "list -m" {
				n++
			}
		}
		return n
	}
	resolve := func(want, expect string) {
		t.Helper()
		got, err := f.Resolve(ctx, want, "linux/amd64")
		if err != nil || got != expect {
			t.Fatalf("Resolve(%s) = %q, %v; want %q", want, got, err, expect)
		}
	}

	resolve("1.26", "go1.26.11")
	resolve("1.26", "go1.26.11")
	if n := lists(); n != 1 {
		t.Errorf("two resolves within the TTL listed %d times, want 1", n)
	}

	now = now.Add(DefaultVersionsTTL)
	resolve("1.26", "go1.26.11")
	if n := lists(); n != 2 {
		t.Errorf("a resolve after the TTL listed %d times in all, want 2", n)
	}

	// A line the kept list does not have is asked of the proxy.
	if _, err := f.Resolve(ctx, "1.27", "linux/amd64"); err == nil {
		t.Error("Resolve(1.27) found a release the proxy does not serve")
	}
	if n := lists(); n != 3 {
		t.Errorf("a line missing from the kept list listed %d times in all, want 3", n)
	}

	// A corrupt list is listed again and replaced.
	files, _ := filepath.Glob(filepath.Join(cache, "go-versions-*.json"))
	if len(files) != 1 {
		t.Fatalf("kept lists %q, want one", files)
	}
	if err := os.WriteFile(files[0], []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	resolve("1.26", "go1.26.11")
	resolve("1.26", "go1.26.11")
	if n := lists(); n != 4 {
		t.Errorf("after corrupting the kept list: %d lists in all, want 4", n)
	}

	// Zero TTL keeps nothing.
	f.VersionsTTL = 0
	resolve("1.26", "go1.26.11")
	resolve("1.26", "go1.26.11")
	if n := lists(); n != 6 {
		t.Errorf("with a zero TTL: %d lists in all, want 6", n)
	}
}
