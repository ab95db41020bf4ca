package debian

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distill-dev/distill/internal/debian/debiantest"
)

// packagesHits counts the requests for Packages indexes, plain or by hash.
func packagesHits(a *debiantest.Archive) int {
	return a.Hits("/Packages") + a.Hits("/by-hash/")
}

// IndexID reads only the InRelease files, is stable while the archive's
// Packages indexes are, and is the ID of the Index read at the same state.
func TestIndexIDStableWithoutPackages(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	c := newTestClient(t, a, key)
	ctx := context.Background()

	id, err := c.IndexID(ctx, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "sha256:") || len(id) != len("sha256:")+64 {
		t.Errorf("IndexID = %q, want sha256:<hex>", id)
	}
	if n := packagesHits(a); n != 0 {
		t.Errorf("IndexID downloaded %d Packages indexes: %v", n, a.HitCounts())
	}
	if n := a.Hits("/InRelease"); n != 3 {
		t.Errorf("IndexID made %d InRelease requests, want 3 (main, -updates, -security)", n)
	}
	again, err := c.IndexID(ctx, "bookworm")
	if err != nil || again != id {
		t.Errorf("second IndexID = %q, %v; want %q", again, err, id)
	}
	ix, err := c.Index(ctx, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if ix.ID() != id {
		t.Errorf("Index.ID() = %q, IndexID = %q", ix.ID(), id)
	}
	if NewIndex().ID() != "" {
		t.Error("NewIndex has an ID")
	}

}

// Each architecture's packages are their own archive state.
func TestIndexIDPerArchitecture(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := debiantest.NewArchive(t)
	a.Publish("/debian", "bookworm", []debiantest.Deb{
		{Package: "tool", Version: "1.0", Arch: "amd64", DataCompression: ".gz", Files: []debiantest.File{{Path: "./usr/bin/tool", Data: "amd64"}}},
		{Package: "tool", Version: "1.0", Arch: "arm64", DataCompression: ".gz", Files: []debiantest.File{{Path: "./usr/bin/tool", Data: "arm64"}}},
	}, debiantest.SuiteOptions{Signers: []*openpgp.Entity{key}, Archs: []string{"amd64", "arm64"}})
	ids := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		c, err := NewClient(Mirrors{Debian: a.URL("/debian")}, WithKeyring(debiantest.PublicKeyring(t, key)),
			WithCacheDir(t.TempDir()), WithClock(debiantest.Now), WithHTTPClient(a.HTTPClient()), WithArch(arch))
		if err != nil {
			t.Fatal(err)
		}
		if ids[arch], err = c.IndexID(context.Background(), "bookworm"); err != nil {
			t.Fatal(err)
		}
	}
	if ids["amd64"] == ids["arm64"] {
		t.Errorf("amd64 and arm64 have the same IndexID %s", ids["amd64"])
	}
}

// Republishing the same packages (a new signature, another Valid-Until)
// keeps the ID; a changed Packages index, or a suite appearing, changes it.
func TestIndexIDFollowsPackagesIndexes(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	c := newTestClient(t, a, key)
	ctx := context.Background()
	id := func() string {
		t.Helper()
		got, err := c.IndexID(ctx, "bookworm")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := id()

	security := []debiantest.Deb{{Package: "libfoo", Version: "1.0+deb12u1", DataCompression: ".zst",
		Priority: "optional", Source: "foo (1.0+deb12u1)",
		Files: []debiantest.File{{Path: "./usr/lib/"}, {Path: "./usr/lib/libfoo.so.1", Data: "patched"}}}}
	a.Publish("/debian-security", "bookworm-security", security, debiantest.SuiteOptions{
		Exts: []string{".gz"}, ListOnly: []string{".xz"}, Signers: []*openpgp.Entity{key},
		ValidUntil: debiantest.Now().Add(9 * 24 * time.Hour)})
	if got := id(); got != first {
		t.Errorf("republishing the same packages changed the ID: %s → %s", first, got)
	}

	security = append(security, debiantest.Deb{Package: "libbar", Version: "2.0", DataCompression: ".gz", Priority: "optional",
		Files: []debiantest.File{{Path: "./usr/lib/libbar.so.2", Data: "bar"}}})
	a.Publish("/debian-security", "bookworm-security", security, debiantest.SuiteOptions{
		Exts: []string{".gz"}, ListOnly: []string{".xz"}, Signers: []*openpgp.Entity{key},
		ValidUntil: debiantest.Now().Add(9 * 24 * time.Hour)})
	second := id()
	if second == first {
		t.Error("a new package in bookworm-security did not change the ID")
	}

	a.Publish("/debian", "bookworm-updates", nil, debiantest.SuiteOptions{Signers: []*openpgp.Entity{key}})
	if got := id(); got == second {
		t.Error("a bookworm-updates suite appearing did not change the ID")
	}
	if n := packagesHits(a); n != 0 {
		t.Errorf("IndexID downloaded Packages indexes: %v", a.HitCounts())
	}
}

// IndexID verifies the releases as Index does.
func TestIndexIDVerifiesReleases(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	ctx := context.Background()

	a := e2eArchive(t, key)
	rogue := debiantest.NewKey(t, "rogue")
	a.Publish("/debian-security", "bookworm-security", nil, debiantest.SuiteOptions{Signers: []*openpgp.Entity{rogue}})
	_, err := newTestClient(t, a, key).IndexID(ctx, "bookworm")
	var se *SignatureError
	if !errors.As(err, &se) || se.Reason != "unknown key" {
		t.Errorf("rogue signer: err = %v, want unknown-key *SignatureError", err)
	}

	a = e2eArchive(t, key)
	late := func() time.Time { return debiantest.Now().Add(30 * 24 * time.Hour) }
	_, err = newTestClient(t, a, key, WithClock(late)).IndexID(ctx, "bookworm")
	var ee *ReleaseExpiredError
	if !errors.As(err, &ee) {
		t.Errorf("expired release: err = %v, want *ReleaseExpiredError", err)
	}

	rel, _ := a.Get("/debian/dists/bookworm/InRelease")
	a.Put("/debian/dists/trixie/InRelease", rel)
	if _, err := newTestClient(t, a, key).IndexID(ctx, "trixie"); err == nil || !strings.Contains(err.Error(), `not "trixie"`) {
		t.Errorf("replayed codename: err = %v", err)
	}

	if _, err := newTestClient(t, a, key, WithComponents("main", "contrib")).IndexID(ctx, "bookworm"); err == nil ||
		!strings.Contains(err.Error(), "lists no contrib/binary-amd64/Packages index") {
		t.Errorf("unlisted component: err = %v", err)
	}
}
