package debian

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseSourcesList(t *testing.T) {
	text := `# main archive
deb http://archive.example/debian/ bookworm main contrib # trailing comment
deb-src http://archive.example/debian bookworm main

  deb [ arch=amd64,arm64 signed-by=/etc/apt/keyrings/x.gpg trusted=yes ] https://archive.example/debian-security bookworm-security main
deb [arch+=i386] http://flat.example/repo ./
#deb http://disabled.example/debian bookworm main
`
	got, err := ParseSourcesList("sources.list", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []SourceEntry{
		{Types: []string{"deb"}, URIs: []string{"http://archive.example/debian"}, Suites: []string{"bookworm"},
			Components: []string{"main", "contrib"}, File: "sources.list", Line: 2},
		{Types: []string{"deb"}, URIs: []string{"https://archive.example/debian-security"}, Suites: []string{"bookworm-security"},
			Components: []string{"main"}, Architectures: []string{"amd64", "arm64"}, SignedBy: "/etc/apt/keyrings/x.gpg",
			File: "sources.list", Line: 5},
		{Types: []string{"deb"}, URIs: []string{"http://flat.example/repo"}, Suites: []string{"./"},
			Architectures: []string{"i386"}, File: "sources.list", Line: 6},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseSourcesListErrors(t *testing.T) {
	for _, tc := range []struct{ text, msg string }{
		{"rpm http://x/ y main\n", `unknown type "rpm" (want deb or deb-src)`},
		{"\n\ndeb [arch=amd64 http://x/ bookworm main\n", "unterminated option list"},
		{"deb [arch] http://x/ bookworm main\n", `option "arch" is not key=value`},
		{"deb http://x/\n", "want a URI and a suite"},
		{"deb http://x/ bookworm\n", `suite "bookworm" needs at least one component`},
	} {
		_, err := ParseSourcesList("s.list", []byte(tc.text))
		var se *SourcesError
		if !errors.As(err, &se) || se.Msg != tc.msg || se.File != "s.list" {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.msg)
		}
	}
	_, err := ParseSourcesList("s.list", []byte("\n\ndeb [arch=amd64 http://x/ bookworm main\n"))
	if err == nil || err.Error() != "s.list:3: unterminated option list" {
		t.Errorf("position: %v", err)
	}
}

func TestParseDeb822Sources(t *testing.T) {
	text := `# Modernized from sources.list
Types: deb deb-src
URIs: http://archive.example/debian/
Suites: bookworm bookworm-updates
Components: main
# a comment inside a stanza
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://archive.example/debian-security
Suites: bookworm-security
Components: main
Architectures: amd64
Enabled: no

types: deb
uris: http://third.example/repo https://mirror2.example/repo
suites: stable
components: main non-free
signed-by:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEZ...
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb-src
URIs: http://archive.example/debian
Suites: bookworm
Components: main
`
	got, err := ParseDeb822Sources("debian.sources", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []SourceEntry{
		{Types: []string{"deb", "deb-src"}, URIs: []string{"http://archive.example/debian"},
			Suites: []string{"bookworm", "bookworm-updates"}, Components: []string{"main"},
			SignedBy: "/usr/share/keyrings/debian-archive-keyring.gpg", File: "debian.sources", Line: 2},
		{Types: []string{"deb"}, URIs: []string{"http://third.example/repo", "https://mirror2.example/repo"},
			Suites: []string{"stable"}, Components: []string{"main", "non-free"}, SignedByInline: true,
			File: "debian.sources", Line: 16},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseDeb822SourcesErrors(t *testing.T) {
	for _, tc := range []struct{ text, msg string }{
		{"URIs: http://x/\nSuites: a\n", "stanza has no Types"},
		{"Types: rpm\nURIs: http://x/\nSuites: a\n", `unknown type "rpm" (want deb or deb-src)`},
		{"Types: deb\nSuites: a\n", "stanza needs URIs and Suites"},
		{"\n\nTypes: deb\nthis is not a field\n", "Bad line: 'this is not a field\n' has no ':'"},
	} {
		_, err := ParseDeb822Sources("x.sources", []byte(tc.text))
		var se *SourcesError
		if !errors.As(err, &se) || se.Msg != tc.msg {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.msg)
		}
	}
	_, err := ParseDeb822Sources("x.sources", []byte("\n\nTypes: deb\nthis is not a field\n"))
	var se *SourcesError
	if errors.As(err, &se) && se.Line != 3 {
		t.Errorf("Line = %d, want 3", se.Line)
	}
}

func TestReadSources(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/apt/sources.list"), "deb http://one.example/debian bookworm main\n")
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/b.sources"),
		"Types: deb\nURIs: http://three.example/debian\nSuites: bookworm\nComponents: main\n")
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/a.list"), "deb http://two.example/debian bookworm main\n")
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/c.list.disabled"), "deb http://nope.example/debian bookworm main\n")
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/d.sources"),
		"Types: deb\nURIs: http://four.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n")

	got, err := ReadSources(root)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, e := range got {
		uris = append(uris, e.URIs[0])
	}
	want := []string{"http://one.example/debian", "http://two.example/debian", "http://three.example/debian"}
	if !reflect.DeepEqual(uris, want) {
		t.Errorf("URIs = %v, want %v", uris, want)
	}
	if got[2].File != filepath.Join(root, "etc/apt/sources.list.d/b.sources") || got[2].Line != 1 {
		t.Errorf("position = %s:%d", got[2].File, got[2].Line)
	}

	// No apt configuration at all is not an error.
	got, err = ReadSources(t.TempDir())
	if err != nil || len(got) != 0 {
		t.Errorf("empty root: %v, %v", got, err)
	}

	// A malformed file is reported with its position.
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/e.list"), "deb\n")
	_, err = ReadSources(root)
	var se *SourcesError
	if !errors.As(err, &se) || se.Line != 1 || filepath.Base(se.File) != "e.list" {
		t.Errorf("malformed: %v", err)
	}
}
