package attest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/package-url/packageurl-go"
)

// resolvedDependencies lists what a build read: the source, the base
// images, their Debian packages, the Go toolchains, the scanner image and the
// vulnerability database, in that order, each kind sorted.
func resolvedDependencies(p Provenance) ([]slsa1.ResourceDescriptor, error) {
	var out []slsa1.ResourceDescriptor
	src, err := sourceDescriptor(p.Source)
	if err != nil {
		return nil, err
	}
	if src != nil {
		out = append(out, *src)
	}
	for _, kind := range []func(Provenance) ([]slsa1.ResourceDescriptor, error){
		baseImageDescriptors, packageDescriptors, toolchainDescriptors, scannerDescriptors, vulnDBDescriptors,
	} {
		rds, err := kind(p)
		if err != nil {
			return nil, err
		}
		out = append(out, rds...)
	}
	return out, nil
}

// baseImageDescriptors are the base images: pkg:oci purls by digest, named
// as given, with their platform; sorted by name, platform and digest.
func baseImageDescriptors(p Provenance) ([]slsa1.ResourceDescriptor, error) {
	images := slices.Clone(p.BaseImages)
	slices.SortFunc(images, func(a, b Image) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Digest.String(), b.Digest.String()))
	})
	images = slices.Compact(images)
	var out []slsa1.ResourceDescriptor
	for _, im := range images {
		rd, err := imageDescriptor(im)
		if err != nil {
			return nil, fmt.Errorf("base image %s %s: %w", im.Name, im.Platform, err)
		}
		out = append(out, rd)
	}
	return out, nil
}

// imageDescriptor describes an image by digest.
func imageDescriptor(im Image) (slsa1.ResourceDescriptor, error) {
	switch {
	case im.Name == "" && im.Digest == (v1.Hash{}):
		return slsa1.ResourceDescriptor{}, errors.New("an image name and digest are required")
	case im.Name == "":
		return slsa1.ResourceDescriptor{}, fmt.Errorf("image %s: a name is required", im.Digest)
	}
	d, err := hashSet(im.Digest)
	if err != nil {
		return slsa1.ResourceDescriptor{}, err
	}
	uri, err := ociPURL(im.Name, im.Digest.String())
	if err != nil {
		return slsa1.ResourceDescriptor{}, err
	}
	rd := slsa1.ResourceDescriptor{URI: uri, Name: im.Name, Digest: d}
	if im.Platform != "" {
		rd.Annotations = map[string]any{"platform": im.Platform}
	}
	return rd, nil
}

// packageDescriptors are the Debian packages: one per package version,
// architecture and .deb, naming the base images that hold it, sorted.
func packageDescriptors(p Provenance) ([]slsa1.ResourceDescriptor, error) {
	type key struct{ name, version, arch, sha256 string }
	images := map[key]map[string]bool{}
	for i, pkg := range p.Packages {
		if pkg.Name == "" || pkg.Version == "" || pkg.Arch == "" {
			return nil, fmt.Errorf("packages[%d] (%s %s %s): name, version and architecture are required", i, pkg.Name, pkg.Version, pkg.Arch)
		}
		k := key{pkg.Name, pkg.Version, pkg.Arch, pkg.SHA256}
		if images[k] == nil {
			images[k] = map[string]bool{}
		}
		if pkg.Image != "" {
			images[k][pkg.Image] = true
		}
	}
	var out []slsa1.ResourceDescriptor
	for k, in := range images {
		d, err := sha256Set(k.sha256)
		if err != nil {
			return nil, fmt.Errorf("package %s %s %s: .deb %w", k.name, k.version, k.arch, err)
		}
		rd := slsa1.ResourceDescriptor{URI: debPURL(k.name, k.version, k.arch), Digest: d}
		if len(in) > 0 {
			rd.Annotations = map[string]any{"images": slices.Sorted(maps.Keys(in))}
		}
		out = append(out, rd)
	}
	slices.SortFunc(out, func(a, b slsa1.ResourceDescriptor) int {
		return cmp.Or(cmp.Compare(a.URI, b.URI), cmp.Compare(a.Digest[algSHA256], b.Digest[algSHA256]))
	})
	return out, nil
}

