package rootfs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distill-dev/distill/internal/lockfile"
)

// resolutionFormat versions the resolution cache: change it whenever what a
// layer request resolves to can change for the same archive state (the
// resolver, the request's meaning) or the file's layout changes.
const resolutionFormat = "distill-resolution/1"

// resolution is a layer's resolved packages as the resolution cache keeps
// them, at <dir>/<key>.json. The header repeats what the key is made of.
type resolution struct {
	Format   string            `json:"format"`
	IndexID  string            `json:"indexID"`
	Platform string            `json:"platform"`
	Layer    string            `json:"layer"`
	Request  layerRequest      `json:"request"`
	Packages []resolutionEntry `json:"packages"` // as Resolve returns them: sorted by name
}

// resolutionEntry is one package, pinned as in distill.lock.
type resolutionEntry struct {
	Name string `json:"name"`
	lockfile.Package
}

// header is r without its packages: what the key hashes.
func (r resolution) header() resolution {
	r.Packages = nil
	return r
}

func resolutionHeader(state, platform string, s layerSpec) resolution {
	return resolution{Format: resolutionFormat, IndexID: state, Platform: platform, Layer: s.name, Request: s.req}
}

// resolutionPath is where the resolution of a layer request against an
// archive state is kept.
func (a *Assembler) resolutionPath(h resolution) string {
	dt, _ := json.Marshal(h.header()) // plain data: cannot fail
	sum := sha256.Sum256(dt)
	return filepath.Join(a.resolutions, hex.EncodeToString(sum[:])+".json")
}

// cachedResolutions returns every layer's kept resolution for the archive
// state, or false when one is missing or unusable (it is then resolved
// again and replaced).
func (a *Assembler) cachedResolutions(state, platform string, specs []layerSpec) ([][]resolvedPackage, bool) {
	out := make([][]resolvedPackage, len(specs))
	for i, s := range specs {
		pkgs, err := a.cachedResolution(resolutionHeader(state, platform, s))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				a.logf("ignoring the cached resolution of layer %s: %v", s.name, err)
			}
			return nil, false
		}
		out[i] = pkgs
	}
	a.logf("packages for %s: cached resolution (Debian %s unchanged)", platform, Codename)
	return out, true
}

func (a *Assembler) cachedResolution(want resolution) ([]resolvedPackage, error) {
	path := a.resolutionPath(want)
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r resolution
	if err := json.Unmarshal(dt, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	got, _ := json.Marshal(r.header())
	exp, _ := json.Marshal(want.header())
	if string(got) != string(exp) {
		return nil, fmt.Errorf("%s: holds another request", path)
	}
	out := make([]resolvedPackage, 0, len(r.Packages))
	for i, e := range r.Packages {
		if err := checkEntry(e); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if i > 0 && r.Packages[i-1].Name >= e.Name {
			return nil, fmt.Errorf("%s: packages not sorted by name at %s", path, e.Name)
		}
		p, err := a.lockedPackage(e.Name, e.Package)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, resolvedPackage{pkg: p, pin: e.Package})
	}
	return out, nil
}

// checkEntry rejects an entry that could not have come from a verified
// Packages index.
func checkEntry(e resolutionEntry) error {
	switch {
	case e.Name == "" || e.Version == "" || e.Architecture == "":
		return fmt.Errorf("package %q: no name, version or architecture", e.Name)
	case e.Filename == "" || strings.Contains(e.Filename, ".."):
		return fmt.Errorf("package %s: invalid filename %q", e.Name, e.Filename)
	case e.Size <= 0:
		return fmt.Errorf("package %s: size %d", e.Name, e.Size)
	case !isHexSHA256(e.SHA256):
		return fmt.Errorf("package %s: SHA256 %q", e.Name, e.SHA256)
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// keepResolution writes a layer's resolution to the cache atomically.
func (a *Assembler) keepResolution(state, platform string, s layerSpec, pkgs []resolvedPackage) error {
	r := resolutionHeader(state, platform, s)
	for _, p := range pkgs {
		r.Packages = append(r.Packages, resolutionEntry{Name: p.pkg.Name, Package: p.pin})
	}
	dt, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	path := a.resolutionPath(r)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".resolution-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(dt, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
