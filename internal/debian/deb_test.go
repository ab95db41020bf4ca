package debian

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/debian/debiantest"
)

func writeDeb(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.deb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func walkNames(t *testing.T, d *Deb) []string {
	t.Helper()
	var names []string
	if err := d.WalkData(func(h *tar.Header, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		names = append(names, h.Name+"="+string(b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestDebCompressions(t *testing.T) {
	files := []debiantest.File{
		{Path: "./"}, {Path: "./usr/"},
		{Path: "./usr/share/doc/x/copyright", Data: "GPL"},
		{Path: "./usr/bin/x", Data: strings.Repeat("odd length!", 101), Mode: 0o755},
	}
	want := "./= ./usr/= ./usr/share/doc/x/copyright=GPL ./usr/bin/x=" + strings.Repeat("odd length!", 101)
	for _, dataExt := range []string{".xz", ".zst", ".gz", ""} {
		for _, ctlExt := range []string{".gz", ".xz", ".zst"} {
			setting := dataExt
			if setting == "" {
				setting = "none" // an uncompressed data.tar
			}
			d, err := OpenDeb(writeDeb(t, debiantest.BuildDeb(t, debiantest.Deb{Package: "x", Version: "1:2.0-1", DataCompression: setting, ControlCompression: ctlExt,
				Files: files, ControlFiles: []debiantest.File{{Path: "./conffiles", Data: "/etc/x.conf\n"}}})))
			if err != nil {
				t.Fatalf("data%s control%s: %v", dataExt, ctlExt, err)
			}
			// The data can be walked more than once.
			for range 2 {
				if got := strings.Join(walkNames(t, d), " "); got != want {
					t.Errorf("data%s: %q", dataExt, got)
				}
			}
			if d.DataCompression() != dataExt {
				t.Errorf("DataCompression = %q, want %q", d.DataCompression(), dataExt)
			}
			cf, err := d.ControlFile("./conffiles")
			if err != nil || string(cf) != "/etc/x.conf\n" {
				t.Errorf("control%s conffiles = %q, %v", ctlExt, cf, err)
			}
			ctl, err := d.Control()
			if err != nil || ctl.Package != "x" || ctl.Version.Epoch != 1 || ctl.Architecture.CPU != "amd64" {
				t.Errorf("Control() = %+v, %v", ctl, err)
			}
			if d.Path() == "" {
				t.Error("Path() empty")
			}
			d.Close()
		}
	}
}

func TestDebWalkStops(t *testing.T) {
	d, err := OpenDeb(writeDeb(t, debiantest.BuildDeb(t, debiantest.Deb{Package: "x", Version: "1", DataCompression: ".xz",
		Files: []debiantest.File{{Path: "./a", Data: "1"}, {Path: "./b", Data: "2"}, {Path: "./c", Data: "3"}}})))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var seen []string
	err = d.WalkData(func(h *tar.Header, r io.Reader) error {
		seen = append(seen, h.Name)
		if h.Name == "./b" {
			return fs.SkipAll
		}
		return nil
	})
	if err != nil || strings.Join(seen, " ") != "./a ./b" {
		t.Errorf("SkipAll: seen %v, err %v", seen, err)
	}
	boom := errors.New("boom")
	err = d.WalkData(func(*tar.Header, io.Reader) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	if _, err := d.ControlFile("postrm"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent control file: %v", err)
	}
}

func TestOpenDebErrors(t *testing.T) {
	ctl := debiantest.Compress(t, ".gz", debiantest.Tar(t, []debiantest.File{{Path: "./control", Data: "Package: x\nVersion: 1\nArchitecture: all\n"}}))
	data := debiantest.Compress(t, ".gz", debiantest.Tar(t, nil))
	bin := debiantest.ArMember{Name: "debian-binary", Data: []byte("2.0\n")}
	ctlM := debiantest.ArMember{Name: "control.tar.gz", Data: ctl}
	dataM := debiantest.ArMember{Name: "data.tar.gz", Data: data}
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"not ar":         {[]byte("hello, world"), "not a .deb"},
		"empty":          {nil, "not a .deb"},
		"wrong first":    {debiantest.Ar(ctlM, dataM), "not debian-binary"},
		"format 3":       {debiantest.Ar(debiantest.ArMember{Name: "debian-binary", Data: []byte("3.0\n")}, ctlM, dataM), "unsupported .deb format"},
		"no data":        {debiantest.Ar(bin, ctlM), "missing control.tar or data.tar"},
		"truncated":      {debiantest.Ar(bin, ctlM, dataM)[:100], "missing control.tar or data.tar"},
		"truncated data": {truncate(debiantest.Ar(bin, ctlM, dataM), 10), "ar member data.tar.gz is truncated"},
	} {
		d, err := OpenDeb(writeDeb(t, tc.data))
		if err == nil {
			d.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	if _, err := OpenDeb(filepath.Join(t.TempDir(), "missing.deb")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	// A corrupt data member is reported by WalkData.
	bad := debiantest.Ar(bin, ctlM, debiantest.ArMember{Name: "data.tar.xz", Data: []byte("not xz at all")})
	d, err := OpenDeb(writeDeb(t, bad))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.WalkData(func(*tar.Header, io.Reader) error { return nil }); err == nil {
		t.Error("corrupt data.tar.xz walked without error")
	}
}

func truncate(b []byte, n int) []byte { return b[:len(b)-n] }
