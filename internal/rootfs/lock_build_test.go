package rootfs_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/debian/debiantest"
	"github.com/distill-dev/distill/internal/lockfile"
	"github.com/distill-dev/distill/internal/rootfs"
)

// indexHits counts the requests for release files and Packages indexes.
func indexHits(w *world) int {
	return w.archive.Hits("/InRelease") + w.archive.Hits("/Packages") + w.archive.Hits("/by-hash/")
}

// saveAndLoad round-trips a lock through distill.lock.
func saveAndLoad(t *testing.T, l *lockfile.Lock) *lockfile.Lock {
	t.Helper()
	path := filepath.Join(t.TempDir(), "distill.lock")
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := lockfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}

// An unlocked build pins every layer's packages; a locked build from that
// lock reads no index and gives the same image.
func TestLockPinsAndReplays(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	res := w.build(a, "base")
	lock := a.Lock()
	if lock.Debian != rootfs.Codename {
		t.Errorf("lock Debian = %q", lock.Debian)
	}
	for _, p := range res.Packages {
		pinned, err := lock.Layer("linux/amd64", p.Layer)
		if err != nil {
			t.Fatal(err)
		}
		d, root := w.deb(p.Name)
		data, _ := w.archive.Get(debPath(root, d))
		want := lockfile.Package{Version: d.Version, Architecture: d.Architecture(), Source: p.Name, SourceVersion: d.Version,
			Archive: "debian", Filename: d.Filename(), Size: int64(len(data)), SHA256: debiantest.SHA256(data)}
		if p.Name == "libssl3" {
			want.Archive, want.Source = "security", "openssl"
		}
		if got := pinned[p.Name]; got != want {
			t.Errorf("%s pinned in layer %s as\n %+v, want\n %+v", p.Name, p.Layer, got, want)
		}
	}
	for layer, n := range map[string]int{"static": 4, "base": 2} {
		if pinned, _ := lock.Layer("linux/amd64", layer); len(pinned) != n {
			t.Errorf("layer %s pins %d packages, want %d", layer, len(pinned), n)
		}
	}

	before, debsBefore := indexHits(w), w.archive.Hits(".deb")
	locked := w.build(w.assembler(rootfs.WithLock(saveAndLoad(t, lock), true)), "base")
	if got := indexHits(w); got != before {
		t.Errorf("locked build read %d release files or indexes", got-before)
	}
	if w.archive.Hits(".deb") == debsBefore {
		t.Error("locked build with an empty Debian cache fetched no .deb")
	}
	if d1, d2 := digest(t, res.Image), digest(t, locked.Image); d1 != d2 {
		t.Errorf("locked build gave %s, unlocked %s", d2, d1)
	}
	if !slices.Equal(res.Packages, locked.Packages) {
		t.Errorf("locked packages\n %+v, want\n %+v", locked.Packages, res.Packages)
	}
}

// A locked go build downloads the toolchain the lock pins, by its sum,
// without resolving the version again.
func TestLockedGoToolchain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	res := w.build(a, "go")
	resolves := w.goTC.resolves
	locked := w.build(w.assembler(rootfs.WithLock(saveAndLoad(t, a.Lock()), true)), "go")
	if w.goTC.resolves != resolves {
		t.Error("locked build resolved the Go version again")
	}
	if got := w.goTC.downloads; got[len(got)-1] != fakeGoSum {
		t.Errorf("locked build downloaded with pinned sum %q, want %q", got[len(got)-1], fakeGoSum)
	}
	if d1, d2 := digest(t, res.Image), digest(t, locked.Image); d1 != d2 {
		t.Errorf("locked build gave %s, unlocked %s", d2, d1)
	}

	// A Go release the lock does not pin.
	_, err := w.assembler(rootfs.WithLock(a.Lock(), true)).Build(t.Context(), rootfs.Request{Flavour: "go", GoVersion: "1.25"})
	if !errors.Is(err, lockfile.ErrNotLocked) || !strings.Contains(err.Error(), "Go 1.25 for linux/amd64") {
		t.Errorf("err = %v, want ErrNotLocked for Go 1.25", err)
	}
}

// lockedStatic builds static unlocked and returns its lock.
func lockedStatic(t *testing.T, w *world) *lockfile.Lock {
	t.Helper()
	a := w.assembler()
	w.build(a, "static")
	return a.Lock()
}

func TestLockedLayerMissing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lock := lockedStatic(t, w)
	_, err := w.assembler(rootfs.WithLock(lock, true)).Build(t.Context(), rootfs.Request{Flavour: "base"})
	if !errors.Is(err, lockfile.ErrNotLocked) {
		t.Fatalf("err = %v, want lockfile.ErrNotLocked", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "--locked") || !strings.Contains(msg, `layer "base"`) {
		t.Errorf("err = %q, want it to name --locked and the layer", msg)
	}
}

func TestLockedPackageGoneFromMirror(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lock := lockedStatic(t, w)
	tz, root := w.deb("tzdata")
	w.archive.Remove(debPath(root, tz))
	_, err := w.assembler(rootfs.WithLock(lock, true)).Build(t.Context(), rootfs.Request{Flavour: "static"})
	var he *debian.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 {
		t.Fatalf("err = %v, want a 404 *debian.HTTPError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "no longer has a package distill.lock pins") || !strings.Contains(msg, "tzdata") {
		t.Errorf("err = %q, want it to explain the dropped tzdata", msg)
	}
}

func TestLockedPackageOtherBytes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lock := lockedStatic(t, w)
	tz, root := w.deb("tzdata")
	rebuilt := tz
	rebuilt.Files = []debiantest.File{{Path: "./usr/share/zoneinfo/Etc/UTC", Data: "TZif2 tampered"}}
	w.archive.Put(debPath(root, tz), debiantest.BuildDeb(t, rebuilt))
	_, err := w.assembler(rootfs.WithLock(lock, true)).Build(t.Context(), rootfs.Request{Flavour: "static"})
	var ce *debian.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *debian.ChecksumError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "other bytes") || !strings.Contains(msg, "tzdata") {
		t.Errorf("err = %q, want it to explain tzdata's other bytes", msg)
	}
}
