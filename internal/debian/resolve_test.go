package debian

import (
	"errors"
	"strings"
	"testing"

	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"
)

// indexOf parses Packages stanzas (one list per suite) into an Index.
func indexOf(t *testing.T, suites ...string) *Index {
	t.Helper()
	var lists [][]*Package
	for i, text := range suites {
		pkgs, err := ParsePackages(strings.NewReader(text), "http://archive.example/debian", []string{"bookworm", "bookworm-security"}[i])
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, pkgs)
	}
	return NewIndex(lists...)
}

func names(pkgs []*Package) string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name)
	}
	return strings.Join(out, " ")
}

func resolveOK(t *testing.T, ix *Index, req ResolveRequest) []*Package {
	t.Helper()
	pkgs, err := ix.Resolve(req)
	if err != nil {
		t.Fatalf("Resolve(%v): %v", req, err)
	}
	return pkgs
}

func resolveErr(t *testing.T, ix *Index, req ResolveRequest, want string) *ResolveError {
	t.Helper()
	_, err := ix.Resolve(req)
	var re *ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("Resolve(%v) = %v, want *ResolveError", req, err)
	}
	if err.Error() != want {
		t.Fatalf("error:\n got  %s\n want %s", err, want)
	}
	return re
}

const basePackages = `Package: libc6
Version: 2.36-9+deb12u10
Architecture: amd64
Priority: optional
Depends: libgcc-s1

Package: libgcc-s1
Version: 12.2.0-14
Architecture: amd64
Priority: optional
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)

Package: gcc-12-base
Version: 12.2.0-14
Architecture: amd64
Priority: required

`

func TestResolveClosureAndCycle(t *testing.T) {
	ix := indexOf(t, basePackages)
	// libc6 → libgcc-s1 → libc6 is a cycle; gcc-12-base is pinned exactly.
	got := resolveOK(t, ix, ResolveRequest{Packages: []string{"libc6"}})
	if n := names(got); n != "gcc-12-base libc6 libgcc-s1" {
		t.Errorf("closure = %s", n)
	}
}

func TestResolveAlternatives(t *testing.T) {
	ix := indexOf(t, basePackages+`Package: app
Version: 1.0
Architecture: amd64
Depends: nosuch | mawk, gawk | mawk, mawk | busybox

Package: mawk
Version: 1.3.4
Architecture: amd64
Provides: awk

Package: gawk
Version: 5.2.1
Architecture: amd64

Package: busybox
Version: 1.35
Architecture: amd64
`)
	// "nosuch | mawk": nosuch cannot be installed, so mawk is selected.
	// "gawk | mawk": mawk is already selected, which satisfies the group
	// although gawk comes first. "mawk | busybox": mawk again.
	got := resolveOK(t, ix, ResolveRequest{Packages: []string{"app"}})
	if n := names(got); n != "app mawk" {
		t.Errorf("closure = %s", n)
	}
}

func TestResolveProvides(t *testing.T) {
	ix := indexOf(t, `Package: app
Version: 1.0
Architecture: amd64
Depends: mail-transport-agent, awk, libapi (>= 2.0)

Package: aaa-mta
Version: 1.0
Architecture: amd64
Priority: optional
Provides: mail-transport-agent

Package: zzz-mta
Version: 1.0
Architecture: amd64
Priority: important
Provides: mail-transport-agent

Package: mawk
Version: 1.3.4
Architecture: amd64
Priority: required
Provides: awk

Package: original-awk
Version: 2012
Architecture: amd64
Priority: optional
Provides: awk

Package: api-old
Version: 1.0
Architecture: amd64
Provides: libapi

Package: api-one
Version: 1.0
Architecture: amd64
Provides: libapi (= 1.5)

Package: api-two
Version: 1.0
Architecture: amd64
Provides: libapi (= 2.1)
`)
	// mail-transport-agent: by Priority (important beats optional) over name.
	// awk: mawk is required. libapi (>= 2.0): only the versioned provide of
	// api-two qualifies; the unversioned one of api-old never does.
	got := resolveOK(t, ix, ResolveRequest{Packages: []string{"app"}})
	if n := names(got); n != "api-two app mawk zzz-mta" {
		t.Errorf("closure = %s", n)
	}
	if p := ix.Providers("awk"); names(p) != "mawk original-awk" {
		t.Errorf("Providers(awk) = %s", names(p))
	}

	// An already selected provider is preferred over a better-ranked one.
	got = resolveOK(t, ix, ResolveRequest{Packages: []string{"original-awk", "app"}})
	if n := names(got); n != "api-two app original-awk zzz-mta" {
		t.Errorf("closure with original-awk = %s", n)
	}

	// A requested virtual package resolves to a provider.
	got = resolveOK(t, ix, ResolveRequest{Packages: []string{"mail-transport-agent"}})
	if n := names(got); n != "zzz-mta" {
		t.Errorf("virtual root = %s", n)
	}
}

