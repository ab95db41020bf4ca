package test_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/test/harness"
)

// attestationTypes are the attestations distill build --sign attaches, by
// cosign's short names.
var attestationTypes = []string{"cyclonedx", "spdxjson", "vuln", "slsaprovenance1"}

// signingKey is a cosign key pair in files, and its password.
type signingKey struct {
	priv, pub, password string
}

func newSigningKey(t *testing.T) signingKey {
	t.Helper()
	k := signingKey{password: fmt.Sprintf("pw-%d-do-not-leak", time.Now().UnixNano())}
	dir := t.TempDir()
	k.priv, k.pub = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	priv, pub, err := sign.GenerateKeyPair([]byte(k.password))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.priv, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.pub, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k signingKey) passFunc() ([]byte, error) { return []byte(k.password), nil }

// verifyOffline runs internal/sign's Verify as distill verify --offline does,
// requiring every attestation type.
func verifyOffline(t *testing.T, ref string, k signingKey, referrers bool) (*sign.VerifyResult, error) {
	t.Helper()
	v, err := sign.LoadVerifier(context.Background(), k.pub)
	if err != nil {
		t.Fatal(err)
	}
	return sign.Verify(context.Background(), mustRef(t, ref), sign.VerifyOptions{
		Key: v, Offline: true, Require: attestationTypes, Referrers: referrers,
	})
}

