package rootfs

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
)

// mergedDirs are the top-level directories that Debian's merged-/usr layout
// turns into symlinks into /usr. Package contents under them are installed at
// their /usr location, as dpkg does on a merged-/usr system.
var mergedDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// usrMerge maps a package path to its location on a merged-/usr system.
func usrMerge(p string) string {
	first, _, _ := strings.Cut(p, "/")
	for _, d := range mergedDirs {
		if first == d {
			return "usr/" + p
		}
	}
	return p
}

func isMergedDir(p string) bool {
	for _, d := range mergedDirs {
		if p == d {
			return true
		}
	}
	return false
}

// droppedPrefixes are package paths that images never need: documentation
// (the copyright files stay, for license compliance), manuals, translations,
// lintian and bug-reporting metadata. Docker's slim Debian images and
// distroless drop the same.
var droppedPrefixes = []string{
	"usr/share/doc/",
	"usr/share/man/",
	"usr/share/info/",
	"usr/share/locale/",
	"usr/share/lintian/",
	"usr/share/linda/",
	"usr/share/bug/",
	"usr/share/doc-base/",
}

// keepPath reports whether a (merged) package path goes into the image.
func keepPath(p string) bool {
	for _, pre := range droppedPrefixes {
		if strings.HasPrefix(p, pre) {
			// usr/share/doc/<pkg>/copyright is kept; its directories come with it.
			return pre == "usr/share/doc/" && path.Base(p) == "copyright" && strings.Count(p, "/") == 4
		}
	}
	return true
}

// debContent is the part of a .deb the assembly needs.
type debContent interface {
	WalkData(fn func(h *tar.Header, r io.Reader) error) error
	ControlFile(name string) ([]byte, error)
}

// addPackage unpacks a package's data into the tree, owned by pkg, and returns
// how many entries it added.
func (t *tree) addPackage(pkg string, d debContent) (int, error) {
	n := 0
	err := d.WalkData(func(h *tar.Header, r io.Reader) error {
		p := usrMerge(cleanPath(h.Name))
		if p == "" || isMergedDir(p) || !keepPath(p) {
			return nil
		}
		e := &entry{path: p, mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid, owner: pkg}
		switch h.Typeflag {
		case tar.TypeDir:
			e.typ = tar.TypeDir
		case tar.TypeReg, tar.TypeRegA:
			e.typ = tar.TypeReg
			data, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("%s: reading %s: %w", pkg, h.Name, err)
			}
			e.data = data
		case tar.TypeSymlink:
			e.typ, e.linkname = tar.TypeSymlink, h.Linkname
		case tar.TypeLink:
			e.typ, e.linkname = tar.TypeLink, usrMerge(cleanPath(h.Linkname))
		default:
			return fmt.Errorf("%s: %s: unsupported tar entry type %q", pkg, h.Name, h.Typeflag)
		}
		t.add(e)
		n++
		return nil
	})
	return n, err
}

// statusRecord renders the dpkg status.d record of a package from its control
// file: the control paragraph with "Status: install ok installed" after the
// Package field, as dpkg's status database has it. Scanners (trivy, syft,
// grype) read these records to know what is installed.
func statusRecord(control []byte) []byte {
	control = bytes.TrimRight(control, "\n")
	var out bytes.Buffer
	for i, line := range bytes.Split(control, []byte("\n")) {
		out.Write(line)
		out.WriteByte('\n')
		if i == 0 {
			out.WriteString("Status: install ok installed\n")
		}
	}
	return out.Bytes()
}

const statusDir = "var/lib/dpkg/status.d"