func TestResolveVersionedProvidesFailure(t *testing.T) {
	ix := indexOf(t, `Package: app
Version: 1.0
Architecture: amd64
Depends: libapi (>= 3.0)

Package: api-old
Version: 1.0
Architecture: amd64
Provides: libapi

Package: api-two
Version: 1.0
Architecture: amd64
Provides: libapi (= 2.1)
`)
	resolveErr(t, ix, ResolveRequest{Packages: []string{"app"}},
		"cannot install libapi (>= 3.0), required by app (requested): no such package, and its providers (api-old provides libapi unversioned, api-two provides libapi (= 2.1)) do not satisfy the version constraint")
}

func TestResolveVersionConstraints(t *testing.T) {
	const lib = `Package: libfoo
Version: 1.9
Architecture: amd64

`
	for _, tc := range []struct {
		rel string
		ok  bool
	}{
		{"libfoo (<< 2.0)", true}, {"libfoo (<< 1.9)", false},
		{"libfoo (<= 1.9)", true}, {"libfoo (<= 1.8)", false},
		{"libfoo (= 1.9)", true}, {"libfoo (= 1.9-1)", false},
		{"libfoo (>= 1.9)", true}, {"libfoo (>= 1.10)", false},
		{"libfoo (>> 1.8~rc1)", true}, {"libfoo (>> 1.9)", false},
		{"libfoo (>= 0:1.9)", true}, {"libfoo (>= 1:1.0)", false},
	} {
		ix := indexOf(t, lib+"Package: app\nVersion: 1\nArchitecture: amd64\nDepends: "+tc.rel+"\n")
		_, err := ix.Resolve(ResolveRequest{Packages: []string{"app"}})
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.rel, err, tc.ok)
		}
	}
}

func TestResolveErrorChain(t *testing.T) {
	ix := indexOf(t, `Package: baz
Version: 1
Architecture: amd64
Depends: bar

Package: bar
Version: 1
Architecture: amd64
Depends: libfoo (>= 2.0)

Package: libfoo
Version: 1.9
Architecture: amd64

Package: app
Version: 1
Architecture: amd64
Depends: libfoo, nosuch
`)
	re := resolveErr(t, ix, ResolveRequest{Packages: []string{"baz"}},
		"cannot install libfoo (>= 2.0), required by bar ← baz (requested): candidate version is 1.9")
	if strings.Join(re.Chain, ",") != "bar,baz" || re.Relation != "libfoo (>= 2.0)" {
		t.Errorf("ResolveError = %+v", re)
	}
	resolveErr(t, ix, ResolveRequest{Packages: []string{"app"}},
		"cannot install nosuch, required by app (requested): no such package and nothing provides it")
	resolveErr(t, ix, ResolveRequest{Packages: []string{"nosuch"}},
		"cannot install nosuch (requested): no such package and nothing provides it")
	resolveErr(t, ix, ResolveRequest{Packages: []string{"libfoo=2.0"}},
		"cannot install libfoo=2.0 (requested): version 2.0 not found (available: 1.9)")
}

func TestResolveAlternativesFailure(t *testing.T) {
	ix := indexOf(t, `Package: app
Version: 1
Architecture: amd64
Depends: foo (>= 2) | bar

Package: foo
Version: 1
Architecture: amd64
`)
	resolveErr(t, ix, ResolveRequest{Packages: []string{"app"}},
		"cannot install foo (>= 2) | bar, required by app (requested): foo: candidate version is 1; bar: no such package and nothing provides it")
}

func TestResolvePreDependsAndOmit(t *testing.T) {
	ix := indexOf(t, `Package: tzdata
Version: 2025b-0+deb12u1
Architecture: all
Pre-Depends: base-files
Depends: debconf (>= 0.5) | debconf-2.0

Package: base-files
Version: 12.4
Architecture: amd64
Pre-Depends: awk

Package: debconf
Version: 1.5.82
Architecture: all
Pre-Depends: perl-base

Package: perl-base
Version: 5.36
Architecture: amd64

Package: mawk
Version: 1.3.4
Architecture: amd64
Provides: awk
`)
	got := resolveOK(t, ix, ResolveRequest{Packages: []string{"tzdata"}})
	if n := names(got); n != "base-files debconf mawk perl-base tzdata" {
		t.Errorf("closure = %s", n)
	}
	// Omit works for real (debconf) and virtual (awk) names.
	got = resolveOK(t, ix, ResolveRequest{Packages: []string{"tzdata"}, Omit: []string{"debconf", "awk"}})
	if n := names(got); n != "base-files tzdata" {
		t.Errorf("closure with Omit = %s", n)
	}
	// An omitted root is skipped.
	got = resolveOK(t, ix, ResolveRequest{Packages: []string{"tzdata", "debconf"}, Omit: []string{"debconf", "awk"}})
	if n := names(got); n != "base-files tzdata" {
		t.Errorf("closure with omitted root = %s", n)
	}
}

