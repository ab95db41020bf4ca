package sbom

import (
	"fmt"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// IncompleteError says how an SBOM's Debian packages differ from what distill
// installed. Packages are written name=version, sorted.
type IncompleteError struct {
	// Missing lists packages distill installed that the SBOM does not name.
	Missing []string
	// Unexpected lists Debian packages the SBOM names that distill did not install.
	Unexpected []string
	// Mismatched lists packages whose SHA-256 in the SBOM is not the .deb's.
	Mismatched []string
}

func (e *IncompleteError) Error() string {
	var parts []string
	add := func(what string, ids []string) {
		if len(ids) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", what, strings.Join(ids, ", ")))
		}
	}
	add("missing", e.Missing)
	add("not installed by distill", e.Unexpected)
	add("hash differs from the .deb", e.Mismatched)
	return "sbom: the SBOM does not match the installed packages: " + strings.Join(parts, "; ")
}

// CheckComplete checks that a CycloneDX SBOM names every Debian package
// distill installed, and no Debian package that distill did not install, and
// that the .deb hashes it carries are distill's. A failure is an
// *IncompleteError.
func CheckComplete(cycloneDX []byte, installed []Installed) error {
	bom, err := decodeCycloneDX(cycloneDX)
	if err != nil {
		return err
	}
	listed := map[string]string{} // name=version -> SHA-256 in the SBOM
	walkComponents(bom, func(c *cdx.Component) {
		if d, ok := parseDebPURL(c.PackageURL); ok {
			listed[d.id()] = componentSHA256(c)
		}
	})
	want := map[string]bool{}
	var e IncompleteError
	for _, p := range installed {
		id := p.id()
		want[id] = true
		sha, ok := listed[id]
		switch {
		case !ok:
			e.Missing = append(e.Missing, id)
		case sha != "" && p.SHA256 != "" && !strings.EqualFold(sha, p.SHA256):
			e.Mismatched = append(e.Mismatched, id)
		}
	}
	for id := range listed {
		if !want[id] {
			e.Unexpected = append(e.Unexpected, id)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) == 0 {
		return nil
	}
	slices.Sort(e.Missing)
	slices.Sort(e.Unexpected)
	slices.Sort(e.Mismatched)
	e.Missing, e.Mismatched = slices.Compact(e.Missing), slices.Compact(e.Mismatched)
	return &e
}

func componentSHA256(c *cdx.Component) string {
	if c.Hashes == nil {
		return ""
	}
	for _, h := range *c.Hashes {
		if h.Algorithm == cdx.HashAlgoSHA256 {
			return h.Value
		}
	}
	return ""
}

// debianNames lists the names of the Debian packages a CycloneDX SBOM names.
func debianNames(cycloneDX []byte) (map[string]bool, error) {
	bom, err := decodeCycloneDX(cycloneDX)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	walkComponents(bom, func(c *cdx.Component) {
		if d, ok := parseDebPURL(c.PackageURL); ok {
			names[d.Name] = true
		}
	})
	return names, nil
}