// debPURL is a Debian package's purl as trivy writes it (without the distro
// qualifier, which distill does not know here): the version without its
// epoch, the epoch as a qualifier. pkg:deb/debian/libc6@2.36-9?arch=amd64
func debPURL(name, version, arch string) string {
	q := packageurl.Qualifiers{{Key: "arch", Value: arch}}
	if epoch, rest, ok := strings.Cut(version, ":"); ok {
		version = rest
		if epoch != "0" {
			q = append(q, packageurl.Qualifier{Key: "epoch", Value: epoch})
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeDebian, "debian", name, version, q, "").ToString()
}

// toolchainDescriptors are the Go toolchain modules, by their go.sum hash
// as a dirHash (the hash go.sum and the checksum database record, not the
// zip's SHA-256), with the go.sum form alongside; sorted.
func toolchainDescriptors(p Provenance) ([]slsa1.ResourceDescriptor, error) {
	sums := map[string]string{} // module@version → sum
	for i, tc := range p.Toolchains {
		if tc.Module == "" || tc.Version == "" {
			return nil, fmt.Errorf("toolchains[%d] (%s@%s): module and version are required", i, tc.Module, tc.Version)
		}
		id := tc.Module + "@" + tc.Version
		if prev, ok := sums[id]; ok && prev != tc.Sum {
			return nil, fmt.Errorf("toolchain %s: two sums, %s and %s", id, prev, tc.Sum)
		}
		sums[id] = tc.Sum
	}
	var out []slsa1.ResourceDescriptor
	for _, id := range slices.Sorted(maps.Keys(sums)) {
		module, version, _ := strings.Cut(id, "@")
		d, err := dirHashSet(sums[id])
		if err != nil {
			return nil, fmt.Errorf("toolchain %s: %w", id, err)
		}
		out = append(out, slsa1.ResourceDescriptor{
			URI:         golangPURL(module, version),
			Digest:      d,
			Annotations: map[string]any{"goSum": sums[id]},
		})
	}
	return out, nil
}

// scannerDescriptors is the scanner image, with its version.
func scannerDescriptors(p Provenance) ([]slsa1.ResourceDescriptor, error) {
	if p.Scanner == (Image{}) && p.ScannerVersion == "" {
		return nil, nil
	}
	rd, err := imageDescriptor(p.Scanner)
	if err != nil {
		return nil, fmt.Errorf("scanner: %w", err)
	}
	if rd.Annotations == nil {
		rd.Annotations = map[string]any{}
	}
	rd.Annotations["role"] = "scanner"
	if p.ScannerVersion != "" {
		rd.Annotations["version"] = p.ScannerVersion
	}
	return []slsa1.ResourceDescriptor{rd}, nil
}

// vulnDBDescriptors is the vulnerability database file, with where it came
// from and how old its data is.
func vulnDBDescriptors(p Provenance) ([]slsa1.ResourceDescriptor, error) {
	db := p.VulnDB
	if db.isZero() {
		return nil, nil
	}
	d, err := sha256Set(db.SHA256)
	if err != nil {
		return nil, fmt.Errorf("vulnerability database: trivy.db %w", err)
	}
	ann := map[string]any{}
	if db.Source != "" {
		ann["source"] = db.Source
	}
	if db.Schema != 0 {
		ann["schema"] = db.Schema
	}
	if !db.UpdatedAt.IsZero() {
		ann["updatedAt"] = db.UpdatedAt.UTC().Format(time.RFC3339Nano)
	}
	rd := slsa1.ResourceDescriptor{Name: "trivy.db", Digest: d}
	if len(ann) > 0 {
		rd.Annotations = ann
	}
	return []slsa1.ResourceDescriptor{rd}, nil
}
