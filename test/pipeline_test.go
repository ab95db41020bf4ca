package test_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
	"github.com/distill-dev/distill/test/harness"
)

// goAppPipeline is examples/go-app/distill.yaml written with the Go API.
func goAppPipeline() *pipeline.Pipeline {
	return pipeline.Go(pipeline.Main("./cmd/go-app"), pipeline.GoVersion("1.26"), pipeline.LDFlags("-s -w -X main.version=1.0.0")).
		Name("go-app").
		Test("./...").
		Runtime(pipeline.Static).
		Env(map[string]string{"PORT": "8080"}).
		Ports("8080")
}

// TestGoAppThroughGoAPIAndCLI builds examples/go-app with the Go API and with
// `distill build` (its distill.yaml) and requires the same image; then runs
// the service in the image, as nonroot, and asks it for a greeting.
func TestGoAppThroughGoAPIAndCLI(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	apiRes, err := goAppPipeline().Build(ctx, buildOpts(t, b, pipeline.Dir(exampleDir(t, "go-app")))...)
	if err != nil {
		t.Fatalf("Go API build: %v", err)
	}
	t.Logf("Go API: %s in %s; stages %+v", apiRes.Digest, apiRes.Duration, apiRes.Stages)

	out := filepath.Join(t.TempDir(), "cli")
	log, err := runDistill(t, b, "build", "examples/go-app", "--progress", "plain", "--lock", b.lock, "--output", "oci:"+out)
	if err != nil {
		t.Fatalf("distill build: %v\n%s", err, log)
	}
	mustContain(t, "distill build output", log, "image          go-app", "digest         "+apiRes.Digest.String(), "output         oci:"+out)

	img := layoutImage(t, out)
	cliDigest, _ := img.Digest()
	if cliDigest != apiRes.Digest {
		t.Fatalf("the Go API built %s, distill build %s", apiRes.Digest, cliDigest)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || strings.Join(cf.Config.Entrypoint, " ") != "/app/go-app" {
		t.Fatalf("config: user %q entrypoint %q", cf.Config.User, cf.Config.Entrypoint)
	}
	if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("port 8080/tcp not exposed: %v", cf.Config.ExposedPorts)
	}
	if cf.Config.Labels["org.opencontainers.image.revision"] == "" || cf.Config.Labels["org.opencontainers.image.title"] != "go-app" {
		t.Errorf("labels: %v", cf.Config.Labels)
	}

	const port = "18181"
	// The first process of a gateway container is its init: the service.
	outs := runInImage(t, e, b, out, img, []containerRun{
		{args: []string{"/app/go-app"}, env: []string{"PORT=" + port}, user: cf.Config.User, background: true},
		{args: []string{"/app/go-app", "-version"}, user: cf.Config.User},
		{args: []string{"/dbg/usr/bin/busybox", "sh", "-c",
			"for i in $(seq 50); do /app/go-app -probe http://127.0.0.1:" + port + "/healthz && break; sleep 0.1; done; " +
				"/dbg/usr/bin/busybox wget -qO- --header 'Accept-Language: fr' http://127.0.0.1:" + port + "/; echo; " +
				"/dbg/usr/bin/busybox ps -o user,args"}, user: "0:0"},
	})
	t.Logf("in the image:\n%s", strings.Join(outs, "\n---\n"))
	if strings.TrimSpace(outs[1]) != "1.0.0" {
		t.Errorf("-version printed %q", outs[1])
	}
	var greeting struct{ Message, Language, Version string }
	body := outs[2][:strings.Index(outs[2], "\n")]
	if err := json.Unmarshal([]byte(body), &greeting); err != nil || greeting.Language != "fr" || greeting.Message == "" || greeting.Version != "1.0.0" {
		t.Fatalf("the service answered %q (%v)", body, err)
	}
	mustContain(t, "process list", outs[2], "nonroot  /app/go-app")
}

// imageFiles lists every path in the layers of the image in an OCI layout.
func imageFiles(t testing.TB, layoutDir string) map[string]*tar.Header {
	t.Helper()
	return layerFiles(t, layoutImage(t, layoutDir))
}

// TestGoAppImageShipsNoShellOrToolchain lists the runtime's files.
func TestGoAppImageShipsNoShellOrToolchain(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	layout := filepath.Join(t.TempDir(), "layout")
	res, err := goAppPipeline().Build(context.Background(), buildOpts(t, b, pipeline.Dir(exampleDir(t, "go-app")), pipeline.Layout(layout))...)
	if err != nil {
		t.Fatal(err)
	}
	files := imageFiles(t, res.Layout)
	for p := range files {
		if strings.HasPrefix(p, "usr/local/go") || strings.HasSuffix(p, "/go") || p == "go" {
			t.Errorf("Go toolchain file in the runtime: %s", p)
		}
		switch p {
		case "usr/bin/sh", "usr/bin/bash", "usr/bin/dash", "usr/bin/busybox", "bin/sh":
			t.Errorf("shell in the runtime: %s", p)
		}
		if strings.HasPrefix(p, "src") || strings.Contains(p, "go.sum") {
			t.Errorf("source file in the runtime: %s", p)
		}
	}
	bin, ok := files["app/go-app"]
	if !ok || bin.Mode&0o111 == 0 {
		t.Fatalf("app/go-app missing or not executable: %+v", bin)
	}
	if !bin.ModTime.Equal(res.Epoch) {
		t.Errorf("app/go-app mtime %v, want SOURCE_DATE_EPOCH %v", bin.ModTime, res.Epoch)
	}
	size, unpacked, binSize := res.Images[0].Size, unpackedSize(files), bin.Size
	t.Logf("runtime %d bytes compressed, %d unpacked; binary %d bytes", size, unpacked, binSize)
	if unpacked > binSize+5<<19 {
		t.Errorf("runtime unpacked (%d) larger than the binary (%d) + 2.5 MiB", unpacked, binSize)
	}
}

