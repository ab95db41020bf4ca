package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/moby/buildkit/client"
	"golang.org/x/sys/unix"
)

// startLocal reuses or starts the buildkitd of o.stateDir.
func startLocal(ctx context.Context, o *options) (_ *Engine, err error) {
	dir := stateDir(o.stateDir)
	if err := dir.prepare(); err != nil {
		return nil, err
	}
	l, err := flock(ctx, dir.lockFile(), unix.LOCK_EX, o.log,
		"waiting for another distill process to start or stop buildkitd in "+string(dir))
	if err != nil {
		return nil, err
	}
	defer unlock(l)
	users, err := flock(ctx, dir.usersFile(), unix.LOCK_SH, o.log, "")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlock(users)
		}
	}()
	e := &Engine{opts: o, addr: dir.addr(), dir: dir, users: users}

	pid, err := dir.runningPID()
	if err != nil {
		return nil, err
	}
	if pid != 0 {
		if err := sameConfig(dir, o.config); err != nil {
			return nil, err
		}
		e.pid = pid
		fmt.Fprintf(o.log, "using buildkitd (pid %d) already running in %s\n", pid, dir)
		if e.client, err = waitReady(ctx, e, time.Now()); err != nil {
			return nil, err
		}
		return e, nil
	}
	if err := dir.clean(); err != nil { // stale pid file or socket
		return nil, err
	}

	buildkitd, err := checkCanStart(o)
	if err != nil {
		return nil, err
	}
	if err := e.spawn(buildkitd); err != nil {
		return nil, err
	}
	begin := time.Now()
	if e.client, err = waitReady(ctx, e, begin); err != nil {
		if serr := terminate(e.pid, o.stopTimeout, e.exited); serr == nil {
			dir.clean()
		}
		return nil, err
	}
	fmt.Fprintf(o.log, "buildkitd ready in %s\n", time.Since(begin).Round(10*time.Millisecond))
	return e, nil
}

// spawn starts buildkitd with its output in the log file, and records its pid.
func (e *Engine) spawn(buildkitd string) error {
	dir, o := e.dir, e.opts
	args := []string{"--root", dir.root(), "--addr", dir.addr(), "--oci-worker=true", "--containerd-worker=false"}
	if o.config != "" {
		if err := os.WriteFile(dir.configFile(), []byte(o.config), 0o600); err != nil {
			return err
		}
		args = append(args, "--config", dir.configFile())
	} else if err := removeIfExists(dir.configFile()); err != nil {
		return err
	}
	logf, err := os.Create(dir.logFile())
	if err != nil {
		return err
	}
	defer logf.Close()

	fmt.Fprintf(o.log, "starting buildkitd (%s) in %s\n", buildkitd, dir)
	cmd, err := startDaemon(buildkitd, args, logf)
	if err != nil {
		return fmt.Errorf("starting %s: %w", buildkitd, err)
	}
	e.started, e.pid, e.exited = true, cmd.Process.Pid, make(chan struct{})
	go func() {
		cmd.Wait()
		close(e.exited)
	}()
	if err := os.WriteFile(dir.pidFile(), []byte(fmt.Sprintf("%d\n", e.pid)), 0o600); err != nil {
		terminate(e.pid, 0, e.exited)
		return err
	}
	return nil
}

// waitReady waits until the daemon answers, it exits, or the start timeout passes.
func waitReady(parent context.Context, e *Engine, begin time.Time) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(parent, e.opts.startTimeout)
	defer cancel()
	fail := func(err error) error {
		return &StartError{StateDir: string(e.dir), PID: e.pid, AlreadyRunning: !e.started,
			Waited: time.Since(begin), Err: err, Log: e.dir.logFile(), LogTail: e.dir.logTail(20)}
	}
	var c *client.Client // closed unless returned
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	last := errors.New("no socket yet")
	for {
		if e.exited != nil {
			select {
			case <-e.exited:
				return nil, fail(errors.New("it exited"))
			default:
			}
		} else if !alive(e.pid) {
			return nil, fail(errors.New("it exited"))
		}
		if err := dialUnix(e.dir.socket()); err != nil {
			last = err
		} else {
			if c == nil {
				if c, err = client.New(context.WithoutCancel(ctx), e.addr); err != nil {
					return nil, fail(err)
				}
			}
			if last = ping(ctx, c, 2*time.Second); last == nil {
				cc := c
				c = nil
				return cc, nil
			}
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return nil, fail(context.Cause(parent))
			}
			return nil, fail(fmt.Errorf("timed out (start timeout %s); last error: %v", e.opts.startTimeout, unwrapAll(last)))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unwrapAll drops our own error types' advice from a readiness error.
func unwrapAll(err error) error {
	var u *UnreachableError
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

// sameConfig refuses to reuse a daemon started with other buildkitd.toml content:
// its registry mirrors would silently differ from what the caller asked for.
func sameConfig(dir stateDir, want string) error {
	got, err := os.ReadFile(dir.configFile())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if bytes.Equal(got, []byte(want)) {
		return nil
	}
	return fmt.Errorf("the buildkitd running in %s was started with a different configuration (%s): stop it (distill engine stop) so the next build starts one with the new configuration",
		dir, dir.configFile())
}
