package test_test

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distill-dev/distill/internal/daggergen"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/pipeline/spec"
	"github.com/distill-dev/distill/test/harness"
)

// untar extracts an OCI tarball (as Dagger exports it) into a directory.
func untar(t testing.TB, file string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xf", file, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("untar %s: %v\n%s", file, err, out)
	}
	return dir
}

// fileEntry is what the conformance test compares of a file: its type,
// mode, owner, size and link target.
func fileEntry(h *tar.Header) string {
	return fmt.Sprintf("type=%c mode=%o uid=%d gid=%d size=%d link=%s", h.Typeflag, h.Mode&0o7777, h.Uid, h.Gid, h.Size, h.Linkname)
}

// contentDigest digests a layer's content — every entry's path, type, mode,
// owner and data — and not its tar framing (timestamps of parent
// directories, entry order, PAX records), which engines write differently.
func contentDigest(t testing.TB, l v1.Layer) string {
	t.Helper()
	var lines []string
	layerEntries(t, l, func(h *tar.Header, body io.Reader) {
		if h.Typeflag == tar.TypeDir {
			return // directories the copy created on the way
		}
		sum := sha256.New()
		io.Copy(sum, body)
		lines = append(lines, fmt.Sprintf("%s %s sha256=%x", strings.TrimPrefix(strings.TrimSuffix(h.Name, "/"), "./"), fileEntry(h), sum.Sum(nil)))
	})
	slices.Sort(lines)
	d := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(d[:]) + " (" + strings.Join(lines, "; ") + ")"
}

