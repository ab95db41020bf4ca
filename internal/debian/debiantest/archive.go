package debiantest

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Archive is a Debian archive in memory, served over HTTP by an httptest
// server that is closed when the test ends. It counts the requests for each
// path, so tests can assert what a client downloaded.
type Archive struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	files map[string][]byte // URL path → content
	hits  map[string]int    // URL path → requests, served or not
}

// NewArchive starts an empty archive.
func NewArchive(t testing.TB) *Archive {
	a := &Archive{t: t, files: map[string][]byte{}, hits: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *Archive) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.hits[r.URL.Path]++
	data, ok := a.files[r.URL.Path]
	a.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

// URL returns the URL of an archive root such as "/debian" (a mirror URL).
func (a *Archive) URL(root string) string { return a.srv.URL + root }

// HTTPClient returns a client for the archive's server.
func (a *Archive) HTTPClient() *http.Client { return a.srv.Client() }

// Put serves data at a URL path ("/debian/pool/main/h/hello/hello_1_amd64.deb").
func (a *Archive) Put(path string, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files[path] = data
}

// Get returns what the archive serves at a URL path.
func (a *Archive) Get(path string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, ok := a.files[path]
	return data, ok
}

// Remove stops serving a URL path; requests for it then get 404.
func (a *Archive) Remove(path string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.files, path)
}

// Hits returns how many requests were made for paths containing substr
// ("/InRelease", "/by-hash/", ".deb"), whether they were served or not.
func (a *Archive) Hits(substr string) int {
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

// HitCounts returns the number of requests per URL path, for failure messages.
func (a *Archive) HitCounts() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.hits)
}

// SuiteOptions control how Publish writes a suite.
type SuiteOptions struct {
	// Signers sign the InRelease; at least one is required.
	Signers []*openpgp.Entity
	// Archs are the architectures with a Packages index (default amd64). A
	// Deb goes into the index of its architecture; "all" ones into every index.
	Archs []string
	// Exts are the Packages compressions served (default .xz); "" is the
	// uncompressed file.
	Exts []string
	// ByHash serves the indexes under by-hash/SHA256/ only and says
	// Acquire-By-Hash: yes.
	ByHash bool
	// ValidUntil, when set, is the Release's Valid-Until.
	ValidUntil time.Time
	// ListOnly are compressions listed in the Release but not served.
	ListOnly []string
	// NoPlain leaves the uncompressed Packages out of the Release.
	NoPlain bool
}

// Publish writes a suite under root ("/debian"): each .deb at root/Filename,
// dists/<suite>/main/binary-<arch>/Packages indexes listing them, and an
// InRelease (Codename suite, Suite "test-"+suite, dated two hours before
// Now) signed by o.Signers. Publishing a suite again replaces its indexes
// and release; .debs stay served until removed.
func (a *Archive) Publish(root, suite string, debs []Deb, o SuiteOptions) {
	t := a.t
	t.Helper()
	if len(o.Signers) == 0 {
		t.Fatal("Publish: no signers")
	}
	archs := o.Archs
	if len(archs) == 0 {
		archs = []string{"amd64"}
	}
	exts := o.Exts
	if exts == nil {
		exts = []string{".xz"}
	}
	stanzas := make([]string, len(debs))
	for i, d := range debs {
		deb := BuildDeb(t, d)
		a.Put(root+"/"+d.Filename(), deb)
		stanzas[i] = packagesStanza(d, len(deb), SHA256(deb))
	}
	dir := root + "/dists/" + suite + "/"
	sums := map[string][]byte{} // Release path → content
	for _, arch := range archs {
		var text strings.Builder
		for i, d := range debs {
			if d.Architecture() == arch || d.Architecture() == "all" {
				text.WriteString(stanzas[i])
			}
		}
		rel := "main/binary-" + arch + "/Packages"
		plain := []byte(text.String())
		if !o.NoPlain {
			sums[rel] = plain
		}
		for _, ext := range append(slices.Clone(exts), o.ListOnly...) {
			if ext != "" {
				sums[rel+ext] = Compress(t, ext, plain)
			}
		}
		for _, ext := range exts {
			data := plain
			if ext != "" {
				data = sums[rel+ext]
			}
			if o.ByHash {
				a.Put(dir+"main/binary-"+arch+"/by-hash/SHA256/"+SHA256(data), data)
			} else {
				a.Put(dir+rel+ext, data)
			}
		}
	}
	var r strings.Builder
	fmt.Fprintf(&r, "Origin: Debian\nLabel: Debian\nSuite: test-%s\nCodename: %s\nDate: %s\n",
		suite, suite, Now().Add(-2*time.Hour).Format(time.RFC1123))
	if !o.ValidUntil.IsZero() {
		fmt.Fprintf(&r, "Valid-Until: %s\n", o.ValidUntil.Format(time.RFC1123))
	}
	if o.ByHash {
		r.WriteString("Acquire-By-Hash: yes\n")
	}
	fmt.Fprintf(&r, "Architectures: all %s\nComponents: main\nDescription: fake\nSHA256:\n", strings.Join(archs, " "))
	for _, n := range slices.Sorted(maps.Keys(sums)) {
		fmt.Fprintf(&r, " %s %8d %s\n", SHA256(sums[n]), len(sums[n]), n)
	}
	a.Put(dir+"InRelease", Clearsign(t, r.String(), o.Signers...))
}

// packagesStanza is d's paragraph of a Packages index.
func packagesStanza(d Deb, size int, sha256 string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\n", d.Package)
	if d.Source != "" {
		fmt.Fprintf(&b, "Source: %s\n", d.Source)
	}
	fmt.Fprintf(&b, "Version: %s\nArchitecture: %s\n%sFilename: %s\nSize: %d\nSHA256: %s\nDescription: test package %s\n\n",
		d.Version, d.Architecture(), d.fields(), d.Filename(), size, sha256, d.Package)
	return b.String()
}
