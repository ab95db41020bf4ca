package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"
)

// testRegistry is ggcr's in-memory registry (with the OCI 1.1 referrers
// API) on 127.0.0.1, behind a handler that records what is written and can
// fail requests of one kind.
type testRegistry struct {
	host string

	mu     sync.Mutex
	bodies [][]byte // every request body sent to the registry
	fault  *fault
	counts map[string]int
}

// fault fails requests of a kind from the nth on, until cleared.
type fault struct {
	kind string // see requestKind
	tag  string // for kind "tag": the tag's name
	n    int
	drop bool // close the connection instead of answering 500
	hits int
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{counts: map[string]int{}}
	reg := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		if r.intercept(w, req, body) {
			return
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// intercept records the request and applies the fault, if any; it reports
// whether it answered the request.
func (r *testRegistry) intercept(w http.ResponseWriter, req *http.Request, body []byte) bool {
	r.mu.Lock()
	if len(body) > 0 {
		r.bodies = append(r.bodies, body)
	}
	kind := requestKind(req, body)
	r.counts[kind]++
	f := r.fault
	hit := false
	if f != nil && f.kind == kind && (kind != "tag" || strings.HasSuffix(req.URL.Path, "/manifests/"+f.tag)) {
		f.hits++
		hit = f.hits >= f.n
	}
	r.mu.Unlock()
	if !hit {
		return false
	}
	if f.drop {
		hj, ok := w.(http.Hijacker)
		if ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
	}
	http.Error(w, "injected fault", http.StatusInternalServerError)
	return true
}

// requestKind classifies a registry request: "blob" (blob upload POST,
// PATCH, PUT), "manifest" (an image or index manifest PUT by digest),
// "sig" and "att" (a signature or attestation manifest PUT, by cosign tag
// or as a referrer), "tag" (any other manifest PUT by tag), or "other".
func requestKind(req *http.Request, body []byte) string {
	p := req.URL.Path
	switch {
	case strings.Contains(p, "/blobs/uploads") && req.Method != http.MethodGet && req.Method != http.MethodHead:
		return "blob"
	case req.Method != http.MethodPut || !strings.Contains(p, "/manifests/"):
		return "other"
	}
	ref := p[strings.LastIndex(p, "/")+1:]
	switch {
	case strings.HasSuffix(ref, ".sig"):
		return "sig"
	case strings.HasSuffix(ref, ".att"):
		return "att"
	case strings.HasPrefix(ref, "sha256-"):
		return "other" // the referrers tag schema
	case strings.HasPrefix(ref, "sha256:"):
		var m struct {
			ArtifactType string `json:"artifactType"`
			Config       struct {
				MediaType string `json:"mediaType"`
			} `json:"config"`
		}
		_ = json.Unmarshal(body, &m)
		switch {
		case m.Config.MediaType == sigArtifactType:
			return "sig"
		case m.ArtifactType == bundleMediaType:
			return "att"
		}
		return "manifest"
	}
	return "tag"
}

func (r *testRegistry) setFault(f *fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = f
}

func (r *testRegistry) written() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func (r *testRegistry) repo(t *testing.T, n string) name.Repository {
	t.Helper()
	repo, err := name.NewRepository(r.host + "/" + n)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// ropts are the registry options of the tests: fast retries.
var ropts = []remote.Option{remote.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 2})}

const testPassword = "correct horse battery staple"

// testKeys is a cosign key pair written to files.
type testKeys struct {
	privPath, pubPath string
	privPEM, pubPEM   []byte
	sv                signature.SignerVerifier
	v                 signature.Verifier
}

var (
	keysOnce sync.Once
	keys     *testKeys
	keysErr  error
)

// newKeys returns a cosign key pair, made and loaded once per test binary
// (scrypt makes both slow), written to a temporary directory of t.
func newKeys(t *testing.T) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		k := &testKeys{}
		if k.privPEM, k.pubPEM, keysErr = GenerateKeyPair([]byte(testPassword)); keysErr != nil {
			return
		}
		priv, pub := writeKeyFiles(t, k.privPEM, k.pubPEM)
		if k.sv, keysErr = LoadSigner(context.Background(), priv, staticPass(testPassword)); keysErr != nil {
			return
		}
		k.v, keysErr = LoadVerifier(context.Background(), pub)
		keys = k
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	k := *keys
	k.privPath, k.pubPath = writeKeyFiles(t, k.privPEM, k.pubPEM)
	return &k
}

