package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Index downloads and verifies the indexes of codename, as apt-get update
// does, and returns them merged:
//
//   - dists/<codename>/InRelease and dists/<codename>-updates/InRelease from
//     Mirrors.Debian, dists/<codename>-security/InRelease from
//     Mirrors.Security (when set), each verified against the keyring;
//   - for each component, binary-<arch>/Packages.xz (else .gz, else the
//     uncompressed file; by-hash paths when the Release allows them), whose
//     size and SHA-256 are checked against the verified Release before it is
//     parsed.
//
// Decompressed indexes are cached by SHA-256 in the cache directory, so a
// second call downloads only the InRelease files. A missing -updates suite is
// skipped; a missing main or security suite is an error. The Index's ID is
// the IndexID of the releases it was read from.
func (c *Client) Index(ctx context.Context, codename string) (*Index, error) {
	suites, err := c.releases(ctx, codename)
	if err != nil {
		return nil, err
	}
	id, err := c.indexID(suites)
	if err != nil {
		return nil, err
	}
	results := make([][]*Package, len(suites))
	errs := make([]error, len(suites))
	var wg sync.WaitGroup
	for i, s := range suites {
		if s.rel == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.suitePackages(ctx, s)
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	ix := NewIndex(results...)
	ix.id = id
	return ix, nil
}

// suiteRelease is one suite of an archive state: where it is served and its
// verified release, nil for an optional suite the mirror does not have.
type suiteRelease struct {
	base, name string
	rel        *Release
}

// releases downloads and verifies, in parallel, the InRelease files of the
// suites Index reads, in order of preference: codename, codename-updates
// (optional) and codename-security (when a security mirror is set).
func (c *Client) releases(ctx context.Context, codename string) ([]suiteRelease, error) {
	type suite struct {
		base, name string
		optional   bool
	}
	suites := []suite{
		{c.mirrors.Debian, codename, false},
		{c.mirrors.Debian, codename + "-updates", true},
	}
	if c.mirrors.Security != "" {
		suites = append(suites, suite{c.mirrors.Security, codename + "-security", false})
	}
	out := make([]suiteRelease, len(suites))
	errs := make([]error, len(suites))
	var wg sync.WaitGroup
	for i, s := range suites {
		out[i] = suiteRelease{base: s.base, name: s.name}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].rel, errs[i] = c.FetchRelease(ctx, s.base, s.name)
		}()
	}
	wg.Wait()
	for i, s := range suites {
		if errs[i] == nil {
			continue
		}
		var nf *SuiteNotFoundError
		if s.optional && errors.As(errs[i], &nf) {
			c.logf("suite %s not found at %s, skipping", s.name, s.base)
			continue
		}
		return nil, errs[i]
	}
	return out, nil
}

// firstError returns the first non-nil error of errs.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// SuiteNotFoundError reports a suite whose InRelease the mirror does not have.
type SuiteNotFoundError struct {
	Suite string
	URL   string
	Err   error
}

func (e *SuiteNotFoundError) Error() string {
	return fmt.Sprintf("suite %s not found: %v", e.Suite, e.Err)
}

func (e *SuiteNotFoundError) Unwrap() error { return e.Err }

