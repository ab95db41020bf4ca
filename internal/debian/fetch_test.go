package debian

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distill-dev/distill/internal/debian/debiantest"
)

func fetchFixture(t *testing.T) (*debiantest.Archive, *Client, *Index) {
	t.Helper()
	key := debiantest.NewKey(t, "archive")
	a := debiantest.NewArchive(t)
	a.Publish("/debian", "bookworm", []debiantest.Deb{
		{Package: "hello", Version: "2.10", DataCompression: ".xz", Files: []debiantest.File{{Path: "./usr/bin/hello", Data: "hi"}}},
		{Package: "world", Version: "1.0", DataCompression: ".gz", Files: []debiantest.File{{Path: "./usr/bin/world", Data: "earth"}}},
	}, debiantest.SuiteOptions{Signers: []*openpgp.Entity{key}})
	c, err := NewClient(Mirrors{Debian: a.URL("/debian")},
		WithKeyring(debiantest.PublicKeyring(t, key)), WithCacheDir(t.TempDir()), fixedClock(), WithHTTPClient(a.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := c.Index(context.Background(), "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	return a, c, ix
}

// fixedClock pins the client clock to debiantest.Now().
func fixedClock() Option { return WithClock(debiantest.Now) }

func debsDir(t *testing.T, c *Client) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(c.CacheDir(), "debs"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestFetchChecksumMismatch(t *testing.T) {
	a, c, ix := fetchFixture(t)
	p, _ := ix.Candidate("hello")
	good, ok := a.Get("/debian/" + p.Filename)
	if !ok {
		t.Fatalf("archive does not serve %s", p.Filename)
	}

	// Same size, different bytes.
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 0xff
	a.Put("/debian/"+p.Filename, bad)
	_, err := c.Fetch(context.Background(), p)
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *ChecksumError", err)
	}
	if ce.URL != p.URL() || ce.Want != p.SHA256 || ce.Got != debiantest.SHA256(bad) || ce.GotSize != ce.WantSize {
		t.Errorf("ChecksumError = %+v", ce)
	}
	if got := debsDir(t, c); len(got) != 0 {
		t.Errorf("cache not empty after a bad download: %v", got)
	}

	// Longer than promised: refused, nothing kept.
	a.Put("/debian/"+p.Filename, append(bytes.Clone(good), 0))
	_, err = c.Fetch(context.Background(), p)
	if !errors.As(err, &ce) || ce.GotSize != p.Size+1 || !strings.Contains(err.Error(), "size") {
		t.Fatalf("err = %v, want a size mismatch", err)
	}
	if got := debsDir(t, c); len(got) != 0 {
		t.Errorf("cache not empty after a bad download: %v", got)
	}

	// FetchAll reports the failing package, not the cancellation of others.
	w, _ := ix.Candidate("world")
	_, err = c.FetchAll(context.Background(), []*Package{w, p})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "hello=2.10") {
		t.Fatalf("FetchAll err = %v", err)
	}

	// Once the mirror is fixed the package is fetched.
	a.Put("/debian/"+p.Filename, good)
	path, err := c.Fetch(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, good) {
		t.Error("cached file differs from the good download")
	}
}

func TestFetchRehashesCache(t *testing.T) {
	a, c, ix := fetchFixture(t)
	p, _ := ix.Candidate("world")
	path, err := c.Fetch(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	hits := a.Hits(".deb")
	// A cached file is used as is...
	if _, err := c.Fetch(context.Background(), p); err != nil || a.Hits(".deb") != hits {
		t.Fatalf("cached fetch: %v, hits %d → %d", err, hits, a.Hits(".deb"))
	}
	// ...unless it no longer matches, then it is downloaded again.
	if err := os.WriteFile(path, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if a.Hits(".deb") != hits+1 {
		t.Errorf("corrupt cache entry not re-downloaded")
	}
	if b, _ := os.ReadFile(path); debiantest.SHA256(b) != p.SHA256 {
		t.Error("cache entry not repaired")
	}
}

func TestFetchRejectsBadMetadata(t *testing.T) {
	_, c, ix := fetchFixture(t)
	p, _ := ix.Candidate("hello")
	q := *p
	q.SHA256 = "../../etc/passwd"
	if _, err := c.Fetch(context.Background(), &q); err == nil || !strings.Contains(err.Error(), "invalid sha256") {
		t.Errorf("bad sha256: %v", err)
	}
	q = *p
	q.Filename = "pool/../../secret"
	if _, err := c.Fetch(context.Background(), &q); err == nil || !strings.Contains(err.Error(), "invalid Filename") {
		t.Errorf("bad filename: %v", err)
	}
	q = *p
	q.Filename = "pool/missing.deb"
	var he *HTTPError
	if _, err := c.Fetch(context.Background(), &q); !errors.As(err, &he) || he.StatusCode != 404 {
		t.Errorf("missing file: %v", err)
	}
}

func TestFetchAllProgressAndDedup(t *testing.T) {
	_, c, ix := fetchFixture(t)
	logs := &logRecorder{}
	c.logf = logs.logf
	h, _ := ix.Candidate("hello")
	w, _ := ix.Candidate("world")
	paths, err := c.FetchAll(context.Background(), []*Package{h, w, h})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || paths[h.SHA256] == "" || paths[w.SHA256] == "" {
		t.Errorf("paths = %v", paths)
	}
	if s := logs.String(); !strings.Contains(s, "fetched 1/2") || !strings.Contains(s, "fetched 2/2") {
		t.Errorf("progress:\n%s", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2, _ := NewClient(c.mirrors, WithKeyring(c.keyring), WithCacheDir(t.TempDir()))
	if _, err := c2.FetchAll(ctx, []*Package{h, w}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled FetchAll: %v", err)
	}
}
