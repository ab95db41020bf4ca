package debian

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"pault.ag/go/debian/control"
	"pault.ag/go/debian/deb"
)

// Deb is an open .deb file. Its members are located with
// pault.ag/go/debian/deb's ar reader and read on demand, so WalkData and
// ControlFile may be called any number of times.
type Deb struct {
	path    string
	f       *os.File
	control *deb.ArEntry // control.tar[.ext]
	data    *deb.ArEntry // data.tar[.ext]
}

// maxControlFile bounds what ControlFile reads into memory.
const maxControlFile = 64 << 20

// OpenDeb opens the .deb at path and checks its layout: a debian-binary
// member with format 2.x, then control.tar and data.tar members.
func OpenDeb(path string) (*Deb, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d, err := openDeb(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

func openDeb(name string, f *os.File) (*Deb, error) {
	ar, err := deb.LoadAr(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a .deb: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	d := &Deb{path: name, f: f}
	first := true
	offset := int64(len("!<arch>\n"))
	for {
		m, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading ar member: %w", name, err)
		}
		// The ar reader does not notice a member cut short by the end of
		// the file; check the declared sizes against the file's.
		offset += 60 + m.Size
		if offset > st.Size() {
			return nil, fmt.Errorf("%s: ar member %s is truncated", name, m.Name)
		}
		offset += m.Size % 2
		switch {
		case first:
			if m.Name != "debian-binary" {
				return nil, fmt.Errorf("%s: first member is %q, not debian-binary", name, m.Name)
			}
			line, err := bufio.NewReader(io.LimitReader(m.Data, 64)).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "2.") {
				return nil, fmt.Errorf("%s: unsupported .deb format %q", name, strings.TrimSpace(line))
			}
		case m.Name == "control.tar" || strings.HasPrefix(m.Name, "control.tar."):
			d.control = m
		case m.Name == "data.tar" || strings.HasPrefix(m.Name, "data.tar."):
			d.data = m
		}
		first = false
	}
	if d.control == nil || d.data == nil {
		return nil, fmt.Errorf("%s: missing control.tar or data.tar member", name)
	}
	return d, nil
}

// Path returns the file the Deb was opened from.
func (d *Deb) Path() string { return d.path }

// DataCompression returns the compression suffix of the data member
// (".xz", ".zst", ".gz", or "" for none).
func (d *Deb) DataCompression() string { return strings.TrimPrefix(d.data.Name, "data.tar") }

// Close closes the underlying file.
func (d *Deb) Close() error { return d.f.Close() }

// openTar returns a tar reader over an ar member and a closer for its
// decompressor.
func (d *Deb) openTar(m *deb.ArEntry, prefix string) (*tar.Reader, io.Closer, error) {
	ext := strings.TrimPrefix(m.Name, prefix)
	r, err := decompress(ext, io.NewSectionReader(m.Data, 0, m.Size))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", d.path, m.Name, err)
	}
	return tar.NewReader(r), r, nil
}

// WalkData calls fn for each entry of the data member (data.tar.xz, .zst,
// .gz or uncompressed) in archive order. Header names are as stored, e.g.
// "./usr/bin/x". r reads the entry's content and is valid only during the
// call. Returning fs.SkipAll from fn stops the walk without error; any other
// error stops it and is returned.
func (d *Deb) WalkData(fn func(h *tar.Header, r io.Reader) error) error {
	tr, closer, err := d.openTar(d.data, "data.tar")
	if err != nil {
		return err
	}
	defer closer.Close()
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", d.path, d.data.Name, err)
		}
		if err := fn(h, tr); err != nil {
			if errors.Is(err, fs.SkipAll) {
				return nil
			}
			return err
		}
	}
}

// ControlFile returns a member of the control archive by name ("control",
// "postinst", "md5sums", "conffiles", …). An absent member is an error
// satisfying errors.Is(err, os.ErrNotExist).
func (d *Deb) ControlFile(name string) ([]byte, error) {
	tr, closer, err := d.openTar(d.control, "control.tar")
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	want := path.Clean(strings.TrimPrefix(name, "./"))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: control member %q: %w", d.path, name, os.ErrNotExist)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.path, d.control.Name, err)
		}
		if path.Clean(h.Name) != want || h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxControlFile+1))
		if err != nil {
			return nil, fmt.Errorf("%s: control member %q: %w", d.path, name, err)
		}
		if len(data) > maxControlFile {
			return nil, fmt.Errorf("%s: control member %q larger than %d bytes", d.path, name, maxControlFile)
		}
		return data, nil
	}
}

// Control parses the control file into pault.ag/go/debian/deb's Control.
func (d *Deb) Control() (*deb.Control, error) {
	data, err := d.ControlFile("control")
	if err != nil {
		return nil, err
	}
	var c deb.Control
	if err := control.Unmarshal(&c, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%s: control: %w", d.path, err)
	}
	return &c, nil
}