// TestFailingTestStopsThePipeline: a failing test fails distill build with the
// test's name in the output, and nothing is exported.
func TestFailingTestStopsThePipeline(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	out := filepath.Join(t.TempDir(), "never")
	log, err := runDistill(t, b, "build", "examples/go-app-failing", "--progress", "plain", "--lock", b.lock, "--output", "oci:"+out)
	t.Logf("%s", log)
	if err == nil {
		t.Fatal("distill build succeeded with a failing test")
	}
	mustContain(t, "distill build output", log, "test stage failed", "TestDeliberatelyFails", "--- FAIL")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("%s was written although the tests failed (%v)", out, err)
	}
}

// TestTargets: --target build exports the build stage and runs no test (the
// failing example builds); --target test runs the tests and exports nothing.
func TestTargets(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	layout := filepath.Join(t.TempDir(), "build-stage")
	log, err := runDistill(t, b, "build", "examples/go-app-failing", "--target", "build", "--progress", "plain", "--lock", b.lock, "--output", "oci:"+layout)
	if err != nil {
		t.Fatalf("--target build of a project whose tests fail: %v\n%s", err, log)
	}
	if strings.Contains(log, "TestDeliberatelyFails") || strings.Contains(log, "[test]") {
		t.Errorf("--target build ran the tests:\n%s", log)
	}
	files := imageFiles(t, layout)
	for _, want := range []string{"usr/local/go/bin/go", "src/main_test.go"} {
		if _, ok := files[want]; !ok {
			t.Errorf("the build stage's image lacks %s", want)
		}
	}

	never := filepath.Join(t.TempDir(), "never")
	log, err = runDistill(t, b, "build", "examples/go-app", "--target", "test", "--progress", "plain", "--lock", b.lock, "--output", "oci:"+never)
	if err != nil {
		t.Fatalf("--target test: %v\n%s", err, log)
	}
	mustContain(t, "--target test output", log, "[test]")
	if strings.Contains(log, "[runtime") {
		t.Errorf("--target test assembled the runtime:\n%s", log)
	}
	if _, err := os.Stat(never); !os.IsNotExist(err) {
		t.Errorf("--target test wrote %s (%v)", never, err)
	}
}

// TestWarmAndIncrementalRebuilds: a rebuild with no change is a cache hit in
// every stage; after a one-line change the module download stays cached and
// build, test and runtime run again.
func TestWarmAndIncrementalRebuilds(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	s, err := spec.Load(filepath.Join(dir, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(1700000000, 0)
	build := func() *pipeline.Result {
		t.Helper()
		res, err := pipeline.BuildSpec(context.Background(), s, buildOpts(t, b, pipeline.Dir(dir), pipeline.SourceDateEpoch(epoch))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s in %s: %+v", res.Digest, res.Duration, res.Stages)
		return res
	}
	first := build()
	warm := build()
	for stage, cached := range stageCached(warm) {
		if stage != "source" && !cached {
			t.Errorf("warm rebuild: stage %s was not a cache hit", stage)
		}
	}
	if warm.Digest != first.Digest {
		t.Errorf("warm rebuild changed the digest: %s → %s", first.Digest, warm.Digest)
	}

	editGreeting(t, dir)
	changed := build()
	c := stageCached(changed)
	if !c["deps"] {
		t.Errorf("a source change re-ran the module download: %+v", changed.Stages)
	}
	for _, stage := range []string{"src", "build", "test", "runtime linux/amd64"} {
		if c[stage] {
			t.Errorf("a source change left stage %s cached: %+v", stage, changed.Stages)
		}
	}
	if changed.Digest == first.Digest {
		t.Errorf("a changed binary gave the same image %s", first.Digest)
	}
}

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, dt, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTwoCleanBuildsGiveOneDigest builds examples/go-app on two new buildkitd
// instances (empty caches) and requires the same runtime digest.
func TestTwoCleanBuildsGiveOneDigest(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t) // the prerequisites of the other integration tests: root, buildkitd, runc
	var digests []string
	for i := range 2 {
		state, err := os.MkdirTemp("", "distill-clean-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(state)
		e, err := engine.Start(context.Background(), engine.WithAddr(""), engine.WithStateDir(state), engine.WithLog(harness.LogWriter(t)))
		harness.Require(t, "a private buildkitd", err)
		res, err := goAppPipeline().Build(context.Background(), append(buildOpts(t, b, pipeline.Dir(exampleDir(t, "go-app"))), pipeline.BuildKit(e.Addr()))...)
		if cerr := e.Close(); cerr != nil {
			t.Errorf("stopping buildkitd %d: %v", i, cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("clean build %d: %s in %s", i+1, res.Digest, res.Duration)
		digests = append(digests, res.Digest.String())
	}
	if digests[0] != digests[1] {
		t.Fatalf("two clean builds differ: %s and %s", digests[0], digests[1])
	}
}

// editGreeting makes a one-line change to go-app that changes its binary
// (a new greeting), unique to this run so that no earlier run left its
// result in the engine's cache.
func editGreeting(t testing.TB, dir string) {
	t.Helper()
	greet := filepath.Join(dir, "internal", "greet", "greet.go")
	src, err := os.ReadFile(greet)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), `{language.Portuguese, "Olá, mundo!"},`,
		fmt.Sprintf(`{language.Portuguese, "Olá, mundo!"}, {language.Italian, "Ciao, mondo! (%d)"},`, time.Now().UnixNano()), 1)
	if edited == string(src) {
		t.Fatal("the greeting to change is not in greet.go")
	}
	if err := os.WriteFile(greet, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
}
