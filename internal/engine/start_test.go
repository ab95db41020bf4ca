package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script writes an executable shell script. The scripts set their own PATH, since the
// tests point PATH at fake directories.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeHost isolates a test from the machine: no BUILDKIT_HOST, and PATH, the tools dir
// and the cache dir are empty temporary directories. It returns the PATH directory.
func fakeHost(t *testing.T) string {
	t.Helper()
	path := t.TempDir()
	t.Setenv("BUILDKIT_HOST", "")
	t.Setenv("DISTILL_BUILDKITD", "")
	t.Setenv("PATH", path)
	t.Setenv("DISTILL_TOOLS", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	return path
}

func asRoot(o *options) error { o.geteuid = func() int { return 0 }; return nil }
func asUser(o *options) error { o.geteuid = func() int { return 1000 }; return nil }

// neverReady is a buildkitd that logs 30 lines and then never opens its socket.
const neverReady = `for i in $(seq 1 30); do echo "fake log line $i"; done
trap 'exit 0' TERM
while :; do sleep 0.05; done
`

func TestFindBuildkitdOrder(t *testing.T) {
	path := fakeHost(t)
	tools, cache := os.Getenv("DISTILL_TOOLS"), os.Getenv("XDG_CACHE_HOME")
	explicit := script(t, t.TempDir(), "my-buildkitd", "")
	onPath := script(t, path, "buildkitd", "")
	inTools := script(t, filepath.Join(tools, "bin"), "buildkitd", "")
	inCache := script(t, filepath.Join(cache, "distill", "tools", "bin"), "buildkitd", "")

	t.Setenv("DISTILL_BUILDKITD", explicit)
	for _, want := range []string{explicit, onPath, inTools, inCache} {
		got, err := findBuildkitd()
		if err != nil || got != want {
			t.Fatalf("findBuildkitd() = %q, %v; want %q", got, err, want)
		}
		// Take away the winner; the next place must win.
		if want == explicit {
			t.Setenv("DISTILL_BUILDKITD", "")
		} else if err := os.Remove(want); err != nil {
			t.Fatal(err)
		}
	}
	_, err := findBuildkitd()
	var nf *BuildkitdNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("nothing left: got %v, want BuildkitdNotFoundError", err)
	}
	for _, place := range []string{"PATH", inTools, inCache} {
		if !strings.Contains(err.Error(), place) {
			t.Errorf("error does not name %s: %v", place, err)
		}
	}
}

func TestDistillBuildkitdMustExist(t *testing.T) {
	fakeHost(t)
	t.Setenv("DISTILL_BUILDKITD", filepath.Join(t.TempDir(), "nope"))
	_, err := findBuildkitd()
	var nf *BuildkitdNotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "DISTILL_BUILDKITD=") {
		t.Fatalf("got %v, want BuildkitdNotFoundError naming DISTILL_BUILDKITD", err)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string) []Option
		want  any
		msg   string
	}{{
		name:  "not root",
		setup: func(t *testing.T, path string) []Option { return []Option{asUser} },
		want:  new(*NeedRootError),
		msg:   "starting a local buildkitd needs root; run as root or set BUILDKIT_HOST (rootless buildkitd, buildx, a remote BuildKit)",
	}, {
		name:  "no buildkitd",
		setup: func(t *testing.T, path string) []Option { return []Option{asRoot} },
		want:  new(*BuildkitdNotFoundError),
		msg:   `buildkitd not found (looked in PATH, ` + "…" + `): run "make setup", or set BUILDKIT_HOST to a running BuildKit`,
	}, {
		name: "no runc",
		setup: func(t *testing.T, path string) []Option {
			return []Option{asRoot, WithBuildkitd(script(t, t.TempDir(), "buildkitd", neverReady))}
		},
		want: new(*RuncNotFoundError),
		msg:  `runc not found on PATH: install it (apt-get install runc) or run "make setup"`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fakeHost(t)
			opts := append(tt.setup(t, path), WithStateDir(t.TempDir()), WithLog(io.Discard))
			e, err := Start(context.Background(), opts...)
			if err == nil {
				e.Close()
				t.Fatal("Start succeeded")
			}
			if !errors.As(err, tt.want) {
				t.Fatalf("error %T (%v), want %T", err, err, tt.want)
			}
			if before, after, ok := strings.Cut(tt.msg, "…"); ok {
				if !strings.HasPrefix(err.Error(), before) || !strings.HasSuffix(err.Error(), after) {
					t.Errorf("error:\n  %s\nwant:\n  %s", err, tt.msg)
				}
			} else if err.Error() != tt.msg {
				t.Errorf("error:\n  %s\nwant:\n  %s", err, tt.msg)
			}
		})
	}
}

