package debian

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distill-dev/distill/internal/debian/debiantest"
)

// e2eArchive publishes a small signed archive: bookworm (by-hash, .xz) and
// bookworm-security (.gz served, .xz listed but missing); no -updates suite.
func e2eArchive(t *testing.T, key *openpgp.Entity) *debiantest.Archive {
	t.Helper()
	a := debiantest.NewArchive(t)
	a.Publish("/debian", "bookworm", []debiantest.Deb{
		{Package: "app", Version: "1.0", DataCompression: ".xz",
			Priority: "optional", PreDepends: "base-files", Depends: "libfoo (>= 1.0), mawk | awk",
			Files: []debiantest.File{
				{Path: "./"}, {Path: "./usr/"}, {Path: "./usr/bin/"},
				{Path: "./usr/bin/app", Data: "#!/bin/sh\necho app\n", Mode: 0o755},
				{Path: "./usr/bin/app2", Linkname: "app"},
			},
			Postinst: "#!/bin/sh\nexit 0\n",
			ControlFiles: []debiantest.File{
				{Path: "./md5sums", Data: "d41d8cd98f00b204e9800998ecf8427e  usr/bin/app\n"},
			}},
		{Package: "libfoo", Version: "1.0", DataCompression: ".zst", Priority: "optional",
			Files: []debiantest.File{{Path: "./usr/lib/libfoo.so.1", Data: "old"}}},
		{Package: "base-files", Version: "12.4", DataCompression: ".gz", Priority: "required", Essential: true,
			Files: []debiantest.File{{Path: "./etc/"}, {Path: "./etc/os-release", Data: "ID=debian\n"}}},
		{Package: "mawk", Version: "1.3.4", DataCompression: ".xz", ControlCompression: ".xz",
			Priority: "required", Provides: "awk",
			Files: []debiantest.File{{Path: "./usr/bin/mawk", Data: "ELF", Mode: 0o755}}},
	}, debiantest.SuiteOptions{ByHash: true, Signers: []*openpgp.Entity{key}})
	a.Publish("/debian-security", "bookworm-security", []debiantest.Deb{
		{Package: "libfoo", Version: "1.0+deb12u1", DataCompression: ".zst",
			Priority: "optional", Source: "foo (1.0+deb12u1)",
			Files: []debiantest.File{{Path: "./usr/lib/"}, {Path: "./usr/lib/libfoo.so.1", Data: "patched"}}},
	}, debiantest.SuiteOptions{Exts: []string{".gz"}, ListOnly: []string{".xz"}, Signers: []*openpgp.Entity{key},
		ValidUntil: debiantest.Now().Add(7 * 24 * time.Hour)})
	return a
}

