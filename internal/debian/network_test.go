package debian

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/test/harness"
)

// TestRealMirrorBookworm indexes bookworm amd64 on the mirror named by the
// machine's apt sources (or $DISTILL_DEBIAN_MIRROR), resolves a small set and
// fetches it. It needs the network, so -short skips it; run it with -v to see
// the timings.
func TestRealMirrorBookworm(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the network: indexes the real Debian mirror from the apt sources")
	}
	sources, err := ReadSources("/")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ResolveMirrors("bookworm", "", "", os.Getenv, sources)
	if err != nil {
		harness.Require(t, "a Debian mirror (apt sources or DISTILL_DEBIAN_MIRROR)", err)
	}
	t.Logf("mirrors: %+v", m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cache := t.TempDir()
	opts := []Option{WithCacheDir(cache), WithLogf(t.Logf)}

	c, err := NewClient(m, opts...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ix, err := c.Index(ctx, "bookworm")
	var ee *ReleaseExpiredError
	if errors.As(err, &ee) {
		// A snapshot mirror serves archived metadata on purpose.
		t.Logf("%v; retrying with the Valid-Until check off", err)
		if c, err = NewClient(m, append(opts, WithValidUntilCheck(false))...); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		ix, err = c.Index(ctx, "bookworm")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Index (download, verify, decompress, parse; 3 suites): %s, %d package names", time.Since(start).Round(time.Millisecond), ix.Len())

	start = time.Now()
	if _, err := c.Index(ctx, "bookworm"); err != nil {
		t.Fatal(err)
	}
	t.Logf("Index again (InRelease only, indexes from cache): %s", time.Since(start).Round(time.Millisecond))

	// Time ParsePackages alone on the largest cached (decompressed) index.
	var biggest string
	var size int64
	ents, _ := os.ReadDir(filepath.Join(cache, "indexes"))
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Size() > size {
			biggest, size = filepath.Join(cache, "indexes", e.Name()), info.Size()
		}
	}
	f, err := os.Open(biggest)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	all, err := ParsePackages(f, m.Debian, "bookworm")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ParsePackages: %.1f MB, %d stanzas in %s", float64(size)/1e6, len(all), time.Since(start).Round(time.Millisecond))
	if len(all) < 50000 {
		t.Errorf("bookworm main has only %d stanzas", len(all))
	}

	req := ResolveRequest{
		Packages: []string{"libc6", "libssl3", "ca-certificates"},
		Omit:     []string{"debconf", "debconf-2.0", "openssl"},
	}
	start = time.Now()
	pkgs, err := ix.Resolve(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Resolve %v: %s in %s", req.Packages, pkgList(pkgs), time.Since(start).Round(time.Microsecond))
	got := strings.Fields(names(pkgs))
	for _, want := range []string{"ca-certificates", "libc6", "libssl3"} {
		if !slices.Contains(got, want) {
			t.Errorf("closure lacks %s", want)
		}
	}
	for _, omitted := range req.Omit {
		if slices.Contains(got, omitted) {
			t.Errorf("closure contains omitted %s", omitted)
		}
	}
	if req := ix.Required(); !slices.Contains(req, "base-files") || !slices.Contains(req, "dpkg") {
		t.Errorf("Required() = %v", req)
	}
	tz, err := ix.Resolve(ResolveRequest{Packages: []string{"ca-certificates", "tzdata", "libc6"}, Omit: req.Omit})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Resolve [ca-certificates tzdata libc6]: %s", pkgList(tz))

	start = time.Now()
	paths, err := c.FetchAll(ctx, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FetchAll %d packages: %s", len(paths), time.Since(start).Round(time.Millisecond))
	for _, p := range pkgs {
		if p.Name != "ca-certificates" {
			continue
		}
		d, err := OpenDeb(paths[p.SHA256])
		if err != nil {
			t.Fatal(err)
		}
		found := false
		if err := d.WalkData(func(h *tar.Header, _ io.Reader) error {
			found = found || h.Name == "./usr/sbin/update-ca-certificates"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Error("ca-certificates lacks ./usr/sbin/update-ca-certificates")
		}
		d.Close()
	}
}

func pkgList(pkgs []*Package) string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.String()+"@"+p.Suite)
	}
	return strings.Join(out, " ")
}
