package rootfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one file system object of a layer. Paths are clean, relative and
// slash-separated ("usr/bin/env"); the root directory itself is never an entry.
type entry struct {
	path     string
	typ      byte // tar.TypeReg, TypeDir, TypeSymlink or TypeLink
	mode     int64
	uid, gid int
	linkname string // symlink target, or the hard-link target's path
	data     []byte
	owner    string // package that shipped it; "" for files distill generates
}

// tree collects the entries of one layer. Later additions replace earlier ones
// with the same path, as unpacking packages in order would.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree { return &tree{entries: map[string]*entry{}} }

// cleanPath turns a tar or absolute path into the tree's relative form.
// It returns "" for the root directory.
func cleanPath(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

func (t *tree) add(e *entry) {
	e.path = cleanPath(e.path)
	if e.path == "" {
		return
	}
	t.mkdirAll(path.Dir(e.path))
	if old, ok := t.entries[e.path]; ok && old.typ == tar.TypeDir && e.typ == tar.TypeDir {
		// A directory shipped twice keeps its first owner; metadata follows the later one.
		e.owner = old.owner
	}
	t.entries[e.path] = e
}

// file adds a regular file that distill generates.
func (t *tree) file(p string, mode int64, data []byte) {
	t.add(&entry{path: p, typ: tar.TypeReg, mode: mode, data: data})
}

func (t *tree) dir(p string, mode int64, uid, gid int) {
	t.add(&entry{path: p, typ: tar.TypeDir, mode: mode, uid: uid, gid: gid})
}

func (t *tree) symlink(p, target string) {
	t.add(&entry{path: p, typ: tar.TypeSymlink, mode: 0o777, linkname: target})
}

// mkdirAll adds missing parent directories (root-owned, 0755).
func (t *tree) mkdirAll(dir string) {
	dir = cleanPath(dir)
	for dir != "" && dir != "." {
		if _, ok := t.entries[dir]; ok {
			return
		}
		t.entries[dir] = &entry{path: dir, typ: tar.TypeDir, mode: 0o755}
		dir = cleanPath(path.Dir(dir))
	}
}

func (t *tree) get(p string) (*entry, bool) {
	e, ok := t.entries[cleanPath(p)]
	return e, ok
}

func (t *tree) remove(p string) { delete(t.entries, cleanPath(p)) }

// sorted returns the entries in the order they are written: by path, so that a
// directory always precedes what it contains, and a hard link's target precedes
// the link (the first path of a hard-link group in that order carries the data).
func (t *tree) sorted() []*entry {
	out := make([]*entry, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return reorderHardlinks(out)
}

// reorderHardlinks makes the first member (in sorted order) of every hard-link
// group the regular file and the others links to it, so no link ever points
// forward in the archive. Links whose target is not a regular file are dropped.
func reorderHardlinks(es []*entry) []*entry {
	byPath := make(map[string]*entry, len(es))
	for _, e := range es {
		byPath[e.path] = e
	}
	groups := map[string][]*entry{} // target path → links to it
	for _, e := range es {
		if e.typ == tar.TypeLink {
			target := cleanPath(e.linkname)
			groups[target] = append(groups[target], e)
		}
	}
	replace := map[string]*entry{} // path → entry to write instead
	for target, links := range groups {
		te, ok := byPath[target]
		if !ok || te.typ != tar.TypeReg {
			for _, l := range links {
				replace[l.path] = nil
			}
			continue
		}
		members := append([]*entry{te}, links...)
		sort.Slice(members, func(i, j int) bool { return members[i].path < members[j].path })
		head := members[0]
		for _, m := range members {
			if m == head {
				file := *te
				file.path, file.owner = m.path, m.owner
				replace[m.path] = &file
				continue
			}
			replace[m.path] = &entry{path: m.path, typ: tar.TypeLink, linkname: head.path,
				mode: te.mode, uid: te.uid, gid: te.gid, owner: m.owner}
		}
	}
	out := make([]*entry, 0, len(es))
	for _, e := range es {
		if r, ok := replace[e.path]; ok {
			if r != nil {
				out = append(out, r)
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// writeTar writes the tree as a normalised tar stream: sorted entries, every
// timestamp set to epoch, numeric owners only, no device or access-time fields.
func (t *tree) writeTar(w io.Writer, epoch time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range t.sorted() {
		h := &tar.Header{
			Typeflag: e.typ,
			Name:     e.path,
			Mode:     e.mode & 0o7777,
			Uid:      e.uid,
			Gid:      e.gid,
			ModTime:  epoch,
			Linkname: e.linkname,
			Format:   tar.FormatPAX,
		}
		switch e.typ {
		case tar.TypeDir:
			h.Name += "/"
		case tar.TypeReg:
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing %s: %w", e.path, err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				return fmt.Errorf("writing %s: %w", e.path, err)
			}
		}
	}
	return tw.Close()
}

// layer compresses the tree into an OCI layer. gzip from the standard library is
// deterministic for a given level and Go release, so equal trees give equal digests.
func (t *tree) layer(epoch time.Time, level int) (v1.Layer, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if err := t.writeTar(zw, epoch); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	blob := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
}

// md5sums renders the dpkg md5sums list of the regular files a package owns in
// this tree, sorted by path, in dpkg's "<md5>  <path>" format. A hard link is
// the same regular file under another name and is listed under each name, as
// in the package's own md5sums; links the layer drops (their target is not a
// regular file here) are not.
func (t *tree) md5sums(pkg string) []byte {
	type line struct{ path, sum string }
	var lines []line
	for _, e := range t.entries {
		if e.owner != pkg {
			continue
		}
		data := e.data
		switch e.typ {
		case tar.TypeReg:
		case tar.TypeLink:
			target, ok := t.entries[cleanPath(e.linkname)]
			if !ok || target.typ != tar.TypeReg {
				continue
			}
			data = target.data
		default:
			continue
		}
		sum := md5.Sum(data)
		lines = append(lines, line{e.path, hex.EncodeToString(sum[:])})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].path < lines[j].path })
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.sum + "  " + l.path + "\n")
	}
	return []byte(b.String())
}