// ready runc for tests that get as far as starting the fake buildkitd.
func withRunc(t *testing.T, path string) { script(t, path, "runc", "") }

func TestStartTimeoutShowsLog(t *testing.T) {
	path := fakeHost(t)
	withRunc(t, path)
	dir := t.TempDir()
	begin := time.Now()
	e, err := Start(context.Background(), asRoot, WithStateDir(dir), WithLog(io.Discard),
		WithBuildkitd(script(t, t.TempDir(), "buildkitd", neverReady)), WithStartTimeout(time.Second))
	if err == nil {
		e.Close()
		t.Fatal("Start succeeded")
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Start took %s with a 1s timeout", took)
	}
	t.Log(err)
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("error %T (%v), want *StartError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"timed out", "fake log line 11", "fake log line 30", filepath.Join(dir, "buildkitd.log")} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "fake log line 10\n") || len(se.LogTail) != 20 {
		t.Errorf("want exactly the last 20 log lines, got %d:\n%s", len(se.LogTail), msg)
	}
	// The daemon that never became ready was stopped, and its pid file removed.
	if alive(se.PID) {
		t.Errorf("fake buildkitd (pid %d) still runs", se.PID)
	}
	if _, err := os.Stat(filepath.Join(dir, "buildkitd.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file left behind: %v", err)
	}
}

func TestStartDaemonExits(t *testing.T) {
	path := fakeHost(t)
	withRunc(t, path)
	begin := time.Now()
	_, err := Start(context.Background(), asRoot, WithStateDir(t.TempDir()), WithLog(io.Discard),
		WithBuildkitd(script(t, t.TempDir(), "buildkitd", "echo 'buildkitd: permission denied on /root'; exit 1\n")))
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("error %T (%v), want *StartError", err, err)
	}
	if !strings.Contains(err.Error(), "it exited") || !strings.Contains(err.Error(), "permission denied on /root") {
		t.Errorf("error does not say it exited and why:\n%s", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("noticing the exit took %s", took)
	}
}

func TestStartPassesArguments(t *testing.T) {
	path := fakeHost(t)
	withRunc(t, path)
	dir := t.TempDir()
	args := filepath.Join(t.TempDir(), "args")
	bk := script(t, t.TempDir(), "buildkitd", fmt.Sprintf("echo \"$@\" >%s\nexit 1\n", args))
	Start(context.Background(), asRoot, WithStateDir(dir), WithLog(io.Discard), WithBuildkitd(bk),
		WithConfig("[registry.\"docker.io\"]\n  mirrors = [\"localhost:5000\"]\n"))
	got, err := os.ReadFile(args)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("--root %[1]s/root --addr unix://%[1]s/buildkitd.sock --oci-worker=true --containerd-worker=false --config %[1]s/buildkitd.toml\n", dir)
	if string(got) != want {
		t.Errorf("buildkitd arguments:\n  %s\nwant:\n  %s", got, want)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if cfg, _ := os.ReadFile(filepath.Join(dir, "buildkitd.toml")); !strings.Contains(string(cfg), "mirrors") {
		t.Errorf("config file holds %q", cfg)
	}
}

func TestBuildkitHostNeverStarts(t *testing.T) {
	path := fakeHost(t)
	withRunc(t, path)
	marker := filepath.Join(t.TempDir(), "started")
	t.Setenv("DISTILL_BUILDKITD", script(t, t.TempDir(), "buildkitd", "touch "+marker+"\n"))
	addr := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	t.Setenv("BUILDKIT_HOST", addr)

	_, err := Start(context.Background(), asRoot, WithLog(io.Discard))
	t.Log(err)
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != addr || !strings.Contains(err.Error(), addr) {
		t.Fatalf("got %v, want UnreachableError naming %s", err, addr)
	}
	if !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error does not give the cause: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a buildkitd was started although BUILDKIT_HOST is set")
	}
}

func TestUnreachableTCP(t *testing.T) {
	fakeHost(t)
	_, err := Start(context.Background(), WithAddr("tcp://127.0.0.1:1"), WithLog(io.Discard))
	t.Log(err)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "tcp://127.0.0.1:1") {
		t.Fatalf("got %v, want UnreachableError naming the address", err)
	}
}

