package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Two locks coordinate distill processes that share a state directory:
//
//   - lock (exclusive) is held while one process checks for, starts or stops the daemon;
//   - users (shared) is held by every Engine that uses the local daemon, for its lifetime.
//     The Engine that started the daemon stops it on Close only if it can turn its
//     shared lock into an exclusive one, that is when no other process still uses it.

// flock takes a lock of kind how (unix.LOCK_EX or LOCK_SH) on path, waiting until ctx
// ends. It tells log once when it has to wait.
func flock(ctx context.Context, path string, how int, log io.Writer, waiting string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told && waiting != "" {
			fmt.Fprintln(log, waiting)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the lock %s: %w", path, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tryUpgrade turns the shared lock held on f into an exclusive one, without waiting.
// It reports false when another process holds the lock too.
func tryUpgrade(f *os.File) bool {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
}

// unlock releases a lock from flock. Closing the file releases it.
func unlock(f *os.File) {
	if f != nil {
		f.Close()
	}
}
