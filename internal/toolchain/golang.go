package toolchain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/dirhash"
)

// GoModule is the module path of Go toolchain distributions.
const GoModule = "golang.org/toolchain"

// Go identifies a Go toolchain module zip by release, platform and go.sum
// hash. Zip is set only by Download, once the zip has been hashed and found
// to have that hash; Lookup leaves it empty, so nothing unpacks a zip that
// was not hashed.
type Go struct {
	Version    string // "go1.26.11"
	Platform   string // "linux/amd64"
	ModVersion string // "v0.0.1-go1.26.11.linux-amd64"
	Sum        string // go.sum hash of the zip ("h1:…")
	Zip        string // path of the verified zip in the module cache; "" from Lookup
}

// Fetcher runs the go command to list and download toolchain modules.
type Fetcher struct {
	// GoCmd is the go command to run; "go" on PATH when empty.
	GoCmd string
	// Env is added to the go command's environment (GOPROXY, GOFLAGS, …).
	Env []string
	// CacheDir is where the list of toolchain releases is kept for
	// VersionsTTL; empty keeps nothing.
	CacheDir string
	// VersionsTTL is how long Resolve reuses a list of toolchain releases
	// before it asks the module proxy again. Listing is a proxy round trip
	// on every build, while a new Go patch release comes every few weeks: a
	// list up to DefaultVersionsTTL old picks the newest patch release
	// almost always, and at worst the previous one for that long after a
	// release. Zero (the default) asks the proxy every time.
	VersionsTTL time.Duration

	now func() time.Time // the clock VersionsTTL is judged by; time.Now when nil
}

// DefaultVersionsTTL is the VersionsTTL distill builds use: freshness of the
// newest patch release traded for not asking the proxy on every build.
const DefaultVersionsTTL = 10 * time.Minute

var (
	// versionRe accepts "1.26", "1.26.11", "go1.26" and "go1.26.11".
	versionRe    = regexp.MustCompile(`^(?:go)?(1\.\d+)(?:\.(\d+))?$`)
	modVersionRe = regexp.MustCompile(`^v0\.0\.1-go(1\.\d+)\.(\d+)\.([a-z0-9]+)-([a-z0-9]+)$`)
)

// ErrNoGoCommand is returned when the go command is not installed.
var ErrNoGoCommand = errors.New(`the go command is needed to fetch Go toolchains (it verifies them against the Go checksum database): install Go, or build with --locked from a distill.lock and a warm module cache`)

// ModVersion is the golang.org/toolchain module version of a Go release for a platform.
func ModVersion(version, platform string) (string, error) {
	os, arch, ok := strings.Cut(platform, "/")
	if !ok || strings.Contains(arch, "/") {
		return "", fmt.Errorf("platform %q: want os/arch", platform)
	}
	return "v0.0.1-" + version + "." + os + "-" + arch, nil
}

// Resolve turns a requested version into an exact release. "1.26" (or "go1.26")
// picks the newest patch release of Go 1.26 the module proxy serves for the
// platform; "1.26.11" is taken as is. The proxy's list of releases is reused
// for VersionsTTL when CacheDir is set, unless it has no release of the line.
func (f *Fetcher) Resolve(ctx context.Context, want, platform string) (string, error) {
	m := versionRe.FindStringSubmatch(want)
	if m == nil {
		return "", fmt.Errorf("go version %q: want a release such as 1.26 or 1.26.11", want)
	}
	if m[2] != "" {
		return "go" + m[1] + "." + m[2], nil
	}
	list, cached, err := f.versions(ctx, false)
	if err != nil {
		return "", err
	}
	best := newestPatch(list, m[1], platform)
	if best < 0 && cached {
		// A release line newer than the kept list: ask the proxy.
		if list, _, err = f.versions(ctx, true); err != nil {
			return "", err
		}
		best = newestPatch(list, m[1], platform)
	}
	if best < 0 {
		return "", fmt.Errorf("the module proxy serves no Go %s release for %s", m[1], platform)
	}
	return fmt.Sprintf("go%s.%d", m[1], best), nil
}

