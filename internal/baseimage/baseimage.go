package baseimage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/lockfile"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/toolchain"
)

// Config is what a user controls about base image assembly.
type Config struct {
	// DebianMirror and DebianSecurityMirror override the mirrors found in the
	// environment (DISTILL_DEBIAN_MIRROR, …) and the machine's apt sources.
	DebianMirror, DebianSecurityMirror string
	// DebianKeyring is an OpenPGP keyring file; empty means the apt source's
	// Signed-By keyring, or the Debian archive keyring built into distill.
	DebianKeyring string
	// CacheDir is distill's cache root (default: CacheRoot()).
	CacheDir string
	// LockPath is the distill.lock to read and update ("" for none).
	LockPath string
	// Locked builds exactly what LockPath pins and never resolves anew.
	Locked bool
	// Epoch is SOURCE_DATE_EPOCH for every timestamp (default: the Unix epoch).
	Epoch time.Time
	// Logf receives progress lines.
	Logf func(format string, args ...any)
	// SourcesRoot is the file system root apt sources are read from ("/" when empty).
	SourcesRoot string
	// GoVersionsTTL is how long the module proxy's list of Go releases is
	// reused to resolve "1.26" to its newest patch release (0 means
	// toolchain.DefaultVersionsTTL; negative asks the proxy on every build).
	GoVersionsTTL time.Duration
}

// CacheRoot is distill's cache directory: $DISTILL_CACHE, else <user cache dir>/distill.
// Base image assembly keeps there: oci/ (assembled images), debian/indexes
// and debian/debs (verified downloads, named by SHA-256), debian/resolutions
// (each layer's packages per Debian archive state) and toolchain/ (the
// module proxy's list of Go releases, for GoVersionsTTL).
func CacheRoot() (string, error) {
	if d := os.Getenv("DISTILL_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set DISTILL_CACHE: %w", err)
	}
	return filepath.Join(d, "distill"), nil
}

// Service assembles base images and caches them in a local OCI layout.
type Service struct {
	Store     *ocistore.Store
	assembler *rootfs.Assembler
	lock      *lockfile.Lock
	cfg       Config
}

// New prepares a Service. Nothing is fetched until Build.
func New(cfg Config) (*Service, error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.CacheDir == "" {
		d, err := CacheRoot()
		if err != nil {
			return nil, err
		}
		cfg.CacheDir = d
	}
	if cfg.SourcesRoot == "" {
		cfg.SourcesRoot = "/"
	}
	lock, err := loadLock(cfg)
	if err != nil {
		return nil, err
	}
	mirrors, keyring, err := mirrorsAndKeyring(cfg)
	if err != nil {
		return nil, err
	}
	archives := func(arch string) (rootfs.Archive, error) {
		return debian.NewClient(mirrors,
			debian.WithArch(arch),
			debian.WithKeyring(keyring),
			debian.WithCacheDir(filepath.Join(cfg.CacheDir, "debian")),
			debian.WithLogf(cfg.Logf))
	}
	store, err := ocistore.Open(filepath.Join(cfg.CacheDir, "oci"))
	if err != nil {
		return nil, err
	}
	ttl := cfg.GoVersionsTTL
	if ttl == 0 {
		ttl = toolchain.DefaultVersionsTTL
	}
	asm, err := rootfs.NewAssembler(archives, mirrors,
		rootfs.WithLock(lock, cfg.Locked),
		rootfs.WithEpoch(cfg.Epoch),
		rootfs.WithCache(store),
		rootfs.WithResolutionCache(filepath.Join(cfg.CacheDir, "debian", "resolutions")),
		rootfs.WithToolchains(&toolchain.Fetcher{CacheDir: filepath.Join(cfg.CacheDir, "toolchain"), VersionsTTL: max(ttl, 0)}),
		rootfs.WithLogf(cfg.Logf))
	if err != nil {
		return nil, err
	}
	return &Service{Store: store, assembler: asm, lock: lock, cfg: cfg}, nil
}

// Build assembles (or takes from the cache) the image a request names.
func (s *Service) Build(ctx context.Context, req rootfs.Request) (*rootfs.Result, error) {
	return s.assembler.Build(ctx, req)
}

// SaveLock writes what was resolved to the lockfile, unless the build was
// locked or no lockfile was asked for.
func (s *Service) SaveLock() error {
	if s.cfg.LockPath == "" || s.cfg.Locked {
		return nil
	}
	return s.lock.Save(s.cfg.LockPath)
}

func loadLock(cfg Config) (*lockfile.Lock, error) {
	if cfg.LockPath == "" {
		if cfg.Locked {
			return nil, errors.New("--locked needs a lockfile")
		}
		return lockfile.New(rootfs.Codename), nil
	}
	l, err := lockfile.Load(cfg.LockPath)
	switch {
	case err == nil:
		return l, nil
	case errors.Is(err, fs.ErrNotExist) && !cfg.Locked:
		return lockfile.New(rootfs.Codename), nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--locked: %s does not exist; build once without --locked to create it", cfg.LockPath)
	}
	return nil, err
}

func mirrorsAndKeyring(cfg Config) (debian.Mirrors, openpgp.EntityList, error) {
	sources, err := debian.ReadSources(cfg.SourcesRoot)
	if err != nil {
		return debian.Mirrors{}, nil, err
	}
	m, err := debian.ResolveMirrors(rootfs.Codename, cfg.DebianMirror, cfg.DebianSecurityMirror, os.Getenv, sources)
	if err != nil {
		return debian.Mirrors{}, nil, err
	}
	path := cfg.DebianKeyring
	if path == "" {
		path = os.Getenv("DISTILL_DEBIAN_KEYRING")
	}
	if path == "" {
		path = m.Keyring
	}
	kr, err := debian.LoadKeyring(path)
	if err != nil {
		return debian.Mirrors{}, nil, err
	}
	return m, kr, nil
}
