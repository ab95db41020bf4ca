package rootfs_test

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/distill-dev/distill/internal/toolchain"
)

// fakeGo is a rootfs.Toolchains that serves one Go release, go1.26.11, from
// a small module zip, and counts resolves, lookups and downloads (the only
// call that would hash the zip).
type fakeGo struct {
	zip string

	mu        sync.Mutex
	resolves  int
	lookups   int
	downloads []string // the pinned sum asked for, "" when unpinned
}

// calls returns the resolve, lookup and download counts.
func (g *fakeGo) calls() (resolves, lookups, downloads int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.resolves, g.lookups, len(g.downloads)
}

const (
	fakeGoVersion = "go1.26.11"
	fakeGoSum     = "h1:ZmFrZSB0b29sY2hhaW4gc3VtIGZvciB0ZXN0cw=="
)

func fakeGoModVersion(platform string) string {
	v, _ := toolchain.ModVersion(fakeGoVersion, platform) // platforms here are well-formed constants
	return v
}

// fakeGoFiles are the zip entries below golang.org/toolchain@<version>/.
var fakeGoFiles = map[string]string{
	"bin/":                         "",
	"bin/go":                       "\x7fELF go",
	"bin/gofmt":                    "\x7fELF gofmt",
	"pkg/tool/linux_amd64/compile": "\x7fELF compile",
	"pkg/include/textflag.h":       "#define NOSPLIT 4\n",
	"src/x.go":                     "package x\n",
	"VERSION":                      "go1.26.11\ntime 2026-01-01T00:00:00Z\n",
}

func newFakeGo(t *testing.T) *fakeGo {
	t.Helper()
	path := filepath.Join(t.TempDir(), "toolchain.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	prefix := toolchain.GoModule + "@" + fakeGoModVersion("linux/amd64") + "/"
	for _, name := range sortedKeys(fakeGoFiles) {
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(fakeGoFiles[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return &fakeGo{zip: path}
}

func (g *fakeGo) Resolve(_ context.Context, want, platform string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.resolves++
	if want != "1.26" && want != "1.26.11" {
		return "", fmt.Errorf("fake toolchains: no Go %s", want)
	}
	return fakeGoVersion, nil
}

func (g *fakeGo) Lookup(_ context.Context, version, platform string) (*toolchain.Go, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lookups++
	if version != fakeGoVersion || platform != "linux/amd64" {
		return nil, fmt.Errorf("fake toolchains: no %s for %s", version, platform)
	}
	return &toolchain.Go{Version: version, Platform: platform, ModVersion: fakeGoModVersion(platform), Sum: fakeGoSum}, nil
}

func (g *fakeGo) Download(_ context.Context, version, platform, pinned string) (*toolchain.Go, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.downloads = append(g.downloads, pinned)
	if version != fakeGoVersion || platform != "linux/amd64" {
		return nil, fmt.Errorf("fake toolchains: no %s for %s", version, platform)
	}
	if pinned != "" && pinned != fakeGoSum {
		return nil, &toolchain.SumError{Module: toolchain.GoModule + "@" + fakeGoModVersion(platform), Want: pinned, Got: fakeGoSum, Source: "distill.lock"}
	}
	return &toolchain.Go{Version: version, Platform: platform, ModVersion: fakeGoModVersion(platform), Sum: fakeGoSum, Zip: g.zip}, nil
}
