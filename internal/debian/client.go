package debian

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Client downloads and verifies indexes and packages from a Debian archive.
// It is safe for concurrent use.
type Client struct {
	mirrors         Mirrors
	http            *http.Client
	cacheDir        string
	arch            string
	components      []string
	keyring         openpgp.EntityList
	now             func() time.Time
	logf            func(format string, args ...any)
	checkValidUntil bool
	parallelism     int
}

// Option configures a Client.
type Option func(*options) error

type options struct {
	http            *http.Client
	cacheDir        string
	arch            string
	components      []string
	keyring         openpgp.EntityList
	now             func() time.Time
	logf            func(format string, args ...any)
	checkValidUntil bool
	parallelism     int
}

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		http:            http.DefaultClient,
		arch:            "amd64",
		components:      []string{"main"},
		now:             time.Now,
		logf:            func(string, ...any) {},
		checkValidUntil: true,
		parallelism:     4,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.cacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory (set one with WithCacheDir): %w", err)
		}
		o.cacheDir = filepath.Join(dir, "distill", "debian")
	}
	return o, nil
}

// WithHTTPClient sets the HTTP client (default http.DefaultClient).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithHTTPClient: nil client")
		}
		o.http = c
		return nil
	}
}

// WithCacheDir sets the directory for downloaded indexes and packages
// (default <user cache dir>/distill/debian). Files in it are named by
// their SHA-256 and re-verified before use.
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("WithCacheDir: empty directory")
		}
		o.cacheDir = dir
		return nil
	}
}

// WithArch sets the Debian architecture (default "amd64").
func WithArch(arch string) Option {
	return func(o *options) error {
		if arch == "" {
			return errors.New("WithArch: empty architecture")
		}
		o.arch = arch
		return nil
	}
}

// WithComponents sets the archive components to index (default "main").
func WithComponents(components ...string) Option {
	return func(o *options) error {
		if len(components) == 0 {
			return errors.New("WithComponents: no components")
		}
		o.components = append([]string(nil), components...)
		return nil
	}
}

// WithKeyring sets the keyring that InRelease files must be signed with,
// overriding Mirrors.Keyring.
func WithKeyring(k openpgp.EntityList) Option {
	return func(o *options) error {
		if len(k) == 0 {
			return errors.New("WithKeyring: empty keyring")
		}
		o.keyring = k
		return nil
	}
}

// WithClock sets the clock used for signature and Valid-Until checks.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithLogf sets a function that receives progress messages.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) error {
		if logf == nil {
			return errors.New("WithLogf: nil function")
		}
		o.logf = logf
		return nil
	}
}

// WithValidUntilCheck turns the Valid-Until check of InRelease files on or
// off (default on). Turn it off only for snapshot mirrors serving archived
// metadata on purpose; signatures are verified either way.
func WithValidUntilCheck(on bool) Option {
	return func(o *options) error {
		o.checkValidUntil = on
		return nil
	}
}

// WithParallelism sets how many downloads FetchAll runs at once (default 4).
func WithParallelism(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithParallelism: %d < 1", n)
		}
		o.parallelism = n
		return nil
	}
}

// NewClient returns a Client for the mirrors m. Mirrors.Debian is required;
// an empty Mirrors.Security leaves the security suite out of Index. Unless
// WithKeyring is given, the keyring is loaded from m.Keyring ("" selects the
// embedded Debian archive keyring).
func NewClient(m Mirrors, opts ...Option) (*Client, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	if m.Debian == "" {
		return nil, &MirrorError{Msg: "no Debian mirror: pass --debian-mirror or set " + EnvMirror}
	}
	if m.Debian, err = normaliseMirror("Debian mirror", m.Debian); err != nil {
		return nil, err
	}
	if m.Security != "" {
		if m.Security, err = normaliseMirror("security mirror", m.Security); err != nil {
			return nil, err
		}
	}
	if o.keyring == nil {
		if o.keyring, err = LoadKeyring(m.Keyring); err != nil {
			return nil, err
		}
	}
	return &Client{
		mirrors:         m,
		http:            o.http,
		cacheDir:        o.cacheDir,
		arch:            o.arch,
		components:      o.components,
		keyring:         o.keyring,
		now:             o.now,
		logf:            o.logf,
		checkValidUntil: o.checkValidUntil,
		parallelism:     o.parallelism,
	}, nil
}

// Mirrors returns the mirrors the client downloads from.
func (c *Client) Mirrors() Mirrors { return c.mirrors }

// Arch returns the client's Debian architecture.
func (c *Client) Arch() string { return c.arch }

// CacheDir returns the client's cache directory.
func (c *Client) CacheDir() string { return c.cacheDir }
