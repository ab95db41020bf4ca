package test_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/test/harness"
)

// solveHello solves a one-file LLB graph and exports it to a temporary directory,
// checking that the file arrives.
func solveHello(t *testing.T, e *engine.Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	def, err := llb.Scratch().File(llb.Mkfile("/hello", 0o644, []byte("hi"))).Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	begin := time.Now()
	if _, err := e.Solve(ctx, def, client.SolveOpt{
		Exports: []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
	}); err != nil {
		t.Fatalf("solve: %v", err)
	}
	t.Logf("solve took %s", time.Since(begin).Round(time.Millisecond))
	got, err := os.ReadFile(filepath.Join(out, "hello"))
	if err != nil || string(got) != "hi" {
		t.Fatalf("exported /hello = %q, %v; want \"hi\"", got, err)
	}
}

func TestEngineSolve(t *testing.T) {
	solveHello(t, harness.Engine(t))
}

// TestEngineBuild runs a gateway build function in the test process, as distill's
// frontend code does when it runs without a frontend image.
func TestEngineBuild(t *testing.T) {
	e := harness.Engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := t.TempDir()
	tr := engine.NewTrace()
	_, err := e.Build(ctx, client.SolveOpt{
		Exports: []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
	}, "distill-test", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		def, err := llb.Scratch().File(llb.Mkfile("/built", 0o600, []byte("by a build func"))).Marshal(ctx)
		if err != nil {
			return nil, err
		}
		return c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	}, tr.Observe)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if !slices.ContainsFunc(tr.Vertices(), func(v engine.Vertex) bool { return v.Name == "mkfile /built" && !v.Completed.IsZero() }) {
		t.Errorf("trace of the build has no completed \"mkfile /built\" vertex: %+v", tr.Vertices())
	}
	got, err := os.ReadFile(filepath.Join(out, "built"))
	if err != nil || string(got) != "by a build func" {
		t.Fatalf("exported /built = %q, %v", got, err)
	}
}

// TestEngineTrace observes solves through a Trace: a solve run again reports its
// vertices cached, and a failing step is reported with its error.
func TestEngineTrace(t *testing.T) {
	e := harness.Engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	solve := func(st llb.State) (*engine.Trace, error) {
		t.Helper()
		def, err := st.Marshal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tr := engine.NewTrace()
		_, err = e.Solve(ctx, def, client.SolveOpt{}, tr.Observe)
		return tr, err
	}
	byName := func(tr *engine.Trace) map[string]engine.Vertex {
		m := map[string]engine.Vertex{}
		for _, v := range tr.Vertices() {
			m[v.Name] = v
		}
		return m
	}
	unique := []byte(strconv.FormatInt(time.Now().UnixNano(), 36)) // not in any cache yet
	one := llb.Scratch().File(llb.Mkfile("/a", 0o644, unique), llb.WithCustomName("write a"))
	two := one.File(llb.Mkfile("/b", 0o644, unique), llb.WithCustomName("write b"))

	first, err := solve(two)
	if err != nil {
		t.Fatalf("first solve: %v", err)
	}
	got := byName(first)
	for _, n := range []string{"write a", "write b"} {
		v, ok := got[n]
		if !ok {
			t.Fatalf("first solve reported no vertex %q; got %+v", n, first.Vertices())
		}
		if v.Cached || v.Started.IsZero() || v.Completed.Before(v.Started) || v.Error != "" {
			t.Errorf("first solve: %q = %+v; want run (not cached), started, completed, no error", n, v)
		}
	}

	// Solved again, every vertex comes from the cache.
	again, err := solve(one)
	if err != nil {
		t.Fatalf("second solve: %v", err)
	}
	if vs := again.Vertices(); len(vs) != 1 || !vs[0].Cached || vs[0].Name != "write a" || vs[0].Completed.IsZero() {
		t.Errorf("second solve of write a: %+v; want one vertex, cached and completed", vs)
	}
	// In a chain, BuildKit reports the result vertex cached, and the steps before it
	// only as started and completed: it computed their cache keys and needed no more.
	again, err = solve(two)
	if err != nil {
		t.Fatalf("second solve: %v", err)
	}
	got = byName(again)
	if v := got["write b"]; !v.Cached {
		t.Errorf("second solve: write b = %+v; want cached", v)
	}
	for _, v := range again.Vertices() {
		if v.Completed.IsZero() || v.Error != "" {
			t.Errorf("second solve: %q = %+v; want completed without error", v.Name, v)
		}
	}

	failed, err := solve(two.File(llb.Copy(two, "/missing", "/c"), llb.WithCustomName("copy missing")))
	if err == nil {
		t.Fatal("copying a missing path: no error")
	}
	f := failed.Failed()
	if len(f) != 1 || f[0].Name != "copy missing" || !strings.Contains(f[0].Error, "/missing") {
		t.Fatalf("Failed() = %+v; want the \"copy missing\" vertex with an error naming /missing (solve error: %v)", f, err)
	}
}

// TestEnginePushToRegistry pushes an image to the test registry through the engine and
// reads it back: the two services of test/services.sh work together.
func TestEnginePushToRegistry(t *testing.T) {
	e, reg := harness.Engine(t), harness.Registry(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	def, err := llb.Scratch().File(llb.Mkfile("/hello", 0o644, []byte("hi"))).Marshal(ctx, llb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg + "/distill-test/engine:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	res, err := e.Solve(ctx, def, client.SolveOpt{Exports: []client.ExportEntry{{
		Type: client.ExporterImage, Attrs: map[string]string{"name": ref, "push": "true"},
	}}})
	if err != nil {
		t.Fatalf("solve and push: %v", err)
	}
	pushed := res.ExporterResponse["containerimage.digest"]

	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("reading back %s: %v", ref, err)
	}
	if desc.Digest.String() != pushed {
		t.Errorf("registry has %s for %s, BuildKit pushed %s", desc.Digest, ref, pushed)
	}
}

