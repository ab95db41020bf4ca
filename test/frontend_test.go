package test_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/test/harness"
)

// frontendFixture is the frontend published once per test binary to the test
// registry, as make frontend publishes it.
type frontendFixture struct {
	ref  string // REPO/frontend@sha256:…
	repo string // REPO, where the bases are: REPO/go:1.26, REPO/static:latest
	pub  string // the public key it was signed with
	log  string
	err  error
}

var (
	frontendOnce sync.Once
	frontend     frontendFixture
)

// publishFrontend builds distill-frontend and runs distill frontend publish
// against the test registry, signing with a fresh key.
func publishFrontend(t testing.TB) *frontendFixture {
	t.Helper()
	b := buildBases(t)
	reg := harness.Registry(t)
	frontendOnce.Do(func() {
		dir, err := os.MkdirTemp("", "distill-frontend-")
		if err != nil {
			frontend.err = err
			return
		}
		bin := filepath.Join(dir, "distill-frontend")
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/distill-frontend")
		build.Dir = harness.RepoRoot(t)
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := build.CombinedOutput(); err != nil {
			frontend.err = fmt.Errorf("building distill-frontend: %v\n%s", err, out)
			return
		}
		priv, pub, err := sign.GenerateKeyPair(nil)
		if err != nil {
			frontend.err = err
			return
		}
		frontend.pub = filepath.Join(dir, "cosign.pub")
		os.WriteFile(filepath.Join(dir, "cosign.key"), priv, 0o600)
		os.WriteFile(frontend.pub, pub, 0o644)
		frontend.repo = reg + "/distill"
		cmd := exec.Command(distillCLI(t), "frontend", "publish", frontend.repo, "--binary", bin,
			"--spec", filepath.Join(exampleDir(t, "go-app"), "distill.yaml"), "--platform", "linux/amd64",
			"--lock", b.lock, "--vulndb", b.vulndb, "--key", filepath.Join(dir, "cosign.key"), "--no-tlog")
		cmd.Env = append(os.Environ(), "DISTILL_CACHE="+filepath.Join(basesDir, "cache"), "DISTILL_SIGN_PASSWORD=")
		out, err := cmd.CombinedOutput()
		frontend.log = string(out)
		if err != nil {
			frontend.err = fmt.Errorf("distill frontend publish: %v\n%s", err, out)
			return
		}
		m := regexp.MustCompile(`(?m)^frontend\t(\S+)$`).FindStringSubmatch(frontend.log)
		if m == nil {
			frontend.err = fmt.Errorf("no frontend reference in:\n%s", out)
			return
		}
		frontend.ref = m[1]
	})
	if frontend.err != nil {
		t.Fatal(frontend.err)
	}
	return &frontend
}

// buildctl runs buildctl build against addr (the test buildkitd when empty).
func buildctl(t testing.TB, addr string, args ...string) (string, error) {
	t.Helper()
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	cmd := exec.Command(harness.Tool(t, "buildctl"), append([]string{"--addr", addr, "build", "--progress", "plain"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("buildctl %s\n%s", strings.Join(args, " "), lastLines(out.String(), 40))
	return out.String(), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withSyntax writes file with "# syntax=ref" as its first line.
func withSyntax(t testing.TB, file, ref string) {
	t.Helper()
	dt, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append([]byte("# syntax="+ref+"\n"), dt...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ociExport is an OCI tar as buildctl --output type=oci wrote it.
type ociExport struct {
	blobs map[string][]byte // by digest
	// images are the platform images' manifest digests, by platform;
	// attestations their attestation manifests' layers (in-toto statements)
	// by predicate type.
	images       map[string]string
	attestations map[string]map[string][]byte
}

func readOCIExport(t testing.TB, path string) *ociExport {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x := &ociExport{blobs: map[string][]byte{}, images: map[string]string{}, attestations: map[string]map[string][]byte{}}
	var index []byte
	tarEntries(t, f, func(h *tar.Header, body io.Reader) {
		dt, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "index.json" {
			index = dt
		} else if d, ok := strings.CutPrefix(h.Name, "blobs/sha256/"); ok {
			x.blobs["sha256:"+d] = dt
		}
	})
	type desc struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Annotations map[string]string `json:"annotations"`
		Platform    *struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		} `json:"platform"`
	}
	var doc struct {
		Manifests []desc `json:"manifests"`
		Layers    []desc `json:"layers"`
	}
	if err := json.Unmarshal(index, &doc); err != nil || len(doc.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, index)
	}
	top := doc.Manifests[0]
	if !strings.Contains(top.MediaType, "index") {
		x.images["linux/amd64"] = top.Digest
		return x
	}
	json.Unmarshal(x.blobs[top.Digest], &doc)
	byDigest := map[string]string{}
	for _, m := range doc.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" {
			p := m.Platform.OS + "/" + m.Platform.Architecture
			x.images[p] = m.Digest
			byDigest[m.Digest] = p
		}
	}
	for _, m := range doc.Manifests {
		ref := m.Annotations["vnd.docker.reference.digest"]
		if m.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			continue
		}
		var man struct{ Layers []desc }
		json.Unmarshal(x.blobs[m.Digest], &man)
		atts := map[string][]byte{}
		for _, l := range man.Layers {
			atts[l.Annotations["in-toto.io/predicate-type"]] = x.blobs[l.Digest]
		}
		x.attestations[byDigest[ref]] = atts
	}
	return x
}

