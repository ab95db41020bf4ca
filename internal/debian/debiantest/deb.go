package debiantest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// File is one member of a tar (a .deb's data or control member).
type File struct {
	// Path is the member name as dpkg-deb writes it ("./usr/bin/x"). A
	// trailing "/" makes a directory when Type is not set.
	Path string
	// Mode defaults to 0644 for files, 0755 for directories, 0777 for symlinks.
	Mode int64
	// Data is the content of a regular file (any bytes).
	Data string
	// Type is a tar type flag. When zero it is tar.TypeDir for a Path ending
	// in "/", tar.TypeSymlink when Linkname is set, else tar.TypeReg. Set
	// tar.TypeLink for a hard link (Linkname is then the target's member name).
	Type byte
	// Linkname is a symlink's target or a hard link's target member.
	Linkname string
	UID, GID int
}

func (f File) header() *tar.Header {
	h := &tar.Header{Name: f.Path, Mode: f.Mode, Uid: f.UID, Gid: f.GID, Linkname: f.Linkname,
		ModTime: Now(), Typeflag: f.Type, Format: tar.FormatGNU}
	if h.Typeflag == 0 {
		switch {
		case strings.HasSuffix(f.Path, "/"):
			h.Typeflag = tar.TypeDir
		case f.Linkname != "":
			h.Typeflag = tar.TypeSymlink
		default:
			h.Typeflag = tar.TypeReg
		}
	}
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(f.Data))
	}
	if h.Mode == 0 {
		switch h.Typeflag {
		case tar.TypeDir:
			h.Mode = 0o755
		case tar.TypeSymlink:
			h.Mode = 0o777
		default:
			h.Mode = 0o644
		}
	}
	return h
}

// Tar writes files, in order, as a GNU tar stream with Now as every mtime.
func Tar(t testing.TB, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := f.header()
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar member %s: %v", f.Path, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, f.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Compress compresses data for a file name extension: "" (none), ".gz",
// ".xz" or ".zst".
func Compress(t testing.TB, ext string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch ext {
	case "":
		return data
	case ".gz":
		w = gzip.NewWriter(&buf)
	case ".xz":
		w, err = xz.NewWriter(&buf)
	case ".zst":
		w, err = zstd.NewWriter(&buf)
	default:
		t.Fatalf("unknown compression %q", ext)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ArMember is one member of an ar archive.
type ArMember struct {
	Name string
	Data []byte
}

// Ar writes a common-format ar archive, as dpkg-deb does: the global header,
// then each member with a 60-byte header, padded to an even length.
func Ar(members ...ArMember) []byte {
	var buf bytes.Buffer
	buf.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&buf, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.Name, Now().Unix(), 0, 0, "100644", len(m.Data))
		buf.Write(m.Data)
		if len(m.Data)%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// SHA256 returns the hex SHA-256 of data, as Packages and Release list it.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Deb describes a binary package: its control fields (written both to the
// .deb's control file and, by Archive.Publish, to the Packages index), its
// files and its maintainer scripts.
type Deb struct {
	Package, Version string
	// Arch is the Architecture field; "amd64" when empty.
	Arch string
	// Relation fields, as written in a control file ("libc6 (>= 2.34), awk").
	Depends, PreDepends, Provides string
	// Source is the Source field ("foo" or "foo (1.0-1)"), omitted when empty.
	Source string
	// Priority is the Priority field ("required", "optional"), omitted when empty.
	Priority  string
	Essential bool
	// Fields are extra control fields, "Key: value\n" lines.
	Fields string
	// Files are the members of data.tar, in order.
	Files []File
	// Postinst, when set, is the postinst maintainer script (mode 0755).
	Postinst string
	// ControlFiles are control.tar members besides control and postinst
	// (conffiles, md5sums, …).
	ControlFiles []File
	// DataCompression and ControlCompression are the members' extensions:
	// ".xz", ".gz", ".zst", or "none" for an uncompressed member. Empty
	// selects ".xz" for data.tar (dpkg-deb's default) and ".gz" for control.tar.
	DataCompression    string
	ControlCompression string
}

// Architecture is d.Arch, defaulting to amd64.
func (d Deb) Architecture() string {
	if d.Arch == "" {
		return "amd64"
	}
	return d.Arch
}

// Filename is where an archive keeps the .deb, relative to its root, as the
// Packages Filename field says: pool/main/<initial>/<name>/<name>_<version
// without epoch>_<arch>.deb.
func (d Deb) Filename() string {
	v := d.Version
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	return fmt.Sprintf("pool/main/%c/%s/%s_%s_%s.deb", d.Package[0], d.Package, d.Package, v, d.Architecture())
}

// fields renders the control fields after Package, Version and Architecture.
func (d Deb) fields() string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	if d.Essential {
		line("Essential", "yes")
	}
	line("Maintainer", "Test <test@example.invalid>")
	line("Pre-Depends", d.PreDepends)
	line("Depends", d.Depends)
	line("Provides", d.Provides)
	b.WriteString(d.Fields)
	line("Priority", d.Priority)
	return b.String()
}

// Control returns the control file of the package.
func (d Deb) Control() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\n", d.Package)
	if d.Source != "" {
		fmt.Fprintf(&b, "Source: %s\n", d.Source)
	}
	fmt.Fprintf(&b, "Version: %s\nArchitecture: %s\n%sDescription: test package %s\n",
		d.Version, d.Architecture(), d.fields(), d.Package)
	return b.String()
}

// BuildDeb writes the package as a .deb (format 2.0): debian-binary,
// control.tar and data.tar, compressed as d says. Equal Debs give equal bytes.
func BuildDeb(t testing.TB, d Deb) []byte {
	t.Helper()
	if d.Package == "" || d.Version == "" {
		t.Fatalf("BuildDeb: package %q version %q: both are required", d.Package, d.Version)
	}
	cext := memberExt(d.ControlCompression, ".gz")
	dext := memberExt(d.DataCompression, ".xz")
	ctrl := []File{{Path: "./"}, {Path: "./control", Data: d.Control()}}
	if d.Postinst != "" {
		ctrl = append(ctrl, File{Path: "./postinst", Mode: 0o755, Data: d.Postinst})
	}
	ctrl = append(ctrl, d.ControlFiles...)
	return Ar(
		ArMember{"debian-binary", []byte("2.0\n")},
		ArMember{"control.tar" + cext, Compress(t, cext, Tar(t, ctrl))},
		ArMember{"data.tar" + dext, Compress(t, dext, Tar(t, d.Files))},
	)
}

// memberExt turns a Deb compression setting into a member name extension.
func memberExt(setting, def string) string {
	switch setting {
	case "":
		return def
	case "none":
		return ""
	}
	return setting
}
