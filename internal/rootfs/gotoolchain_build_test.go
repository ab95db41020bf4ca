package rootfs_test

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/toolchain"
)

// A cached go image needs the toolchain's identity only: unlocked builds
// resolve and look it up, locked builds take it from the lock, and neither
// downloads (or hashes) the zip; an uncached build does.
func TestCachedGoImageSkipsTheZip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	store, err := ocistore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := func(what string, resolves, lookups, downloads int) {
		t.Helper()
		r, l, d := w.goTC.calls()
		if r != resolves || l != lookups || d != downloads {
			t.Errorf("%s: %d resolves, %d lookups, %d downloads in all; want %d, %d, %d", what, r, l, d, resolves, lookups, downloads)
		}
	}

	a := w.assembler(rootfs.WithCache(store))
	first := w.build(a, "go")
	want("first build", 1, 1, 1)
	if first.Toolchain.Zip == "" {
		t.Error("an assembled image's Toolchain has no Zip")
	}

	cached := w.build(w.assembler(rootfs.WithCache(store)), "go")
	want("cached unlocked build", 2, 2, 1)
	if digest(t, cached.Image) != digest(t, first.Image) {
		t.Error("cached build gave another image")
	}
	if tc := cached.Toolchain; tc == nil || tc.Zip != "" || tc.Sum != fakeGoSum || tc.Version != fakeGoVersion {
		t.Errorf("cached build's Toolchain = %+v, want go1.26.11 by its sum, no Zip", tc)
	}

	lock := saveAndLoad(t, a.Lock())
	w.build(w.assembler(rootfs.WithCache(store), rootfs.WithLock(lock, true)), "go")
	want("cached locked build", 2, 2, 1)

	later := rootfs.WithEpoch(time.Unix(1700000000, 0))
	w.build(w.assembler(rootfs.WithCache(store), later), "go")
	want("uncached unlocked build", 3, 3, 2)
	w.build(w.assembler(rootfs.WithCache(store), rootfs.WithLock(lock, true), rootfs.WithEpoch(time.Unix(1800000000, 0))), "go")
	want("uncached locked build", 3, 3, 3)
	if got := w.goTC.downloads; got[len(got)-1] != fakeGoSum || got[len(got)-2] != fakeGoSum {
		t.Errorf("downloads asked for sums %q, want each pinned to %s", got, fakeGoSum)
	}
}

// goCommand writes a fake go command that lists go1.26.11 and reports zip
// and sum for go mod download -json, as the real one does from its cache.
func goCommand(t *testing.T, zipPath, sum string) string {
	t.Helper()
	mv := fakeGoModVersion("linux/amd64")
	script := fmt.Sprintf(`#!/bin/sh
case "$1 $2" in
"list -m") echo "golang.org/toolchain %s" ;;
"mod download") printf '{"Path":"golang.org/toolchain","Version":"%s","Zip":"%s","Sum":"%s"}\n' ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`, mv, mv, zipPath, sum)
	p := filepath.Join(t.TempDir(), "go")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// With the real fetcher: a zip changed in the module cache after the go
// command recorded its hash does not matter to a cached image, which never
// opens it, and is refused when an image must be assembled from it.
func TestToolchainZipHashedWhenAssembled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zipPath := filepath.Join(t.TempDir(), "toolchain.zip")
	data, err := os.ReadFile(w.goTC.zip)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zipPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	fetcher := rootfs.WithToolchains(&toolchain.Fetcher{GoCmd: goCommand(t, zipPath, sum)})
	store, err := ocistore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := w.assembler(rootfs.WithCache(store), fetcher)
	first := w.build(a, "go")
	if first.Toolchain.Sum != sum {
		t.Fatalf("toolchain sum %s, want %s", first.Toolchain.Sum, sum)
	}
	lock := saveAndLoad(t, a.Lock())

	// Another toolchain: a valid zip of the same module with a changed go binary.
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	zf, err := zw.Create(toolchain.GoModule + "@" + fakeGoModVersion("linux/amd64") + "/bin/go")
	if err != nil {
		t.Fatal(err)
	}
	zf.Write([]byte("\x7fELF go, backdoored"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]rootfs.Option{nil, {rootfs.WithLock(lock, true)}} {
		res := w.build(w.assembler(append(opts, rootfs.WithCache(store), fetcher)...), "go")
		if digest(t, res.Image) != digest(t, first.Image) {
			t.Error("cached build gave another image")
		}
	}

	for _, opts := range [][]rootfs.Option{nil, {rootfs.WithLock(lock, true)}} {
		_, err := w.assembler(append(opts, rootfs.WithCache(store), fetcher, rootfs.WithEpoch(time.Unix(1700000000, 0)))...).
			Build(t.Context(), rootfs.Request{Flavour: "go"})
		var se *toolchain.SumError
		if !errors.As(err, &se) || se.Want != sum {
			t.Errorf("uncached build from a changed zip: err = %v, want a *toolchain.SumError wanting %s", err, sum)
		}
	}
}

// A locked build takes the toolchain's identity from the lock: a lock that
// pins no sum is refused, and a pinned sum the zip does not have fails the
// assembly.
func TestLockedToolchainSum(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	w.build(a, "go")
	for _, tc := range []struct{ sum, want string }{
		{"", "--locked: distill.lock pins Go go1.26.11 for linux/amd64"},
		{"h1:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=", "checksum mismatch: distill.lock says h1:QkJC"},
	} {
		lock := saveAndLoad(t, a.Lock())
		pinned := lock.Toolchains[fakeGoVersion]["linux/amd64"]
		pinned.Sum = tc.sum
		lock.Toolchains[fakeGoVersion]["linux/amd64"] = pinned
		_, err := w.assembler(rootfs.WithLock(lock, true)).Build(t.Context(), rootfs.Request{Flavour: "go"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lock pinning sum %q: err = %v, want %q", tc.sum, err, tc.want)
		}
	}
}
