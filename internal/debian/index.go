package debian

import (
	"sort"

	"pault.ag/go/debian/version"
)

// Index holds every version of every package from one or more Packages
// indexes (for example bookworm, bookworm-updates and bookworm-security).
// It is read-only once built and safe for concurrent use.
type Index struct {
	// versions maps a package name to all its versions, highest first.
	versions map[string][]*Package
	// providers maps a name to the candidates that Provide it, by name.
	providers map[string][]*Package
	// id is the IndexID of the archive state read, "" for NewIndex.
	id string
}

// NewIndex builds an Index from parsed Packages lists. When the same name,
// version and architecture appear more than once, the first occurrence wins,
// so pass the lists in order of preference.
func NewIndex(pkgs ...[]*Package) *Index {
	ix := &Index{
		versions:  map[string][]*Package{},
		providers: map[string][]*Package{},
	}
	type key struct{ name, version, arch string }
	seen := map[key]bool{}
	for _, list := range pkgs {
		for _, p := range list {
			k := key{p.Name, p.Version, p.Architecture}
			if seen[k] {
				continue
			}
			seen[k] = true
			ix.versions[p.Name] = append(ix.versions[p.Name], p)
		}
	}
	for _, vs := range ix.versions {
		// Stable: equal versions keep insertion (preference) order.
		sort.SliceStable(vs, func(i, j int) bool {
			return version.Compare(vs[i].ver, vs[j].ver) > 0
		})
		c := vs[0]
		for _, pv := range c.Provides {
			ix.providers[pv.Name] = append(ix.providers[pv.Name], c)
		}
	}
	for _, ps := range ix.providers {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	}
	return ix
}

// ID returns the IndexID of the archive state a Client read the index from,
// or "" for an index built with NewIndex.
func (ix *Index) ID() string { return ix.id }

// Len returns the number of distinct package names.
func (ix *Index) Len() int { return len(ix.versions) }

// Names returns all package names, sorted.
func (ix *Index) Names() []string {
	out := make([]string, 0, len(ix.versions))
	for n := range ix.versions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Candidate returns the highest version of name.
func (ix *Index) Candidate(name string) (*Package, bool) {
	vs := ix.versions[name]
	if len(vs) == 0 {
		return nil, false
	}
	return vs[0], true
}

// Versions returns all versions of name, highest first.
func (ix *Index) Versions(name string) []*Package {
	return append([]*Package(nil), ix.versions[name]...)
}

// Lookup returns name at exactly version v (compared as Debian versions,
// so "1:2.0" and "1:2.0" match however the epoch is written).
func (ix *Index) Lookup(name, v string) (*Package, bool) {
	want, err := version.Parse(v)
	if err != nil {
		return nil, false
	}
	for _, p := range ix.versions[name] {
		if version.Compare(p.ver, want) == 0 {
			return p, true
		}
	}
	return nil, false
}

// Providers returns the candidate packages that declare Provides: name,
// sorted by package name.
func (ix *Index) Providers(name string) []*Package {
	return append([]*Package(nil), ix.providers[name]...)
}

// Required returns the names of packages whose candidate has Priority:
// required or Essential: yes — the set debootstrap's minbase variant installs
// (it adds apt, which is not required). Sorted.
func (ix *Index) Required() []string {
	var out []string
	for name, vs := range ix.versions {
		if c := vs[0]; c.Priority == "required" || c.Essential {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
