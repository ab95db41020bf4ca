package vulndb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// stage makes an empty staging directory next to outDir, on the same file system,
// so that install can rename it into place.
func stage(outDir string) (string, error) {
	parent := filepath.Dir(filepath.Clean(outDir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	if err := checkReplaceable(outDir); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(parent, "."+filepath.Base(outDir)+".tmp-")
	if err != nil {
		return "", err
	}
	// MkdirTemp makes 0700; trivy in a scan container may run as another user.
	return dir, os.Chmod(dir, 0o755)
}

// checkReplaceable refuses to replace a directory that is not a database: a
// mistyped --dir must never remove someone's files.
func checkReplaceable(outDir string) error {
	entries, err := os.ReadDir(outDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var foreign []string
	for _, e := range entries {
		switch e.Name() {
		case DBFile, MetadataFile, InfoFile:
		default:
			foreign = append(foreign, e.Name())
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("%s is not a vulnerability database directory (it holds %s): choose another directory", outDir, strings.Join(foreign, ", "))
	}
	return nil
}

// install puts the finished staging directory at outDir. An existing database is
// exchanged with it in one atomic rename where the OS can (Linux); elsewhere the
// old one is moved aside first. The old database is then removed.
func install(staging, outDir string) error {
	if err := syncPath(staging); err != nil {
		return err
	}
	if err := checkReplaceable(outDir); err != nil {
		return err
	}
	if _, err := os.Lstat(outDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(staging, outDir); err != nil {
			return err
		}
		return syncPath(filepath.Dir(outDir))
	}
	if err := exchange(staging, outDir); err == nil {
		// staging now holds the old database.
		if err := syncPath(filepath.Dir(outDir)); err != nil {
			return err
		}
		return os.RemoveAll(staging)
	}
	old := staging + ".old"
	if err := os.Rename(outDir, old); err != nil {
		return err
	}
	if err := os.Rename(staging, outDir); err != nil {
		return errors.Join(err, os.Rename(old, outDir))
	}
	if err := syncPath(filepath.Dir(outDir)); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// writeFileSync writes a file and flushes it to disk.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncPath flushes a file or directory (and for a directory, the files in it) to disk.
func syncPath(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := syncFile(filepath.Join(path, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return syncFile(path)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