// FetchRelease downloads and verifies dists/<suite>/InRelease from base.
func (c *Client) FetchRelease(ctx context.Context, base, suite string) (*Release, error) {
	url := base + "/dists/" + suite + "/InRelease"
	data, err := c.get(ctx, url, maxInRelease)
	if isNotFound(err) {
		return nil, &SuiteNotFoundError{Suite: suite, URL: url, Err: err}
	}
	if err != nil {
		return nil, err
	}
	rel, err := verifyInRelease(data, c.keyring, c.now(), c.checkValidUntil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if rel.Codename != suite && rel.Suite != suite {
		return nil, fmt.Errorf("%s: release is for suite %q (codename %q), not %q", url, rel.Suite, rel.Codename, suite)
	}
	if len(rel.Architectures) > 0 && !slices.Contains(rel.Architectures, c.arch) {
		return nil, fmt.Errorf("%s: suite %s has no architecture %s (has %v)", url, suite, c.arch, rel.Architectures)
	}
	return rel, nil
}

func (c *Client) suitePackages(ctx context.Context, s suiteRelease) ([]*Package, error) {
	start := time.Now()
	var all []*Package
	for _, comp := range c.components {
		pkgs, err := c.componentPackages(ctx, s.base, s.name, comp, s.rel)
		if err != nil {
			return nil, err
		}
		all = append(all, pkgs...)
	}
	c.logf("indexed %s: %d packages in %s", s.name, len(all), time.Since(start).Round(time.Millisecond))
	return all, nil
}

// indexExts lists the Packages compressions in order of preference.
func indexExts() []string { return []string{".xz", ".gz", ""} }

func (c *Client) componentPackages(ctx context.Context, base, suite, comp string, rel *Release) ([]*Package, error) {
	rpath := comp + "/binary-" + c.arch + "/Packages"
	plain, hasPlain := rel.SHA256[rpath]

	// A cached copy: the decompressed index, or a compressed one when the
	// Release does not list the decompressed checksum.
	for _, ext := range indexExts() {
		fi, ok := rel.SHA256[rpath+ext]
		if !ok || (ext != "" && hasPlain) {
			continue
		}
		path, err := c.cachePath("indexes", fi.SHA256, ext)
		if err != nil {
			return nil, err
		}
		if ok, err := verifyFile(path, fi); err != nil {
			return nil, err
		} else if ok {
			c.logf("using cached %s/%s", suite, rpath+ext)
			return c.parseIndexFile(path, ext, base, suite)
		}
	}

	var lastErr error
	for _, ext := range indexExts() {
		fi, ok := rel.SHA256[rpath+ext]
		if !ok {
			continue
		}
		tmp, url, err := c.downloadIndex(ctx, base, suite, rpath+ext, fi, rel.AcquireByHash)
		if isNotFound(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, err
		}
		c.logf("downloaded %s (%d bytes)", url, fi.Size)
		if ext == "" || !hasPlain {
			path, err := c.cachePath("indexes", fi.SHA256, ext)
			if err != nil {
				os.Remove(tmp)
				return nil, err
			}
			if err := os.Rename(tmp, path); err != nil {
				os.Remove(tmp)
				return nil, err
			}
			return c.parseIndexFile(path, ext, base, suite)
		}
		return c.decompressIndex(tmp, ext, url, plain, base, suite)
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, fmt.Errorf("release %s lists no %s index", suite, rpath)
}

// downloadIndex downloads dists/<suite>/<rpath>, by hash when allowed
// (falling back to the plain path), into a verified temporary file.
func (c *Client) downloadIndex(ctx context.Context, base, suite, rpath string, fi FileInfo, byHash bool) (tmp, url string, err error) {
	dir := filepath.Join(c.cacheDir, "indexes")
	if byHash {
		url = base + "/dists/" + suite + "/" + path.Dir(rpath) + "/by-hash/SHA256/" + fi.SHA256
		tmp, err = c.downloadTemp(ctx, url, fi, dir)
		if !isNotFound(err) {
			return tmp, url, err
		}
	}
	url = base + "/dists/" + suite + "/" + rpath
	tmp, err = c.downloadTemp(ctx, url, fi, dir)
	return tmp, url, err
}

// decompressIndex parses the verified compressed index at tmp while writing
// its decompressed form to the cache, checked against want.
func (c *Client) decompressIndex(tmp, ext, url string, want FileInfo, base, suite string) ([]*Package, error) {
	defer os.Remove(tmp)
	f, err := os.Open(tmp)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec, err := decompress(ext, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	defer dec.Close()

	dst, err := c.cachePath("indexes", want.SHA256, "")
	if err != nil {
		return nil, err
	}
	out, err := os.CreateTemp(filepath.Dir(dst), ".decompress-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		out.Close()
		os.Remove(out.Name()) // no-op after the rename
	}()
	h := sha256.New()
	cw := &countWriter{}
	tee := io.TeeReader(io.LimitReader(dec, want.Size+1), io.MultiWriter(out, h, cw))
	pkgs, err := ParsePackages(tee, base, suite)
	if _, derr := io.Copy(io.Discard, tee); derr != nil && err == nil {
		err = derr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if cw.n != want.Size || got != want.SHA256 {
		return nil, &ChecksumError{URL: url + " (decompressed)", Want: want.SHA256, Got: got, WantSize: want.Size, GotSize: cw.n}
	}
	if err := out.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(out.Name(), dst); err != nil {
		return nil, err
	}
	return pkgs, nil
}

func (c *Client) parseIndexFile(path, ext, base, suite string) ([]*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := decompress(ext, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	return ParsePackages(r, base, suite)
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
