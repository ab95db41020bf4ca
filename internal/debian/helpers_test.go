package debian

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)

// newTestKey generates an Ed25519 signing key created a day before testNow.
func newTestKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	return newTestKeyWith(t, &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA,
		Time:      func() time.Time { return testNow.Add(-24 * time.Hour) },
	})
}

func newTestKeyWith(t testing.TB, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("Test Archive Key", "test", "archive@example.invalid", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// publicKeyring returns the public part of the entities as a binary keyring,
// parsed back as a verifier would.
func publicKeyring(t testing.TB, es ...*openpgp.Entity) openpgp.EntityList {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	el, err := ParseKeyring("test", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return el
}

// clearsignText clearsigns text with each of the signers.
func clearsignText(t testing.TB, text string, signers ...*openpgp.Entity) []byte {
	t.Helper()
	var keys []*packet.PrivateKey
	for _, s := range signers {
		keys = append(keys, s.PrivateKey)
	}
	var buf bytes.Buffer
	cfg := &packet.Config{Time: func() time.Time { return testNow.Add(-time.Hour) }}
	w, err := clearsign.EncodeMulti(&buf, keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func compressBytes(t testing.TB, ext string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch ext {
	case "":
		return b
	case ".gz":
		w := gzip.NewWriter(&buf)
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case ".xz":
		w, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case ".zst":
		w, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown compression %q", ext)
	}
	return buf.Bytes()
}

// tarEntry is one member of a test tar; a name ending in "/" is a directory.
type tarEntry struct {
	Name, Body, Link string
	Mode             int64
}

func buildTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: e.Mode, ModTime: testNow, Format: tar.FormatGNU}
		switch {
		case strings.HasSuffix(e.Name, "/"):
			h.Typeflag = tar.TypeDir
		case e.Link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type arMember struct {
	Name string
	Data []byte
}

// buildAr writes a common-format ar archive, as dpkg-deb does.
func buildAr(members []arMember) []byte {
	var buf bytes.Buffer
	buf.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&buf, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.Name, testNow.Unix(), 0, 0, "100644", len(m.Data))
		buf.Write(m.Data)
		if len(m.Data)%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// testDeb describes a .deb to build.
type testDeb struct {
	Name, Version, Arch string
	Fields              string // extra control fields, "Key: value\n" lines
	DataExt             string // ".xz", ".zst", ".gz" or ""
	ControlExt          string // ".xz", ".gz" (default ".gz")
	Files               []tarEntry
	ControlFiles        []tarEntry // besides "control"
}

func (d testDeb) control() string {
	arch := d.Arch
	if arch == "" {
		arch = "amd64"
	}
	return fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Test <t@example.invalid>\n%sDescription: test package %s\n",
		d.Name, d.Version, arch, d.Fields, d.Name)
}

func buildDeb(t testing.TB, d testDeb) []byte {
	t.Helper()
	cext := d.ControlExt
	if cext == "" {
		cext = ".gz"
	}
	ctrl := append([]tarEntry{{Name: "./"}, {Name: "./control", Body: d.control()}}, d.ControlFiles...)
	return buildAr([]arMember{
		{"debian-binary", []byte("2.0\n")},
		{"control.tar" + cext, compressBytes(t, cext, buildTar(t, ctrl))},
		{"data.tar" + d.DataExt, compressBytes(t, d.DataExt, buildTar(t, d.Files))},
	})
}

// fakeArchive is an HTTP Debian archive in memory.
type fakeArchive struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	files map[string][]byte // URL path → content
	hits  map[string]int
}

func newFakeArchive(t testing.TB) *fakeArchive {
	a := &fakeArchive{t: t, files: map[string][]byte{}, hits: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.hits[r.URL.Path]++
		data, ok := a.files[r.URL.Path]
		a.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeArchive) put(path string, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files[path] = data
}

func (a *fakeArchive) remove(path string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.files, path)
}

func (a *fakeArchive) hitCount(substr string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for p, c := range a.hits {
		if strings.Contains(p, substr) {
			n += c
		}
	}
	return n
}

// URL returns the server URL of an archive root such as "/debian".
func (a *fakeArchive) URL(root string) string { return a.srv.URL + root }

// archivePkg is a package published in a fake suite.
type archivePkg struct {
	Deb    testDeb
	Stanza string // extra Packages fields (Depends, Priority, …)
	Pool   string // archive root the .deb lives under, e.g. "/debian"
}

// suiteOptions control how a fake suite is published.
type suiteOptions struct {
	Exts       []string // Packages compressions to publish (default .xz)
	ByHash     bool
	ValidUntil time.Time
	Signers    []*openpgp.Entity
	// ListOnly are compressions listed in Release but not served.
	ListOnly []string
	// NoPlain leaves the uncompressed Packages out of the Release.
	NoPlain bool
}

// publish writes .debs, the Packages index and a signed InRelease for suite
// under root, and returns the Packages text.
func (a *fakeArchive) publish(root, suite string, pkgs []archivePkg, o suiteOptions) string {
	t := a.t
	t.Helper()
	var sb strings.Builder
	for _, p := range pkgs {
		deb := buildDeb(t, p.Deb)
		fn := fmt.Sprintf("pool/main/%c/%s/%s_%s_%s.deb", p.Deb.Name[0], p.Deb.Name, p.Deb.Name, p.Deb.Version, archOf(p.Deb))
		a.put(root+"/"+fn, deb)
		fmt.Fprintf(&sb, "Package: %s\nVersion: %s\nArchitecture: %s\n%sFilename: %s\nSize: %d\nSHA256: %s\nDescription: test package %s\n\n",
			p.Deb.Name, p.Deb.Version, archOf(p.Deb), p.Stanza, fn, len(deb), sha256Hex(deb), p.Deb.Name)
	}
	text := sb.String()
	exts := o.Exts
	if exts == nil {
		exts = []string{".xz"}
	}
	dir := root + "/dists/" + suite + "/"
	rel := "main/binary-amd64/Packages"
	sums := map[string][]byte{rel: []byte(text)}
	for _, ext := range append(append([]string(nil), exts...), o.ListOnly...) {
		sums[rel+ext] = compressBytes(t, ext, []byte(text))
	}
	for _, ext := range exts {
		data := sums[rel+ext]
		if o.ByHash {
			a.put(dir+"main/binary-amd64/by-hash/SHA256/"+sha256Hex(data), data)
		} else {
			a.put(dir+rel+ext, data)
		}
	}
	if o.NoPlain {
		delete(sums, rel)
	}
	var names []string
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var r strings.Builder
	fmt.Fprintf(&r, "Origin: Debian\nLabel: Debian\nSuite: test-%s\nCodename: %s\nDate: %s\n",
		suite, suite, testNow.Add(-2*time.Hour).Format(time.RFC1123))
	if !o.ValidUntil.IsZero() {
		fmt.Fprintf(&r, "Valid-Until: %s\n", o.ValidUntil.Format(time.RFC1123))
	}
	if o.ByHash {
		r.WriteString("Acquire-By-Hash: yes\n")
	}
	r.WriteString("Architectures: all amd64\nComponents: main\nDescription: fake\nSHA256:\n")
	for _, n := range names {
		fmt.Fprintf(&r, " %s %8d %s\n", sha256Hex(sums[n]), len(sums[n]), n)
	}
	signers := o.Signers
	if len(signers) == 0 {
		t.Fatal("publish: no signers")
	}
	a.put(dir+"InRelease", clearsignText(t, r.String(), signers...))
	return text
}

func archOf(d testDeb) string {
	if d.Arch == "" {
		return "amd64"
	}
	return d.Arch
}