var (
	otherOnce sync.Once
	other     *testKeys
)

// otherKeys is a second key pair, made once per test binary.
func otherKeys(t *testing.T) *testKeys {
	t.Helper()
	otherOnce.Do(func() {
		priv, pub, err := GenerateKeyPair([]byte(testPassword))
		if err != nil {
			t.Fatal(err)
		}
		other = writeKeys(t, priv, pub)
	})
	if other == nil {
		t.Fatal("no second key pair")
	}
	k := *other
	k.privPath, k.pubPath = writeKeyFiles(t, k.privPEM, k.pubPEM)
	return &k
}

// writeKeys writes a key pair to files and loads it.
func writeKeys(t *testing.T, privPEM, pubPEM []byte) *testKeys {
	t.Helper()
	k := &testKeys{privPEM: privPEM, pubPEM: pubPEM}
	k.privPath, k.pubPath = writeKeyFiles(t, privPEM, pubPEM)
	var err error
	if k.sv, err = LoadSigner(context.Background(), k.privPath, staticPass(testPassword)); err != nil {
		t.Fatal(err)
	}
	if k.v, err = LoadVerifier(context.Background(), k.pubPath); err != nil {
		t.Fatal(err)
	}
	return k
}

func writeKeyFiles(t *testing.T, privPEM, pubPEM []byte) (privPath, pubPath string) {
	t.Helper()
	dir := t.TempDir()
	privPath, pubPath = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(privPath, privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return privPath, pubPath
}

func staticPass(s string) PassFunc { return func() ([]byte, error) { return []byte(s), nil } }

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// twoPlatformIndex is an OCI index of two random images, linux/amd64 and
// linux/arm64, plus a BuildKit-style attestation manifest (which Sign and
// Verify leave alone).
func twoPlatformIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		adds = append(adds, mutate.IndexAddendum{
			Add:        randomImage(t),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	adds = append(adds, mutate.IndexAddendum{
		Add: randomImage(t),
		Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"},
		},
	})
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
}

// Fake predicates, small but of the shapes cosign reads them into.

// sbomCDX is indented and ends with a newline, as SBOM files are.
const sbomCDX = `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "components": [{"type": "library", "name": "libc6", "version": "2.36-9+deb12u14", "purl": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64"}]
}
`

const sbomSPDX = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"runtime","packages":[{"SPDXID":"SPDXRef-libc6","name":"libc6","versionInfo":"2.36-9+deb12u14"}]}`

// scanReport is a distill report (schema distill.dev/scan/v1) with one open
// finding of effective severity sev and one suppressed CRITICAL finding.
func scanReport(sev string) string {
	return fmt.Sprintf(`{"schemaVersion":"distill.dev/scan/v1","stage":"runtime","scanner":{"name":"trivy","version":"0.74.0"},"db":{"ecosystems":["debian","go"]},"coverage":[],"packages":2,
"findings":[
 {"id":"CVE-0000-0001","package":"bash","version":"5.2.15-2","ecosystem":"debian","target":"debian 12.15","severity":%[1]q,"effective":%[1]q,"fixed":true},
 {"id":"CVE-0000-0002","package":"libc6","version":"2.36-9","ecosystem":"debian","target":"debian 12.15","severity":"CRITICAL","effective":"CRITICAL","fixed":false,"suppressed":{"by":"vex","reason":"not reachable"}}
],"summary":{}}`, sev)
}

func fakeVulnPredicate(sev string, finished time.Time) string {
	return fmt.Sprintf(`{"invocation":{"parameters":null,"uri":"","event_id":"","builder.id":"distill"},
"scanner":{"uri":"pkg:golang/github.com/aquasecurity/trivy@v0.74.0","version":"0.74.0","db":{"uri":"","version":"2"},"result":%s},
"metadata":{"scanStartedOn":%q,"scanFinishedOn":%q}}`, scanReport(sev), finished.Add(-time.Minute).Format(time.RFC3339), finished.Format(time.RFC3339))
}

// provenance is a SLSA v1 predicate listing the two SBOMs as byproducts.
func provenance(cdxDigest, spdxDigest v1.Hash) string {
	return fmt.Sprintf(`{"buildDefinition":{"buildType":"https://distill.dev/pipeline/v1","externalParameters":{"target":"runtime"}},
"runDetails":{"builder":{"id":"https://distill.dev/distill"},"metadata":{},
"byproducts":[{"name":"sbom.cdx.json","digest":{"sha256":%q},"mediaType":"application/vnd.cyclonedx+json"},
{"name":"sbom.spdx.json","digest":{"sha256":%q},"mediaType":"application/spdx+json"},
{"name":"runtime.vulns.json","digest":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}}]}}`, cdxDigest.Hex, spdxDigest.Hex)
}

// indexProvenance is the provenance of an index: no SBOMs of its own.
const indexProvenance = `{"buildDefinition":{"buildType":"https://distill.dev/pipeline/v1","externalParameters":{"target":"runtime"}},
"runDetails":{"builder":{"id":"https://distill.dev/distill"},"metadata":{}}}`

// scanTime is when the fake scans finished; testNow is "now" for Verify.
var (
	scanTime = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	testNow  = scanTime.Add(2 * time.Hour)
)

// allAttestations are the four attestation types for one subject.
func allAttestations(sev string) []Attestation {
	return []Attestation{
		{PredicateType: "cyclonedx", Predicate: []byte(sbomCDX)},
		{PredicateType: "https://spdx.dev/Document", Predicate: []byte(sbomSPDX)},
		{PredicateType: "vuln", Predicate: []byte(fakeVulnPredicate(sev, scanTime))},
		{PredicateType: "https://slsa.dev/provenance/v1", Predicate: []byte(provenance(PredicateDigest([]byte(sbomCDX)), PredicateDigest([]byte(sbomSPDX))))},
	}
}

// attestEverything gives the image, or the index and each platform image,
// all four attestations.
func attestEverything(t *testing.T, e any, sev string) map[v1.Hash][]Attestation {
	t.Helper()
	out := map[v1.Hash][]Attestation{}
	switch x := e.(type) {
	case v1.Image:
		h, err := x.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out[h] = allAttestations(sev)
	case v1.ImageIndex:
		h, err := x.Digest()
		if err != nil {
			t.Fatal(err)
		}
		// As distill build attaches them: the provenance on the index,
		// everything on each platform image.
		out[h] = []Attestation{{PredicateType: "https://slsa.dev/provenance/v1", Predicate: []byte(indexProvenance)}}
		im, err := x.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range im.Manifests {
			if isPlatformChild(d) {
				out[d.Digest] = allAttestations(sev)
			}
		}
	}
	return out
}

var requireAll = []string{"cyclonedx", "spdxjson", "vuln", "slsaprovenance1"}

// verifyOpts verifies with the key, offline, everything required.
func verifyOpts(k *testKeys, referrers bool) VerifyOptions {
	return VerifyOptions{
		Key: k.v, Offline: true, Require: requireAll, MaxSeverity: "HIGH", MaxAge: 24 * time.Hour,
		Referrers: referrers, Now: testNow, Remote: ropts,
	}
}

// mustPass fails the test unless res passed.
func mustPass(t *testing.T, res *VerifyResult, err error) {
	t.Helper()
	if err != nil {
		if res != nil {
			t.Fatalf("%v\n%s", err, res)
		}
		t.Fatal(err)
	}
	if !res.Passed {
		t.Fatalf("not passed:\n%s", res)
	}
}

// mustFail asserts that verification failed with a failed check whose name
// starts with check and whose detail contains detail.
func mustFail(t *testing.T, res *VerifyResult, err error, check, detail string) {
	t.Helper()
	if res == nil {
		t.Fatalf("no result: %v", err)
	}
	if err == nil || res.Passed {
		t.Fatalf("passed, want %q to fail:\n%s", check, res)
	}
	for _, c := range res.Failed() {
		if strings.HasPrefix(c.Name, check) && strings.Contains(c.Detail, detail) {
			return
		}
	}
	t.Fatalf("no failed check %q with %q:\n%s", check, detail, res)
}

func digestOf(t *testing.T, e interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := e.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tagDigest is what tag points at, or the zero hash if it does not exist.
func tagDigest(t *testing.T, tag name.Tag) v1.Hash {
	t.Helper()
	d, err := remote.Head(tag, ropts...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return v1.Hash{}
		}
		t.Fatal(err)
	}
	return d.Digest
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
