package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Option configures Start.
type Option func(*options) error

type options struct {
	addr         string // BuildKit to connect to; "" means a local buildkitd in stateDir
	stateDir     string
	buildkitd    string // "" means look it up (findBuildkitd)
	keep         bool
	progress     ProgressMode
	progressOut  io.Writer
	log          io.Writer
	config       string
	startTimeout time.Duration
	stopTimeout  time.Duration
	geteuid      func() int // os.Geteuid; tests replace it
}

// makeOptions applies the defaults, then opts in order, so an option always wins over
// the environment: WithAddr("") starts a local buildkitd even when BUILDKIT_HOST is set.
func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		addr:         os.Getenv("BUILDKIT_HOST"),
		progress:     ProgressAuto,
		progressOut:  os.Stderr,
		log:          os.Stderr,
		startTimeout: 30 * time.Second,
		stopTimeout:  10 * time.Second,
		geteuid:      os.Geteuid,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.addr == "" && o.stateDir == "" {
		dir, err := DefaultStateDir()
		if err != nil {
			return nil, err
		}
		o.stateDir = dir
	}
	return o, nil
}

// DefaultStateDir is where a local buildkitd keeps its socket, logs and cache:
// <user cache dir>/distill/buildkit.
func DefaultStateDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no directory for the local buildkitd: %w; pass a state directory", err)
	}
	return filepath.Join(cache, "distill", "buildkit"), nil
}

// WithAddr connects to the BuildKit at addr (any address buildctl accepts: unix://,
// tcp://, docker-container://, …) instead of $BUILDKIT_HOST. Nothing is started when
// addr is set; an empty addr means the local buildkitd.
func WithAddr(addr string) Option {
	return func(o *options) error {
		o.addr = addr
		return nil
	}
}

// WithStateDir sets the state directory of the local buildkitd (default DefaultStateDir).
func WithStateDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("engine: empty state directory")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("engine: state directory %s: %w", dir, err)
		}
		o.stateDir = abs
		return nil
	}
}

// WithBuildkitd sets the buildkitd binary to start, instead of looking for one
// ($DISTILL_BUILDKITD, PATH, $DISTILL_TOOLS/bin, <user cache dir>/distill/tools/bin).
func WithBuildkitd(path string) Option {
	return func(o *options) error {
		o.buildkitd = path
		return nil
	}
}

// WithKeep leaves a buildkitd that Start started running after Close, for the next
// distill process to reuse (--keep-engine). StopLocal stops it.
func WithKeep(keep bool) Option {
	return func(o *options) error {
		o.keep = keep
		return nil
	}
}

// WithProgress sets how Solve and Build show progress, and where (default auto, stderr).
func WithProgress(mode ProgressMode, out io.Writer) Option {
	return func(o *options) error {
		m, err := ParseProgressMode(string(mode))
		if err != nil {
			return err
		}
		if out == nil {
			out = io.Discard
		}
		o.progress, o.progressOut = m, out
		return nil
	}
}

// WithLog sets where messages about the engine itself go ("starting buildkitd …"); default stderr.
func WithLog(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			w = io.Discard
		}
		o.log = w
		return nil
	}
}

// WithConfig adds buildkitd.toml content (registry mirrors and the like) for a local
// buildkitd. It is written to <state dir>/buildkitd.toml and passed with --config.
// A running buildkitd is reused only if it was started with the same content.
func WithConfig(toml string) Option {
	return func(o *options) error {
		o.config = toml
		return nil
	}
}

// WithStartTimeout sets how long Start waits for a local buildkitd to answer (default 30s).
func WithStartTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("engine: start timeout %s is not positive", d)
		}
		o.startTimeout = d
		return nil
	}
}

// MirrorConfig renders buildkitd.toml registry sections that send pulls of
// each registry (docker.io, gcr.io, …) to its mirrors first, for WithConfig.
// Mirrors on localhost or 127.0.0.1 are spoken to over plain HTTP, as
// BuildKit does for loopback registries anyway.
func MirrorConfig(mirrors map[string][]string) string {
	var b strings.Builder
	regs := make([]string, 0, len(mirrors))
	for r := range mirrors {
		regs = append(regs, r)
	}
	sort.Strings(regs)
	for _, r := range regs {
		quoted := make([]string, len(mirrors[r]))
		for i, m := range mirrors[r] {
			quoted[i] = strconv.Quote(m)
		}
		fmt.Fprintf(&b, "[registry.%s]\n  mirrors = [%s]\n", strconv.Quote(r), strings.Join(quoted, ", "))
	}
	return b.String()
}