// predicate decodes an in-toto statement's predicate and checks that its
// subject is image (an export with a name= names its subjects).
func predicate(t *testing.T, statement []byte, image string) map[string]any {
	t.Helper()
	var st struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		t.Fatalf("statement: %v", err)
	}
	if len(st.Subject) == 0 || "sha256:"+st.Subject[0].Digest["sha256"] != image {
		t.Errorf("%s statement's subject %+v is not the image %s", st.PredicateType, st.Subject, image)
	}
	return st.Predicate
}

// exportName names the image in OCI exports, so that attestations name
// their subject.
const exportName = "name=distill-test/go-app:latest"

// distillAttestations are what the frontend attaches to every image.
var distillAttestations = []string{
	"https://spdx.dev/Document",
	"https://cyclonedx.org/bom",
	"https://cosign.sigstore.dev/attestation/vuln/v1",
	"https://distill.dev/provenance/slsa/v1",
}

func requireAttestations(t *testing.T, x *ociExport, platform string) map[string][]byte {
	t.Helper()
	atts := x.attestations[platform]
	for _, typ := range distillAttestations {
		if len(atts[typ]) == 0 {
			t.Errorf("%s: no %s attestation (have %v)", platform, typ, keysOf(atts))
		}
	}
	return atts
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestFrontendSpecMatchesCLI: a distill.yaml with the frontend's # syntax=
// line, built by buildctl with BuildKit's Dockerfile frontend (which pulls
// ours from the registry), gives the runtime image distill build gives, with
// distill's attestations; the frontend image is signed.
func TestFrontendSpecMatchesCLI(t *testing.T) {
	fx := publishFrontend(t)
	b := buildBases(t)
	harness.Engine(t)
	c := harness.NewCosign(t)
	rc, stdout, stderr := c.Verify(t, fx.pub, fx.ref, false)
	harness.CosignRC(t, 0, "cosign verify of the frontend image", rc, stdout, stderr)

	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	withSyntax(t, filepath.Join(dir, "distill.yaml"), fx.ref)
	layout := filepath.Join(t.TempDir(), "cli")
	log, err := runDistill(t, b, "build", dir, "--lock", b.lock, "--progress", "quiet", "--output", "oci:"+layout)
	if err != nil {
		t.Fatalf("distill build: %v\n%s", err, log)
	}
	cliDigest := digestOf(t, layoutImage(t, layout))

	out := filepath.Join(t.TempDir(), "frontend.tar")
	log, err = buildctl(t, "", "--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir,
		"--opt", "filename=distill.yaml", "--output", "type=oci,dest="+out+",oci-mediatypes=true,"+exportName)
	if err != nil {
		t.Fatalf("buildctl: %v", err)
	}
	mustContain(t, "frontend build output", log, "[scan runtime] trivy rootfs", "[distill] runtime: 0 vulns")
	x := readOCIExport(t, out)
	if got := x.images["linux/amd64"]; got != cliDigest.String() {
		t.Fatalf("frontend runtime image %s, distill build %s", got, cliDigest)
	}
	atts := requireAttestations(t, x, "linux/amd64")
	img := x.images["linux/amd64"]
	prov := predicate(t, atts["https://distill.dev/provenance/slsa/v1"], img)
	dt, _ := json.Marshal(prov)
	mustContain(t, "provenance", string(dt), "pkg:deb/debian/", "golang.org/toolchain", "distill/trivy", "go-vulndb")
	vuln := predicate(t, atts["https://cosign.sigstore.dev/attestation/vuln/v1"], img)
	if sc, _ := vuln["scanner"].(map[string]any); sc == nil || !strings.Contains(fmt.Sprint(sc["uri"]), "trivy") {
		t.Errorf("vuln predicate scanner: %v", vuln["scanner"])
	}
	spdx := predicate(t, atts["https://spdx.dev/Document"], img)
	if spdx["spdxVersion"] != "SPDX-2.3" {
		t.Errorf("SPDX predicate: spdxVersion %v", spdx["spdxVersion"])
	}

	t.Run("opt overrides", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "base.tar")
		_, err := buildctl(t, "", "--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir,
			"--opt", "filename=distill.yaml", "--opt", "runtime.env.PORT=9090", "--opt", "scan=off",
			"--output", "type=oci,dest="+out+",oci-mediatypes=true")
		if err != nil {
			t.Fatal(err)
		}
		x := readOCIExport(t, out)
		cfg := imageConfig(t, x, "linux/amd64")
		if !slices.Contains(cfg, "PORT=9090") {
			t.Errorf("--opt runtime.env.PORT=9090: env %v", cfg)
		}
		if len(x.attestations) != 0 {
			t.Errorf("scan=off still attached %v", keysOf(x.attestations))
		}
	})

	// --opt target=build|test: the frontend builds up to that stage and no
	// further — no runtime, so no scan (what they contain: TestTargets).
	for _, tc := range []struct{ target, want, unwanted string }{
		{"build", "[build]", "[test]"},
		{"test", "[test]", "[runtime"},
	} {
		t.Run("target "+tc.target, func(t *testing.T) {
			log, err := buildctl(t, "", "--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir,
				"--opt", "filename=distill.yaml", "--opt", "target="+tc.target)
			if err != nil {
				t.Fatalf("--opt target=%s: %v", tc.target, err)
			}
			mustContain(t, "--opt target="+tc.target, log, tc.want)
			if strings.Contains(log, "[scan ") || strings.Contains(log, tc.unwanted) {
				t.Errorf("--opt target=%s went past its stage (scan or %s):\n%s", tc.target, tc.unwanted, lastLines(log, 40))
			}
		})
	}
}

