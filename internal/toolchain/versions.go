package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// versionsList is a kept answer of `go list -m -versions golang.org/toolchain`.
type versionsList struct {
	Listed   time.Time `json:"listed"`
	Versions []string  `json:"versions"`
}

// proxyEnv are the variables that decide which module proxy answers a list.
var proxyEnv = []string{"GOPROXY", "GONOPROXY", "GOPRIVATE", "GOFLAGS"}

// versions returns the golang.org/toolchain module versions the module proxy
// serves, from the kept list when it is younger than VersionsTTL and refresh
// is false; cached says whether it came from there. A list the go command
// gives is kept (best effort: a cache that cannot be written is skipped).
func (f *Fetcher) versions(ctx context.Context, refresh bool) (list []string, cached bool, err error) {
	path := f.versionsPath()
	if path != "" && !refresh {
		if list, ok := f.keptVersions(path); ok {
			return list, true, nil
		}
	}
	out, err := f.run(ctx, "list", "-m", "-versions", GoModule)
	if err != nil {
		return nil, false, fmt.Errorf("listing Go releases: %w", err)
	}
	list = strings.Fields(string(out))
	if len(list) > 0 && list[0] == GoModule {
		list = list[1:]
	}
	if path != "" {
		keepVersions(path, versionsList{Listed: f.clock().UTC(), Versions: list})
	}
	return list, false, nil
}

func (f *Fetcher) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

// versionsPath is the file a list is kept in, named by the proxy settings
// in the environment (a list from one proxy is not another's), or "" when
// lists are not kept. Settings written with go env -w are not seen; the TTL
// bounds how long a list from before such a change is used.
func (f *Fetcher) versionsPath() string {
	if f.CacheDir == "" || f.VersionsTTL <= 0 {
		return ""
	}
	h := sha256.New()
	for _, k := range proxyEnv {
		fmt.Fprintf(h, "%s=%s\n", k, os.Getenv(k))
	}
	for _, kv := range f.Env {
		fmt.Fprintf(h, "%s\n", kv)
	}
	return filepath.Join(f.CacheDir, "go-versions-"+hex.EncodeToString(h.Sum(nil))[:16]+".json")
}

// keptVersions returns the list kept at path when it is readable and younger
// than VersionsTTL (a list from the future, after a clock change, is stale).
func (f *Fetcher) keptVersions(path string) ([]string, bool) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var l versionsList
	if err := json.Unmarshal(dt, &l); err != nil || l.Listed.IsZero() {
		return nil, false
	}
	age := f.clock().Sub(l.Listed)
	if age < 0 || age >= f.VersionsTTL {
		return nil, false
	}
	return l.Versions, true
}

// keepVersions writes l to path atomically, ignoring failures.
func keepVersions(path string, l versionsList) {
	dt, err := json.Marshal(l)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".go-versions-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(dt); err != nil {
		tmp.Close()
		return
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return
	}
	if err := tmp.Close(); err != nil {
		return
	}
	os.Rename(tmp.Name(), path)
}
