package test_test

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/log"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/tonistiigi/fsutil"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/vulndb"
	"github.com/distill-dev/distill/test/harness"
)

// baseFlavours are the images the foundation must build: three runtimes, a
// debug variant and the Go builder.
var baseFlavours = []string{"static", "base", "cc", "static:debug", "go"}

// bases assembles every flavour once per test binary, from an empty cache, and
// shares the result between tests.
type basesFixture struct {
	svc     *baseimage.Service
	results map[string]*rootfs.Result
	lock    string
	vulndb  string // a vulnerability DB built from the pinned Go vulnerability database
	err     error
}

var (
	basesOnce sync.Once
	bases     basesFixture
	basesDir  string
)

func TestMain(m *testing.M) {
	_ = log.SetLevel("error") // containerd's content store warns about fs-verity support
	code := m.Run()
	if basesDir != "" {
		os.RemoveAll(basesDir)
	}
	os.Exit(code)
}

func buildBases(t testing.TB) *basesFixture {
	t.Helper()
	harness.Integration(t)
	basesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "distill-bases-")
		if err != nil {
			bases.err = err
			return
		}
		basesDir = dir
		bases.lock = filepath.Join(dir, "distill.lock")
		bases.svc, bases.results, bases.err = assembleAll(t, filepath.Join(dir, "cache"), bases.lock, false)
		if bases.err == nil {
			bases.vulndb = filepath.Join(dir, "vulndb")
			bases.err = buildVulnDB(bases.vulndb)
		}
	})
	if bases.err != nil {
		t.Fatalf("assembling base images: %v", bases.err)
	}
	return &bases
}

// assembleAll builds every flavour with a fresh service on cacheDir.
func assembleAll(t testing.TB, cacheDir, lock string, locked bool) (*baseimage.Service, map[string]*rootfs.Result, error) {
	svc, err := baseimage.New(baseimage.Config{CacheDir: cacheDir, LockPath: lock, Locked: locked})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out := map[string]*rootfs.Result{}
	for _, f := range baseFlavours {
		begin := time.Now()
		res, err := svc.Build(ctx, rootfs.Request{Flavour: f, Platform: "linux/amd64"})
		if err != nil {
			return nil, nil, err
		}
		d, _ := res.Image.Digest()
		t.Logf("%s: %s in %s", f, d, time.Since(begin).Round(time.Millisecond))
		out[f] = res
	}
	return svc, out, svc.SaveLock()
}

func digestOf(t testing.TB, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBaseImagesAreReproducible assembles every flavour a second time from a
// second empty cache (new downloads, new index) and requires identical digests;
// then a --locked build from the lock written by the first gives them again.
func TestBaseImagesAreReproducible(t *testing.T) {
	first := buildBases(t)
	_, second, err := assembleAll(t, t.TempDir(), filepath.Join(t.TempDir(), "distill.lock"), false)
	if err != nil {
		t.Fatal(err)
	}
	_, locked, err := assembleAll(t, t.TempDir(), first.lock, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range baseFlavours {
		a, b, c := digestOf(t, first.results[f].Image), digestOf(t, second[f].Image), digestOf(t, locked[f].Image)
		if a != b || a != c {
			t.Errorf("%s: clean builds differ: %s, %s, locked %s", f, a, b, c)
		}
	}
}

// layerFiles lists the paths of every layer of an image, with their tar headers.
func layerFiles(t testing.TB, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*tar.Header{}
	for _, l := range layers {
		layerEntries(t, l, func(h *tar.Header, _ io.Reader) { files[strings.TrimSuffix(h.Name, "/")] = h })
	}
	return files
}

// layerEntries calls fn with each entry of a layer's tar, and its content.
func layerEntries(tb testing.TB, l v1.Layer, fn func(h *tar.Header, body io.Reader)) {
	tb.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	tarEntries(tb, rc, fn)
}

// tarEntries calls fn with each entry of the tar stream r, and its content.
func tarEntries(tb testing.TB, r io.Reader, fn func(h *tar.Header, body io.Reader)) {
	tb.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			tb.Fatal(err)
		}
		fn(h, tr)
	}
}

// unpackedSize is the bytes of an image's regular files: what it takes on disk
// once unpacked.
func unpackedSize(files map[string]*tar.Header) int64 {
	var n int64
	for _, h := range files {
		if h.Typeflag == tar.TypeReg {
			n += h.Size
		}
	}
	return n
}

