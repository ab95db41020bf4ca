package rootfs

import (
	"archive/tar"
	"archive/zip"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/distill-dev/distill/internal/toolchain"
)

// GoRoot is where builder images carry the Go toolchain, as the official images do.
const GoRoot = "usr/local/go"

// goPath is GOPATH in builder images; world-writable with the sticky bit so
// build stages running as nonroot can use its module cache.
const goPath = "go"

// goToolchainTree unpacks a golang.org/toolchain module zip into usr/local/go.
// Module zips carry no permission bits, so executables are recognised the way
// the go command does when it runs a downloaded toolchain: everything in bin/
// and pkg/tool/<os>_<arch>/.
func goToolchainTree(g *toolchain.Go) (*tree, error) {
	zr, err := zip.OpenReader(g.Zip)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", g.Zip, err)
	}
	defer zr.Close()
	prefix := toolchain.GoModule + "@" + g.ModVersion + "/"
	t := newTree()
	for _, f := range zr.File {
		rel, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			return nil, fmt.Errorf("%s: unexpected entry %q outside %s", g.Zip, f.Name, prefix)
		}
		if rel == "" || strings.HasSuffix(rel, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s from %s: %w", f.Name, g.Zip, err)
		}
		mode := int64(0o644)
		if goExecutable(rel) {
			mode = 0o755
		}
		t.add(&entry{path: path.Join(GoRoot, rel), typ: tar.TypeReg, mode: mode, data: data, owner: "go"})
	}
	for _, d := range []string{goPath, goPath + "/bin", goPath + "/src", goPath + "/pkg"} {
		t.dir(d, 0o1777, 0, 0)
	}
	return t, nil
}

func goExecutable(rel string) bool {
	dir := path.Dir(rel)
	return dir == "bin" || (path.Dir(dir) == "pkg/tool" && strings.Contains(path.Base(dir), "_"))
}
