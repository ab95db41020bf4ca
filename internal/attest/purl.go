package attest

import (
	"fmt"
	"path"

	"github.com/distribution/reference"
	"github.com/package-url/packageurl-go"
)

// ociPURL is the purl of an image by digest, when name is an image
// reference: pkg:oci/<last path element>@<digest>, with the repository (as
// written, not normalised: "distill/static" stays so) as repository_url when
// it has more than one path element, and the tag. It is "" when name is not
// a reference (a label such as "distill/go (go 1.26)").
func ociPURL(name, digest string) (string, error) {
	ref, err := reference.Parse(name)
	if err != nil {
		return "", nil
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return "", nil
	}
	if d, ok := ref.(reference.Digested); ok && d.Digest().String() != digest {
		return "", fmt.Errorf("image %s is named by digest %s, not %s", name, d.Digest(), digest)
	}
	repo := named.Name()
	last := path.Base(repo)
	var q packageurl.Qualifiers
	if repo != last {
		q = append(q, packageurl.Qualifier{Key: "repository_url", Value: repo})
	}
	if t, ok := ref.(reference.Tagged); ok {
		q = append(q, packageurl.Qualifier{Key: "tag", Value: t.Tag()})
	}
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", last, digest, q, "").ToString(), nil
}
