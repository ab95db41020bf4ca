package debian

import (
	"fmt"
	"sort"
	"strings"

	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"
)

// ResolveRequest names the packages to install.
type ResolveRequest struct {
	// Packages are the roots, "name" or "name=version" to pin a version.
	// An architecture qualifier ("name:amd64") is ignored.
	Packages []string
	// Omit lists names, real or virtual, that count as already satisfied
	// and are never installed (dependencies only maintainer scripts need,
	// such as debconf or awk). A root that is omitted is skipped.
	Omit []string
}

// ResolveError reports a dependency that cannot be satisfied, with the chain
// of packages that led to it.
type ResolveError struct {
	// Relation is the unsatisfiable relation as written, e.g.
	// "libfoo (>= 2.0)" or "a | b"; for a root, the request.
	Relation string
	// Chain lists the package that needs Relation, then the package that
	// pulled that one in, and so on up to a requested root. Empty when
	// Relation is itself a root.
	Chain  []string
	Reason string
}

func (e *ResolveError) Error() string {
	if len(e.Chain) == 0 {
		return fmt.Sprintf("cannot install %s (requested): %s", e.Relation, e.Reason)
	}
	return fmt.Sprintf("cannot install %s, required by %s (requested): %s",
		e.Relation, strings.Join(e.Chain, " ← "), e.Reason)
}

