package debian

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Fetch downloads p into <cache>/debs/<sha256>.deb and returns that path.
// The download goes to a temporary file that is checked against p.Size and
// p.SHA256 before it is renamed into place; a cached file is re-hashed
// before it is trusted. A mismatch is a *ChecksumError and leaves nothing in
// the cache.
func (c *Client) Fetch(ctx context.Context, p *Package) (string, error) {
	if strings.Contains(p.Filename, "..") || p.Filename == "" {
		return "", fmt.Errorf("package %s: invalid Filename %q", p, p.Filename)
	}
	dst, err := c.cachePath("debs", p.SHA256, ".deb")
	if err != nil {
		return "", fmt.Errorf("package %s: %w", p, err)
	}
	want := FileInfo{Size: p.Size, SHA256: p.SHA256}
	if ok, err := verifyFile(dst, want); err != nil {
		return "", err
	} else if ok {
		return dst, nil
	}
	tmp, err := c.downloadTemp(ctx, p.URL(), want, filepath.Dir(dst))
	if err != nil {
		return "", fmt.Errorf("package %s: %w", p, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return dst, nil
}

// FetchAll fetches pkgs with bounded parallelism (WithParallelism, default
// 4), reporting progress through the client's log function. It returns the
// cached path of each package by SHA-256. On failure it stops starting new
// downloads and returns the error of the first failing package in pkgs order.
func (c *Client) FetchAll(ctx context.Context, pkgs []*Package) (map[string]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var unique []*Package
	seen := map[string]bool{}
	for _, p := range pkgs {
		if !seen[p.SHA256] {
			seen[p.SHA256] = true
			unique = append(unique, p)
		}
	}

	paths := make([]string, len(unique))
	errs := make([]error, len(unique))
	sem := make(chan struct{}, c.parallelism)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for i, p := range unique {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			paths[i], errs[i] = c.Fetch(ctx, p)
			if errs[i] != nil {
				cancel()
				return
			}
			mu.Lock()
			done++
			c.logf("fetched %d/%d %s", done, len(unique), p)
			mu.Unlock()
		}()
	}
	wg.Wait()

	// Report the root cause rather than a cancellation it triggered.
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			first = err
			break
		}
	}
	for _, err := range errs {
		if first == nil && err != nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	out := make(map[string]string, len(unique))
	for i, p := range unique {
		out[p.SHA256] = paths[i]
	}
	return out, nil
}