// TestDaggerBackendConformance: the same Spec through the BuildKit backend
// (distill build) and the Dagger backend gives runtime images with the same
// files, owners and modes, the same app layer content, and the same SBOMs
// and findings.
func TestDaggerBackendConformance(t *testing.T) {
	fx := publishFrontend(t)
	b := buildBases(t)
	harness.Engine(t)
	c := harness.Dagger(t)
	ctx := context.Background()
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)

	layout := filepath.Join(t.TempDir(), "cli")
	reports := t.TempDir()
	if log, err := runDistill(t, b, "build", dir, "--lock", b.lock, "--progress", "quiet", "--output", "oci:"+layout, "--report-dir", reports); err != nil {
		t.Fatalf("distill build: %v\n%s", err, log)
	}

	s, err := spec.Load(filepath.Join(dir, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := daggergen.CatalogOf(ctx, c, fx.ref)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	res, err := daggergen.Pipeline(ctx, c, s, c.Host().Directory(dir), daggergen.PipelineOptions{Catalog: cat, Epoch: time.Unix(0, 0)})
	if err != nil {
		t.Fatalf("Dagger backend: %v", err)
	}
	tarball := filepath.Join(t.TempDir(), "dagger.tar")
	if _, err := res.Images[0].Container.Export(ctx, tarball); err != nil {
		t.Fatal(err)
	}
	t.Logf("Dagger backend: %s", time.Since(begin).Round(time.Millisecond))

	cliImg, dagImg := layoutImage(t, layout), layoutImage(t, untar(t, tarball))
	cliFiles, dagFiles := layerFiles(t, cliImg), layerFiles(t, dagImg)
	for name, h := range cliFiles {
		d, ok := dagFiles[name]
		switch {
		case !ok:
			t.Errorf("%s: in distill build's image, not in Dagger's", name)
		case fileEntry(h) != fileEntry(d):
			t.Errorf("%s: distill build %s, Dagger %s", name, fileEntry(h), fileEntry(d))
		}
	}
	for name := range dagFiles {
		if _, ok := cliFiles[name]; !ok {
			t.Errorf("%s: in Dagger's image, not in distill build's", name)
		}
	}
	if len(cliFiles) < 10 {
		t.Fatalf("distill build's image has %d files", len(cliFiles))
	}
	last := func(img v1.Image) v1.Layer {
		ls, err := img.Layers()
		if err != nil || len(ls) == 0 {
			t.Fatalf("layers: %v", err)
		}
		return ls[len(ls)-1]
	}
	if cd, dd := contentDigest(t, last(cliImg)), contentDigest(t, last(dagImg)); cd != dd {
		t.Errorf("app layer content: distill build %s\nDagger %s", cd, dd)
	} else {
		t.Logf("app layer content digest %s", cd[:71])
	}

	// Scans: the same SBOMs (deterministic at the epoch) and findings.
	if len(res.Scans) == 0 {
		t.Fatal("the Dagger backend did not scan the runtime")
	}
	f := res.Scans[0]
	for ext, got := range map[string][]byte{".cdx.json": f.CDX, ".spdx.json": f.SPDX} {
		want, err := os.ReadFile(filepath.Join(reports, "runtime"+ext))
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != string(got) {
			t.Errorf("runtime%s differs between distill build (%d bytes) and Dagger (%d bytes)", ext, len(want), len(got))
		}
	}
	var cliReport scan.Report
	dt, err := os.ReadFile(filepath.Join(reports, "runtime.vulns.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, &cliReport); err != nil {
		t.Fatal(err)
	}
	if a, b := findingIDs(&cliReport), findingIDs(f.Report); !slices.Equal(a, b) || len(cliReport.Findings) != len(f.Report.Findings) {
		t.Errorf("findings: distill build %v, Dagger %v", a, b)
	}
}

// daggerCall runs dagger call in the repository (the module is its root).
func daggerCall(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return dagger(t, append([]string{"call", "--progress", "plain"}, args...)...)
}

// dagger runs the dagger CLI in the repository.
func dagger(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(harness.DaggerCLI(t), args...)
	cmd.Dir = harness.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	t.Logf("dagger %s\n%s", strings.Join(args, " "), lastLines(string(out), 30))
	return string(out), err
}

// TestDaggerCall: dagger call build exports an image that runs, and
// dagger call ci returns the image, reports and SBOMs — the SBOMs and
// findings those of distill build for the same inputs.
func TestDaggerCall(t *testing.T) {
	fx := publishFrontend(t)
	b := buildBases(t)
	e := harness.Engine(t)
	harness.DaggerCLI(t)

	out := t.TempDir()
	begin := time.Now()
	if _, err := daggerCall(t, "--frontend="+fx.ref, "build", "--source=examples/go-app", "export", "--path="+out+"/go-app.tar"); err != nil {
		t.Fatalf("dagger call build: %v", err)
	}
	t.Logf("dagger call build: %s", time.Since(begin).Round(time.Millisecond))
	layout := untar(t, out+"/go-app.tar")
	img := layoutImage(t, layout)
	outs := runInImage(t, e, b, layout, img, []containerRun{{args: []string{"/app/go-app", "-version"}, user: "65532:65532"}})
	if strings.TrimSpace(outs[0]) != "1.0.0" {
		t.Errorf("the image built by dagger call build printed %q for -version", outs[0])
	}

	ci := filepath.Join(t.TempDir(), "ci")
	begin = time.Now()
	if _, err := daggerCall(t, "--frontend="+fx.ref, "ci", "--source=examples/go-app", "export", "--path="+ci); err != nil {
		t.Fatalf("dagger call ci: %v", err)
	}
	t.Logf("dagger call ci: %s", time.Since(begin).Round(time.Millisecond))
	for _, f := range []string{"image.tar", "runtime.vulns.json", "runtime.sarif", "build.vulns.json", "build.spdx.json", "summary.md"} {
		if _, err := os.Stat(filepath.Join(ci, f)); err != nil {
			t.Errorf("dagger call ci: %v", err)
		}
	}
	if got := digestOf(t, layoutImage(t, untar(t, filepath.Join(ci, "image.tar")))); got != digestOf(t, img) {
		t.Errorf("dagger call ci's image %s, dagger call build's %s", got, digestOf(t, img))
	}

	// The same inputs through distill build (a copy: outside Git the epoch is 0, as for dagger call).
	dir := t.TempDir()
	copyTree(t, exampleDir(t, "go-app"), dir)
	reports := t.TempDir()
	if log, err := runDistill(t, b, "build", dir, "--lock", b.lock, "--progress", "quiet", "--scan-stage", "build", "--report-dir", reports); err != nil {
		t.Fatalf("distill build: %v\n%s", err, log)
	}
	for _, f := range []string{"runtime.cdx.json", "runtime.spdx.json", "build.cdx.json"} {
		want, _ := os.ReadFile(filepath.Join(reports, f))
		got, _ := os.ReadFile(filepath.Join(ci, f))
		if len(want) == 0 || string(want) != string(got) {
			t.Errorf("%s: distill build %d bytes, dagger call ci %d bytes, not equal", f, len(want), len(got))
		}
	}
	for _, stage := range []string{"runtime", "build"} {
		var a, d scan.Report
		for _, r := range []struct {
			dir string
			to  *scan.Report
		}{{reports, &a}, {ci, &d}} {
			dt, err := os.ReadFile(filepath.Join(r.dir, stage+".vulns.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(dt, r.to); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(findingIDs(&a), findingIDs(&d)) || len(a.Findings) != len(d.Findings) {
			t.Errorf("%s findings: distill build %v, dagger call ci %v", stage, findingIDs(&a), findingIDs(&d))
		}
	}
}

// TestDaggerCallPublish: dagger call publish signs and pushes to the test
// registry (on the host's loopback, reached through a Dagger tunnel); the
// image passes distill verify and the cosign CLI, with every attestation.
func TestDaggerCallPublish(t *testing.T) {
	fx := publishFrontend(t)
	reg := harness.Registry(t)
	harness.DaggerCLI(t)
	k := newSigningKey(t)
	port := reg[strings.LastIndex(reg, ":")+1:]
	ref := reg + "/dagger/go-app:v1"
	t.Setenv("DISTILL_TEST_KEY_PASSWORD", k.password)
	log, err := daggerCall(t, "--frontend="+fx.ref, "publish", "--source=examples/go-app", "--address="+ref,
		"--key=file:"+k.priv, "--password=env:DISTILL_TEST_KEY_PASSWORD", "--registry=tcp://localhost:"+port)
	if err != nil {
		t.Fatalf("dagger call publish: %v", err)
	}
	if strings.Contains(log, k.password) {
		t.Error("the key's password is in dagger's output")
	}
	res, err := verifyOffline(t, ref, k, false)
	if err != nil {
		t.Fatalf("distill verify: %v", err)
	}
	for _, c := range res.Checks {
		t.Log(c)
	}
	c := harness.NewCosign(t)
	rc, stdout, stderr := c.Verify(t, k.pub, ref, false)
	harness.CosignRC(t, 0, "cosign verify", rc, stdout, stderr)
	for _, typ := range attestationTypes {
		rc, stdout, stderr := c.VerifyAttestation(t, k.pub, ref, typ, false)
		harness.CosignRC(t, 0, "cosign verify-attestation --type "+typ, rc, stdout, stderr)
	}
}

// TestDaggerCheck: dagger check runs the module's checks (CheckGoApp: the
// go-app example through the whole pipeline) with the module's default
// frontend, 127.0.0.1:5000/distill/frontend:latest — where make frontend and
// the test services put it.
func TestDaggerCheck(t *testing.T) {
	fx := publishFrontend(t)
	harness.DaggerCLI(t)
	if want := "127.0.0.1:5000/distill/frontend"; !strings.HasPrefix(fx.ref, want+"@") {
		harness.Require(t, "the test registry on 127.0.0.1:5000 (the module's default frontend)", fmt.Errorf("the frontend is at %s", fx.ref))
	}
	log, err := dagger(t, "check", "--progress", "plain")
	if err != nil {
		t.Fatalf("dagger check: %v", err)
	}
	mustContain(t, "dagger check", log, "checkGoApp")
}
