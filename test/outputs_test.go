package test_test

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/test/harness"
)

// fileFromImage reads one file from an image's layers (the last layer that has it).
func fileFromImage(t testing.TB, img v1.Image, path string) []byte {
	t.Helper()
	files := map[string][]byte{}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tarFiles(t, rc) {
			files[f.name] = f.data
		}
		rc.Close()
	}
	dt, ok := files[path]
	if !ok {
		t.Fatalf("%s is not in the image", path)
	}
	return dt
}

// TestMultiPlatformIndexAndOutputs builds go-app for linux/amd64 and
// linux/arm64 (cross-compiled; the arm64 runtime from arm64 packages) into an
// index, writes it as an OCI layout, an OCI tar and pushes it, signed —
// the index and each platform image, with OCI 1.1 referrers.
func TestMultiPlatformIndexAndOutputs(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	reg := harness.Registry(t)
	cosign := harness.NewCosign(t)
	k := newSigningKey(t)
	dir := t.TempDir()
	ref := reg + "/distill-test/go-app:multi"
	res, err := goAppPipeline().Platforms("linux/amd64", "linux/arm64").Build(context.Background(), buildOpts(t, b,
		pipeline.Dir(exampleDir(t, "go-app")),
		pipeline.Output("oci:"+filepath.Join(dir, "oci")),
		pipeline.Output("tar:"+filepath.Join(dir, "go-app.tar")),
		pipeline.Push(ref),
		pipeline.SignWithKey(k.priv, k.passFunc), pipeline.NoTransparencyLog(), pipeline.Referrers(),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Images) != 2 || res.Images[0].Platform != "linux/amd64" || res.Images[1].Platform != "linux/arm64" {
		t.Fatalf("images: %+v", res.Images)
	}
	idx, err := ocistore.ReadLayout(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != res.Digest || im.Manifests[0].MediaType.IsImage() {
		t.Fatalf("oci output does not hold the build's index %s: %+v", res.Digest, im.Manifests)
	}
	child, err := idx.ImageIndex(res.Digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		platform string
		machine  elf.Machine
	}{{"linux/amd64", elf.EM_X86_64}, {"linux/arm64", elf.EM_AARCH64}} {
		var img v1.Image
		cm, _ := child.IndexManifest()
		for _, d := range cm.Manifests {
			if d.Platform != nil && d.Platform.OS+"/"+d.Platform.Architecture == want.platform {
				img, err = child.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if img == nil {
			t.Fatalf("no %s image in the index", want.platform)
		}
		bin, err := elf.NewFile(bytes.NewReader(fileFromImage(t, img, "app/go-app")))
		if err != nil {
			t.Fatal(err)
		}
		if bin.Machine != want.machine {
			t.Errorf("%s: app/go-app is built for %v", want.platform, bin.Machine)
		}
		status := string(fileFromImage(t, img, "var/lib/dpkg/status.d/base-files"))
		if arch := strings.TrimPrefix(want.platform, "linux/"); !strings.Contains(status, "Architecture: "+arch) {
			t.Errorf("%s: base-files is not the %s package:\n%s", want.platform, arch, status)
		}
	}
	pushed, err := remote.Index(mustRef(t, ref))
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	if d, _ := pushed.Digest(); d != res.Digest {
		t.Errorf("pushed index %s, built %s", d, res.Digest)
	}

	// Signed and attested: the index and each platform image.
	vr, err := verifyOffline(t, ref, k, true)
	if err != nil {
		t.Fatalf("%v\n%v", err, vr)
	}
	var checks []string
	for _, c := range vr.Checks {
		checks = append(checks, c.Name)
	}
	for _, p := range []string{"", " (linux/amd64)", " (linux/arm64)"} {
		for _, want := range []string{"signature", "attestation slsaprovenance1"} {
			if !slices.Contains(checks, want+p) {
				t.Errorf("no %q check: %v", want+p, checks)
			}
		}
	}
	repo := mustRef(t, ref).Context()
	for _, img := range res.Images {
		d := repo.Digest(img.Digest.String()).String()
		rc, stdout, stderr := cosign.Verify(t, k.pub, d, true)
		harness.CosignRC(t, 0, "cosign verify "+img.Platform, rc, stdout, stderr)
		for _, typ := range attestationTypes {
			rc, stdout, stderr := cosign.VerifyAttestation(t, k.pub, d, typ, true)
			harness.CosignRC(t, 0, "cosign verify-attestation --type "+typ+" "+img.Platform, rc, stdout, stderr)
		}
	}
	rc, stdout, stderr := cosign.Verify(t, k.pub, ref, true)
	harness.CosignRC(t, 0, "cosign verify of the index", rc, stdout, stderr)
}

// TestDockerTarOutput writes go-app as a tar docker load accepts and checks
// it is the same image (config and layers) as the OCI export.
func TestDockerTarOutput(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	file := filepath.Join(t.TempDir(), "go-app.tar")
	log, err := runDistill(t, b, "build", "examples/go-app", "--progress", "quiet", "--lock", b.lock, "--output", "docker:"+file)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	tag, _ := name.NewTag("distill/go-app:latest")
	img, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigName()
	layout := layoutImage(t, layoutFromLog(t, log))
	want, _ := layout.ConfigName()
	if cfg != want {
		t.Fatalf("docker tar config %s, OCI export %s", cfg, want)
	}
}

// layoutFromLog reads the "layout oci:DIR" line of distill build's summary.
func layoutFromLog(t *testing.T, log string) string {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(line, "layout"); ok {
			return strings.TrimPrefix(strings.TrimSpace(rest), "oci:")
		}
	}
	t.Fatalf("no layout line in:\n%s", log)
	return ""
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type tarFile struct {
	name string
	data []byte
}

// tarFiles reads the regular files of a tar stream.
func tarFiles(t testing.TB, r io.Reader) []tarFile {
	t.Helper()
	var out []tarFile
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarFile{strings.TrimPrefix(h.Name, "./"), dt})
	}
}
