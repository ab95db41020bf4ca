package attest

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// userSecret is a --secret as the runner parses it: an id and where its
// value is read from (a file or an environment variable), never the value.
type userSecret struct{ ID, File, Env string }

// Secret values live in files and the environment; the provenance is made
// from ids. None of the values, and no credential in the source URL, reaches
// the predicate or its statement.
func TestSLSAHoldsNoSecretValues(t *testing.T) {
	const (
		tokenValue = "npm_T0kenValue-do-not-leak"
		netrcValue = "machine example.com login ci password hunter2-do-not-leak"
		urlToken   = "glpat-UrlToken-do-not-leak"
	)
	t.Setenv("NPM_TOKEN", tokenValue)
	netrc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte(netrcValue), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []userSecret{{ID: "npmrc", Env: "NPM_TOKEN"}, {ID: "netrc", File: netrc}}

	p := testProvenance()
	p.SecretIDs = nil
	for _, s := range secrets {
		p.SecretIDs = append(p.SecretIDs, s.ID)
	}
	p.Source.URI = "https://gitlab-ci-token:" + urlToken + "@example.com/distill-dev/app.git"
	pred, err := SLSA(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Statement(PredicateSLSA, pred, Subject{Name: "example.com/app", Digest: hash("1")})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range [][]byte{pred, st} {
		for _, v := range []string{tokenValue, "hunter2", urlToken, "gitlab-ci-token", netrc} {
			if strings.Contains(string(out), v) {
				t.Errorf("output holds %q:\n%s", v, out)
			}
		}
		for _, id := range []string{`"npmrc"`, `"netrc"`} {
			if !strings.Contains(string(out), id) {
				t.Errorf("output lacks secret id %s", id)
			}
		}
	}

	// A source URL that does not parse is reported without its password.
	p.Source.URI = "https://ci:" + urlToken + "@exa mple.com/app.git"
	if _, err := SLSA(p); err == nil || strings.Contains(err.Error(), urlToken) {
		t.Errorf("bad source URL: err = %v, want an error without the password", err)
	}
}

// Provenance can hold only what these fields hold. A new field must be
// added here, after checking that it cannot carry a secret value (a value
// map or byte slice would; Args is documented as never secret, Spec is the
// pipeline definition, which names secrets by id only, Versions are
// version strings).
func TestProvenanceFieldsReviewed(t *testing.T) {
	reviewed := []string{
		"Args map[string]string",
		"BaseImages []attest.Image{Digest v1.Hash{Algorithm string, Hex string}, Name string, Platform string}",
		"BuildPlatform string",
		"BuildType string",
		"BuilderID string",
		"Byproducts []attest.Byproduct{Digest v1.Hash{Algorithm string, Hex string}, MediaType string, Name string}",
		"FinishedOn *time.Time",
		"InvocationID string",
		"Packages []attest.Package{Arch string, Image string, Name string, SHA256 string, Version string}",
		"Platforms []string",
		"Scanner attest.Image{Digest v1.Hash{Algorithm string, Hex string}, Name string, Platform string}",
		"ScannerVersion string",
		"SecretIDs []string",
		"Source attest.Source{Dirty bool, Revision string, URI string}",
		"Spec []uint8",
		"SourceDateEpoch *time.Time",
		"StartedOn *time.Time",
		"Target string",
		"Toolchains []attest.Toolchain{Module string, Sum string, Version string}",
		"Versions map[string]string",
		"VulnDB attest.VulnDB{SHA256 string, Schema int, Source string, UpdatedAt time.Time}",
	}
	var got []string
	typ := reflect.TypeFor[Provenance]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		got = append(got, f.Name+" "+describe(f.Type))
	}
	slices.Sort(got)
	slices.Sort(reviewed)
	if !slices.Equal(got, reviewed) {
		t.Errorf("Provenance's fields changed; review them for secrets and update this list:\n%s", strings.Join(got, "\n"))
	}
}

// describe writes a type with the fields of the package's own structs.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + describe(t.Elem())
	case reflect.Slice:
		return "[]" + describe(t.Elem())
	case reflect.Map:
		return "map[" + describe(t.Key()) + "]" + describe(t.Elem())
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return t.String()
		}
		var fields []string
		for i := range t.NumField() {
			f := t.Field(i)
			fields = append(fields, f.Name+" "+describe(f.Type))
		}
		slices.Sort(fields)
		return t.String() + "{" + strings.Join(fields, ", ") + "}"
	}
	return t.String()
}
