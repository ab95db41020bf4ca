package debian

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func parseTestdataPackages(t *testing.T) []*Package {
	t.Helper()
	f, err := os.Open("testdata/Packages")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, err := ParsePackages(f, "http://archive.example/debian", "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestParsePackages(t *testing.T) {
	pkgs := parseTestdataPackages(t)
	var names []string
	for _, p := range pkgs {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "libssl3 perl-base mawk tzdata" {
		t.Fatalf("names = %s (order must follow the index)", got)
	}
	ssl, perl, mawk, tz := pkgs[0], pkgs[1], pkgs[2], pkgs[3]

	// Source with a version.
	if ssl.Source != "openssl" || ssl.SourceVersion != "3.0.15-1~deb12u1" {
		t.Errorf("libssl3 source = %q %q", ssl.Source, ssl.SourceVersion)
	}
	// Source without a version defaults to the binary version.
	if perl.Source != "perl" || perl.SourceVersion != "5.36.0-7+deb12u1" {
		t.Errorf("perl-base source = %q %q", perl.Source, perl.SourceVersion)
	}
	// No Source field: the package is its own source.
	if mawk.Source != "mawk" || mawk.SourceVersion != mawk.Version {
		t.Errorf("mawk source = %q %q", mawk.Source, mawk.SourceVersion)
	}

	if ssl.Version != "3.0.15-1~deb12u1" || ssl.Architecture != "amd64" || ssl.MultiArch != "same" ||
		ssl.Section != "libs" || ssl.Priority != "optional" || ssl.Size != 2026572 || ssl.InstalledSize != 6298 ||
		ssl.Filename != "pool/main/o/openssl/libssl3_3.0.15-1~deb12u1_amd64.deb" ||
		ssl.SHA256 != "4b7a6e3d2c8e8a5b1f0c9d7e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b" {
		t.Errorf("libssl3 fields: %+v", ssl)
	}
	if ssl.BaseURI != "http://archive.example/debian" || ssl.Suite != "bookworm" {
		t.Errorf("BaseURI/Suite = %q %q", ssl.BaseURI, ssl.Suite)
	}
	if got, want := ssl.URL(), "http://archive.example/debian/pool/main/o/openssl/libssl3_3.0.15-1~deb12u1_amd64.deb"; got != want {
		t.Errorf("URL() = %s", got)
	}
	if ssl.Essential || !perl.Essential {
		t.Errorf("Essential: libssl3 %v, perl-base %v", ssl.Essential, perl.Essential)
	}

	// Depends.
	if got := ssl.Depends.String(); got != "libc6 (>= 2.34)" {
		t.Errorf("libssl3 Depends = %q", got)
	}
	alts := tz.Depends.Relations[0].Possibilities
	if len(tz.Depends.Relations) != 1 || len(alts) != 2 || alts[0].Name != "debconf" || alts[1].Name != "debconf-2.0" ||
		alts[0].Version == nil || alts[0].Version.Operator != ">=" || alts[0].Version.Number != "0.5" {
		t.Errorf("tzdata Depends = %+v", tz.Depends)
	}

	// Pre-Depends, including an epoch.
	if len(perl.PreDepends.Relations) != 2 {
		t.Fatalf("perl-base Pre-Depends = %+v", perl.PreDepends)
	}
	if v := perl.PreDepends.Relations[1].Possibilities[0]; v.Name != "libcrypt1" || v.Version.Number != "1:4.1.0" {
		t.Errorf("perl-base Pre-Depends[1] = %+v", v)
	}
	if len(perl.Depends.Relations) != 0 {
		t.Errorf("perl-base has no Depends, got %+v", perl.Depends)
	}

	// Provides, versioned and not.
	wantProv := []Provide{{Name: "libfile-path-perl", Version: "2.18"}, {Name: "libfile-temp-perl", Version: "0.2311"}, {Name: "perlapi-5.36.0"}}
	if len(perl.Provides) != len(wantProv) {
		t.Fatalf("perl-base Provides = %+v", perl.Provides)
	}
	for i, w := range wantProv {
		if perl.Provides[i].Name != w.Name || perl.Provides[i].Version != w.Version {
			t.Errorf("Provides[%d] = %+v, want %+v", i, perl.Provides[i], w)
		}
	}
	if len(mawk.Provides) != 1 || mawk.Provides[0].Name != "awk" || mawk.Provides[0].Version != "" {
		t.Errorf("mawk Provides = %+v", mawk.Provides)
	}

	// The raw stanza is kept, multi-line Description included, in order.
	desc := ssl.Paragraph.Values["Description"]
	if !strings.HasPrefix(desc, "Secure Sockets Layer toolkit - shared libraries\n") ||
		!strings.Contains(desc, "Internet.\n\nIt provides the libssl") {
		t.Errorf("Description = %q", desc)
	}
	if ssl.Paragraph.Order[0] != "Package" || ssl.Paragraph.Order[len(ssl.Paragraph.Order)-1] != "SHA256" {
		t.Errorf("Paragraph.Order = %v", ssl.Paragraph.Order)
	}
	if ssl.Paragraph.Values["Tag"] != "role::shared-lib" {
		t.Errorf("unknown fields must be kept: %v", ssl.Paragraph.Values)
	}
}

func TestParsePackagesErrors(t *testing.T) {
	good := "Package: a\nVersion: 1.0\nArchitecture: all\n\n"
	for name, tc := range map[string]struct {
		text, want string
	}{
		"no version":   {good + "Package: b\nArchitecture: all\n", "stanza 2 (b): missing Version"},
		"no package":   {good + "Version: 1\n", "stanza 2 (?): missing Package"},
		"bad version":  {"Package: a\nVersion: a.b\n", "stanza 1 (a): Version \"a.b\""},
		"bad source":   {"Package: a\nVersion: 1\nSource: b 1.0\n", "malformed Source"},
		"bad size":     {"Package: a\nVersion: 1\nSize: big\n", "Size \"big\""},
		"bad depends":  {"Package: a\nVersion: 1\nDepends: b (>= 1) c\n", "Depends:"},
		"bad provides": {"Package: a\nVersion: 1\nProvides: b (>= 1)\n", "only \"=\" versions"},
		"garbage":      {good + good + "this line has no colon\n", "stanza 3"},
	} {
		_, err := ParsePackages(strings.NewReader(tc.text), "", "sid")
		var pe *PackagesError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want *PackagesError", name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || pe.Suite != "sid" {
			t.Errorf("%s: err = %q, want it to contain %q", name, err, tc.want)
		}
	}
}

// The index is parsed in chunks: order and stanza numbers survive chunk
// boundaries, and a stanza larger than a chunk is handled.
func TestParsePackagesLarge(t *testing.T) {
	var b strings.Builder
	const n = 20000
	for i := range n {
		fmt.Fprintf(&b, "Package: pkg%05d\nVersion: 1.%d\nArchitecture: amd64\nDepends: libc6 (>= 2.36), pkg%05d | other\nDescription: x\n %s\n\n",
			i, i, (i+1)%n, strings.Repeat("long line ", 10))
		if i == 100 {
			fmt.Fprintf(&b, "Package: huge\nVersion: 1\nDescription: big\n %s\n\n", strings.Repeat("y", 3*packagesChunkSize))
		}
	}
	text := b.String()
	pkgs, err := ParsePackages(strings.NewReader(text), "", "sid")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != n+1 {
		t.Fatalf("parsed %d packages, want %d", len(pkgs), n+1)
	}
	for i, j := 0, 0; i < len(pkgs); i++ {
		if i == 101 {
			if pkgs[i].Name != "huge" {
				t.Fatalf("pkgs[101] = %s", pkgs[i].Name)
			}
			continue
		}
		if want := fmt.Sprintf("pkg%05d", j); pkgs[i].Name != want {
			t.Fatalf("pkgs[%d] = %s, want %s", i, pkgs[i].Name, want)
		}
		j++
	}

	// Break stanza 15001 (pkg14999, counting "huge"): the error names it.
	bad := strings.Replace(text, "Package: pkg14999\nVersion: 1.14999\n", "Package: pkg14999\nVersion: bad\n", 1)
	_, err = ParsePackages(strings.NewReader(bad), "", "sid")
	var pe *PackagesError
	if !errors.As(err, &pe) || pe.Stanza != 15001 || pe.Package != "pkg14999" {
		t.Fatalf("err = %v, want stanza 15001 (pkg14999)", err)
	}
}