// imageConfig is the environment of a platform image in an export.
func imageConfig(t *testing.T, x *ociExport, platform string) []string {
	t.Helper()
	var man struct{ Config struct{ Digest string } }
	json.Unmarshal(x.blobs[x.images[platform]], &man)
	var cfg struct{ Config struct{ Env []string } }
	if err := json.Unmarshal(x.blobs[man.Config.Digest], &cfg); err != nil {
		t.Fatalf("config of %s: %v", platform, err)
	}
	return cfg.Config.Env
}

// goAppDockerfile is examples/go-app as a hand-written multi-stage
// Dockerfile on distill's published flavours, without a scan stage.
const goAppDockerfile = `ARG REGISTRY
FROM ${REGISTRY}/go:1.26 AS build
ARG GOPROXY
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=secret,id=ca,target=/etc/ssl/certs/ca-certificates.crt go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/go-app ./cmd/go-app

FROM ${REGISTRY}/static:latest
COPY --from=build /out/go-app /app/go-app
ENTRYPOINT ["/app/go-app"]
`

// dockerfileProjects are go-app with goAppDockerfile twice: for BuildKit's
// own Dockerfile frontend, and with the distill frontend's # syntax= line.
func dockerfileProjects(t testing.TB, fx *frontendFixture) (upstream, ours string) {
	t.Helper()
	upstream = t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), upstream)
	os.Remove(filepath.Join(upstream, "distill.yaml"))
	if err := os.WriteFile(filepath.Join(upstream, "Dockerfile"), []byte(goAppDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ours = t.TempDir()
	copyTree(t, upstream, ours)
	withSyntax(t, filepath.Join(ours, "Dockerfile"), fx.ref)
	return upstream, ours
}

// dockerfileArgs are buildctl's arguments for a Dockerfile in dir.
func dockerfileArgs(fx *frontendFixture, dir string, extra ...string) []string {
	goproxy, _ := exec.Command("go", "env", "GOPROXY").Output()
	return append([]string{"--frontend", "dockerfile.v0", "--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--opt", "build-arg:REGISTRY=" + fx.repo, "--opt", "build-arg:GOPROXY=" + strings.TrimSpace(string(goproxy)),
		"--secret", "id=ca,src=" + caBundleFile()}, extra...)
}

// TestFrontendDockerfile: an ordinary multi-stage Dockerfile through the
// frontend gives the runtime image BuildKit's own Dockerfile frontend gives,
// plus distill's attestations; --opt scan-stages=build reports the build
// stage; a runtime that violates the policy fails the build, naming the
// findings; --output type=local writes the filesystem and the reports.
func TestFrontendDockerfile(t *testing.T) {
	fx := publishFrontend(t)
	harness.Engine(t)
	upstream, ours := dockerfileProjects(t, fx)

	upOut := filepath.Join(t.TempDir(), "upstream.tar")
	if _, err := buildctl(t, "", dockerfileArgs(fx, upstream, "--output", "type=oci,dest="+upOut)...); err != nil {
		t.Fatalf("upstream Dockerfile frontend: %v", err)
	}
	ourOut := filepath.Join(t.TempDir(), "distill.tar")
	log, err := buildctl(t, "", dockerfileArgs(fx, ours, "--opt", "scan-stages=build", "--output", "type=oci,dest="+ourOut+","+exportName)...)
	if err != nil {
		t.Fatalf("distill frontend: %v", err)
	}
	mustContain(t, "frontend output", log, "[scan runtime] trivy rootfs", "[scan build] trivy rootfs", "[distill] runtime: 0 vulns")
	up, x := readOCIExport(t, upOut), readOCIExport(t, ourOut)
	if up.images["linux/amd64"] == "" || x.images["linux/amd64"] != up.images["linux/amd64"] {
		t.Fatalf("runtime image: distill frontend %s, upstream %s", x.images["linux/amd64"], up.images["linux/amd64"])
	}
	atts := requireAttestations(t, x, "linux/amd64")
	if len(up.attestations) != 0 {
		t.Errorf("the upstream build has attestations %v: the comparison is not like for like", keysOf(up.attestations))
	}
	prov := predicate(t, atts["https://distill.dev/provenance/slsa/v1"], x.images["linux/amd64"])
	if len(atts["https://cosign.sigstore.dev/attestation/vuln/v1"]) == 0 {
		t.Error("no vulnerability report")
	}
	if def, _ := prov["buildDefinition"].(map[string]any); def == nil || def["buildType"] != "https://distill.dev/buildtypes/dockerfile/v1" {
		t.Errorf("provenance build type: %v", prov["buildDefinition"])
	}

	t.Run("local output", func(t *testing.T) {
		dest := t.TempDir()
		if _, err := buildctl(t, "", dockerfileArgs(fx, ours, "--output", "type=local,dest="+dest)...); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"app/go-app", "etc/passwd", "sbom.spdx.json", "sbom.cdx.json", "vuln.json", "distill.provenance.json"} {
			if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
				t.Errorf("type=local output: %v", err)
			}
		}
	})

	t.Run("policy violation", func(t *testing.T) {
		vuln := t.TempDir()
		copyTree(t, ours, vuln)
		get := exec.Command("go", "get", "golang.org/x/text@v0.3.5")
		get.Dir = vuln
		get.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		if out, err := get.CombinedOutput(); err != nil {
			t.Fatalf("go get: %v\n%s", err, out)
		}
		log, err := buildctl(t, "", dockerfileArgs(fx, vuln, "--output", "type=oci,dest="+filepath.Join(t.TempDir(), "x.tar"))...)
		if err == nil {
			t.Fatal("a runtime with golang.org/x/text v0.3.5 passed the frontend's gate")
		}
		mustContain(t, "gate failure", log, "runtime:", "at or above HIGH", "golang.org/x/text", "CVE-2021-38561")

		// The policy is the user's: --opt fail-on=NONE reports and passes.
		if _, err := buildctl(t, "", dockerfileArgs(fx, vuln, "--opt", "fail-on=NONE", "--output", "type=oci,dest="+filepath.Join(t.TempDir(), "y.tar"))...); err != nil {
			t.Fatalf("--opt fail-on=NONE: %v", err)
		}
	})
}

