package rootfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"testing"
	"time"
)

func readTar(t *testing.T, tr *tree, epoch time.Time) []*tar.Header {
	t.Helper()
	var buf bytes.Buffer
	if err := tr.writeTar(&buf, epoch); err != nil {
		t.Fatal(err)
	}
	r := tar.NewReader(&buf)
	var hs []*tar.Header
	for {
		h, err := r.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}

func TestTarIsNormalised(t *testing.T) {
	tr := newTree()
	// Added out of order, with owners and odd modes, as packages deliver them.
	tr.add(&entry{path: "./usr/bin/zz", typ: tar.TypeReg, mode: 0o104755, uid: 0, gid: 0, data: []byte("z")})
	tr.add(&entry{path: "/etc/b", typ: tar.TypeReg, mode: 0o640, uid: 0, gid: 42, data: []byte("b")})
	tr.add(&entry{path: "etc/a", typ: tar.TypeReg, mode: 0o644, data: []byte("a")})
	tr.symlink("usr/bin/sh", "dash")

	epoch := time.Unix(1700000000, 0)
	hs := readTar(t, tr, epoch)
	var names []string
	for _, h := range hs {
		names = append(names, h.Name)
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, epoch)
		}
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: carries names or extra times: %+v", h.Name, h)
		}
	}
	want := []string{"etc/", "etc/a", "etc/b", "usr/", "usr/bin/", "usr/bin/sh", "usr/bin/zz"}
	if len(names) != len(want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %q, want %q (sorted, parents first)", names, want)
		}
	}
	for _, h := range hs {
		switch h.Name {
		case "usr/bin/zz":
			if h.Mode != 0o4755 {
				t.Errorf("zz mode %o, want 4755 (setuid kept, type bits dropped)", h.Mode)
			}
		case "etc/b":
			if h.Gid != 42 || h.Mode != 0o640 {
				t.Errorf("etc/b owner/mode %d %o", h.Gid, h.Mode)
			}
		case "usr/", "etc/":
			if h.Mode != 0o755 || h.Typeflag != tar.TypeDir {
				t.Errorf("implied dir %s: %o %c", h.Name, h.Mode, h.Typeflag)
			}
		}
	}
}

func TestLayerDigestIsStable(t *testing.T) {
	build := func(order []string) string {
		tr := newTree()
		for _, p := range order {
			tr.file(p, 0o644, []byte(p))
		}
		l, err := tr.layer(time.Unix(0, 0), gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	a := build([]string{"a/1", "b/2", "c/3"})
	b := build([]string{"c/3", "a/1", "b/2"})
	if a != b {
		t.Fatalf("insertion order changed the digest: %s vs %s", a, b)
	}
	if c := build([]string{"a/1", "b/2"}); c == a {
		t.Fatal("different content gave the same digest")
	}
}

func TestHardLinksNeverPointForward(t *testing.T) {
	tr := newTree()
	// Package ships the file at z and links a, m to it: a sorts first.
	tr.add(&entry{path: "usr/bin/z", typ: tar.TypeReg, mode: 0o755, data: []byte("bin"), owner: "p"})
	tr.add(&entry{path: "usr/bin/a", typ: tar.TypeLink, linkname: "usr/bin/z", owner: "p"})
	tr.add(&entry{path: "usr/bin/m", typ: tar.TypeLink, linkname: "usr/bin/z", owner: "p"})
	tr.add(&entry{path: "usr/bin/dangling", typ: tar.TypeLink, linkname: "usr/bin/missing", owner: "p"})
	seen := map[string]bool{}
	for _, h := range readTar(t, tr, time.Unix(0, 0)) {
		seen[h.Name] = true
		switch h.Name {
		case "usr/bin/a":
			if h.Typeflag != tar.TypeReg || h.Size != 3 || h.Mode != 0o755 {
				t.Errorf("first member should carry the data: %+v", h)
			}
		case "usr/bin/m", "usr/bin/z":
			if h.Typeflag != tar.TypeLink || h.Linkname != "usr/bin/a" || !seen["usr/bin/a"] {
				t.Errorf("%s should link back to usr/bin/a: %+v", h.Name, h)
			}
		case "usr/bin/dangling":
			t.Errorf("dangling hard link written")
		}
	}
}

func TestUsrMergeAndKeepPolicy(t *testing.T) {
	for in, want := range map[string]string{
		"bin/ls":                             "usr/bin/ls",
		"lib/x86_64-linux-gnu/libc.so.6":     "usr/lib/x86_64-linux-gnu/libc.so.6",
		"lib64/ld-linux-x86-64.so.2":         "usr/lib64/ld-linux-x86-64.so.2",
		"sbin/ldconfig":                      "usr/sbin/ldconfig",
		"etc/passwd":                         "etc/passwd",
		"binaries/x":                         "binaries/x",
		"usr/lib/x86_64-linux-gnu/libssl.so": "usr/lib/x86_64-linux-gnu/libssl.so",
	} {
		if got := usrMerge(in); got != want {
			t.Errorf("usrMerge(%q) = %q, want %q", in, got, want)
		}
	}
	for p, keep := range map[string]bool{
		"usr/share/doc/libc6/copyright":           true,
		"usr/share/doc/libc6/changelog.Debian.gz": false,
		"usr/share/doc/libc6/examples/copyright":  false,
		"usr/share/man/man1/ls.1.gz":              false,
		"usr/share/locale/de/LC_MESSAGES/x.mo":    false,
		"usr/share/lintian/overrides/libc6":       false,
		"usr/share/zoneinfo/UTC":                  true,
		"usr/share/ca-certificates/mozilla/x.crt": true,
	} {
		if got := keepPath(p); got != keep {
			t.Errorf("keepPath(%q) = %v, want %v", p, got, keep)
		}
	}
}

func TestMd5sumsListOwnedRegularFiles(t *testing.T) {
	tr := newTree()
	tr.add(&entry{path: "usr/bin/x", typ: tar.TypeReg, data: []byte("x"), owner: "p"})
	tr.add(&entry{path: "usr/bin/y", typ: tar.TypeSymlink, linkname: "x", owner: "p"})
	tr.add(&entry{path: "usr/bin/q", typ: tar.TypeReg, data: []byte("q"), owner: "other"})
	got := string(tr.md5sums("p"))
	if got != "9dd4e461268c8034f5c8564e155c67a6  usr/bin/x\n" {
		t.Fatalf("md5sums = %q", got)
	}
}