// TestSignedPushVerifiedByCosign is the signing story end to end with the
// CLI: distill sign keygen, distill build --push --sign (with a BuildKit
// secret in a build step), then the cosign CLI verifies the signature and
// each attestation, distill verify checks everything, nothing secret is in
// any blob or log, and tampering with the tag, a signature layer or an
// attestation payload makes both verifiers fail, naming the failure.
func TestSignedPushVerifiedByCosign(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	reg := harness.Registry(t)
	cosign := harness.NewCosign(t)

	// The project: go-app with a build step that reads a BuildKit secret.
	const token = "bk-secret-3b9e1d-do-not-leak"
	password := fmt.Sprintf("keypw-%d-do-not-leak", time.Now().UnixNano())
	t.Setenv("DISTILL_TEST_SIGN_TOKEN", token)
	t.Setenv("COSIGN_PASSWORD", password)
	work := t.TempDir()
	project := filepath.Join(work, "app")
	copyTree(t, exampleDir(t, "go-app"), project)
	yaml, err := os.ReadFile(filepath.Join(project, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml = bytes.Replace(yaml, []byte("    ldflags: -s -w -X main.version=1.0.0\n"), []byte(`    ldflags: -s -w -X main.version=1.0.0
  steps:
    - name: use a registry token
      run: test "$(wc -c < /run/secrets/token)" -gt 8 && echo token seen NONCE
      secrets: [{id: token, required: true}]
`), 1)
	// A new nonce each run: the step runs (it is not cached) and sees the secret.
	nonce := fmt.Sprint(time.Now().UnixNano())
	yaml = bytes.Replace(yaml, []byte("NONCE"), []byte(nonce), 1)
	if err := os.WriteFile(filepath.Join(project, "distill.yaml"), yaml, 0o644); err != nil {
		t.Fatal(err)
	}

	prefix := filepath.Join(work, "keys", "cosign")
	os.MkdirAll(filepath.Dir(prefix), 0o755)
	if log, err := runDistill(t, b, "sign", "keygen", "--output-key-prefix", prefix); err != nil {
		t.Fatalf("keygen: %v\n%s", err, log)
	}
	pub := prefix + ".pub"

	repo := reg + "/distill-test/signed-go-app-" + nonce
	ref := repo + ":v1"
	reports := filepath.Join(work, "reports")
	log, err := runDistill(t, b, "build", project, "--progress", "plain", "--lock", b.lock,
		"--secret", "id=token,env=DISTILL_TEST_SIGN_TOKEN", "--report-dir", reports,
		"--push", ref, "--sign", "--key", prefix+".key", "--no-tlog")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	mustContain(t, "build output", log, "token seen "+nonce, "pushed", "OFFLINE (no transparency log)")
	desc, err := remote.Get(mustRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	digestRef := repo + "@" + desc.Digest.String()

	// The cosign CLI: the signature and each attestation type.
	rc, stdout, stderr := cosign.Verify(t, pub, ref, false)
	harness.CosignRC(t, 0, "cosign verify", rc, stdout, stderr)
	if !strings.Contains(stdout, `"docker-reference":"`+repo+`"`) || !strings.Contains(stdout, desc.Digest.String()) {
		t.Errorf("cosign verify: the signed payload does not name %s@%s:\n%s", repo, desc.Digest, stdout)
	}
	for _, typ := range attestationTypes {
		rc, stdout, stderr := cosign.VerifyAttestation(t, pub, digestRef, typ, false)
		harness.CosignRC(t, 0, "cosign verify-attestation --type "+typ, rc, stdout, stderr)
	}
	prov := provenanceFromCosign(t, cosign, pub, digestRef)
	checkProvenance(t, prov)

	// distill verify: every check, offline said out loud.
	out, err := runDistill(t, b, "verify", ref, "--key", pub, "--offline", "--max-age", "1h")
	if err != nil {
		t.Fatalf("distill verify: %v\n%s", err, out)
	}
	mustContain(t, "distill verify", out, "ok   signature:", "ok   signature identity:", "ok   attestation cyclonedx",
		"ok   attestation spdxjson", "ok   attestation vuln", "ok   attestation slsaprovenance1",
		"ok   SBOM digest matches", "ok   max age", "transparency log: not checked (offline)")

	// Nothing secret anywhere: registry blobs (attestation payloads
	// decoded), the OCI layout, the reports, the build log.
	blobs := repoBlobs(t, mustRef(t, ref).Context())
	if len(blobs) < 12 {
		t.Fatalf("found only %d blobs in %s", len(blobs), repo)
	}
	var sawProvenance bool
	for what, dt := range blobs {
		for _, secret := range []string{token, password} {
			if bytes.Contains(dt, []byte(secret)) {
				t.Errorf("a secret is in %s", what)
			}
		}
		sawProvenance = sawProvenance || bytes.Contains(dt, []byte(`"secretIds"`)) && bytes.Contains(dt, []byte(`"token"`))
	}
	if !sawProvenance {
		t.Error("the decoded attestations do not include the provenance with the secret's id: the search did not look inside them")
	}
	for _, secret := range []string{token, password} {
		if strings.Contains(log, secret) || strings.Contains(out, secret) {
			t.Error("a secret is in distill's output")
		}
		for _, dir := range []string{reports, layoutFromLog(t, log)} {
			grepTree(t, dir, secret)
		}
	}

	// Tampering. Each case restores the registry afterwards.
	verifyFails := func(what string, wantCheck string) {
		t.Helper()
		out, err := runDistill(t, b, "verify", ref, "--key", pub, "--offline")
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("%s: distill verify: %v, want exit code 1\n%s", what, err, out)
		}
		mustContain(t, what+": distill verify", out, "FAIL "+wantCheck)
	}
	t.Run("tag re-pointed", func(t *testing.T) {
		other, _ := random.Image(512, 1)
		if err := remote.Write(mustRef(t, ref), other); err != nil {
			t.Fatal(err)
		}
		defer retag(t, ref, desc)
		verifyFails("tag moved to an unsigned image", "signature:")
		rc, stdout, stderr := cosign.Verify(t, pub, ref, false)
		harness.CosignRC(t, 10, "cosign verify of a re-pointed tag", rc, stdout, stderr)
		mustContain(t, "cosign", stderr, "no signatures found")
	})
	t.Run("signature layer altered", func(t *testing.T) {
		restore := alterLayer(t, repo, sigTag(desc.Digest), func(l v1.Descriptor, dt []byte) ([]byte, bool) {
			// The signed payload, one byte different: the signature no longer matches.
			return bytes.Replace(dt, []byte(`"critical"`), []byte(`"critical" `), 1), true
		})
		defer restore()
		verifyFails("signature payload altered", "signature:")
		rc, stdout, stderr := cosign.Verify(t, pub, ref, false)
		harness.CosignRC(t, 12, "cosign verify of an altered signature layer", rc, stdout, stderr)
		mustContain(t, "cosign", stderr, "no matching signatures")
	})
	t.Run("attestation payload altered", func(t *testing.T) {
		restore := alterLayer(t, repo, attTag(desc.Digest), func(l v1.Descriptor, dt []byte) ([]byte, bool) {
			if l.Annotations["predicateType"] != "https://cosign.sigstore.dev/attestation/vuln/v1" {
				return nil, false
			}
			return editDSSEPayload(t, dt, func(st map[string]any) {
				st["predicate"].(map[string]any)["scanner"].(map[string]any)["result"] = map[string]any{"tampered": true}
			}), true
		})
		defer restore()
		verifyFails("vuln attestation payload altered", "attestation vuln")
		rc, stdout, stderr := cosign.VerifyAttestation(t, pub, ref, "vuln", false)
		if rc == 0 {
			t.Errorf("cosign verify-attestation accepted an altered payload:\n%s", stdout)
		}
		mustContain(t, "cosign", stderr, "none of the attestations matched the predicate type: vuln")
		// The untouched attestations still verify.
		rc, stdout, stderr = cosign.VerifyAttestation(t, pub, ref, "cyclonedx", false)
		harness.CosignRC(t, 0, "cosign verify-attestation of an untouched attestation", rc, stdout, stderr)
	})
	// Restored: everything verifies again.
	if out, err := runDistill(t, b, "verify", ref, "--key", pub, "--offline"); err != nil {
		t.Fatalf("after restoring: %v\n%s", err, out)
	}
}

// provenanceFromCosign returns the SLSA provenance predicate cosign verified.
func provenanceFromCosign(t *testing.T, c *harness.Cosign, pub, ref string) map[string]any {
	t.Helper()
	rc, stdout, stderr := c.VerifyAttestation(t, pub, ref, "slsaprovenance1", false)
	harness.CosignRC(t, 0, "cosign verify-attestation --type slsaprovenance1", rc, stdout, stderr)
	var env struct{ Payload string }
	line, _, _ := strings.Cut(strings.TrimSpace(stdout), "\n")
	if err := json.Unmarshal([]byte(line), &env); err != nil {
		t.Fatalf("cosign's output: %v\n%s", err, stdout)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		PredicateType string         `json:"predicateType"`
		Predicate     map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Fatalf("predicate type %s", st.PredicateType)
	}
	return st.Predicate
}

// checkProvenance: the materials the issue asks for are there — the source,
// Debian packages with SHA256s, the Go toolchain's checksum, the scanner
// image digest and the vulnerability DB — with the build parameters and the
// builder identity.
func checkProvenance(t *testing.T, p map[string]any) {
	t.Helper()
	def := p["buildDefinition"].(map[string]any)
	ext := def["externalParameters"].(map[string]any)
	if ext["spec"] == nil || ext["target"] != "runtime" || !slices.Contains(anyStrings(ext["secretIds"]), "token") || ext["sourceDateEpoch"] == nil {
		t.Errorf("externalParameters: %v", ext)
	}
	var debs, toolchains, scanner, db int
	for _, d := range def["resolvedDependencies"].([]any) {
		rd := d.(map[string]any)
		uri, _ := rd["uri"].(string)
		digest, _ := rd["digest"].(map[string]any)
		switch {
		case strings.HasPrefix(uri, "pkg:deb/debian/") && digest["sha256"] != nil:
			debs++
		case strings.HasPrefix(uri, "pkg:golang/golang.org/toolchain@") && len(digest) > 0:
			toolchains++
		case rd["name"] == "trivy.db" && digest["sha256"] != nil:
			db++
		case rd["annotations"] != nil && rd["annotations"].(map[string]any)["role"] == "scanner" && digest["sha256"] != nil:
			scanner++
		}
	}
	if debs < 3 || toolchains != 1 || scanner != 1 || db != 1 {
		t.Errorf("resolvedDependencies: %d Debian packages with sha256, %d toolchains, %d scanners, %d vulnerability DBs:\n%v",
			debs, toolchains, scanner, db, def["resolvedDependencies"])
	}
	run := p["runDetails"].(map[string]any)
	if id, _ := run["builder"].(map[string]any)["id"].(string); !strings.HasPrefix(id, "https://distill.dev/distill@") {
		t.Errorf("builder id %q", id)
	}
	var names []string
	for _, bp := range run["byproducts"].([]any) {
		names = append(names, bp.(map[string]any)["name"].(string))
	}
	if !slices.Contains(names, "sbom.cdx.json") || !slices.Contains(names, "sbom.spdx.json") {
		t.Errorf("byproducts %v: want the SBOMs", names)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestPublishSurvivesRegistryFaults pushes go-app through a proxy that fails
// requests (HTTP 500, dropped connections) at each step of a publish: the
// image's blobs, the signature, the attestations, the tag. After each
// failure the tag still points at the previous signed digest (or, on a
// first publish, does not exist); a retry completes the publish.
func TestPublishSurvivesRegistryFaults(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	reg := harness.Registry(t)
	k := newSigningKey(t)
	proxy := newFaultProxy(t, reg)

	// The image is published through the proxy, so it is signed for the
	// proxy's repository: with faults off, reads go through it too.
	ref := fmt.Sprintf("%s/distill-test/faults-%d:v1", proxy.addr, time.Now().UnixNano())
	publish := func(epoch int64) (*pipeline.Result, error) {
		return goAppPipeline().Build(context.Background(), buildOpts(t, b,
			pipeline.Dir(exampleDir(t, "go-app")),
			pipeline.SourceDateEpoch(time.Unix(epoch, 0)),
			pipeline.Push(ref),
			pipeline.SignWithKey(k.priv, k.passFunc),
			pipeline.NoTransparencyLog(),
		)...)
	}
	tagPut := regexp.MustCompile(`/manifests/v1$`)
	isPut := func(r *http.Request, re *regexp.Regexp) bool {
		return r.Method == http.MethodPut && re.MatchString(r.URL.Path)
	}

	// A first publish that fails at the tag leaves no tag.
	proxy.fail("drop", func(r *http.Request) bool { return isPut(r, tagPut) })
	if _, err := publish(1_700_000_000); err == nil {
		t.Fatal("the publish succeeded through a proxy that drops the tag request")
	}
	proxy.mustHaveFailed(t)
	proxy.fail("", nil)
	if _, err := remote.Head(mustRef(t, ref)); !isNotFound(err) {
		t.Fatalf("after a failed first publish the tag exists (or cannot be read): %v", err)
	}
	first, err := publish(1_700_000_000)
	if err != nil {
		t.Fatal(err)
	}

	for _, f := range []struct {
		what, mode string
		match      func(*http.Request) bool
	}{
		{"500 on blob uploads", "500", func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/blobs/uploads/") }},
		{"dropped connection on the signature", "drop", func(r *http.Request) bool {
			return isPut(r, regexp.MustCompile(`/manifests/sha256-[0-9a-f]{64}\.sig$`))
		}},
		{"500 on the attestations", "500", func(r *http.Request) bool {
			return isPut(r, regexp.MustCompile(`/manifests/sha256-[0-9a-f]{64}\.att$`))
		}},
		{"dropped connection on the tag", "drop", func(r *http.Request) bool { return isPut(r, tagPut) }},
	} {
		proxy.fail(f.mode, f.match)
		_, err := publish(1_700_000_100)
		if err == nil {
			t.Fatalf("%s: the publish succeeded", f.what)
		}
		proxy.mustHaveFailed(t)
		proxy.fail("", nil)
		t.Logf("%s: %v", f.what, err)
		if !strings.Contains(err.Error(), "the tag was not moved") {
			t.Errorf("%s: the error does not say the tag stayed: %v", f.what, err)
		}
		d, err := remote.Head(mustRef(t, ref))
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest != first.Digest {
			t.Fatalf("%s: the tag moved to %s (was %s)", f.what, d.Digest, first.Digest)
		}
		if res, err := verifyOffline(t, ref, k, false); err != nil {
			t.Fatalf("%s: the previous image no longer verifies: %v\n%v", f.what, err, res)
		}
	}

	// The retry completes the publish.
	second, err := publish(1_700_000_100)
	if err != nil {
		t.Fatal(err)
	}
	if second.Digest == first.Digest {
		t.Fatal("both publishes have one digest: the test proves nothing")
	}
	d, err := remote.Head(mustRef(t, ref))
	if err != nil || d.Digest != second.Digest {
		t.Fatalf("after the retry the tag is at %v (%v), want %s", d, err, second.Digest)
	}
	if res, err := verifyOffline(t, ref, k, false); err != nil {
		t.Fatalf("after the retry: %v\n%v", err, res)
	}
}

func isNotFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

// faultProxy is a reverse proxy to a registry that fails the requests a
// rule matches: with HTTP 500, or by closing the connection unanswered.
type faultProxy struct {
	addr  string
	mu    sync.Mutex
	mode  string
	match func(*http.Request) bool
	hits  int
}

func newFaultProxy(t *testing.T, registry string) *faultProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{addr: l.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		fail := p.match != nil && p.match(r)
		mode := p.mode
		if fail {
			p.hits++
		}
		p.mu.Unlock()
		switch {
		case fail && mode == "500":
			http.Error(w, "injected fault", http.StatusInternalServerError)
		case fail:
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
		default:
			rp.ServeHTTP(w, r)
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return p
}

// fail sets the fault: mode "500" or "drop" for requests match accepts; nil
// match turns faults off.
func (p *faultProxy) fail(mode string, match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.match, p.hits = mode, match, 0
}

func (p *faultProxy) mustHaveFailed(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hits == 0 {
		t.Fatal("the proxy injected no fault: the rule matched no request")
	}
}

// repoBlobs reads everything stored in repo — every tag's manifests, their
// children and referrers, configs and layers (decompressed) — and, inside
// them, every base64 "payload" (DSSE envelopes, sigstore bundles) decoded.
func repoBlobs(t *testing.T, repo name.Repository) map[string][]byte {
	t.Helper()
	tags, err := remote.List(repo)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	seen := map[v1.Hash]bool{}
	var walk func(d v1.Hash)
	walk = func(d v1.Hash) {
		if seen[d] {
			return
		}
		seen[d] = true
		ref := repo.Digest(d.String())
		desc, err := remote.Get(ref)
		if err != nil {
			t.Fatal(err)
		}
		out["manifest "+d.String()] = desc.Manifest
		if desc.MediaType.IsIndex() {
			im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range im.Manifests {
				walk(c.Digest)
			}
		} else {
			m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range append([]v1.Descriptor{m.Config}, m.Layers...) {
				dt := readBlob(t, repo, l.Digest)
				out["blob "+l.Digest.String()] = dt
				for i, p := range payloads(dt) {
					out[fmt.Sprintf("payload %d of %s", i, l.Digest)] = p
				}
			}
		}
		if idx, err := remote.Referrers(ref); err == nil {
			im, _ := idx.IndexManifest()
			for _, r := range im.Manifests {
				walk(r.Digest)
			}
		}
	}
	for _, tag := range tags {
		desc, err := remote.Head(repo.Tag(tag))
		if err != nil {
			t.Fatal(err)
		}
		walk(desc.Digest)
	}
	return out
}

// readBlob fetches a blob, gunzipped if it is gzip.
func readBlob(t *testing.T, repo name.Repository, d v1.Hash) []byte {
	t.Helper()
	dt := harness.Blob(t, repo, d)
	if len(dt) > 2 && dt[0] == 0x1f && dt[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(dt))
		if err != nil {
			t.Fatal(err)
		}
		if dt, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return dt
}

// payloads are the base64 values of "payload" keys anywhere in a JSON
// document, decoded.
func payloads(dt []byte) [][]byte {
	var v any
	if json.Unmarshal(dt, &v) != nil {
		return nil
	}
	var out [][]byte
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && k == "payload" {
					if p, err := base64.StdEncoding.DecodeString(s); err == nil {
						out = append(out, p)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}

// grepTree fails t if any file under dir contains secret.
func grepTree(t *testing.T, dir, secret string) {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		n++
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(dt, []byte(secret)) {
			t.Errorf("a secret is in %s", p)
		}
		for _, pl := range payloads(dt) {
			if bytes.Contains(pl, []byte(secret)) {
				t.Errorf("a secret is in a payload in %s", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("%s has no files to search", dir)
	}
}

func sigTag(d v1.Hash) string { return strings.Replace(d.String(), ":", "-", 1) + ".sig" }
func attTag(d v1.Hash) string { return strings.Replace(d.String(), ":", "-", 1) + ".att" }

// retag points ref at desc again.
func retag(t *testing.T, ref string, desc *remote.Descriptor) {
	t.Helper()
	if err := remote.Tag(mustRef(t, ref).(name.Tag), desc); err != nil {
		t.Fatal(err)
	}
}

// rawManifest is a manifest to put as it is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// alterLayer rewrites the layers of the manifest at repo:tag that edit
// changes (uploading the new blobs) and returns a function that restores
// the original manifest.
func alterLayer(t *testing.T, repo, tag string, edit func(v1.Descriptor, []byte) ([]byte, bool)) func() {
	t.Helper()
	ref := mustRef(t, repo+":"+tag)
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i, l := range m.Layers {
		dt := readBlob(t, ref.Context(), l.Digest)
		nd, ok := edit(l, dt)
		if !ok {
			continue
		}
		if bytes.Equal(nd, dt) {
			t.Fatalf("the edit of layer %s changed nothing", l.Digest)
		}
		nl := static.NewLayer(nd, l.MediaType)
		if err := remote.WriteLayer(ref.Context(), nl); err != nil {
			t.Fatal(err)
		}
		m.Layers[i].Digest, _ = nl.Digest()
		m.Layers[i].Size = int64(len(nd))
		changed++
	}
	if changed == 0 {
		t.Fatalf("no layer of %s to alter", ref)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(ref, rawManifest{raw, desc.MediaType}); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := remote.Put(ref, rawManifest{desc.Manifest, desc.MediaType}); err != nil {
			t.Fatal(err)
		}
	}
}

// editDSSEPayload changes the in-toto statement inside a DSSE envelope and
// keeps the envelope's signatures.
func editDSSEPayload(t *testing.T, env []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(e["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	if raw, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	e["payload"] = base64.StdEncoding.EncodeToString(raw)
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
