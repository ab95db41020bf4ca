package solver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	commonexptypes "github.com/moby/buildkit/exporter/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
)

func image(p plan.Platform, user string) llbgen.Runtime {
	return llbgen.Runtime{
		Platform: p,
		Config: &ocispecs.Image{
			Platform: ocispecs.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant},
			Config:   ocispecs.ImageConfig{User: user, Entrypoint: []string{"/app/app"}},
		},
	}
}

func configOf(t *testing.T, dt []byte) ocispecs.Image {
	t.Helper()
	var img ocispecs.Image
	if err := json.Unmarshal(dt, &img); err != nil {
		t.Fatalf("image config: %v", err)
	}
	return img
}

func TestResultSinglePlatform(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	res, err := result([]llbgen.Runtime{image(plan.Platform{OS: "linux", Arch: "amd64"}, "65532:65532")}, []gateway.Reference{nil}, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refs) != 0 {
		t.Errorf("refs %v: one platform is a single ref", res.Refs)
	}
	if img := configOf(t, res.Metadata[exptypes.ExporterImageConfigKey]); img.Config.User != "65532:65532" || img.Architecture != "amd64" {
		t.Errorf("config %+v", img)
	}
	if got := string(res.Metadata[commonexptypes.ExporterEpochKey]); got != "1700000000" {
		t.Errorf("epoch %q", got)
	}
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.Platforms) != 1 || ps.Platforms[0].ID != "linux/amd64" {
		t.Errorf("platforms %+v", ps)
	}
	if len(res.Metadata) != 3 {
		t.Errorf("metadata keys %v", keys(res.Metadata))
	}
}

func TestResultMultiPlatform(t *testing.T) {
	amd, arm := plan.Platform{OS: "linux", Arch: "amd64"}, plan.Platform{OS: "linux", Arch: "arm64"}
	imgs := []llbgen.Runtime{image(amd, "1"), image(arm, "2")}
	res, err := result(imgs, []gateway.Reference{nil, nil}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps.Platforms {
		ids = append(ids, p.ID)
		if _, ok := res.Refs[p.ID]; !ok {
			t.Errorf("no ref for %s: %v", p.ID, res.Refs)
		}
	}
	if strings.Join(ids, " ") != "linux/amd64 linux/arm64" {
		t.Errorf("platform ids %q, want the Spec's order", ids)
	}
	for i, id := range ids {
		img := configOf(t, res.Metadata[exptypes.ExporterImageConfigKey+"/"+id])
		if img.Config.User != fmt.Sprint(i+1) || img.Architecture != imgs[i].Platform.Arch {
			t.Errorf("%s: config %+v", id, img)
		}
		if got := string(res.Metadata[commonexptypes.ExporterEpochKey+"/"+id]); got != "0" {
			t.Errorf("%s: epoch %q", id, got)
		}
	}
	if _, ok := res.Metadata[exptypes.ExporterImageConfigKey]; ok {
		t.Error("a multi-platform result has a platform-less config")
	}
}

// The build stage (--target build) has no image config.
func TestResultWithoutConfig(t *testing.T) {
	res, err := result([]llbgen.Runtime{{Platform: plan.Platform{OS: "linux", Arch: "arm64"}}}, []gateway.Reference{nil}, time.Unix(5, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Metadata[exptypes.ExporterImageConfigKey]; ok {
		t.Error("config metadata without a config")
	}
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil || ps.Platforms[0].ID != "linux/arm64" {
		t.Errorf("platforms %+v, %v", ps, err)
	}
}

func TestStageError(t *testing.T) {
	inner := errors.New("process \"go test ./...\" did not complete successfully: exit code: 1")
	err := error(&StageError{Stage: "test", Err: inner})
	if err.Error() != "test stage failed: "+inner.Error() {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, inner) {
		t.Error("StageError does not unwrap")
	}
	var se *StageError
	if !errors.As(fmt.Errorf("build: %w", err), &se) || se.Stage != "test" {
		t.Error("StageError is not found in a wrapped error")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCauseSkipsCancelledAndForeignFailures(t *testing.T) {
	st := llb.Scratch().File(llb.Mkfile("/a", 0o644, []byte("a")))
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	own := digest.FromBytes(def.Def[0])
	if !defines(def, own) || defines(def, digest.FromString("elsewhere")) {
		t.Fatal("defines does not tell the graph's steps from others")
	}

	testErr := &StageError{Stage: "test", Err: errdefs.WrapVertex(errors.New("exit code: 1"), digest.FromString("go test"))}
	scanErr := &StageError{Stage: "scan runtime", Err: &foreignError{testErr.Err}}
	var f stageFailures
	_ = f.record(func() error { return scanErr })()
	_ = f.record(func() error { return &StageError{Stage: "build", Err: context.Canceled} })()
	_ = f.record(func() error { return testErr })()
	if got := f.cause(scanErr); got != testErr {
		t.Errorf("cause = %v, want the test's failure", got)
	}

	// Only a foreign failure: the stage that merely reported it is dropped,
	// and the error still names the failed step.
	var g stageFailures
	_ = g.record(func() error { return scanErr })()
	got := g.cause(scanErr)
	var se *StageError
	if errors.As(got, &se) {
		t.Errorf("cause kept stage %q", se.Stage)
	}
	if d, ok := FailedStep(got); !ok || d != digest.FromString("go test") {
		t.Errorf("FailedStep = %v, %v", d, ok)
	}
}
