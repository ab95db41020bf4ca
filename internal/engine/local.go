package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Status describes the local buildkitd of a state directory (distill engine status).
type Status struct {
	StateDir string
	Addr     string // unix://<state dir>/buildkitd.sock
	Log      string // its log file
	PID      int    // 0 when none runs
	Running  bool
	Ready    bool   // it answers on Addr
	Version  string // its BuildKit version, when Ready
	Err      error  // why a running buildkitd is not Ready
}

// LocalStatus reports on the buildkitd of stateDir ("" for DefaultStateDir). It starts nothing.
func LocalStatus(ctx context.Context, stateDir string) (Status, error) {
	dir, err := localDir(stateDir)
	if err != nil {
		return Status{}, err
	}
	st := Status{StateDir: string(dir), Addr: dir.addr(), Log: dir.logFile()}
	if st.PID, err = dir.runningPID(); err != nil {
		return st, err
	}
	if st.PID == 0 {
		return st, nil
	}
	st.Running = true
	c, err := connect(ctx, st.Addr)
	if err != nil {
		st.Err = err
		return st, nil
	}
	defer c.Close()
	st.Ready = true
	if info, err := c.Info(ctx); err == nil {
		st.Version = info.BuildkitVersion.Version
	}
	return st, nil
}

// StopLocal stops the buildkitd of stateDir ("" for DefaultStateDir), as left running by
// WithKeep (distill engine stop), even if another distill process still uses it. It
// returns ErrNotRunning when none runs, after removing any stale pid file and socket.
func StopLocal(stateDir string) error {
	dir, err := localDir(stateDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(string(dir)); errors.Is(err, os.ErrNotExist) {
		return ErrNotRunning
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := flock(ctx, dir.lockFile(), unix.LOCK_EX, io.Discard, "")
	if err != nil {
		return err
	}
	defer unlock(l)
	pid, err := dir.runningPID()
	if err != nil {
		return err
	}
	if pid == 0 {
		if err := dir.clean(); err != nil {
			return err
		}
		return ErrNotRunning
	}
	if err := terminate(pid, 10*time.Second, nil); err != nil {
		return fmt.Errorf("stopping buildkitd: %w", err)
	}
	return dir.clean()
}

func localDir(path string) (stateDir, error) {
	if path == "" {
		d, err := DefaultStateDir()
		if err != nil {
			return "", err
		}
		path = d
	}
	abs, err := filepath.Abs(path)
	return stateDir(abs), err
}
