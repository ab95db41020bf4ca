package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"golang.org/x/sys/unix"
)

// Engine is a connection to BuildKit, and the local buildkitd behind it when Start
// started one.
type Engine struct {
	opts    *options
	client  *client.Client
	addr    string
	dir     stateDir      // "" when connected to BUILDKIT_HOST
	users   *os.File      // shared lock on dir's users file, while this Engine uses the local daemon
	pid     int           // local daemon's pid
	started bool          // this Engine started the daemon
	exited  chan struct{} // closed when the daemon this Engine started has exited

	closeOnce sync.Once
	closeErr  error
}

// Start connects to BuildKit. With BUILDKIT_HOST (or WithAddr) set it connects there
// and never starts anything. Otherwise it uses the local buildkitd of the state
// directory: one already running there is reused, else one is started (as root, with
// the OCI worker and runc) and Start waits until it answers.
func Start(ctx context.Context, opts ...Option) (*Engine, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	if o.addr != "" {
		c, err := connect(ctx, o.addr)
		if err != nil {
			return nil, err
		}
		return &Engine{opts: o, client: c, addr: o.addr}, nil
	}
	return startLocal(ctx, o)
}

// Client is the BuildKit client, for calls Solve and Build do not cover.
func (e *Engine) Client() *client.Client { return e.client }

// Addr is the BuildKit address in use (unix://<state dir>/buildkitd.sock for a local daemon).
func (e *Engine) Addr() string { return e.addr }

// Started reports whether this Engine started the daemon (and so stops it on Close,
// unless kept).
func (e *Engine) Started() bool { return e.started }

// PID is the local daemon's process id, 0 when connected to BUILDKIT_HOST.
func (e *Engine) PID() int { return e.pid }

// Close closes the client. When this Engine started the daemon and was not told to keep
// it, Close stops it: SIGTERM, then SIGKILL after 10 s, and removes its pid file and
// socket. If other distill processes still use that daemon, the last of them to close
// stops it instead.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.close() })
	return e.closeErr
}

func (e *Engine) close() error {
	err := e.client.Close()
	if e.dir == "" {
		return err
	}
	defer unlock(e.users)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, lerr := flock(ctx, e.dir.lockFile(), unix.LOCK_EX, e.opts.log, "")
	if lerr != nil {
		return errors.Join(err, lerr)
	}
	defer unlock(l)
	if e.opts.keep {
		// Keeping wins over a stop left pending by the Engine that started it.
		return errors.Join(err, removeIfExists(e.dir.stopFile()))
	}
	if !e.started && !exists(e.dir.stopFile()) {
		return err // someone else's daemon, which they keep or stop
	}
	if !tryUpgrade(e.users) {
		fmt.Fprintf(e.opts.log, "leaving buildkitd (pid %d) running while another distill process uses it; the last one stops it\n", e.pid)
		return errors.Join(err, os.WriteFile(e.dir.stopFile(), nil, 0o600))
	}
	if !e.started {
		// Not our child: make sure the pid still names this directory's daemon.
		if pid, perr := e.dir.runningPID(); perr != nil || pid != e.pid {
			return errors.Join(err, perr, e.dir.clean())
		}
	}
	if serr := terminate(e.pid, e.opts.stopTimeout, e.exited); serr != nil {
		return errors.Join(err, fmt.Errorf("stopping buildkitd: %w", serr))
	}
	return errors.Join(err, e.dir.clean())
}

// connect opens a client to addr and checks that BuildKit answers there.
func connect(ctx context.Context, addr string) (*client.Client, error) {
	if sock, ok := strings.CutPrefix(addr, "unix://"); ok {
		if err := dialUnix(sock); err != nil {
			return nil, err
		}
	}
	c, err := client.New(context.WithoutCancel(ctx), addr)
	if err != nil {
		return nil, &UnreachableError{Addr: addr, Err: err}
	}
	if err := ping(ctx, c, 10*time.Second); err != nil {
		c.Close()
		return nil, &UnreachableError{Addr: addr, Err: err}
	}
	return c, nil
}

// dialUnix tries the socket directly, because gRPC would hide why it cannot connect.
func dialUnix(sock string) error {
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err == nil {
		return conn.Close()
	}
	if errors.Is(err, fs.ErrPermission) {
		return &SocketPermissionError{Socket: sock, Err: err}
	}
	return &UnreachableError{Addr: "unix://" + sock, Err: err}
}

// ping asks for the daemon's workers; a daemon that answers has at least one.
func ping(ctx context.Context, c *client.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		return err
	}
	if len(ws) == 0 {
		return errors.New("it has no workers")
	}
	return nil
}