type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newTestClient(t *testing.T, a *debiantest.Archive, key *openpgp.Entity, opts ...Option) *Client {
	t.Helper()
	base := []Option{
		WithKeyring(debiantest.PublicKeyring(t, key)),
		WithCacheDir(t.TempDir()),
		WithClock(debiantest.Now),
		WithHTTPClient(a.HTTPClient()),
	}
	c, err := NewClient(Mirrors{Debian: a.URL("/debian"), Security: a.URL("/debian-security/")}, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEndToEnd: Index → Resolve → FetchAll → OpenDeb → WalkData/ControlFile
// against a signed archive served over HTTP, with data.tar.xz, .zst and .gz.
func TestEndToEnd(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	logs := &logRecorder{}
	c := newTestClient(t, a, key, WithLogf(logs.logf))
	ctx := context.Background()

	ix, err := c.Index(ctx, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "suite bookworm-updates not found") {
		t.Errorf("missing -updates suite not reported:\n%s", logs)
	}
	if a.Hits("/by-hash/SHA256/") != 1 || a.Hits("/debian/dists/bookworm/main/binary-amd64/Packages") != 0 {
		t.Errorf("main index not fetched by hash: %v", a.HitCounts())
	}
	if a.Hits("/debian-security/dists/bookworm-security/main/binary-amd64/Packages.gz") != 1 {
		t.Errorf("security index did not fall back to .gz: %v", a.HitCounts())
	}
	lib, _ := ix.Candidate("libfoo")
	if lib.Version != "1.0+deb12u1" || lib.Suite != "bookworm-security" || lib.BaseURI != a.URL("/debian-security") ||
		lib.Source != "foo" {
		t.Errorf("libfoo candidate = %+v", lib)
	}
	if got := strings.Join(ix.Required(), " "); got != "base-files mawk" {
		t.Errorf("Required() = %s", got)
	}

	pkgs, err := ix.Resolve(ResolveRequest{Packages: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(pkgs); got != "app base-files libfoo mawk" {
		t.Fatalf("Resolve = %s", got)
	}

	paths, err := c.FetchAll(ctx, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Fatalf("FetchAll returned %d paths", len(paths))
	}
	wantComp := map[string]string{"app": ".xz", "libfoo": ".zst", "base-files": ".gz", "mawk": ".xz"}
	wantFiles := map[string]string{
		"app":        "./ ./usr/ ./usr/bin/ ./usr/bin/app ./usr/bin/app2->app",
		"libfoo":     "./usr/lib/ ./usr/lib/libfoo.so.1=patched",
		"base-files": "./etc/ ./etc/os-release=ID=debian\n",
		"mawk":       "./usr/bin/mawk=ELF",
	}
	for _, p := range pkgs {
		path := paths[p.SHA256]
		if path != filepath.Join(c.CacheDir(), "debs", p.SHA256+".deb") {
			t.Errorf("%s cached at %s", p.Name, path)
		}
		d, err := OpenDeb(path)
		if err != nil {
			t.Fatal(err)
		}
		if d.DataCompression() != wantComp[p.Name] {
			t.Errorf("%s: data compression %q", p.Name, d.DataCompression())
		}
		var entries []string
		err = d.WalkData(func(h *tar.Header, r io.Reader) error {
			e := h.Name
			switch h.Typeflag {
			case tar.TypeSymlink:
				e += "->" + h.Linkname
			case tar.TypeReg:
				b, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				if p.Name != "app" {
					e += "=" + string(b)
				} else if string(b) != "#!/bin/sh\necho app\n" || h.Mode != 0o755 {
					t.Errorf("app: %s = %q mode %o", h.Name, b, h.Mode)
				}
			}
			entries = append(entries, e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(entries, " "); got != wantFiles[p.Name] {
			t.Errorf("%s data: %q, want %q", p.Name, got, wantFiles[p.Name])
		}
		ctl, err := d.Control()
		if err != nil {
			t.Fatal(err)
		}
		if ctl.Package != p.Name || ctl.Version.String() != p.Version {
			t.Errorf("%s control: %s %s", p.Name, ctl.Package, ctl.Version)
		}
		if p.Name == "app" {
			post, err := d.ControlFile("postinst")
			if err != nil || string(post) != "#!/bin/sh\nexit 0\n" {
				t.Errorf("app postinst = %q, %v", post, err)
			}
			if _, err := d.ControlFile("conffiles"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("app conffiles: err = %v, want ErrNotExist", err)
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// A second Index downloads only the InRelease files; the second FetchAll
	// downloads nothing.
	packagesHits := a.Hits("/by-hash/") + a.Hits("/Packages")
	debHits := a.Hits(".deb")
	if _, err := c.Index(ctx, "bookworm"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FetchAll(ctx, pkgs); err != nil {
		t.Fatal(err)
	}
	if got := a.Hits("/by-hash/") + a.Hits("/Packages"); got != packagesHits {
		t.Errorf("second Index downloaded Packages again (%d → %d hits)", packagesHits, got)
	}
	if got := a.Hits(".deb"); got != debHits {
		t.Errorf("second FetchAll downloaded debs again (%d → %d hits)", debHits, got)
	}
	if got := a.Hits("/InRelease"); got != 6 {
		t.Errorf("InRelease hits = %d, want 6", got)
	}
	// The cache holds decompressed indexes and debs by SHA-256, and no
	// temporary files.
	var cached []string
	filepath.WalkDir(c.CacheDir(), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(c.CacheDir(), path)
			cached = append(cached, filepath.Dir(rel)+"/"+strings.TrimPrefix(filepath.Ext(rel), "."))
		}
		return nil
	})
	sort.Strings(cached)
	if got := strings.Join(cached, " "); got != "debs/deb debs/deb debs/deb debs/deb indexes/ indexes/" {
		t.Errorf("cache contents: %s", got)
	}
}

func TestIndexMissingMainSuite(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	c := newTestClient(t, a, key)
	_, err := c.Index(context.Background(), "trixie")
	var nf *SuiteNotFoundError
	if !errors.As(err, &nf) || nf.Suite != "trixie" {
		t.Fatalf("err = %v, want *SuiteNotFoundError for trixie", err)
	}
}

func TestIndexWithoutSecurityMirror(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	c, err := NewClient(Mirrors{Debian: a.URL("/debian")}, WithKeyring(debiantest.PublicKeyring(t, key)),
		WithCacheDir(t.TempDir()), WithClock(debiantest.Now))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := c.Index(context.Background(), "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if lib, _ := ix.Candidate("libfoo"); lib.Version != "1.0" {
		t.Errorf("libfoo = %s", lib.Version)
	}
}

func TestIndexRejectsUntrustedSecuritySuite(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	rogue := debiantest.NewKey(t, "rogue")
	a.Publish("/debian-security", "bookworm-security", nil, debiantest.SuiteOptions{Signers: []*openpgp.Entity{rogue}})
	c := newTestClient(t, a, key)
	_, err := c.Index(context.Background(), "bookworm")
	var se *SignatureError
	if !errors.As(err, &se) || se.Reason != "unknown key" {
		t.Fatalf("err = %v, want unknown-key *SignatureError", err)
	}
	if !strings.Contains(err.Error(), "/debian-security/dists/bookworm-security/InRelease") {
		t.Errorf("error does not name the file: %v", err)
	}
}

func TestIndexWrongCodename(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	// A validly signed bookworm release replayed as trixie.
	rel, _ := a.Get("/debian/dists/bookworm/InRelease")
	a.Put("/debian/dists/trixie/InRelease", rel)
	c := newTestClient(t, a, key)
	_, err := c.Index(context.Background(), "trixie")
	if err == nil || !strings.Contains(err.Error(), `release is for suite "test-bookworm" (codename "bookworm"), not "trixie"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestIndexValidUntil(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	late := func() time.Time { return debiantest.Now().Add(30 * 24 * time.Hour) }
	c := newTestClient(t, a, key, WithClock(late))
	_, err := c.Index(context.Background(), "bookworm")
	var ee *ReleaseExpiredError
	if !errors.As(err, &ee) || ee.Suite != "bookworm-security" {
		t.Fatalf("err = %v, want *ReleaseExpiredError for bookworm-security", err)
	}
	c = newTestClient(t, a, key, WithClock(late), WithValidUntilCheck(false))
	if _, err := c.Index(context.Background(), "bookworm"); err != nil {
		t.Fatalf("with the check off: %v", err)
	}
}

func TestIndexPackagesChecksumMismatch(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	// Serve another (well-formed) index in place of the signed one.
	path := "/debian-security/dists/bookworm-security/main/binary-amd64/Packages.gz"
	a.Put(path, debiantest.Compress(t, ".gz", []byte("Package: evil\nVersion: 6.6.6\n\n")))
	c := newTestClient(t, a, key)
	_, err := c.Index(context.Background(), "bookworm")
	var ce *ChecksumError
	if !errors.As(err, &ce) || !strings.HasSuffix(ce.URL, path) {
		t.Fatalf("err = %v, want *ChecksumError for %s", err, path)
	}
	ents, _ := os.ReadDir(filepath.Join(c.CacheDir(), "indexes"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestIndexCorruptCacheRedownloads(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := e2eArchive(t, key)
	c := newTestClient(t, a, key)
	ctx := context.Background()
	if _, err := c.Index(ctx, "bookworm"); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(c.CacheDir(), "indexes"))
	if err != nil || len(ents) != 2 {
		t.Fatalf("indexes: %v %v", ents, err)
	}
	for _, e := range ents {
		os.WriteFile(filepath.Join(c.CacheDir(), "indexes", e.Name()), []byte("Package: evil\nVersion: 1\n\n"), 0o644)
	}
	before := a.Hits("/by-hash/") + a.Hits("/Packages")
	ix, err := c.Index(ctx, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Candidate("evil"); ok {
		t.Fatal("corrupt cache entry was used")
	}
	// Both indexes are downloaded again, exactly as the first time.
	if got := a.Hits("/by-hash/") + a.Hits("/Packages"); got != 2*before {
		t.Errorf("Packages hits %d → %d, want %d", before, got, 2*before)
	}
}

func TestNewClientOptions(t *testing.T) {
	m := Mirrors{Debian: "http://x.example/debian"}
	for _, tc := range []struct {
		m    Mirrors
		opt  Option
		want string
	}{
		{Mirrors{}, nil, "no Debian mirror"},
		{Mirrors{Debian: "x.example/debian"}, nil, "not an http or https URL"},
		{m, WithHTTPClient(nil), "nil client"},
		{m, WithCacheDir(""), "empty directory"},
		{m, WithArch(""), "empty architecture"},
		{m, WithComponents(), "no components"},
		{m, WithKeyring(nil), "empty keyring"},
		{m, WithClock(nil), "nil clock"},
		{m, WithLogf(nil), "nil function"},
		{m, WithParallelism(0), "0 < 1"},
		{Mirrors{Debian: "http://x.example/debian", Keyring: "/nonexistent/keyring.gpg"}, nil, "loading keyring"},
	} {
		var opts []Option
		if tc.opt != nil {
			opts = append(opts, tc.opt)
		}
		opts = append(opts, WithCacheDir(t.TempDir()))
		if tc.opt != nil && strings.Contains(tc.want, "empty directory") {
			opts = opts[:1]
		}
		_, err := NewClient(tc.m, opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	c, err := NewClient(Mirrors{Debian: "http://x.example/debian/"}, WithCacheDir(t.TempDir()), WithArch("arm64"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Arch() != "arm64" || c.Mirrors().Debian != "http://x.example/debian" || len(c.keyring) == 0 {
		t.Errorf("client = %+v", c)
	}
}

// Without the uncompressed checksum in the Release, the compressed index is
// cached and decompressed on each use.
func TestIndexWithoutUncompressedChecksum(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := debiantest.NewArchive(t)
	a.Publish("/debian", "bookworm", []debiantest.Deb{
		{Package: "hello", Version: "2.10", DataCompression: ".xz"},
	}, debiantest.SuiteOptions{Exts: []string{".gz"}, NoPlain: true, Signers: []*openpgp.Entity{key}})
	c, err := NewClient(Mirrors{Debian: a.URL("/debian")}, WithKeyring(debiantest.PublicKeyring(t, key)),
		WithCacheDir(t.TempDir()), fixedClock(), WithHTTPClient(a.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ix, err := c.Index(context.Background(), "bookworm")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ix.Candidate("hello"); !ok {
			t.Fatal("hello not indexed")
		}
	}
	if got := a.Hits("/Packages.gz"); got != 1 {
		t.Errorf("Packages.gz downloaded %d times, want 1", got)
	}
	ents, _ := os.ReadDir(filepath.Join(c.CacheDir(), "indexes"))
	if len(ents) != 1 || filepath.Ext(ents[0].Name()) != ".gz" {
		t.Errorf("cache: %v", ents)
	}

	// A Release without an index for the architecture is an error.
	c, err = NewClient(Mirrors{Debian: a.URL("/debian")}, WithKeyring(debiantest.PublicKeyring(t, key)),
		WithCacheDir(t.TempDir()), fixedClock(), WithHTTPClient(a.HTTPClient()), WithComponents("contrib"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Index(context.Background(), "bookworm"); err == nil || !strings.Contains(err.Error(), "lists no contrib/binary-amd64/Packages index") {
		t.Errorf("err = %v", err)
	}
	c, err = NewClient(Mirrors{Debian: a.URL("/debian")}, WithKeyring(debiantest.PublicKeyring(t, key)),
		WithCacheDir(t.TempDir()), fixedClock(), WithHTTPClient(a.HTTPClient()), WithArch("riscv64"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Index(context.Background(), "bookworm"); err == nil || !strings.Contains(err.Error(), "has no architecture riscv64") {
		t.Errorf("err = %v", err)
	}
}

// Every listed compression missing on the mirror: the 404 is reported.
func TestIndexPackagesMissing(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	a := debiantest.NewArchive(t)
	a.Publish("/debian", "bookworm", nil, debiantest.SuiteOptions{Exts: []string{}, ListOnly: []string{".xz", ".gz"}, Signers: []*openpgp.Entity{key}})
	c, err := NewClient(Mirrors{Debian: a.URL("/debian")}, WithKeyring(debiantest.PublicKeyring(t, key)),
		WithCacheDir(t.TempDir()), fixedClock(), WithHTTPClient(a.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Index(context.Background(), "bookworm")
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 {
		t.Fatalf("err = %v, want a 404 *HTTPError", err)
	}
}