// TestFrontendErrorsNameTheLine: a Dockerfile syntax error and a
// distill.yaml with a wrong field each fail with the file's line shown.
func TestFrontendErrorsNameTheLine(t *testing.T) {
	fx := publishFrontend(t)
	harness.Engine(t)

	df := t.TempDir()
	os.WriteFile(filepath.Join(df, "Dockerfile"), []byte("# syntax="+fx.ref+"\nFROM scratch\nCOPYY a /a\n"), 0o644)
	log, err := buildctl(t, "", "--frontend", "dockerfile.v0", "--local", "context="+df, "--local", "dockerfile="+df)
	if err == nil {
		t.Fatal("a Dockerfile with an unknown instruction built")
	}
	mustContain(t, "Dockerfile error", log, "Dockerfile:3", ">>> COPYY a /a", "unknown instruction")

	yml := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), yml)
	file := filepath.Join(yml, "distill.yaml")
	dt, _ := os.ReadFile(file)
	os.WriteFile(file, bytes.Replace(dt, []byte("  base: static"), []byte("  bsae: static"), 1), 0o644)
	withSyntax(t, file, fx.ref)
	log, err = buildctl(t, "", "--frontend", "dockerfile.v0", "--local", "context="+yml, "--local", "dockerfile="+yml, "--opt", "filename=distill.yaml")
	if err == nil {
		t.Fatal("a distill.yaml with an unknown field built")
	}
	line := 1 + bytes.Count(dt[:bytes.Index(dt, []byte("  base: static"))], []byte("\n")) + 1 // +1: the syntax line
	mustContain(t, "distill.yaml error", log, fmt.Sprintf("distill.yaml:%d", line), `unknown field "bsae"`, ">>>   bsae: static")
}

