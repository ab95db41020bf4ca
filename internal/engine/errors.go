package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotRunning is returned by StopLocal when no buildkitd runs from the state directory.
var ErrNotRunning = errors.New("no buildkitd is running from this state directory")

// BuildkitdNotFoundError means no buildkitd binary was found to start.
type BuildkitdNotFoundError struct {
	Looked []string // the places tried, in order
}

func (e *BuildkitdNotFoundError) Error() string {
	return fmt.Sprintf(`buildkitd not found (looked in %s): run "make setup", or set BUILDKIT_HOST to a running BuildKit`,
		strings.Join(e.Looked, ", "))
}

// RuncNotFoundError means runc, which buildkitd's OCI worker runs containers with, is not on PATH.
type RuncNotFoundError struct{}

func (*RuncNotFoundError) Error() string {
	return `runc not found on PATH: install it (apt-get install runc) or run "make setup"`
}

// NeedRootError means a local buildkitd would have to be started by a user other than root.
type NeedRootError struct{}

func (*NeedRootError) Error() string {
	return "starting a local buildkitd needs root; run as root or set BUILDKIT_HOST (rootless buildkitd, buildx, a remote BuildKit)"
}

// SocketPermissionError means the unix socket of a BuildKit daemon exists but this user may not connect to it.
type SocketPermissionError struct {
	Socket string
	Err    error
}

func (e *SocketPermissionError) Error() string {
	return fmt.Sprintf("no permission to connect to the BuildKit socket %s: %v: this user needs read and write access to the socket and its directory (run as its owner, or have it shared with a group you are in)",
		e.Socket, e.Err)
}

func (e *SocketPermissionError) Unwrap() error { return e.Err }

// UnreachableError means a BuildKit address was given (BUILDKIT_HOST or WithAddr) but nothing answers there.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("BuildKit at %s does not answer: %v: start it or fix BUILDKIT_HOST, or unset BUILDKIT_HOST to let distill start a local buildkitd",
		e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// StartError means a local buildkitd was started, or found running, but did not become ready.
type StartError struct {
	StateDir       string
	PID            int
	AlreadyRunning bool // it was running before Start, which left it alone
	Waited         time.Duration
	Err            error    // why it is not ready: exited, timed out, …
	Log            string   // path of its log file
	LogTail        []string // the last lines of that log
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "buildkitd (pid %d, state %s) not ready after %s: %v", e.PID, e.StateDir, e.Waited.Round(time.Millisecond), e.Err)
	if e.AlreadyRunning {
		b.WriteString("; it was already running: stop it (distill engine stop) and try again")
	}
	if len(e.LogTail) == 0 {
		fmt.Fprintf(&b, "; its log %s is empty", e.Log)
		return b.String()
	}
	fmt.Fprintf(&b, "; last lines of %s:", e.Log)
	for _, l := range e.LogTail {
		b.WriteString("\n    ")
		b.WriteString(l)
	}
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Err }