func TestResolvePinsAndSuites(t *testing.T) {
	ix := indexOf(t, `Package: libfoo
Version: 1.0
Architecture: amd64

Package: app
Version: 1
Architecture: amd64
Depends: libfoo:any (>= 1.0)

Package: strict
Version: 1
Architecture: amd64
Depends: libfoo (>= 1.1)
`, `Package: libfoo
Version: 1.0+deb12u1
Architecture: amd64
`)
	// The security suite's version is the candidate.
	c, ok := ix.Candidate("libfoo")
	if !ok || c.Version != "1.0+deb12u1" || c.Suite != "bookworm-security" {
		t.Fatalf("Candidate(libfoo) = %+v", c)
	}
	if vs := ix.Versions("libfoo"); len(vs) != 2 || vs[1].Version != "1.0" {
		t.Errorf("Versions = %v", vs)
	}
	got := resolveOK(t, ix, ResolveRequest{Packages: []string{"app:amd64"}})
	if len(got) != 2 || got[1].Name != "libfoo" || got[1].Version != "1.0+deb12u1" {
		t.Errorf("resolve app = %v", got)
	}
	// A pin selects an older version, and dependencies see it.
	got = resolveOK(t, ix, ResolveRequest{Packages: []string{"libfoo=1.0", "app"}})
	if got[1].Version != "1.0" || got[1].Suite != "bookworm" {
		t.Errorf("pinned libfoo = %v", got[1])
	}
	resolveErr(t, ix, ResolveRequest{Packages: []string{"libfoo=1.0", "strict"}},
		"cannot install libfoo (>= 1.1), required by strict (requested): selected version is 1.0")
	resolveErr(t, ix, ResolveRequest{Packages: []string{"libfoo=1.0", "libfoo=1.0+deb12u1"}},
		"cannot install libfoo=1.0+deb12u1 (requested): libfoo=1.0 is also requested")
}

func TestResolveDeterministic(t *testing.T) {
	ix := indexOf(t, basePackages+`Package: app
Version: 1
Architecture: amd64
Depends: libc6, mta

Package: b-mta
Version: 1
Architecture: amd64
Provides: mta

Package: a-mta
Version: 1
Architecture: amd64
Provides: mta
`)
	first := names(resolveOK(t, ix, ResolveRequest{Packages: []string{"app"}}))
	if first != "a-mta app gcc-12-base libc6 libgcc-s1" {
		t.Errorf("closure = %s", first)
	}
	for range 25 {
		if got := names(resolveOK(t, ix, ResolveRequest{Packages: []string{"app"}})); got != first {
			t.Fatalf("run gave %s, first gave %s", got, first)
		}
	}
}

func TestIndexRequired(t *testing.T) {
	pkgs := parseTestdataPackages(t)
	ix := NewIndex(pkgs)
	if got := strings.Join(ix.Required(), " "); got != "mawk perl-base tzdata" {
		t.Errorf("Required() = %s", got)
	}
	if ix.Len() != 4 || strings.Join(ix.Names(), " ") != "libssl3 mawk perl-base tzdata" {
		t.Errorf("Names() = %v", ix.Names())
	}
	if p, ok := ix.Lookup("libssl3", "3.0.15-1~deb12u1"); !ok || p.Name != "libssl3" {
		t.Errorf("Lookup = %v %v", p, ok)
	}
	if _, ok := ix.Lookup("libssl3", "3.0.15"); ok {
		t.Error("Lookup of a missing version succeeded")
	}
}

func TestVersionSatisfies(t *testing.T) {
	v, _ := version.Parse("1:2.3-4")
	for _, tc := range []struct {
		op, num string
		want    bool
	}{
		{"<<", "1:2.4", true}, {"<=", "1:2.3-4", true}, {"=", "1:2.3-4", true},
		{">=", "2.3-4", true}, {">>", "1:2.3-3", true}, {"<<", "2.4", false},
		{">=", "not a version!", false}, {"~", "1", false},
	} {
		if got := versionSatisfies(v, &dependency.VersionRelation{Operator: tc.op, Number: tc.num}); got != tc.want {
			t.Errorf("1:2.3-4 %s %s = %v, want %v", tc.op, tc.num, got, tc.want)
		}
	}
}