// Resolve returns the closure of req.Packages over Depends and Pre-Depends
// (Recommends and Suggests are not followed), sorted by name.
//
// A relation is an AND of OR-groups. An OR-group is satisfied when one of its
// alternatives is omitted or already selected in a satisfying version (a
// selected package that Provides it counts, see below). Otherwise the first
// alternative that can be satisfied is selected: the real package if its
// candidate version satisfies the constraint, else a package that Provides
// it. A versioned Provides satisfies a versioned constraint when its version
// does; an unversioned Provides never satisfies a versioned constraint (as in
// dpkg). Among several providers the one with the most important Priority
// (required, important, standard, optional, extra) wins, then the lowest
// name. Architecture qualifiers (:any, :native, :amd64) are ignored: the
// resolve is single-architecture. Cycles are fine. Dependencies are followed
// breadth first in request and field order, so the result and the chains in
// errors are deterministic.
//
// Failures are *ResolveError.
func (ix *Index) Resolve(req ResolveRequest) ([]*Package, error) {
	r := &resolver{
		ix:         ix,
		omit:       map[string]bool{},
		selected:   map[string]*Package{},
		parent:     map[string]string{},
		providedBy: map[string][]providerOf{},
	}
	for _, o := range req.Omit {
		r.omit[stripArch(strings.TrimSpace(o))] = true
	}
	for _, spec := range req.Packages {
		if err := r.addRoot(strings.TrimSpace(spec)); err != nil {
			return nil, err
		}
	}
	for len(r.queue) > 0 {
		p := r.queue[0]
		r.queue = r.queue[1:]
		for _, dep := range []*dependency.Dependency{&p.PreDepends, &p.Depends} {
			for _, rel := range dep.Relations {
				if err := r.satisfy(p, rel); err != nil {
					return nil, err
				}
			}
		}
	}
	out := make([]*Package, 0, len(r.selected))
	for _, p := range r.selected {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

type providerOf struct {
	pkg     *Package
	provide Provide
}

type resolver struct {
	ix         *Index
	omit       map[string]bool
	selected   map[string]*Package
	parent     map[string]string // name → the package that pulled it in ("" for roots)
	providedBy map[string][]providerOf
	queue      []*Package
}

func (r *resolver) addRoot(spec string) error {
	name, ver, pinned := strings.Cut(spec, "=")
	name = stripArch(strings.TrimSpace(name))
	ver = strings.TrimSpace(ver)
	if name == "" {
		return &ResolveError{Relation: fmt.Sprintf("%q", spec), Reason: "empty package name"}
	}
	if r.omit[name] {
		return nil
	}
	var p *Package
	if pinned {
		var ok bool
		if p, ok = r.ix.Lookup(name, ver); !ok {
			reason := "no such package"
			if vs := r.ix.versions[name]; len(vs) > 0 {
				avail := make([]string, len(vs))
				for i, v := range vs {
					avail[i] = v.Version
				}
				reason = fmt.Sprintf("version %s not found (available: %s)", ver, strings.Join(avail, ", "))
			}
			return &ResolveError{Relation: name + "=" + ver, Reason: reason}
		}
	} else {
		poss := dependency.Possibility{Name: name}
		var reason string
		if p, reason = r.choose(poss); p == nil {
			return &ResolveError{Relation: name, Reason: reason}
		}
	}
	if s, ok := r.selected[p.Name]; ok {
		if s != p {
			return &ResolveError{Relation: spec, Reason: fmt.Sprintf("%s is also requested", s)}
		}
		return nil
	}
	r.selectPackage(p, "")
	return nil
}

func (r *resolver) selectPackage(p *Package, parent string) {
	r.selected[p.Name] = p
	r.parent[p.Name] = parent
	for _, pv := range p.Provides {
		r.providedBy[pv.Name] = append(r.providedBy[pv.Name], providerOf{p, pv})
	}
	r.queue = append(r.queue, p)
}

func (r *resolver) satisfy(from *Package, rel dependency.Relation) error {
	var alts []dependency.Possibility
	for _, poss := range rel.Possibilities {
		if !poss.Substvar && poss.Name != "" {
			alts = append(alts, poss)
		}
	}
	if len(alts) == 0 {
		return nil
	}
	for _, alt := range alts {
		if r.omit[alt.Name] || r.satisfiedBySelected(alt) {
			return nil
		}
	}
	var reasons []string
	for _, alt := range alts {
		p, reason := r.choose(alt)
		if p != nil {
			r.selectPackage(p, from.Name)
			return nil
		}
		if len(alts) > 1 {
			reason = alt.Name + ": " + reason
		}
		reasons = append(reasons, reason)
	}
	return &ResolveError{
		Relation: formatRelation(alts),
		Chain:    r.chain(from.Name),
		Reason:   strings.Join(reasons, "; "),
	}
}

// satisfiedBySelected reports whether a selected package, or something a
// selected package provides, satisfies alt.
func (r *resolver) satisfiedBySelected(alt dependency.Possibility) bool {
	if s, ok := r.selected[alt.Name]; ok && versionSatisfies(s.ver, alt.Version) {
		return true
	}
	for _, pr := range r.providedBy[alt.Name] {
		if provideSatisfies(pr.provide, alt.Version) {
			return true
		}
	}
	return false
}

// choose picks a package to satisfy alt, or explains why there is none.
func (r *resolver) choose(alt dependency.Possibility) (*Package, string) {
	var reason string
	if s, ok := r.selected[alt.Name]; ok {
		// Only one version of a package can be installed.
		reason = fmt.Sprintf("selected version is %s", s.Version)
	} else if c, ok := r.ix.Candidate(alt.Name); ok {
		if versionSatisfies(c.ver, alt.Version) {
			return c, ""
		}
		reason = fmt.Sprintf("candidate version is %s", c.Version)
	}

	var fit []*Package
	var unfit []string
	for _, p := range r.ix.providers[alt.Name] {
		if r.omit[p.Name] {
			continue
		}
		if s, ok := r.selected[p.Name]; ok && s != p {
			continue // another version is selected; its Provides were checked already
		}
		ok := false
		for _, pv := range p.Provides {
			if pv.Name == alt.Name && provideSatisfies(pv, alt.Version) {
				ok = true
				break
			}
		}
		if ok {
			fit = append(fit, p)
		} else {
			unfit = append(unfit, providesString(p, alt.Name))
		}
	}
	if len(fit) > 0 {
		sort.SliceStable(fit, func(i, j int) bool {
			pi, pj := priorityRank(fit[i].Priority), priorityRank(fit[j].Priority)
			if pi != pj {
				return pi < pj
			}
			return fit[i].Name < fit[j].Name
		})
		return fit[0], ""
	}
	switch {
	case reason == "" && len(unfit) == 0:
		reason = "no such package and nothing provides it"
	case reason == "":
		reason = fmt.Sprintf("no such package, and its providers (%s) do not satisfy the version constraint", strings.Join(unfit, ", "))
	case len(unfit) > 0:
		reason += fmt.Sprintf("; its providers (%s) do not satisfy the version constraint", strings.Join(unfit, ", "))
	}
	return nil, reason
}

func (r *resolver) chain(name string) []string {
	var out []string
	seen := map[string]bool{}
	for name != "" && !seen[name] {
		seen[name] = true
		out = append(out, name)
		name = r.parent[name]
	}
	return out
}

func versionSatisfies(v version.Version, rel *dependency.VersionRelation) bool {
	if rel == nil {
		return true
	}
	want, err := version.Parse(rel.Number)
	if err != nil {
		return false
	}
	c := version.Compare(v, want)
	switch rel.Operator {
	case "<<", "<":
		return c < 0
	case "<=":
		return c <= 0
	case "=":
		return c == 0
	case ">=":
		return c >= 0
	case ">>", ">":
		return c > 0
	}
	return false
}

func provideSatisfies(pv Provide, rel *dependency.VersionRelation) bool {
	if rel == nil {
		return true
	}
	if pv.Version == "" {
		return false
	}
	return versionSatisfies(pv.ver, rel)
}

func providesString(p *Package, name string) string {
	for _, pv := range p.Provides {
		if pv.Name == name && pv.Version != "" {
			return fmt.Sprintf("%s provides %s (= %s)", p.Name, name, pv.Version)
		}
	}
	return fmt.Sprintf("%s provides %s unversioned", p.Name, name)
}

func formatRelation(alts []dependency.Possibility) string {
	parts := make([]string, len(alts))
	for i, a := range alts {
		parts[i] = a.Name
		if a.Version != nil {
			parts[i] += fmt.Sprintf(" (%s %s)", a.Version.Operator, a.Version.Number)
		}
	}
	return strings.Join(parts, " | ")
}

func priorityRank(p string) int {
	switch p {
	case "required":
		return 0
	case "important":
		return 1
	case "standard":
		return 2
	case "optional":
		return 3
	case "extra":
		return 4
	}
	return 5
}

// stripArch removes an architecture qualifier ("libc6:amd64" → "libc6").
func stripArch(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[:i]
	}
	return name
}
