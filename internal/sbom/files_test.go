package sbom

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type tarEntry struct {
	name, body, link string
	typ              byte
}

func layer(t *testing.T, entries ...tarEntry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if e.typ == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func md5sumsOf(paths ...string) string {
	var b strings.Builder
	for i, p := range paths {
		fmt.Fprintf(&b, "%032x  %s\n", i, p)
	}
	return b.String()
}

// testImage is a two-layer image laid out as distill's runtime images are:
// merged /usr, one status.d record and md5sums list per package.
func testImage(t *testing.T, second ...tarEntry) v1.Image {
	t.Helper()
	base := layer(t,
		tarEntry{name: "bin", typ: tar.TypeSymlink, link: "usr/bin"},
		tarEntry{name: "lib", typ: tar.TypeSymlink, link: "usr/lib"},
		tarEntry{name: "usr/lib/x86_64-linux-gnu/", typ: tar.TypeDir},
		tarEntry{name: "usr/lib/x86_64-linux-gnu/libc.so.6", body: "elf"},
		tarEntry{name: "usr/lib/x86_64-linux-gnu/libm.so.6", body: "elf"},
		tarEntry{name: "usr/share/zoneinfo/Etc/UTC", body: "TZif"},
		tarEntry{name: "usr/share/zoneinfo/UTC", typ: tar.TypeLink, link: "usr/share/zoneinfo/Etc/UTC"},
		tarEntry{name: "etc/ssl/certs/ca-certificates.crt", body: "pem"},
		tarEntry{name: "var/lib/dpkg/status.d/libc6", body: "Package: libc6\n"},
		// Upstream md5sums name /lib; the merged-/usr image keeps it under /usr/lib.
		tarEntry{name: "var/lib/dpkg/status.d/libc6.md5sums", body: md5sumsOf("usr/lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libm.so.6")},
		tarEntry{name: "var/lib/dpkg/status.d/tzdata.md5sums", body: md5sumsOf("usr/share/zoneinfo/Etc/UTC", "usr/share/zoneinfo/UTC")},
	)
	img, err := mutate.AppendLayers(empty.Image, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) > 0 {
		if img, err = mutate.AppendLayers(img, layer(t, second...)); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func TestImageFiles(t *testing.T) {
	files, md5sums, err := ImageFiles(testImage(t, tarEntry{name: "app/go-app", body: "elf"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"app/go-app", "bin", "etc/ssl/certs/ca-certificates.crt", "lib",
		"usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libm.so.6",
		"usr/share/zoneinfo/Etc/UTC", "usr/share/zoneinfo/UTC",
		"var/lib/dpkg/status.d/libc6", "var/lib/dpkg/status.d/libc6.md5sums", "var/lib/dpkg/status.d/tzdata.md5sums",
	}
	if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, want) {
		t.Errorf("files\n%q\nwant\n%q", got, want)
	}
	if got := md5sums["libc6"]; !slices.Equal(got, []string{"usr/lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libm.so.6"}) {
		t.Errorf("libc6 md5sums %q", got)
	}
	if len(md5sums) != 2 {
		t.Errorf("md5sums of %v", slices.Sorted(maps.Keys(md5sums)))
	}
}

func TestCheckFiles(t *testing.T) {
	cdx := normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), testOptions(t))

	files, md5sums, err := ImageFiles(testImage(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFiles(cdx, md5sums, files); err != nil {
		t.Fatalf("a complete image: %v", err)
	}

	t.Run("a packaged file is gone", func(t *testing.T) {
		// A later layer deletes libm (an OCI whiteout).
		files, md5sums, err := ImageFiles(testImage(t, tarEntry{name: "usr/lib/x86_64-linux-gnu/.wh.libm.so.6"}))
		if err != nil {
			t.Fatal(err)
		}
		e := filesError(t, CheckFiles(cdx, md5sums, files))
		if got := e.Missing["libc6"]; !slices.Equal(got, []string{"lib/x86_64-linux-gnu/libm.so.6"}) || len(e.Missing) != 1 || e.Unaccounted != nil {
			t.Errorf("%+v", e)
		}
		if !strings.Contains(e.Error(), "libc6 lacks 1 file(s): lib/x86_64-linux-gnu/libm.so.6") {
			t.Errorf("message %q", e.Error())
		}
	})
	t.Run("a package the SBOM does not name", func(t *testing.T) {
		files, md5sums, err := ImageFiles(testImage(t,
			tarEntry{name: "usr/bin/busybox", body: "elf"},
			tarEntry{name: "var/lib/dpkg/status.d/busybox.md5sums", body: md5sumsOf("usr/bin/busybox")}))
		if err != nil {
			t.Fatal(err)
		}
		e := filesError(t, CheckFiles(cdx, md5sums, files))
		if !slices.Equal(e.Unaccounted, []string{"busybox"}) || len(e.Missing) != 0 {
			t.Errorf("%+v", e)
		}
	})
	t.Run("paths in any spelling", func(t *testing.T) {
		md5 := map[string][]string{"libc6:amd64": {"/usr/lib/x86_64-linux-gnu/libc.so.6", "./lib/x86_64-linux-gnu/libm.so.6"}}
		img := map[string]bool{"/usr/lib/x86_64-linux-gnu/libc.so.6": true, "usr/lib/x86_64-linux-gnu/libm.so.6": true}
		if err := CheckFiles(cdx, md5, img); err != nil {
			t.Error(err)
		}
	})
}

func filesError(t *testing.T, err error) *FilesError {
	t.Helper()
	var e *FilesError
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *FilesError", err)
	}
	return e
}

func TestParseMD5sums(t *testing.T) {
	got, err := parseMD5sums([]byte("0123456789abcdef0123456789abcdef  usr/share/doc/a b/copyright\n\n"))
	if err != nil || !slices.Equal(got, []string{"usr/share/doc/a b/copyright"}) {
		t.Errorf("%q %v", got, err)
	}
	if _, err := parseMD5sums([]byte("0123 usr/bin/x\n")); err == nil {
		t.Error("a malformed line was accepted")
	}
}
