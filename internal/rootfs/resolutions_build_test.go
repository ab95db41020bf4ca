package rootfs_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/debian/debiantest"
	"github.com/distill-dev/distill/internal/lockfile"
	"github.com/distill-dev/distill/internal/rootfs"
)

// packagesHits counts the requests for Packages indexes, plain or by hash.
// Each Assembler of a world has a Debian cache of its own, so a build that
// parses the index downloads it: no new hits means no parse.
func packagesHits(w *world) int {
	return w.archive.Hits("/Packages") + w.archive.Hits("/by-hash/")
}

func lockJSON(t *testing.T, l *lockfile.Lock) string {
	t.Helper()
	dt, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// resolutionFiles lists the resolution cache's entries.
func resolutionFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A second unlocked build of an unchanged archive takes every layer's
// packages from the resolution cache: it reads the releases only, once per
// Assembler, and gives the same image and lock.
func TestResolutionCacheSkipsTheIndex(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	first := w.assembler(rootfs.WithResolutionCache(dir))
	want := map[string]*rootfs.Result{}
	for _, fl := range []string{"static", "base", "static:debug"} {
		want[fl] = w.build(first, fl)
	}
	if packagesHits(w) == 0 {
		t.Fatal("the first build downloaded no Packages index")
	}
	if n := len(resolutionFiles(t, dir)); n != 3 {
		t.Errorf("resolution cache has %d entries, want 3 (static, base, static:debug)", n)
	}

	before, releases := packagesHits(w), w.archive.Hits("/InRelease")
	second := w.assembler(rootfs.WithResolutionCache(dir))
	for _, fl := range []string{"static", "base", "static:debug"} {
		res := w.build(second, fl)
		if d1, d2 := digest(t, want[fl].Image), digest(t, res.Image); d1 != d2 {
			t.Errorf("%s: cached resolution gave %s, the index %s", fl, d2, d1)
		}
		if !slices.Equal(res.Packages, want[fl].Packages) {
			t.Errorf("%s: cached resolution packages\n %+v, want\n %+v", fl, res.Packages, want[fl].Packages)
		}
	}
	if got := packagesHits(w); got != before {
		t.Errorf("second Assembler downloaded %d Packages indexes: %v", got-before, w.archive.HitCounts())
	}
	if got := w.archive.Hits("/InRelease") - releases; got != 3 {
		t.Errorf("second Assembler made %d InRelease requests for three builds, want 3 (one archive state read)", got)
	}
	if l1, l2 := lockJSON(t, first.Lock()), lockJSON(t, second.Lock()); l1 != l2 {
		t.Errorf("lock from cached resolutions:\n%s\nwant:\n%s", l2, l1)
	}
}

// A layer the cache lacks sends the whole image to the index, so one image
// never mixes resolutions; the missing layer is then kept.
func TestResolutionCachePartialHit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	w.build(w.assembler(rootfs.WithResolutionCache(dir)), "static")
	before := packagesHits(w)
	w.build(w.assembler(rootfs.WithResolutionCache(dir)), "base")
	if packagesHits(w) == before {
		t.Error("base with only its static layer cached read no index")
	}
	before = packagesHits(w)
	w.build(w.assembler(rootfs.WithResolutionCache(dir)), "base")
	if got := packagesHits(w); got != before {
		t.Errorf("base with both layers cached downloaded %d Packages indexes", got-before)
	}
}