// TestRuntimeFlavoursShipNoShell checks the file lists: no shell or package
// manager outside :debug, accounts with nonroot, dpkg records for scanners,
// and the CA bundle.
func TestRuntimeFlavoursShipNoShell(t *testing.T) {
	b := buildBases(t)
	forbidden := []string{"usr/bin/sh", "usr/bin/bash", "usr/bin/dash", "usr/bin/busybox", "usr/bin/apt", "usr/bin/apt-get", "usr/bin/dpkg"}
	for _, f := range []string{"static", "base", "cc"} {
		res := b.results[f]
		files := layerFiles(t, res.Image)
		for _, p := range forbidden {
			if _, ok := files[p]; ok {
				t.Errorf("%s ships %s", f, p)
			}
		}
		for _, p := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "etc/services", "usr/share/zoneinfo/UTC", "tmp", "home/nonroot"} {
			if _, ok := files[p]; !ok {
				t.Errorf("%s lacks %s", f, p)
			}
		}
		if h := files["home/nonroot"]; h != nil && (h.Uid != rootfs.Nonroot || h.Gid != rootfs.Nonroot) {
			t.Errorf("%s: /home/nonroot owned by %d:%d", f, h.Uid, h.Gid)
		}
		if h := files["tmp"]; h != nil && h.Mode&0o1777 != 0o1777 {
			t.Errorf("%s: /tmp mode %o", f, h.Mode)
		}
		for _, p := range res.Packages {
			if _, ok := files["var/lib/dpkg/status.d/"+p.Name]; !ok {
				t.Errorf("%s: no status.d record for %s", f, p.Name)
			}
		}
		cf, err := res.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != "65532:65532" || !cf.Created.Time.Equal(time.Unix(0, 0)) {
			t.Errorf("%s: user %q created %v", f, cf.Config.User, cf.Created)
		}
	}
	for _, p := range []string{"usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libssl.so.3", "usr/lib64/ld-linux-x86-64.so.2"} {
		if _, ok := layerFiles(t, b.results["base"].Image)[p]; !ok {
			t.Errorf("base lacks %s", p)
		}
	}
	if _, ok := layerFiles(t, b.results["cc"].Image)["usr/lib/x86_64-linux-gnu/libstdc++.so.6"]; !ok {
		t.Error("cc lacks libstdc++.so.6")
	}
	// Flavours share their parent's layers.
	sl, _ := b.results["static"].Image.Layers()
	cl, _ := b.results["cc"].Image.Layers()
	sd, _ := sl[0].Digest()
	cd, _ := cl[0].Digest()
	if sd != cd {
		t.Errorf("cc does not reuse static's layer: %s vs %s", sd, cd)
	}
}

// solveStore solves st with the fixture's image store and the given local
// directories attached, and exports the result to a new directory.
func solveStore(t *testing.T, e *engine.Engine, svc *baseimage.Service, st llb.State, locals map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	def, err := st.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := svc.Store.ContentStore()
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]fsutil.FS{}
	for name, dir := range locals {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		mounts[name] = fs
	}
	out := t.TempDir()
	if _, err := e.Solve(ctx, def, client.SolveOpt{
		OCIStores:   map[string]content.Store{llbgen.BaseStoreID: cs},
		LocalMounts: mounts,
		Exports:     []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
	}); err != nil {
		t.Fatalf("solve: %v", err)
	}
	return out
}

func baseState(t *testing.T, b *basesFixture, flavour string) llb.State {
	t.Helper()
	res := b.results[flavour]
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return llbgen.FromStore("distill/"+flavour, digestOf(t, res.Image), cf)
}

const helloSource = `package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"runtime"
	"time"
)

// hello reports what it sees of the image it runs in, into the file named by
// its argument (runtime images have no shell to redirect output with).
func main() {
	pool, err := x509.SystemCertPool()
	n := 0
	if err == nil {
		n = len(pool.Subjects()) //nolint:staticcheck // a count is all we need
	}
	_, tzErr := time.LoadLocation("Europe/Paris")
	msg := fmt.Sprintf("hello from %s uid=%d gid=%d certs=%d tz=%v\n", runtime.Version(), os.Getuid(), os.Getgid(), n, tzErr == nil)
	if err := os.WriteFile(os.Args[1], []byte(msg), 0o644); err != nil {
		panic(err)
	}
}
`

// writableOut is a mount for /out that the images' nonroot user can write
// into: results go to /out/w.
func writableOut() llb.State {
	return llb.Scratch().File(llb.Mkdir("/w", 0o777))
}

func writeHello(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(helloSource), 0o644)
	return src
}