// TestEngineAutoStart starts distill's own buildkitd, as `distill build` does without
// BUILDKIT_HOST, in a fresh state directory.
func TestEngineAutoStart(t *testing.T) {
	harness.Integration(t)
	t.Setenv("BUILDKIT_HOST", "")
	dir := t.TempDir()
	ctx := context.Background()
	opts := func(t *testing.T) []engine.Option {
		return []engine.Option{engine.WithStateDir(dir), engine.WithLog(harness.LogWriter(t)),
			engine.WithProgress(engine.ProgressPlain, harness.LogWriter(t))}
	}

	stopOnInterrupt(t, dir)

	begin := time.Now()
	e, err := engine.Start(ctx, opts(t)...)
	requireStartable(t, err)
	t.Logf("start took %s", time.Since(begin).Round(time.Millisecond))
	if !e.Started() || e.Addr() != "unix://"+filepath.Join(dir, "buildkitd.sock") {
		t.Fatalf("Started() = %v, Addr() = %s; want a daemon started on the state dir's socket", e.Started(), e.Addr())
	}
	pid := e.PID()
	solveHello(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, dir, pid)

	t.Run("keep", func(t *testing.T) {
		e, err := engine.Start(ctx, append(opts(t), engine.WithKeep(true))...)
		if err != nil {
			t.Fatal(err)
		}
		pid := e.PID()
		t.Cleanup(func() { engine.StopLocal(dir) }) // if an assertion below fails
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if !processRuns(pid) {
			t.Fatalf("kept buildkitd (pid %d) stopped on Close", pid)
		}

		again, err := engine.Start(ctx, opts(t)...)
		if err != nil {
			t.Fatal(err)
		}
		if again.Started() || again.PID() != pid {
			t.Errorf("second Start: Started() = %v, PID() = %d; want the running daemon %d reused", again.Started(), again.PID(), pid)
		}
		solveHello(t, again)
		st, err := engine.LocalStatus(ctx, dir)
		if err != nil || !st.Ready || st.PID != pid || st.Version == "" {
			t.Errorf("LocalStatus = %+v, %v; want ready, pid %d, a version", st, err, pid)
		}
		if err := again.Close(); err != nil {
			t.Fatal(err)
		}
		if !processRuns(pid) {
			t.Fatal("closing a reused engine stopped the daemon")
		}

		if err := engine.StopLocal(dir); err != nil {
			t.Fatal(err)
		}
		assertStopped(t, dir, pid)
		if err := engine.StopLocal(dir); !errors.Is(err, engine.ErrNotRunning) {
			t.Errorf("StopLocal again: %v, want ErrNotRunning", err)
		}
	})

	// Two distill processes at once share one daemon; it stops when the last one closes.
	t.Run("shared", func(t *testing.T) {
		var engines [2]*engine.Engine
		var errs [2]error
		var wg sync.WaitGroup
		for i := range engines {
			wg.Go(func() { engines[i], errs[i] = engine.Start(ctx, opts(t)...) })
		}
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		starter, other := engines[0], engines[1]
		if !starter.Started() {
			starter, other = other, starter
		}
		if !starter.Started() || other.Started() || starter.PID() != other.PID() {
			t.Fatalf("Started() = %v, %v with pids %d, %d; want one daemon, started once",
				starter.Started(), other.Started(), starter.PID(), other.PID())
		}
		pid := starter.PID()
		t.Cleanup(func() { engine.StopLocal(dir) })

		if err := starter.Close(); err != nil {
			t.Fatal(err)
		}
		if !processRuns(pid) {
			t.Fatal("the starter's Close stopped a daemon another Engine still used")
		}
		solveHello(t, other)
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		assertStopped(t, dir, pid)
	})
}

// requireStartable applies the harness rule to the errors that mean this machine
// cannot start a buildkitd (no binary, no runc, not root); other errors fail.
func requireStartable(t *testing.T, err error) {
	t.Helper()
	var (
		nf   *engine.BuildkitdNotFoundError
		runc *engine.RuncNotFoundError
		root *engine.NeedRootError
	)
	if errors.As(err, &nf) || errors.As(err, &runc) || errors.As(err, &root) {
		harness.Require(t, "starting a local buildkitd", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func assertStopped(t *testing.T, dir string, pid int) {
	t.Helper()
	if processRuns(pid) {
		t.Errorf("buildkitd (pid %d) still runs", pid)
	}
	for _, f := range []string{"buildkitd.sock", "buildkitd.pid"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
}

// processRuns reports whether pid is a live process (not a zombie awaiting its parent).
func processRuns(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// stopOnInterrupt stops the buildkitd of dir when the test binary is interrupted
// (Ctrl-C), which would otherwise end it without running Close or cleanups and leave
// the daemon running.
func stopOnInterrupt(t *testing.T, dir string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sig:
			engine.StopLocal(dir)
			os.RemoveAll(dir)
			fmt.Fprintf(os.Stderr, "%s: stopped the buildkitd in %s\n", s, dir)
			os.Exit(1)
		case <-done:
		}
	}()
	t.Cleanup(func() {
		signal.Stop(sig)
		close(done)
	})
}