// Publishing a new package version changes the archive state: the cache
// misses, the index is read again and the new version installed.
func TestResolutionCacheFollowsTheArchive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	first := w.build(w.assembler(rootfs.WithResolutionCache(dir)), "static")

	i := slices.IndexFunc(w.main, func(d debiantest.Deb) bool { return d.Package == "tzdata" })
	w.main[i].Version = "2025c-0+deb12u1"
	w.main[i].Files[len(w.main[i].Files)-1].Data = "TZif2 UTC 2025c"
	w.publish()

	before := packagesHits(w)
	a := w.assembler(rootfs.WithResolutionCache(dir))
	res := w.build(a, "static")
	if packagesHits(w) == before {
		t.Error("a build after publishing tzdata 2025c read no index")
	}
	tz := res.Packages[slices.IndexFunc(res.Packages, func(p rootfs.Installed) bool { return p.Name == "tzdata" })]
	if tz.Version != "2025c-0+deb12u1" {
		t.Errorf("tzdata %s installed, want the newly published 2025c-0+deb12u1", tz.Version)
	}
	if pinned, _ := a.Lock().Layer("linux/amd64", "static"); pinned["tzdata"].Version != tz.Version {
		t.Errorf("lock pins tzdata %s, want %s", pinned["tzdata"].Version, tz.Version)
	}
	if digest(t, res.Image) == digest(t, first.Image) {
		t.Error("the image did not change with tzdata")
	}
	if n := len(resolutionFiles(t, dir)); n != 2 {
		t.Errorf("resolution cache has %d entries, want 2 (static at two archive states)", n)
	}
}

// Unreadable entries are resolved again and replaced; an entry that reads
// well but pins other bytes still fails at the .deb checksum.
func TestResolutionCacheCorruptEntries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	want := w.build(w.assembler(rootfs.WithResolutionCache(dir)), "base")
	files := resolutionFiles(t, dir)
	if len(files) != 2 {
		t.Fatalf("resolution cache entries %q, want 2", files)
	}

	for _, corrupt := range []func(path string, dt []byte) []byte{
		func(_ string, dt []byte) []byte { return dt[:len(dt)/2] }, // truncated
		func(_ string, dt []byte) []byte {
			return []byte(strings.Replace(string(dt), `"size": `, `"size": -`, 1))
		}, // nonsense
		func(_ string, dt []byte) []byte {
			return []byte(strings.Replace(string(dt), `"layer": "`, `"layer": "x`, 1))
		},
	} {
		for _, f := range files {
			dt, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, corrupt(f, dt), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		before := packagesHits(w)
		res := w.build(w.assembler(rootfs.WithResolutionCache(dir)), "base")
		if packagesHits(w) == before {
			t.Error("a build with corrupt resolution entries read no index")
		}
		if digest(t, res.Image) != digest(t, want.Image) {
			t.Error("a build with corrupt resolution entries gave another image")
		}
		// Replaced: the next build reads no index.
		before = packagesHits(w)
		w.build(w.assembler(rootfs.WithResolutionCache(dir)), "base")
		if got := packagesHits(w); got != before {
			t.Errorf("the corrupt entries were not replaced: %d more Packages downloads", got-before)
		}
	}

	// An entry pinning another SHA-256 for tzdata.
	for _, f := range files {
		var r struct {
			Packages []map[string]any `json:"packages"`
		}
		dt, _ := os.ReadFile(f)
		if err := json.Unmarshal(dt, &r); err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Packages {
			if p["name"] == "tzdata" {
				sum := p["sha256"].(string)
				dt = []byte(strings.Replace(string(dt), sum, strings.Repeat("0", 64), 1))
				if err := os.WriteFile(f, dt, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	_, err := w.assembler(rootfs.WithResolutionCache(dir)).Build(t.Context(), rootfs.Request{Flavour: "base"})
	var ce *debian.ChecksumError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "tzdata") {
		t.Errorf("err = %v, want a *debian.ChecksumError for tzdata", err)
	}
}

// A locked build never consults the resolution cache nor the releases.
func TestResolutionCacheUnusedWhenLocked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	a := w.assembler(rootfs.WithResolutionCache(dir))
	w.build(a, "static")
	releases := w.archive.Hits("/InRelease")
	w.build(w.assembler(rootfs.WithResolutionCache(dir), rootfs.WithLock(saveAndLoad(t, a.Lock()), true)), "static")
	if got := w.archive.Hits("/InRelease"); got != releases {
		t.Errorf("a locked build read %d releases", got-releases)
	}
}
