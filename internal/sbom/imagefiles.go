package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// dpkg keeps md5sums lists in status.d (distroless images, one file per
// package) or in info (a full dpkg database).
var md5sumsDirs = []string{"var/lib/dpkg/status.d", "var/lib/dpkg/info"}

// ImageFiles reads what CheckFiles needs from an image: the paths of its
// flattened filesystem (whiteouts applied; directories left out) and the
// dpkg md5sums lists it holds, by package.
func ImageFiles(img v1.Image) (files map[string]bool, md5sums map[string][]string, err error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	return readFiles(rc)
}

// readFiles reads a flattened filesystem tar.
func readFiles(r io.Reader) (map[string]bool, map[string][]string, error) {
	files := map[string]bool{}
	md5sums := map[string][]string{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, md5sums, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sbom: reading image files: %w", err)
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		name := cleanPath(hdr.Name)
		files[name] = true
		dir, base := path.Split(name)
		pkg, ok := strings.CutSuffix(base, ".md5sums")
		if !ok || hdr.Typeflag != tar.TypeReg || !slices.Contains(md5sumsDirs, strings.TrimSuffix(dir, "/")) {
			continue
		}
		pkg, _, _ = strings.Cut(pkg, ":")
		dt, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, fmt.Errorf("sbom: reading %s: %w", name, err)
		}
		paths, err := parseMD5sums(dt)
		if err != nil {
			return nil, nil, fmt.Errorf("sbom: %s: %w", name, err)
		}
		md5sums[pkg] = append(md5sums[pkg], paths...)
	}
}

// parseMD5sums reads the paths of a dpkg md5sums list: "<32 hex>  <path>" per line.
func parseMD5sums(dt []byte) ([]string, error) {
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		if len(line) < 35 || line[32:34] != "  " {
			return nil, fmt.Errorf("line %d: not \"<md5>  <path>\": %q", n, line)
		}
		paths = append(paths, cleanPath(line[34:]))
	}
	return paths, sc.Err()
}
