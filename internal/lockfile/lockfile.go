package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
)

// Version is the lockfile format version this package reads and writes.
const Version = 1

// Lock is the content of distill.lock.
type Lock struct {
	LockVersion int `json:"lockVersion"`
	// Debian release the packages come from, e.g. "bookworm".
	Debian string `json:"debian,omitempty"`
	// Platforms maps an OCI platform ("linux/amd64") to what was resolved for it.
	Platforms map[string]*Platform `json:"platforms,omitempty"`
	// Toolchains maps a toolchain version ("go1.26.11") and platform to its module sum.
	Toolchains map[string]map[string]Toolchain `json:"toolchains,omitempty"`
}

// Platform holds what was resolved for one platform.
type Platform struct {
	// Layers maps an image layer ("static", "base", "debian") to the packages
	// it installs, by package name. Each layer pins its own packages, so
	// re-resolving one layer never moves another.
	Layers map[string]map[string]Package `json:"layers"`
}

// Package pins one Debian binary package.
type Package struct {
	Version       string `json:"version"`
	Architecture  string `json:"architecture"`
	Source        string `json:"source,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	// Archive is "debian" or "security": which mirror serves Filename.
	Archive  string `json:"archive"`
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
}

// Toolchain pins a toolchain module zip by its go.sum hash.
type Toolchain struct {
	Module  string `json:"module"`  // e.g. golang.org/toolchain
	Version string `json:"version"` // e.g. v0.0.1-go1.26.11.linux-amd64
	Sum     string `json:"sum"`     // h1: hash as in go.sum
}

// New returns an empty lock for a Debian release.
func New(debian string) *Lock {
	return &Lock{LockVersion: Version, Debian: debian}
}

// ErrNotLocked is wrapped by lookups that find nothing in the lock.
var ErrNotLocked = errors.New("not in distill.lock")

// Load reads a lockfile.
func Load(path string) (*Lock, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(dt))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if l.LockVersion != Version {
		return nil, fmt.Errorf("%s: lockVersion %d is not supported (want %d)", path, l.LockVersion, Version)
	}
	return &l, nil
}

// Marshal renders the lock deterministically: sorted keys (encoding/json sorts
// map keys), sorted layer lists, two-space indent, trailing newline.
func (l *Lock) Marshal() ([]byte, error) {
	dt, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dt, '\n'), nil
}

// Save writes the lock atomically (temp file + rename) when its content changed.
func (l *Lock) Save(path string) error {
	dt, err := l.Marshal()
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, dt) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".distill.lock-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(dt); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Platform returns the entry for a platform, creating it.
func (l *Lock) Platform(platform string) *Platform {
	if l.Platforms == nil {
		l.Platforms = map[string]*Platform{}
	}
	p, ok := l.Platforms[platform]
	if !ok {
		p = &Platform{Layers: map[string]map[string]Package{}}
		l.Platforms[platform] = p
	}
	return p
}

// Layer returns the packages pinned for a layer of a platform.
func (l *Lock) Layer(platform, layer string) (map[string]Package, error) {
	pkgs, ok := l.Platforms[platform].layer(layer)
	if !ok {
		return nil, fmt.Errorf("layer %q for %s: %w", layer, platform, ErrNotLocked)
	}
	return pkgs, nil
}

func (p *Platform) layer(name string) (map[string]Package, bool) {
	if p == nil {
		return nil, false
	}
	pkgs, ok := p.Layers[name]
	return pkgs, ok
}

// SetLayer records the packages of a layer, replacing what it had.
func (l *Lock) SetLayer(platform, layer string, pkgs map[string]Package) {
	l.Platform(platform).Layers[layer] = maps.Clone(pkgs)
}

// Toolchain returns the pinned module for a toolchain version and platform.
func (l *Lock) Toolchain(version, platform string) (Toolchain, error) {
	t, ok := l.Toolchains[version][platform]
	if !ok {
		return Toolchain{}, fmt.Errorf("toolchain %s for %s: %w", version, platform, ErrNotLocked)
	}
	return t, nil
}

// SetToolchain records a toolchain module sum.
func (l *Lock) SetToolchain(version, platform string, t Toolchain) {
	if l.Toolchains == nil {
		l.Toolchains = map[string]map[string]Toolchain{}
	}
	if l.Toolchains[version] == nil {
		l.Toolchains[version] = map[string]Toolchain{}
	}
	l.Toolchains[version][platform] = t
}
