package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoGoCommand reports that the go command, which downloads golang.org/x/vulndb,
// is not on PATH.
var ErrNoGoCommand = errors.New("the go command is not on PATH: distill downloads " + GoVulnDBModule + " with it")

// DownloadGoVulnDB downloads golang.org/x/vulndb@version ("" means
// DefaultGoVulnDBVersion) with `go mod download`, which uses the user's GOPROXY
// and GOFLAGS, verifies the module against the checksum database and caches it in
// the module cache. It returns the snapshot's data/osv directory (read-only).
func DownloadGoVulnDB(ctx context.Context, version string) (osvDir string, err error) {
	if version == "" {
		version = DefaultGoVulnDBVersion
	}
	if _, err := pseudoVersionTime(version); err != nil {
		return "", err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", ErrNoGoCommand
	}
	mv := GoVulnDBModule + "@" + version
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", mv)
	// Outside any module, and never switching toolchains on our behalf.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GO111MODULE=on", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("downloading %s: %s", mv, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s: go mod download: %w: %s", mv, err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("downloading %s: the go command reported no directory", mv)
	}
	osvDir = filepath.Join(info.Dir, "data", "osv")
	if fi, err := os.Stat(osvDir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%s has no data/osv directory", mv)
	}
	return osvDir, nil
}