// TestStaticImageRunsAStaticBinary is the pipeline-free LLB smoke test: a Go
// binary built on the host with CGO off runs on the static image in BuildKit,
// as the image's default user, and its output is read back.
func TestStaticImageRunsAStaticBinary(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)

	binDir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(binDir, "hello"), ".")
	build.Dir = writeHello(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	st := baseState(t, b, "static").
		File(llb.Copy(llb.Local("bin"), "hello", "/usr/local/bin/hello", &llb.CopyInfo{Mode: &llb.ChmodOpt{Mode: 0o755}, CreateDestPath: true}))
	run := st.Run(llb.Args([]string{"/usr/local/bin/hello", "/out/w/result"}), llb.WithCustomName("run hello on static"))
	out := run.AddMount("/out", writableOut())
	dir := solveStore(t, e, b.svc, out, map[string]string{"bin": binDir})
	got, err := os.ReadFile(filepath.Join(dir, "w", "result"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", got)
	if !strings.HasPrefix(string(got), "hello from go") || !strings.Contains(string(got), "uid=65532 gid=65532") ||
		!strings.Contains(string(got), "tz=true") || strings.Contains(string(got), "certs=0") {
		t.Fatalf("unexpected output from the static image: %q", got)
	}
}

// TestGoBuilderBuildsInBuildKit runs go version and go build in the Go builder
// image, then runs the binary it built on the static image.
func TestGoBuilderBuildsInBuildKit(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)
	tc := b.results["go"].Toolchain

	builder := baseState(t, b, "go").
		File(llb.Copy(llb.Local("src"), ".", "/src/")).
		Dir("/src")
	version := builder.Run(llb.Args([]string{"sh", "-c", "go version > /out/version && go env GOROOT CGO_ENABLED >> /out/version"}))
	versionOut := version.AddMount("/out", llb.Scratch())
	compiled := builder.Run(llb.Args([]string{"go", "build", "-trimpath", "-o", "/out/hello", "."}),
		llb.AddEnv("CGO_ENABLED", "0"), llb.AddEnv("GOFLAGS", "-mod=mod"), llb.AddEnv("GOCACHE", "/tmp/gocache"))
	bin := compiled.AddMount("/out", llb.Scratch())
	ran := baseState(t, b, "static").
		File(llb.Copy(bin, "hello", "/usr/local/bin/hello", &llb.CopyInfo{CreateDestPath: true})).
		Run(llb.Args([]string{"/usr/local/bin/hello", "/out/w/result"})).
		AddMount("/out", writableOut())
	merged := llb.Merge([]llb.State{versionOut, ran})

	dir := solveStore(t, e, b.svc, merged, map[string]string{"src": writeHello(t)})
	v, _ := os.ReadFile(filepath.Join(dir, "version"))
	r, _ := os.ReadFile(filepath.Join(dir, "w", "result"))
	t.Logf("go version: %s\nresult: %s", v, r)
	if !strings.Contains(string(v), "go version "+tc.Version+" linux/amd64") || !strings.Contains(string(v), "/usr/local/go") {
		t.Fatalf("go version in the builder: %q, want %s", v, tc.Version)
	}
	if !strings.Contains(string(r), "hello from "+tc.Version+" uid=65532") {
		t.Fatalf("binary built in the builder printed %q", r)
	}
}

// TestDebugVariantHasBusybox runs the :debug variant's shell and checks that
// every applet busybox reports has its link in /busybox.
func TestDebugVariantHasBusybox(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)
	st := baseState(t, b, "static:debug").
		Run(llb.Args([]string{"/busybox/sh", "-c", "busybox --list > /out/w/list && ls /busybox > /out/w/links"})).
		AddMount("/out", writableOut())
	dir := solveStore(t, e, b.svc, st, nil)
	list, _ := os.ReadFile(filepath.Join(dir, "w", "list"))
	links, _ := os.ReadFile(filepath.Join(dir, "w", "links"))
	have := map[string]bool{}
	for _, l := range strings.Fields(string(links)) {
		have[l] = true
	}
	applets := strings.Fields(string(list))
	if len(applets) < 100 {
		t.Fatalf("busybox --list gave %d applets", len(applets))
	}
	var missing []string
	for _, a := range applets {
		if !have[a] {
			missing = append(missing, a)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("applets without a /busybox link: %v", missing)
	}
}

// buildVulnDB builds the scan stages' database from the pinned snapshot of
// golang.org/x/vulndb (offline once the module is in the module cache).
func buildVulnDB(dir string) error {
	ctx := context.Background()
	osv, err := vulndb.DownloadGoVulnDB(ctx, vulndb.DefaultGoVulnDBVersion)
	if err != nil {
		return err
	}
	_, err = vulndb.BuildFromGoVulnDB(ctx, osv, dir)
	return err
}

// TestBaseBuildCLI: `distill base build` writes the image the API assembles —
// the same digest from the same lockfile — as an OCI layout and a docker tar.
func TestBaseBuildCLI(t *testing.T) {
	b := buildBases(t)
	dir := t.TempDir()
	lock := filepath.Join(dir, "distill.lock")
	dt, err := os.ReadFile(b.lock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, dt, 0o644); err != nil {
		t.Fatal(err)
	}
	layout, docker := filepath.Join(dir, "static"), filepath.Join(dir, "static.tar")
	for _, out := range []string{"oci:" + layout, "docker:" + docker} {
		if log, err := runDistill(t, b, "base", "build", "static", "--lock", lock, "--locked", "--output", out); err != nil {
			t.Fatalf("distill base build static --output %s: %v\n%s", out, err, log)
		}
	}
	want := digestOf(t, b.results["static"].Image)
	if got := digestOf(t, layoutImage(t, layout)); got != want {
		t.Errorf("distill base build: %s, the API: %s", got, want)
	}
	img, err := tarball.ImageFromPath(docker, nil)
	if err != nil {
		t.Fatal(err)
	}
	// docker tars carry the image's config and layers (docker load recomputes the manifest).
	gotCfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := b.results["static"].Image.ConfigName()
	if gotCfg != wantCfg {
		t.Errorf("distill base build --output docker: config %s, the API's %s", gotCfg, wantCfg)
	}
}
