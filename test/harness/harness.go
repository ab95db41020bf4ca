package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distill-dev/distill/internal/engine"
)

// InCI reports whether CI=true (or another true value) is set: missing prerequisites
// are then failures.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Require skips or fails t when a prerequisite (what) is missing, that is when err is
// not nil. Under -short it always skips; in CI it fails; elsewhere it skips.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	switch {
	case testing.Short():
		t.Skipf("integration test skipped under -short: %s: %v", what, err)
	case InCI():
		t.Fatalf("integration tests must run in CI: %s: %v — run them through `make test`", what, err)
	default:
		t.Skipf("%s: %v — run through `make test` (or test/services.sh run -- go test ./test/...)", what, err)
	}
}

// Integration skips t under -short. Engine and Registry call it; call it first in
// integration tests that need neither.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
}

// Engine connects to the BuildKit at BUILDKIT_HOST and closes the connection when the
// test ends. It never starts a buildkitd. Progress goes to the test log.
func Engine(t testing.TB) *engine.Engine {
	t.Helper()
	Integration(t)
	addr := os.Getenv("BUILDKIT_HOST")
	if addr == "" {
		Require(t, "BuildKit", errors.New("BUILDKIT_HOST not set"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := engine.Start(ctx, engine.WithAddr(addr), engine.WithProgress(engine.ProgressPlain, LogWriter(t)),
		engine.WithLog(LogWriter(t)))
	Require(t, "BuildKit at BUILDKIT_HOST", err)
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("closing the engine: %v", err)
		}
	})
	return e
}

// Registry returns the address (host:port) of the test registry in DISTILL_TEST_REGISTRY,
// after checking that it answers GET /v2/.
func Registry(t testing.TB) string {
	t.Helper()
	Integration(t)
	addr := os.Getenv("DISTILL_TEST_REGISTRY")
	if addr == "" {
		Require(t, "test registry", errors.New("DISTILL_TEST_REGISTRY not set"))
	}
	Require(t, "test registry at DISTILL_TEST_REGISTRY", ping("http://"+addr+"/v2/"))
	return addr
}

func ping(url string) error {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// RepoRoot is the directory of distill's go.mod, found upwards from the working
// directory (go test runs a package's tests in its directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/distill-dev/distill\n") {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no distill go.mod above %s", dir)
		}
	}
}

// LogWriter is an io.Writer that logs each write to t, for progress output and daemon
// messages that are worth seeing when a test fails (or with -v).
func LogWriter(t testing.TB) io.Writer { return &logWriter{t} }

type logWriter struct{ t testing.TB }

func (w *logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	if s := strings.TrimRight(string(p), "\n"); s != "" {
		w.t.Log(s)
	}
	return len(p), nil
}

// Blob fetches a blob of repo from its registry, as stored (not decompressed).
func Blob(t testing.TB, repo name.Repository, d v1.Hash, opts ...remote.Option) []byte {
	t.Helper()
	l, err := remote.Layer(repo.Digest(d.String()), opts...)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
