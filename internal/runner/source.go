package runner

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/patternmatcher/ignorefile"
)

// dockerignore reads the .dockerignore patterns of a context directory.
func dockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}

// gitInfo describes the commit a directory is checked out at, when it is in a
// Git work tree: its time (the default SOURCE_DATE_EPOCH), revision and remote.
type gitInfo struct {
	Time     time.Time
	Revision string
	Remote   string
}

func readGitInfo(ctx context.Context, dir string) (gitInfo, bool) {
	run := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		if cmd.Run() != nil {
			return ""
		}
		return strings.TrimSpace(out.String())
	}
	rev := run("rev-parse", "HEAD")
	if rev == "" {
		return gitInfo{}, false
	}
	info := gitInfo{Revision: rev, Remote: run("config", "--get", "remote.origin.url")}
	if sec, err := strconv.ParseInt(run("log", "-1", "--format=%ct"), 10, 64); err == nil {
		info.Time = time.Unix(sec, 0).UTC()
	}
	info.Remote = publicRemote(info.Remote)
	return info, true
}

// publicRemote is a Git remote fit for an image label: user names, tokens,
// queries and fragments removed (CI checkouts embed tokens in https remotes);
// scp-like remotes become ssh:// URLs without the user.
func publicRemote(remote string) string {
	if remote == "" {
		return ""
	}
	if !strings.Contains(remote, "://") {
		at, colon := strings.Index(remote, "@"), strings.Index(remote, ":")
		if colon < 0 || strings.HasPrefix(remote, "/") {
			return "" // a local path: nothing to publish
		}
		host, path := remote[:colon], remote[colon+1:]
		if at >= 0 && at < colon {
			host = remote[at+1 : colon]
		}
		return "ssh://" + host + "/" + strings.TrimPrefix(path, "/")
	}
	u, err := url.Parse(remote)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