// newestPatch returns the highest patch number of Go line ("1.26") among
// golang.org/toolchain module versions for platform, or -1.
func newestPatch(versions []string, line, platform string) int {
	goos, goarch, _ := strings.Cut(platform, "/")
	best := -1
	for _, v := range versions {
		vm := modVersionRe.FindStringSubmatch(v)
		if vm == nil || vm[1] != line || vm[3] != goos || vm[4] != goarch {
			continue
		}
		if n, err := strconv.Atoi(vm[2]); err == nil && n > best {
			best = n
		}
	}
	return best
}

// Lookup returns the module version and go.sum hash of a Go release for a
// platform as the go command reports them, without hashing the zip: enough
// to identify the toolchain (a cache key, a lock entry). The go command
// downloads the module when its module cache lacks it, checking it against
// the checksum database then, and otherwise reports the hash it recorded at
// that download. The result has no Zip; call Download before using the zip.
func (f *Fetcher) Lookup(ctx context.Context, version, platform string) (*Go, error) {
	mv, err := ModVersion(version, platform)
	if err != nil {
		return nil, err
	}
	_, sum, err := f.modDownload(ctx, mv)
	if err != nil {
		return nil, err
	}
	return &Go{Version: version, Platform: platform, ModVersion: mv, Sum: sum}, nil
}

// Download fetches the toolchain zip through the go command (which checks it
// against the checksum database unless GONOSUMDB/GOFLAGS say otherwise), hashes
// it again, and when pinned is not empty requires that hash.
func (f *Fetcher) Download(ctx context.Context, version, platform, pinned string) (*Go, error) {
	mv, err := ModVersion(version, platform)
	if err != nil {
		return nil, err
	}
	zip, goSum, err := f.modDownload(ctx, mv)
	if err != nil {
		return nil, err
	}
	sum, err := dirhash.HashZip(zip, dirhash.Hash1)
	if err != nil {
		return nil, fmt.Errorf("hashing %s: %w", zip, err)
	}
	if sum != goSum {
		return nil, &SumError{Module: GoModule + "@" + mv, Want: goSum, Got: sum, Source: "the go command"}
	}
	if pinned != "" && pinned != sum {
		return nil, &SumError{Module: GoModule + "@" + mv, Want: pinned, Got: sum, Source: "distill.lock"}
	}
	return &Go{Version: version, Platform: platform, ModVersion: mv, Sum: sum, Zip: zip}, nil
}

// modDownload runs go mod download -json for golang.org/toolchain@mv and
// returns the zip's path and the go.sum hash the go command reports.
func (f *Fetcher) modDownload(ctx context.Context, mv string) (zip, sum string, err error) {
	out, err := f.run(ctx, "mod", "download", "-json", GoModule+"@"+mv)
	var info struct {
		Zip, Sum, Error string
	}
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", "", fmt.Errorf("downloading %s@%s: %s", GoModule, mv, info.Error)
	}
	if err != nil {
		return "", "", fmt.Errorf("downloading %s@%s: %w", GoModule, mv, err)
	}
	if info.Zip == "" || !strings.HasPrefix(info.Sum, "h1:") {
		return "", "", fmt.Errorf("downloading %s@%s: the go command reported zip %q and hash %q", GoModule, mv, info.Zip, info.Sum)
	}
	return info.Zip, info.Sum, nil
}

// SumError reports a toolchain zip whose hash is not the expected one.
type SumError struct {
	Module, Want, Got, Source string
}

func (e *SumError) Error() string {
	return fmt.Sprintf("%s: checksum mismatch: %s says %s, the downloaded zip hashes to %s", e.Module, e.Source, e.Want, e.Got)
}

func (f *Fetcher) run(ctx context.Context, args ...string) ([]byte, error) {
	goCmd := f.GoCmd
	if goCmd == "" {
		goCmd = "go"
	}
	path, err := exec.LookPath(goCmd)
	if err != nil {
		return nil, ErrNoGoCommand
	}
	cmd := exec.CommandContext(ctx, path, args...)
	// Outside any module, and never switching toolchains on our behalf.
	cmd.Dir = os.TempDir()
	cmd.Env = append(append(os.Environ(), "GOTOOLCHAIN=local", "GO111MODULE=on", "GOWORK=off"), f.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(string(out))
		}
		return out, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}