func TestSocketTooLong(t *testing.T) {
	fakeHost(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	_, err := Start(context.Background(), asRoot, WithStateDir(dir), WithLog(io.Discard))
	if err == nil || !strings.Contains(err.Error(), "too long for a unix socket") {
		t.Fatalf("got %v, want a socket path length error", err)
	}
}

// fakeDaemon runs a process that looks like the buildkitd of dir (its arguments name
// dir's socket) and records it in the pid file, as a kept daemon would be.
func fakeDaemon(t *testing.T, dir stateDir) *exec.Cmd {
	t.Helper()
	bk := script(t, t.TempDir(), "buildkitd", neverReady)
	cmd := exec.Command(bk, "--root", dir.root(), "--addr", dir.addr())
	if err := dir.prepare(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	if err := os.WriteFile(dir.pidFile(), []byte(fmt.Sprint(cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func TestStalePIDFile(t *testing.T) {
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	for name, pid := range map[string]int{
		"exited process":    exited.Process.Pid,
		"unrelated process": os.Getpid(), // alive, but not a buildkitd of this directory
		"garbage":           -1,
	} {
		t.Run(name, func(t *testing.T) {
			dir := stateDir(t.TempDir())
			content := fmt.Sprint(pid)
			if pid < 0 {
				content = "not a pid"
			}
			os.WriteFile(dir.pidFile(), []byte(content), 0o600)
			os.WriteFile(dir.socket(), nil, 0o600) // a socket left by a crash

			if got, err := dir.runningPID(); got != 0 || err != nil {
				t.Fatalf("runningPID() = %d, %v; want 0", got, err)
			}
			st, err := LocalStatus(context.Background(), string(dir))
			if err != nil || st.Running {
				t.Errorf("LocalStatus = %+v, %v; want not running", st, err)
			}
			if err := StopLocal(string(dir)); !errors.Is(err, ErrNotRunning) {
				t.Errorf("StopLocal: %v, want ErrNotRunning", err)
			}
			for _, f := range []string{dir.pidFile(), dir.socket()} {
				if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s not removed: %v", f, err)
				}
			}
		})
	}
}

func TestStopLocal(t *testing.T) {
	dir := stateDir(t.TempDir())
	cmd := fakeDaemon(t, dir)

	st, err := LocalStatus(context.Background(), string(dir))
	if err != nil || !st.Running || st.Ready || st.PID != cmd.Process.Pid || st.Err == nil {
		t.Errorf("LocalStatus = %+v, %v; want running, not ready, with a reason", st, err)
	}
	if err := StopLocal(string(dir)); err != nil {
		t.Fatal(err)
	}
	if waitGone(cmd.Process.Pid, time.Second, nil); alive(cmd.Process.Pid) {
		t.Error("StopLocal did not stop the daemon")
	}
	if _, err := os.Stat(dir.pidFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file not removed: %v", err)
	}
	if err := StopLocal(string(dir)); !errors.Is(err, ErrNotRunning) {
		t.Errorf("second StopLocal: %v, want ErrNotRunning", err)
	}
}

func TestRunningDaemonNotAnswering(t *testing.T) {
	path := fakeHost(t)
	withRunc(t, path)
	dir := stateDir(t.TempDir())
	cmd := fakeDaemon(t, dir)
	_, err := Start(context.Background(), asRoot, WithStateDir(string(dir)), WithLog(io.Discard),
		WithBuildkitd(script(t, t.TempDir(), "buildkitd", "exit 1\n")), WithStartTimeout(500*time.Millisecond))
	t.Log(err)
	var se *StartError
	if !errors.As(err, &se) || se.PID != cmd.Process.Pid || !strings.Contains(err.Error(), "distill engine stop") {
		t.Fatalf("got %v, want a StartError for pid %d that says how to stop it", err, cmd.Process.Pid)
	}
	if !alive(cmd.Process.Pid) {
		t.Error("Start stopped a daemon it did not start")
	}
}

func TestConfigMismatch(t *testing.T) {
	dir := stateDir(t.TempDir())
	if err := sameConfig(dir, ""); err != nil {
		t.Errorf("no config either side: %v", err)
	}
	os.WriteFile(dir.configFile(), []byte("debug = true\n"), 0o600)
	if err := sameConfig(dir, "debug = true\n"); err != nil {
		t.Errorf("same config: %v", err)
	}
	if err := sameConfig(dir, ""); err == nil || !strings.Contains(err.Error(), "distill engine stop") {
		t.Errorf("different config: %v, want an error saying how to fix it", err)
	}
}
