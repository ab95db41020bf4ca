package rootfs_test

import (
	"archive/tar"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// file is one entry of a layer, read back from its tar.
type file struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles reads a layer's uncompressed tar: the entry names in archive
// order, and the entries by path (without a trailing "/").
func layerFiles(t *testing.T, l v1.Layer) ([]string, map[string]file) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	files := map[string]file{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names, files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		p := h.Name
		if h.Typeflag == tar.TypeDir {
			p = p[:len(p)-1]
		}
		if _, dup := files[p]; dup {
			t.Errorf("layer has %s twice", p)
		}
		files[p] = file{hdr: h, data: data}
	}
}

// layers returns the image's layers, each read back.
func layers(t *testing.T, img v1.Image) []map[string]file {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]file
	for _, l := range ls {
		_, files := layerFiles(t, l)
		out = append(out, files)
	}
	return out
}

// imageFiles is the image's file system: its layers applied in order (the
// assembly writes no whiteouts).
func imageFiles(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	merged := map[string]file{}
	for _, files := range layers(t, img) {
		maps.Copy(merged, files)
	}
	return merged
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func configFile(t *testing.T, img v1.Image) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// wantFile checks a regular file's content and mode.
func wantFile(t *testing.T, fs map[string]file, path, data string, mode int64) {
	t.Helper()
	f, ok := fs[path]
	switch {
	case !ok:
		t.Errorf("%s: missing", path)
	case f.hdr.Typeflag != tar.TypeReg:
		t.Errorf("%s: type %q, want a regular file", path, f.hdr.Typeflag)
	case string(f.data) != data || f.hdr.Mode != mode:
		t.Errorf("%s: %q mode %o, want %q mode %o", path, f.data, f.hdr.Mode, data, mode)
	}
}

// wantSymlink checks a symlink's target.
func wantSymlink(t *testing.T, fs map[string]file, path, target string) {
	t.Helper()
	f, ok := fs[path]
	switch {
	case !ok:
		t.Errorf("%s: missing, want a symlink to %s", path, target)
	case f.hdr.Typeflag != tar.TypeSymlink || f.hdr.Linkname != target:
		t.Errorf("%s: type %q → %q, want a symlink to %s", path, f.hdr.Typeflag, f.hdr.Linkname, target)
	}
}

// wantDir checks a directory's mode and owner.
func wantDir(t *testing.T, fs map[string]file, path string, mode int64, uid, gid int) {
	t.Helper()
	f, ok := fs[path]
	switch {
	case !ok:
		t.Errorf("%s: missing", path)
	case f.hdr.Typeflag != tar.TypeDir || f.hdr.Mode != mode || f.hdr.Uid != uid || f.hdr.Gid != gid:
		t.Errorf("%s: type %q mode %o owner %d:%d, want a directory mode %o owner %d:%d",
			path, f.hdr.Typeflag, f.hdr.Mode, f.hdr.Uid, f.hdr.Gid, mode, uid, gid)
	}
}

func md5Hex(data []byte) string {
	s := md5.Sum(data)
	return hex.EncodeToString(s[:])
}

func sortedKeys[M ~map[string]V, V any](m M) []string { return slices.Sorted(maps.Keys(m)) }
