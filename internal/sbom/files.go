package sbom

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// FilesError says which packaged files an image lacks and which packages
// with files the SBOM does not name.
type FilesError struct {
	// Missing maps a package to the paths of its md5sums that are not in the image.
	Missing map[string][]string
	// Unaccounted lists packages whose md5sums the image holds but the SBOM does not name.
	Unaccounted []string
}

func (e *FilesError) Error() string {
	var parts []string
	pkgs := make([]string, 0, len(e.Missing))
	for p := range e.Missing {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, p := range pkgs {
		files := e.Missing[p]
		shown := files[:min(len(files), 5)]
		s := fmt.Sprintf("%s lacks %d file(s): %s", p, len(files), strings.Join(shown, ", "))
		if len(files) > len(shown) {
			s += ", …"
		}
		parts = append(parts, s)
	}
	if len(e.Unaccounted) > 0 {
		parts = append(parts, "installed but not in the SBOM: "+strings.Join(e.Unaccounted, ", "))
	}
	return "sbom: packaged files not accounted for: " + strings.Join(parts, "; ")
}

// CheckFiles checks a CycloneDX SBOM and an image's files against the
// image's dpkg md5sums lists: every file a package's md5sums names is in the
// image, and the SBOM names every package that has an md5sums list. md5sums
// maps a package name (an ":arch" suffix is ignored) to its paths; imageFiles
// holds the image's paths. Paths may be written with or without a leading
// "/" or "./". A path under /bin, /sbin or /lib* also counts as present under
// /usr, as in a merged-/usr image. ImageFiles reads both maps from an image.
// A failure is a *FilesError.
func CheckFiles(cycloneDX []byte, md5sums map[string][]string, imageFiles map[string]bool) error {
	named, err := debianNames(cycloneDX)
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(imageFiles))
	for p, ok := range imageFiles {
		if ok {
			present[cleanPath(p)] = true
		}
	}
	e := FilesError{Missing: map[string][]string{}}
	for pkg, files := range md5sums {
		name, _, _ := strings.Cut(pkg, ":")
		if !named[name] {
			e.Unaccounted = append(e.Unaccounted, name)
		}
		for _, f := range files {
			f = cleanPath(f)
			if !present[f] && !present[mergedUsr(f)] {
				e.Missing[name] = append(e.Missing[name], f)
			}
		}
	}
	if len(e.Missing) == 0 && len(e.Unaccounted) == 0 {
		return nil
	}
	for p := range e.Missing {
		slices.Sort(e.Missing[p])
	}
	slices.Sort(e.Unaccounted)
	e.Unaccounted = slices.Compact(e.Unaccounted)
	return &e
}

// cleanPath writes an image path relative to the root, as tar layers do.
func cleanPath(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

// mergedUsr is where a merged-/usr image keeps a file a package lists under
// /bin, /sbin or /lib*.
func mergedUsr(p string) string {
	top, _, _ := strings.Cut(p, "/")
	switch top {
	case "bin", "sbin", "lib", "lib32", "lib64", "libx32":
		return "usr/" + p
	}
	return p
}
