package test_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/tonistiigi/fsutil"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/test/harness"
)

// timings of one way of building go-app: a build on an empty BuildKit, a
// rebuild without change, and a rebuild after a one-line change.
type timings struct {
	cold, noop, change time.Duration
	size               int64
}

// BenchmarkGoApp builds examples/go-app with distill and, as the baseline
// measured in the same run, with a hand-written multi-stage Dockerfile
// (testdata/go-app.Dockerfile: module download, build with a build-cache
// mount, a test stage, distroless runtime) on the same base images, each on
// a new buildkitd. It reports cold, no-op and one-line-change times and the
// runtime's size against the binary's (goal: runtime ≤ binary + 2.5 MiB).
func BenchmarkGoApp(b *testing.B) {
	harness.Integration(b)
	fx := buildBases(b)
	ctx := context.Background()

	measure := func(name string, build func(e *engine.Engine, dir string) (int64, error)) timings {
		state, err := os.MkdirTemp("", "distill-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(state)
		e, err := engine.Start(ctx, engine.WithAddr(""), engine.WithStateDir(state), engine.WithProgress(engine.ProgressQuiet, nil), engine.WithLog(harness.LogWriter(b)))
		harness.Require(b, "a private buildkitd", err)
		defer e.Close()
		dir := b.TempDir()
		copyTree(b, filepath.Join(harness.RepoRoot(b), "examples", "go-app"), dir)
		var tm timings
		run := func(what string, d *time.Duration) {
			begin := time.Now()
			size, err := build(e, dir)
			*d = time.Since(begin)
			if err != nil {
				b.Fatalf("%s %s: %v", name, what, err)
			}
			tm.size = size
		}
		run("cold", &tm.cold)
		run("no-op", &tm.noop)
		editGreeting(b, dir)
		run("one-line change", &tm.change)
		return tm
	}

	epoch := time.Unix(1700000000, 0)
	var binSize, unpacked int64
	distill := measure("distill", func(e *engine.Engine, dir string) (int64, error) {
		res, err := goAppPipeline().Build(ctx,
			pipeline.Dir(dir), pipeline.BuildKit(e.Addr()), pipeline.SourceDateEpoch(epoch),
			pipeline.CacheDir(filepath.Join(basesDir, "cache")), pipeline.Lockfile(fx.lock, false),
			pipeline.Progress("quiet", nil), pipeline.Layout(filepath.Join(b.TempDir(), "layout")), pipeline.VulnDB(fx.vulndb))
		if err != nil {
			return 0, err
		}
		files := imageFiles(b, res.Layout)
		binSize, unpacked = files["app/go-app"].Size, unpackedSize(files)
		return res.Images[0].Size, nil
	})
	dockerfile := measure("Dockerfile", func(e *engine.Engine, dir string) (int64, error) {
		return dockerfileBuild(ctx, b, e, fx, dir)
	})

	// The table goes to stdout: go test shows a benchmark's output, but cuts long logs.
	fmt.Printf("\nexamples/go-app on a new buildkitd each (2 cores):\n")
	report := func(name string, tm timings) {
		fmt.Printf("  %-24s cold %7.2fs   no-op %6.2fs   one-line change %6.2fs   runtime %.2f MiB\n",
			name, tm.cold.Seconds(), tm.noop.Seconds(), tm.change.Seconds(), float64(tm.size)/(1<<20))
	}
	report("distill", distill)
	report("Dockerfile (baseline)", dockerfile)
	fmt.Printf("  runtime %.2f MiB unpacked (%.2f MiB compressed), binary %.2f MiB: goal runtime ≤ binary + 2.5 MiB (%.2f MiB) met: %v\n\n",
		float64(unpacked)/(1<<20), float64(distill.size)/(1<<20), float64(binSize)/(1<<20), float64(binSize)/(1<<20)+2.5, unpacked <= binSize+5<<19)
	b.ReportMetric(distill.cold.Seconds(), "s-cold")
	b.ReportMetric(distill.noop.Seconds(), "s-noop")
	b.ReportMetric(distill.change.Seconds(), "s-change")
	b.ReportMetric(dockerfile.cold.Seconds(), "s-cold-dockerfile")
	b.ReportMetric(dockerfile.change.Seconds(), "s-change-dockerfile")
	b.ReportMetric(float64(distill.size)/(1<<20), "MiB-runtime")
	b.ReportMetric(float64(unpacked)/(1<<20), "MiB-runtime-unpacked")
	if unpacked > binSize+5<<19 {
		b.Errorf("runtime %d bytes unpacked > binary %d bytes + 2.5 MiB", unpacked, binSize)
	}
}

// dockerfileBuild builds testdata/go-app.Dockerfile's test and runtime
// targets (a Dockerfile build runs only what its target needs, so the test
// stage is a second build) and returns the runtime's compressed size.
func dockerfileBuild(ctx context.Context, b *testing.B, e *engine.Engine, fx *basesFixture, dir string) (int64, error) {
	cs, err := fx.svc.Store.ContentStore()
	if err != nil {
		return 0, err
	}
	goDigest, _ := fx.results["go"].Image.Digest()
	staticDigest, _ := fx.results["static"].Image.Digest()
	ctxFS, err := fsutil.NewFS(dir)
	if err != nil {
		return 0, err
	}
	dfFS, err := fsutil.NewFS(filepath.Join(harness.RepoRoot(b), "test", "testdata"))
	if err != nil {
		return 0, err
	}
	ca, err := os.ReadFile(caBundleFile())
	if err != nil {
		return 0, err
	}
	proxy, _ := exec.Command("go", "env", "GOPROXY").Output()
	var size int64
	for _, target := range []string{"test", "runtime"} {
		out := filepath.Join(b.TempDir(), "layout")
		opt := client.SolveOpt{
			Frontend: "dockerfile.v0",
			FrontendAttrs: map[string]string{
				"filename":               "go-app.Dockerfile",
				"target":                 target,
				"context:distill/go":     "oci-layout://" + llbgen.BaseStoreID + "@" + goDigest.String(),
				"context:distill/static": "oci-layout://" + llbgen.BaseStoreID + "@" + staticDigest.String(),
				"build-arg:GOPROXY":      strings.TrimSpace(string(proxy)),
			},
			LocalMounts: map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
			OCIStores:   map[string]content.Store{llbgen.BaseStoreID: cs},
			Session:     []session.Attachable{secretsprovider.FromMap(map[string][]byte{"ca": ca})},
		}
		if target == "runtime" {
			opt.Exports = []client.ExportEntry{{Type: client.ExporterOCI, OutputDir: out, Attrs: map[string]string{"tar": "false"}}}
		}
		if _, err := e.Solve(ctx, nil, opt); err != nil {
			return 0, fmt.Errorf("target %s: %w", target, err)
		}
		if target == "runtime" {
			img := layoutImage(b, out)
			m, _ := img.Manifest()
			raw, _ := img.RawManifest()
			size = int64(len(raw)) + m.Config.Size
			for _, l := range m.Layers {
				size += l.Size
			}
		}
	}
	return size, nil
}

func caBundleFile() string {
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		return f
	}
	return "/etc/ssl/certs/ca-certificates.crt"
}

