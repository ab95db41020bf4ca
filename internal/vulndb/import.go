package vulndb

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// Import installs a trivy DB made elsewhere into outDir. src is a db.tar.gz (or
// .tar) with trivy.db and metadata.json at its top level, as trivy's registry
// artifact holds, or a directory with them (a distill database directory, or a
// trivy cache dir holding db/). A distill-db.json that comes along is kept in the
// new source ("import FILE sha256:… of go-vulndb …"). The schema must be
// SchemaVersion.
func Import(ctx context.Context, src, outDir string, opts ...Option) (*DB, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("importing a vulnerability database: %w", err)
	}
	staging, err := stage(outDir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)

	var source string
	if fi.IsDir() {
		source, err = copyDBDir(ctx, abs, staging)
	} else {
		source, err = extractDBArchive(ctx, abs, staging)
	}
	if err != nil {
		return nil, fmt.Errorf("importing %s: %w", src, err)
	}
	if prev, err := readInfo(staging); err == nil && prev.Source != "" {
		source += " of " + prev.Source
	}
	_ = os.Remove(filepath.Join(staging, InfoFile))
	info, err := describe(staging, source)
	if err != nil {
		return nil, fmt.Errorf("importing %s: %w", src, err)
	}
	if err := writeInfo(staging, info); err != nil {
		return nil, err
	}
	o.logf("imported %s: %d advisories for %v", src, info.Advisories, info.Ecosystems)
	if err := install(staging, outDir); err != nil {
		return nil, fmt.Errorf("installing the database in %s: %w", outDir, err)
	}
	return &DB{Dir: outDir, Info: info}, nil
}

// extractDBArchive writes trivy.db, metadata.json and distill-db.json from a tar
// or tar.gz into dir; other entries are ignored. It returns "import FILE sha256:…",
// the hash being the archive's.
func extractDBArchive(ctx context.Context, file, dir string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReader(io.TeeReader(f, h))
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", err
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	found := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not a tar or tar.gz with %s and %s: %w", DBFile, MetadataFile, err)
		}
		name := path.Clean("/" + hdr.Name)[1:]
		if hdr.Typeflag != tar.TypeReg || (name != DBFile && name != MetadataFile && name != InfoFile) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := writeFrom(filepath.Join(dir, name), tr); err != nil {
			return "", err
		}
		found[name] = true
	}
	if !found[DBFile] || !found[MetadataFile] {
		return "", fmt.Errorf("want %s and %s at the top of the archive", DBFile, MetadataFile)
	}
	// Hash the whole file, including what follows the tar's end.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return "", err
	}
	return "import " + file + " sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// copyDBDir copies the database files of dir (or of dir/db, trivy's cache
// layout) into staging. It returns "import DIR trivy.db sha256:…".
func copyDBDir(ctx context.Context, dir, staging string) (string, error) {
	from := dir
	if _, err := os.Stat(filepath.Join(from, DBFile)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, "db", DBFile)); err == nil {
			from = filepath.Join(dir, "db")
		}
	}
	var sum string
	for _, name := range []string{DBFile, MetadataFile, InfoFile} {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		in, err := os.Open(filepath.Join(from, name))
		if name == InfoFile && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("want %s and %s in the directory: %w", DBFile, MetadataFile, err)
		}
		h := sha256.New()
		err = writeFrom(filepath.Join(staging, name), io.TeeReader(in, h))
		in.Close()
		if err != nil {
			return "", err
		}
		if name == DBFile {
			sum = hex.EncodeToString(h.Sum(nil))
		}
	}
	return "import " + from + " " + DBFile + " sha256:" + sum, nil
}

// writeFrom writes r to a new file and flushes it.
func writeFrom(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