// TestFrontendCacheExportImport: a build's cache exported with
// --export-cache answers the same build on a fresh buildkitd that imports
// it: the compile step is not run again.
func TestFrontendCacheExportImport(t *testing.T) {
	fx := publishFrontend(t)
	harness.Engine(t)
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	withSyntax(t, filepath.Join(dir, "distill.yaml"), fx.ref)
	cache := t.TempDir()
	args := []string{"--frontend", "dockerfile.v0", "--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--opt", "filename=distill.yaml", "--opt", "scan=off", "--secret", "id=distill.ca-bundle,src=" + caBundleFile()}
	if _, err := buildctl(t, "", append(args, "--export-cache", "type=local,dest="+cache+",mode=max")...); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, "index.json")); err != nil {
		t.Fatalf("--export-cache wrote no cache: %v", err)
	}

	// A buildkitd with empty state: only the imported cache can answer.
	t.Setenv("BUILDKIT_HOST", "")
	state, err := os.MkdirTemp("", "bk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	e, err := engine.Start(context.Background(), engine.WithStateDir(state), engine.WithLog(harness.LogWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	log, err := buildctl(t, e.Addr(), append(args, "--import-cache", "type=local,src="+cache)...)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?s)\[build\] go build[^\n]*\n#\d+ CACHED`).MatchString(log) {
		t.Errorf("the go build step ran again on a fresh buildkitd with the imported cache")
	}
}

