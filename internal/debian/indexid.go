package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// indexIDFormat versions the text IndexID hashes; change it when that text
// changes meaning, so that nothing keyed by an old ID is taken for a new one.
const indexIDFormat = "distill debian index-id 1"

// IndexID identifies the archive state Index would read for codename,
// without downloading or parsing any Packages index. It downloads and
// verifies the same InRelease files as Index (signature, Valid-Until,
// codename, architecture) and returns "sha256:<hex>" over the client's
// architecture and components, each suite's mirror and name, and the size
// and SHA-256 the verified Release lists for every Packages index of those
// components (all compressions). A missing optional suite counts as absent.
//
// Two equal IDs mean Index would return the same packages from the same
// URLs, so the result of resolving against the index can be kept under its
// ID: the Packages content is fixed by signed hashes, and each .deb is still
// checked against its SHA-256 when it is downloaded.
func (c *Client) IndexID(ctx context.Context, codename string) (string, error) {
	suites, err := c.releases(ctx, codename)
	if err != nil {
		return "", err
	}
	return c.indexID(suites)
}

// indexID hashes the archive state of verified suites (see IndexID).
func (c *Client) indexID(suites []suiteRelease) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\narch %s\ncomponents %s\n", indexIDFormat, c.arch, strings.Join(c.components, " "))
	for _, s := range suites {
		if s.rel == nil {
			fmt.Fprintf(&b, "suite %s %s absent\n", s.base, s.name)
			continue
		}
		fmt.Fprintf(&b, "suite %s %s\n", s.base, s.name)
		for _, comp := range c.components {
			rpath := comp + "/binary-" + c.arch + "/Packages"
			listed := false
			for _, ext := range indexExts() {
				if fi, ok := s.rel.SHA256[rpath+ext]; ok {
					fmt.Fprintf(&b, " %s %d %s\n", rpath+ext, fi.Size, fi.SHA256)
					listed = true
				}
			}
			if !listed {
				return "", fmt.Errorf("release %s lists no %s index", s.name, rpath)
			}
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
