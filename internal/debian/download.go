package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// ChecksumError reports downloaded or cached content that does not match
// the size and SHA-256 the signed index promises. Nothing is kept.
type ChecksumError struct {
	URL       string
	Want, Got string // SHA-256, lower-case hex
	WantSize  int64
	GotSize   int64
}

func (e *ChecksumError) Error() string {
	if e.WantSize != e.GotSize {
		return fmt.Sprintf("%s: size %d, want %d (sha256 %s, want %s)", e.URL, e.GotSize, e.WantSize, e.Got, e.Want)
	}
	return fmt.Sprintf("%s: sha256 %s, want %s", e.URL, e.Got, e.Want)
}

// HTTPError reports an unexpected HTTP status.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

func isNotFound(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && (he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusGone)
}

// maxInRelease bounds the size of an InRelease download.
const maxInRelease = 32 << 20

// get downloads url into memory, reading at most limit bytes.
func (c *Client) get(ctx context.Context, url string, limit int64) ([]byte, error) {
	resp, err := c.open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", url, limit)
	}
	return data, nil
}

func (c *Client) open(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "distill")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &HTTPError{URL: url, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return resp, nil
}

// downloadTemp downloads url into a new temporary file in dir and checks its
// size and SHA-256 against want. It returns the temporary file's path; on
// any failure nothing is left behind.
func (c *Client) downloadTemp(ctx context.Context, url string, want FileInfo, dir string) (string, error) {
	resp, err := c.open(ctx, url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, want.Size+1))
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if n != want.Size || got != want.SHA256 {
		return "", &ChecksumError{URL: url, Want: want.SHA256, Got: got, WantSize: want.Size, GotSize: n}
	}
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	ok = true
	return f.Name(), nil
}

// verifyFile reports whether the file at path has the given size and
// SHA-256. A file that exists but does not match is removed.
func verifyFile(path string, want FileInfo) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return false, err
	}
	if n == want.Size && hex.EncodeToString(h.Sum(nil)) == want.SHA256 {
		return true, nil
	}
	f.Close()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	return false, nil
}

// cachePath returns <cache>/<kind>/<sha256><ext>; sha must be hex.
func (c *Client) cachePath(kind, sha, ext string) (string, error) {
	if !isSHA256Hex(sha) {
		return "", fmt.Errorf("invalid sha256 %q", sha)
	}
	return filepath.Join(c.cacheDir, kind, sha+ext), nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
