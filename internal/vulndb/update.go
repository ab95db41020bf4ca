package vulndb

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// TrivyNotFoundError reports that no trivy binary was found.
type TrivyNotFoundError struct {
	Looked []string
}

func (e *TrivyNotFoundError) Error() string {
	return fmt.Sprintf(`trivy not found (looked in %s): run "make setup"`, strings.Join(e.Looked, ", "))
}

// FindTrivy returns the trivy that distill pins: $DISTILL_TOOLS/bin/trivy, else
// <user cache dir>/distill/tools/bin/trivy (where "make setup" builds it), else
// trivy on PATH.
func FindTrivy() (string, error) {
	var candidates []string
	if tools := os.Getenv("DISTILL_TOOLS"); tools != "" {
		candidates = append(candidates, filepath.Join(tools, "bin", "trivy"))
	}
	if cache, err := os.UserCacheDir(); err == nil {
		candidates = append(candidates, filepath.Join(cache, "distill", "tools", "bin", "trivy"))
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("trivy"); err == nil {
		return p, nil
	}
	return "", &TrivyNotFoundError{Looked: append(candidates, "PATH")}
}

// DownloadError reports a failed `trivy --download-db-only`.
type DownloadError struct {
	Repository  string // "" for trivy's default
	Output      string // the end of trivy's output
	Unreachable bool   // the output says the registry could not be reached
	Err         error
}

func (e *DownloadError) Error() string {
	repo := e.Repository
	if repo == "" {
		repo = "trivy's default repository"
	}
	msg := fmt.Sprintf("trivy could not download the vulnerability database from %s: %v", repo, e.Err)
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	if e.Unreachable {
		msg += "\nthe registry is unreachable; on an offline machine build the database with \"distill db build --from-go-vulndb\" or bring one with \"distill db import FILE\""
	}
	return msg
}

func (e *DownloadError) Unwrap() error { return e.Err }

// Update downloads the published trivy DB with trivy
// (`trivy image --download-db-only`) into a staging cache next to outDir and
// installs it there. repository is a --db-repository reference; "" lets trivy
// use its own default. trivy's output goes to WithLogf.
func Update(ctx context.Context, trivy, outDir, repository string, opts ...Option) (*DB, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if trivy == "" {
		if trivy, err = FindTrivy(); err != nil {
			return nil, err
		}
	}
	staging, err := stage(outDir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)
	cacheDir := filepath.Join(staging, "cache")

	args := []string{"image", "--download-db-only", "--cache-dir", cacheDir}
	if repository != "" {
		args = append(args, "--db-repository", repository)
	}
	args = append(args, "--skip-version-check", "--disable-telemetry", "--no-progress")
	cmd := exec.CommandContext(ctx, trivy, args...)
	var tail []string // the last lines, for the error
	out := &lineWriter{fn: func(line string) {
		if strings.TrimSpace(line) == "" {
			return
		}
		o.logf("trivy: %s", line)
		if tail = append(tail, line); len(tail) > 20 {
			tail = tail[1:]
		}
	}}
	cmd.Stdout, cmd.Stderr = out, out
	o.logf("downloading the trivy DB with %s", trivy)
	err = cmd.Run()
	out.flush()
	if err != nil {
		text := strings.Join(failureLines(tail), "\n")
		return nil, &DownloadError{Repository: repository, Output: text, Unreachable: unreachable(text), Err: err}
	}

	dbDir := filepath.Join(cacheDir, "db")
	source := "trivy-db " + repository
	if repository == "" {
		source = "trivy-db (trivy's default repository)"
	}
	info, err := describe(dbDir, source)
	if err != nil {
		return nil, fmt.Errorf("the database trivy downloaded: %w", err)
	}
	if err := writeInfo(dbDir, info); err != nil {
		return nil, err
	}
	// Only the database files go into place: not trivy's cache around them.
	if err := install(dbDir, outDir); err != nil {
		return nil, fmt.Errorf("installing the database in %s: %w", outDir, err)
	}
	return &DB{Dir: outDir, Info: info}, nil
}

// failureLines is the part of trivy's output that explains a failure: from its
// first FATAL or ERROR line on, else the last lines.
func failureLines(lines []string) []string {
	for i, l := range lines {
		if strings.Contains(l, "\tFATAL\t") || strings.Contains(l, "\tERROR\t") {
			return lines[i:]
		}
	}
	if len(lines) > 5 {
		return lines[len(lines)-5:]
	}
	return lines
}

// unreachable recognises network failures in trivy's output.
func unreachable(out string) bool {
	for _, s := range []string{
		"no such host", "connection refused", "i/o timeout", "network is unreachable",
		"dial tcp", "TLS handshake timeout", "context deadline exceeded", "Client.Timeout",
	} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// lineWriter calls fn with each line written; flush passes an unterminated rest.
type lineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	fn  func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(strings.TrimRight(string(w.buf.Next(i+1)), "\r\n"))
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.fn(strings.TrimRight(w.buf.String(), "\r\n"))
		w.buf.Reset()
	}
}
