package test_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/test/harness"
)

var (
	distillOnce sync.Once
	distillBin  string
	distillErr  error
)

// distillCLI builds the distill command once per test binary.
func distillCLI(t testing.TB) string {
	t.Helper()
	distillOnce.Do(func() {
		dir, err := os.MkdirTemp("", "distill-cli-")
		if err != nil {
			distillErr = err
			return
		}
		distillBin = filepath.Join(dir, "distill")
		cmd := exec.Command("go", "build", "-o", distillBin, "./cmd/distill")
		cmd.Dir = harness.RepoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			distillErr = err
			t.Logf("%s", out)
		}
	})
	if distillErr != nil {
		t.Fatalf("building distill: %v", distillErr)
	}
	return distillBin
}

// runDistill runs the CLI against the test engine and the shared base cache.
func runDistill(t *testing.T, b *basesFixture, args ...string) (string, error) {
	t.Helper()
	if len(args) > 0 && (args[0] == "build" || args[0] == "scan" || args[0] == "sbom") {
		args = append(args, "--vulndb", b.vulndb)
	}
	cmd := exec.Command(distillCLI(t), args...)
	cmd.Dir = harness.RepoRoot(t)
	cmd.Env = append(os.Environ(), "DISTILL_CACHE="+filepath.Join(basesDir, "cache"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// buildOpts are the options every Go API build in the tests uses: the test
// engine, the shared base image cache and its lockfile.
func buildOpts(t testing.TB, b *basesFixture, extra ...pipeline.Option) []pipeline.Option {
	t.Helper()
	opts := []pipeline.Option{
		pipeline.BuildKit(os.Getenv("BUILDKIT_HOST")),
		pipeline.CacheDir(filepath.Join(basesDir, "cache")),
		pipeline.Lockfile(b.lock, false),
		pipeline.Progress("plain", harness.LogWriter(t)),
		pipeline.Logf(t.Logf),
		pipeline.Layout(filepath.Join(t.TempDir(), "layout")),
		pipeline.VulnDB(b.vulndb),
	}
	return append(opts, extra...)
}

// exampleDir is an example project's directory.
func exampleDir(t testing.TB, name string) string {
	return filepath.Join(harness.RepoRoot(t), "examples", name)
}

// layoutImage reads the single-platform image of an exported layout.
func layoutImage(t testing.TB, dir string) v1.Image {
	t.Helper()
	idx, err := ocistore.ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	img, ok, err := ocistore.Single(idx)
	if err != nil || !ok {
		t.Fatalf("layout %s: single image: %v %v", dir, ok, err)
	}
	return img
}

// containerRun describes one process to run in a gateway container.
type containerRun struct {
	args []string
	env  []string
	user string
	cwd  string // default /
	// background processes are started and left running (the service).
	background bool
}

// runInImage starts a container from an image in an OCI layout (with the
// static:debug base mounted read-only at /dbg for busybox) and runs procs in
// it in order, returning each foreground process's output. The first process
// is the container's init: the container ends with it.
func runInImage(t *testing.T, e *engine.Engine, b *basesFixture, layoutDir string, img v1.Image, procs []containerRun) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dbg := b.results["static:debug"]
	dbgDigest, _ := dbg.Image.Digest()
	resultStore, err := local.NewStore(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	baseStore, err := b.svc.Store.ContentStore()
	if err != nil {
		t.Fatal(err)
	}
	outputs := make([]string, len(procs))
	_, err = e.Build(ctx, client.SolveOpt{
		OCIStores: map[string]content.Store{"result": resultStore, llbgen.BaseStoreID: baseStore},
	}, "distill-test", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		solveRef := func(st llb.State) (gateway.Reference, error) {
			def, err := st.Marshal(ctx)
			if err != nil {
				return nil, err
			}
			res, err := c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
			if err != nil {
				return nil, err
			}
			return res.SingleRef()
		}
		root, err := solveRef(llb.OCILayout("distill/result@"+digest.String(), llb.OCIStore("", "result")))
		if err != nil {
			return nil, err
		}
		dbgRef, err := solveRef(llb.OCILayout("distill/debug@"+dbgDigest.String(), llb.OCIStore("", llbgen.BaseStoreID)))
		if err != nil {
			return nil, err
		}
		ctr, err := c.NewContainer(ctx, gateway.NewContainerRequest{
			Mounts: []gateway.Mount{
				{Dest: "/", Ref: root, MountType: pb.MountType_BIND},
				{Dest: "/dbg", Ref: dbgRef, Readonly: true, MountType: pb.MountType_BIND},
			},
			NetMode: pb.NetMode_NONE,
		})
		if err != nil {
			return nil, err
		}
		defer ctr.Release(context.WithoutCancel(ctx))
		var running []gateway.ContainerProcess
		background := map[int]*bytes.Buffer{}
		for i, p := range procs {
			var out bytes.Buffer
			w := nopWriteCloser{&out}
			cwd := p.cwd
			if cwd == "" {
				cwd = "/"
			}
			proc, err := ctr.Start(ctx, gateway.StartRequest{Args: p.args, Env: p.env, User: p.user, Cwd: cwd, Stdout: w, Stderr: w})
			if err != nil {
				return nil, err
			}
			if p.background {
				running = append(running, proc)
				background[i] = &out
				continue
			}
			err = proc.Wait()
			outputs[i] = out.String()
			if err != nil {
				outputs[i] += "\nexit: " + err.Error()
			}
		}
		for _, proc := range running {
			_ = proc.Signal(ctx, 15)
			_ = proc.Wait()
		}
		for i, out := range background {
			outputs[i] = out.String()
		}
		return gateway.NewResult(), nil
	})
	if err != nil {
		t.Fatalf("running in the image: %v", err)
	}
	return outputs
}

type nopWriteCloser struct{ *bytes.Buffer }

func (nopWriteCloser) Close() error { return nil }

// stageCached reports, for a run's stages, whether every step was cached.
func stageCached(res *pipeline.Result) map[string]bool {
	out := map[string]bool{}
	for _, s := range res.Stages {
		out[s.Stage] = s.Steps > 0 && s.Cached == s.Steps
	}
	return out
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s: %q not found in:\n%s", what, sub, s)
		}
	}
}
