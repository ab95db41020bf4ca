package sbom

import (
	"net/url"
	"strings"
)

// debPackage is a Debian binary package as an SBOM names it in its purl,
// e.g. pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&epoch=1.
type debPackage struct {
	Name    string
	Version string // with the epoch, as dpkg writes it: "1:1.2.13.dfsg-1"
	Arch    string
}

func (d debPackage) id() string { return d.Name + "=" + d.Version }

// parseDebPURL reads the Debian package out of a purl of type deb. It reports
// false for any other purl, and for deb purls it cannot read.
func parseDebPURL(purl string) (debPackage, bool) {
	rest, ok := strings.CutPrefix(purl, "pkg:deb/")
	if !ok {
		return debPackage{}, false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return debPackage{}, false
	}
	path, version := rest[:at], rest[at+1:]
	name := path[strings.LastIndexByte(path, '/')+1:]
	var err error
	var d debPackage
	if d.Name, err = url.PathUnescape(name); err != nil || d.Name == "" {
		return debPackage{}, false
	}
	if d.Version, err = url.PathUnescape(version); err != nil || d.Version == "" {
		return debPackage{}, false
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if v, err = url.PathUnescape(v); err != nil {
			return debPackage{}, false
		}
		switch strings.ToLower(k) {
		case "arch":
			d.Arch = v
		case "epoch":
			if v != "" && v != "0" {
				d.Version = v + ":" + d.Version
			}
		}
	}
	return d, true
}

// ociPURL is the purl of an image by digest: pkg:oci/<name>@<digest>, with the
// repository as a qualifier when the name has more than one path element.
func ociPURL(name, digest string) string {
	repo := strings.ToLower(name)
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i] // a tag
	}
	last := repo[strings.LastIndexByte(repo, '/')+1:]
	p := "pkg:oci/" + url.PathEscape(last) + "@" + strings.ReplaceAll(url.PathEscape(digest), ":", "%3A")
	if repo != last {
		p += "?repository_url=" + strings.ReplaceAll(url.QueryEscape(repo), "%2F", "/")
	}
	return p
}
