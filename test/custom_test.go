package test_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
	"github.com/distill-dev/distill/test/harness"
)

// TestCustomPipelineWithSecretMirrorAndImageBase: a custom build (builder
// flavour debian, steps with a BuildKit secret and a cache mount, declared
// artifacts) on a runtime given as an image reference, which a local
// buildkitd pulls through a registry mirror. The secret reaches the step and
// no layer.
func TestCustomPipelineWithSecretMirrorAndImageBase(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)
	reg := harness.Registry(t)

	// The "Docker Hub" image, served by the mirror: distill's static flavour.
	static := b.results["static"].Image
	if err := remote.Write(mustRef(t, reg+"/library/distill-static-test:1"), static); err != nil {
		t.Fatal(err)
	}
	const token = "s3cr3t-token-value-7f1c"
	t.Setenv("DISTILL_TEST_TOKEN", token)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "greeting.txt"), []byte("hello from a custom build\n"), 0o644)
	s := &spec.Spec{
		APIVersion: spec.APIVersion, Name: "custom",
		Build: spec.Build{
			Image: "debian",
			Steps: []spec.Step{{
				Name:    "use the token",
				Run:     "mkdir -p out && cp greeting.txt out/ && tr -d '\\n' < /run/secrets/token | sha256sum | cut -c1-64 > out/token.sha256 && date +%s%N > /root/.cache/custom/stamp",
				Secrets: []spec.Secret{{ID: "token", Required: true}},
				Caches:  []spec.Cache{{Target: "/root/.cache/custom", ID: "distill-test-custom"}},
			}},
			Artifacts: []spec.Artifact{{From: "out/greeting.txt"}, {From: "out/token.sha256"}},
		},
		Runtime: spec.Runtime{Base: "docker.io/library/distill-static-test:1", Entrypoint: []string{"/app/greeting.txt"}},
		Scan:    &spec.Scan{Skip: true},
	}
	state, err := os.MkdirTemp("", "distill-mirror-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(state)
	res, err := pipeline.BuildSpec(context.Background(), s, append(buildOpts(t, b, pipeline.Dir(dir)),
		pipeline.LocalEngine(state), pipeline.RegistryMirror("docker.io", reg), pipeline.SecretEnv("token", "DISTILL_TEST_TOKEN"))...)
	if err != nil {
		t.Fatal(err)
	}
	img := layoutImage(t, res.Layout)
	sum := sha256.Sum256([]byte(token))
	if got := strings.TrimSpace(string(fileFromImage(t, img, "app/token.sha256"))); got != hex.EncodeToString(sum[:]) {
		t.Errorf("the step did not see the secret: %q", got)
	}
	if got := string(fileFromImage(t, img, "app/greeting.txt")); got != "hello from a custom build\n" {
		t.Errorf("greeting: %q", got)
	}
	// The base came through the mirror, blob for blob.
	layers, _ := img.Layers()
	want, _ := static.Layers()
	ld, _ := layers[0].Digest()
	wd, _ := want[0].Digest()
	if ld != wd {
		t.Errorf("runtime base layer %s, the mirrored image's %s", ld, wd)
	}
	// The secret is in no layer.
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		dt, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(dt, []byte(token)) {
			t.Fatalf("the secret is in a runtime layer")
		}
	}
}
