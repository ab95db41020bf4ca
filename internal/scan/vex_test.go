package scan

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/openvex/go-vex/pkg/vex"
)

func TestVEX(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", goDB)
	res := Policy{FailOn: High, VEX: []*vex.VEX{loadVEX(t, "runtime.openvex.json")}}.Evaluate(r, now, true)

	for id, want := range map[string]bool{
		"CVE-2021-38561":  true,  // statement names GO-2021-0113; the subcomponent purl matches
		"CVE-2022-32149":  false, // affected
		"CVE-2026-56851":  false, // under_investigation (named by its GO- ID)
		"CVE-2026-56857":  true,  // the image as product: every package
		"CVE-2026-78659":  false, // subcomponent is golang.org/x/text, the finding is in stdlib
		"CVE-2026-94439":  false, // not_affected, then a later affected
		"CVE-2026-94440":  true,  // affected, then a later fixed (listed first)
		"CVE-2026-97030":  true,  // product is the package purl without version
		"CVE-2026-97031":  false, // product is another version of the package
		"CVE-2026-111943": false, // no statement
	} {
		if got := byID(t, r, id).Suppressed != nil; got != want {
			t.Errorf("%s suppressed = %v, want %v", id, got, want)
		}
	}
	s := byID(t, r, "CVE-2021-38561").Suppressed
	if s.By != ByVEX || s.Source != "vex/runtime.openvex.json" ||
		s.Reason != "not_affected: vulnerable_code_not_in_execute_path: language.Parse is never called with user input" {
		t.Errorf("suppression = %+v", s)
	}
	if s := byID(t, r, "CVE-2026-94440").Suppressed; s.Reason != "fixed" {
		t.Errorf("fixed suppression = %+v", s)
	}
	if len(res.Failing) != 14 || r.Summary.Suppressed != 4 {
		t.Errorf("%d failing, %d suppressed; want 14, 4", len(res.Failing), r.Summary.Suppressed)
	}
}

// An ignore entry wins over VEX; both say why.
func TestIgnoreBeforeVEX(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", goDB)
	Policy{VEX: []*vex.VEX{loadVEX(t, "runtime.openvex.json")}, Ignore: []Ignore{{ID: "CVE-2021-38561", Reason: "ignored"}}}.Evaluate(r, now, true)
	if s := byID(t, r, "CVE-2021-38561").Suppressed; s.By != ByIgnore {
		t.Errorf("suppression = %+v", s)
	}
}

func TestLoadVEX(t *testing.T) {
	_, err := LoadVEX(filepath.Join("testdata", "vex", "invalid.openvex.json"))
	if err == nil || !strings.Contains(err.Error(), "statement 0 (CVE-2021-38561): either justification or impact statement must be defined") {
		t.Errorf("invalid VEX: %v", err)
	}
	if _, err := LoadVEX(filepath.Join("testdata", "vex", "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
	path := filepath.Join("testdata", "vex", "noid.openvex.json")
	doc := loadVEX(t, "noid.openvex.json")
	if doc.ID != path {
		t.Errorf("ID = %q, want the path", doc.ID)
	}
	// A statement without products covers every package.
	r := load(t, "runtime-fixtures", "runtime", fixturesDB)
	Policy{VEX: []*vex.VEX{doc}}.Evaluate(r, now, true)
	if s := byID(t, r, "CVE-0000-0001").Suppressed; s == nil || s.Source != path || s.Reason != "not_affected: vulnerable_code_not_present" {
		t.Errorf("suppression = %+v", s)
	}
}