// BenchmarkScan scans examples/go-app's runtime and its build stage (the
// builder with the Go toolchain) on a new buildkitd, and reports how long
// each scan stage took: what a hand-written `trivy fs` over the build stage
// costs, against scanning what ships.
func BenchmarkScan(b *testing.B) {
	harness.Integration(b)
	fx := buildBases(b)
	state, err := os.MkdirTemp("", "distill-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(state)
	e, err := engine.Start(context.Background(), engine.WithAddr(""), engine.WithStateDir(state), engine.WithProgress(engine.ProgressQuiet, nil), engine.WithLog(harness.LogWriter(b)))
	harness.Require(b, "a private buildkitd", err)
	defer e.Close()
	res, err := goAppPipeline().Build(context.Background(),
		pipeline.Dir(filepath.Join(harness.RepoRoot(b), "examples", "go-app")), pipeline.BuildKit(e.Addr()),
		pipeline.CacheDir(filepath.Join(basesDir, "cache")), pipeline.Lockfile(fx.lock, false), pipeline.VulnDB(fx.vulndb),
		pipeline.ScanStage("build"), pipeline.Progress("quiet", nil), pipeline.Layout(filepath.Join(b.TempDir(), "layout")))
	if err != nil {
		b.Fatal(err)
	}
	took := map[string]time.Duration{}
	for _, st := range res.Stages {
		took[st.Stage] = st.Duration
	}
	packages := map[string]int{}
	for _, f := range res.Scans {
		packages[f.Label] = f.Report.Packages
	}
	fmt.Printf("\nscan stages of examples/go-app (trivy rootfs + CycloneDX + SPDX, offline):\n")
	fmt.Printf("  runtime  %6.2fs  %4d packages\n", took["scan runtime"].Seconds(), packages["runtime"])
	fmt.Printf("  build    %6.2fs  %4d packages\n\n", took["scan build"].Seconds(), packages["build"])
	b.ReportMetric(took["scan runtime"].Seconds(), "s-scan-runtime")
	b.ReportMetric(took["scan build"].Seconds(), "s-scan-build")
}
