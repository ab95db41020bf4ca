package rootfs_test

import (
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/rootfs"
)

var reproFlavours = []string{"base", "static:debug", "go"}

// Equal inputs give byte-identical images; the epoch is an input.
func TestBuildIsDeterministic(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first := map[string]v1.Hash{}
	for _, fl := range reproFlavours {
		// Separate Assemblers, separate Debian caches.
		d1 := digest(t, w.build(w.assembler(), fl).Image)
		d2 := digest(t, w.build(w.assembler(), fl).Image)
		if d1 != d2 {
			t.Errorf("%s: two builds gave %s and %s", fl, d1, d2)
		}
		first[fl] = d1

		later := time.Unix(1700000000, 0).UTC()
		res := w.build(w.assembler(rootfs.WithEpoch(later)), fl)
		if d := digest(t, res.Image); d == d1 {
			t.Errorf("%s: another epoch gave the same digest %s", fl, d)
		}
		wantNormalised(t, res, later)
	}

	// The order packages appear in the archive does not matter.
	slices.Reverse(w.main)
	slices.Reverse(w.security)
	w.publish()
	for _, fl := range reproFlavours {
		if d := digest(t, w.build(w.assembler(), fl).Image); d != first[fl] {
			t.Errorf("%s: archive in another order gave %s, want %s", fl, d, first[fl])
		}
	}
}

// With a cache, a second build of the same inputs fetches no package and
// returns the cached image; another epoch is not served from the cache.
func TestBuildCache(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	store, err := ocistore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	first := w.build(w.assembler(rootfs.WithCache(store)), "base")
	fetched := w.archive.Hits(".deb")
	if fetched == 0 {
		t.Fatal("the first build fetched no .deb")
	}

	// A new Assembler with an empty Debian cache would fetch every package.
	second := w.build(w.assembler(rootfs.WithCache(store)), "base")
	if got := w.archive.Hits(".deb"); got != fetched {
		t.Errorf("cached build fetched %d .deb files", got-fetched)
	}
	if d1, d2 := digest(t, first.Image), digest(t, second.Image); d1 != d2 {
		t.Errorf("cached build gave %s, first build %s", d2, d1)
	}
	if !slices.Equal(first.Packages, second.Packages) {
		t.Errorf("cached build packages %+v, want %+v", second.Packages, first.Packages)
	}

	other := w.build(w.assembler(rootfs.WithCache(store), rootfs.WithEpoch(time.Unix(1700000000, 0))), "base")
	if w.archive.Hits(".deb") == fetched {
		t.Error("a build for another epoch was served from the cache")
	}
	if digest(t, other.Image) == digest(t, first.Image) {
		t.Error("a build for another epoch has the first build's digest")
	}
}