// TestFrontendDockerBuildx: the user's workflow, docker buildx build -f
// distill.yaml with a remote builder at the test buildkitd (the docker CLI
// client and the buildx plugin; no Docker engine), including --sbom=true,
// which distill answers with its own SPDX SBOM instead of BuildKit pulling
// its scanner image.
func TestFrontendDockerBuildx(t *testing.T) {
	fx := publishFrontend(t)
	b := buildBases(t)
	harness.Engine(t)
	docker := harness.Tool(t, "docker")
	cfg := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfg, "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(harness.Tool(t, "docker-buildx"), filepath.Join(cfg, "cli-plugins", "docker-buildx")); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(docker, args...)
		// No daemon: DOCKER_HOST points nowhere, so that a developer's
		// Docker engine is never used by accident.
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg, "DOCKER_HOST=unix:///nonexistent")
		out, err := cmd.CombinedOutput()
		t.Logf("docker %s\n%s", strings.Join(args, " "), lastLines(string(out), 30))
		return string(out), err
	}
	builder := fmt.Sprintf("distill-test-%d", os.Getpid())
	if _, err := run("buildx", "create", "--name", builder, "--driver", "remote", os.Getenv("BUILDKIT_HOST")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run("buildx", "rm", builder) })

	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	withSyntax(t, filepath.Join(dir, "distill.yaml"), fx.ref)
	layout := filepath.Join(t.TempDir(), "cli")
	if log, err := runDistill(t, b, "build", dir, "--lock", b.lock, "--progress", "quiet", "--no-scan", "--output", "oci:"+layout); err != nil {
		t.Fatalf("distill build: %v\n%s", err, log)
	}
	out := filepath.Join(t.TempDir(), "buildx.tar")
	log, err := run("buildx", "build", "--builder", builder, "--progress", "plain", "--sbom=true",
		"--output", "type=oci,dest="+out+","+exportName, "-f", filepath.Join(dir, "distill.yaml"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log, "syft") {
		t.Error("BuildKit ran its own SBOM scanner")
	}
	x := readOCIExport(t, out)
	img := x.images["linux/amd64"]
	if want := digestOf(t, layoutImage(t, layout)).String(); img != want {
		t.Fatalf("docker buildx built %s, distill build %s", img, want)
	}
	atts := requireAttestations(t, x, "linux/amd64")
	spdx := predicate(t, atts["https://spdx.dev/Document"], img)
	if pkgs, _ := spdx["packages"].([]any); len(pkgs) == 0 {
		t.Error("the SPDX SBOM lists no packages")
	}
}

// BenchmarkFrontendOverhead: what the frontend adds to a warm build of the
// same Dockerfile over BuildKit's own Dockerfile frontend: pulling and
// starting the frontend image, the scans (answered from the cache) and the
// attestations. Goal: under 1 s added.
func BenchmarkFrontendOverhead(b *testing.B) {
	fx := publishFrontend(b)
	harness.Engine(b)
	upstream, ours := dockerfileProjects(b, fx)
	out := filepath.Join(b.TempDir(), "out.tar")
	build := func(dir string, extra ...string) time.Duration {
		begin := time.Now()
		if _, err := buildctl(b, "", dockerfileArgs(fx, dir, append(extra, "--output", "type=oci,dest="+out)...)...); err != nil {
			b.Fatal(err)
		}
		return time.Since(begin)
	}
	// Warm: every step cached, the frontend image pulled.
	build(upstream)
	build(ours)
	const runs = 5
	var up, scanned, unscanned []time.Duration
	for range runs {
		up = append(up, build(upstream))
		scanned = append(scanned, build(ours))
		unscanned = append(unscanned, build(ours, "--opt", "scan=off"))
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	mu, ms, mo := median(up), median(scanned), median(unscanned)
	added := ms - mu
	fmt.Printf("\nwarm Dockerfile build of examples/go-app, median of %d (2 cores):\n", runs)
	fmt.Printf("  upstream Dockerfile frontend     %6.2fs\n", mu.Seconds())
	fmt.Printf("  distill frontend, scan=off       %6.2fs   (+%.2fs)\n", mo.Seconds(), (mo - mu).Seconds())
	fmt.Printf("  distill frontend, scans + attestations %6.2fs   (+%.2fs): goal < 1 s added met: %v\n\n", ms.Seconds(), added.Seconds(), added < time.Second)
	b.ReportMetric(mu.Seconds(), "s-upstream")
	b.ReportMetric(ms.Seconds(), "s-distill")
	b.ReportMetric(added.Seconds(), "s-added")
	if added >= time.Second {
		b.Errorf("the frontend adds %s to a warm build (goal < 1 s)", added)
	}
}
