package scan

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestFromTrivyReadsFindingsAndPackages(t *testing.T) {
	r := load(t, "runtime-fixtures", "runtime", fixturesDB)

	if r.SchemaVersion != SchemaVersion || r.Stage != "runtime" || r.Image != appImage {
		t.Errorf("header = %q %q %q", r.SchemaVersion, r.Stage, r.Image)
	}
	if r.Scanner.Name != "trivy" || r.Scanner.Version != "0.74.0" {
		t.Errorf("scanner = %+v, want trivy with the version from trivy's report", r.Scanner)
	}
	if r.OS == nil || r.OS.String() != "debian 12.15" {
		t.Errorf("OS = %v", r.OS)
	}
	// 8 Debian packages; stdlib, golang.org/x/text and the main module.
	if r.Packages != 11 {
		t.Errorf("Packages = %d, want 11", r.Packages)
	}
	wantCov := []Coverage{{"debian", 8, true}, {"go", 3, true}}
	if !slices.Equal(r.Coverage, wantCov) {
		t.Errorf("Coverage = %+v, want %+v", r.Coverage, wantCov)
	}
	if got := len(r.Findings); got != 7 {
		t.Fatalf("%d findings, want 7: %v", got, ids(r.Findings))
	}

	bash := byID(t, r, "CVE-0000-0001")
	if bash.Package != "bash" || bash.Version != "5.2.15-2+b13" || bash.FixedVersion != "5.2.99-1" || !bash.Fixed ||
		bash.Severity != Critical || bash.Ecosystem != "debian" || bash.Target != "debian 12.15" || bash.Status != "fixed" ||
		!strings.HasPrefix(bash.PURL, "pkg:deb/debian/bash@") {
		t.Errorf("bash finding = %+v", bash)
	}
	if bash.CVSS == nil || bash.CVSS.Score != 9.8 || bash.CVSS.Source != "debian" || bash.CVSS.Version != "3" {
		t.Errorf("bash CVSS = %+v", bash.CVSS)
	}
	// The epoch is part of the installed version.
	if z := byID(t, r, "CVE-0000-0002"); z.Version != "1:1.2.13.dfsg-1" || z.Fixed || z.Status != "affected" {
		t.Errorf("zlib finding = %+v", z)
	}
	x := byID(t, r, "CVE-0000-0004")
	if x.Severity != Unknown || x.Effective != Unknown || x.Target != "app/server" || x.Ecosystem != "go" ||
		!slices.Equal(x.Aliases, []string{"GO-0000-0004"}) || x.PURL != "pkg:golang/golang.org/x/text@v0.3.5" {
		t.Errorf("x/text finding = %+v", x)
	}
	// Sorted by severity, then ID.
	want := []string{"CVE-0000-0001", "GO-0000-0001", "CVE-0000-0002", "GO-0000-0005", "CVE-0000-0003", "CVE-0000-0004", "CVE-0000-0006"}
	if got := ids(r.Findings); !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	s := r.Summary
	if s.Total != 7 || s.Open != 7 || s.Unknown != 2 || s.BySeverity[Critical] != 1 || s.BySeverity[Unknown] != 2 || len(s.BySeverity) != 5 {
		t.Errorf("summary = %+v", s)
	}
	if r.Policy != nil {
		t.Errorf("Policy set before Evaluate")
	}
}

// The Go vulnerability database's advisories come back under their CVE when
// they have one, with the GO- and GHSA- IDs as aliases.
func TestFromTrivyGoAliases(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", goDB)
	f := byID(t, r, "CVE-2021-38561")
	if !slices.Equal(f.Aliases, []string{"GHSA-ppp9-7jff-5vj2", "GO-2021-0113"}) {
		t.Errorf("aliases = %v", f.Aliases)
	}
	for _, f := range r.Findings {
		if f.Severity != Unknown {
			t.Errorf("%s: severity %s; the Go database gives none", f.ID, f.Severity)
		}
	}
	if f := byID(t, r, "CVE-2026-111943"); f.FixedVersion != "1.26.10, 1.27.3" || f.Package != "stdlib" || f.Version != "v1.26.8" {
		t.Errorf("stdlib finding = %+v", f)
	}
}

func TestFromTrivyLanguageAggregates(t *testing.T) {
	r := load(t, "build-govulndb", "build", goDB)
	wantCov := []Coverage{{"debian", 10, false}, {"go", 5, true}, {"npm", 1, false}, {"python", 1, false}}
	if !slices.Equal(r.Coverage, wantCov) {
		t.Errorf("Coverage = %+v, want %+v", r.Coverage, wantCov)
	}
	if got := r.NotChecked(); !slices.Equal(got, []string{"debian", "npm", "python"}) {
		t.Errorf("NotChecked = %v", got)
	}
	for _, f := range r.Findings {
		if f.Target != "src/bin/server" {
			t.Errorf("%s: target %q", f.ID, f.Target)
		}
	}
}

func TestFromTrivyErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		json, stage, want string
	}{
		"not json":   {"{", "runtime", "reading trivy report"},
		"old schema": {`{"SchemaVersion":1}`, "runtime", "schema version 1, want 2"},
		"no schema":  {`{"Results":[]}`, "runtime", "schema version 0"},
		"no stage":   {`{"SchemaVersion":2}`, "", "no stage"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := FromTrivy([]byte(tc.json), Meta{Stage: tc.stage})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// An ecosystem with findings was checked whatever the caller says about the
// database; one without findings and not in DB.Ecosystems was not.
func TestCoverage(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", DB{})
	if got := r.NotChecked(); !slices.Equal(got, []string{"debian"}) {
		t.Errorf("no DB ecosystems: NotChecked = %v, want [debian] (go has findings)", got)
	}
	r = load(t, "runtime-govulndb", "runtime", goDB)
	if c, _ := r.coverageOf("debian"); c.Checked || c.Packages != 8 {
		t.Errorf("debian coverage = %+v", c)
	}
	if c, _ := r.coverageOf("go"); !c.Checked {
		t.Errorf("go coverage = %+v", c)
	}
	res := DefaultPolicy().Evaluate(r, now, true)
	if !slices.Equal(res.NotChecked, []string{"debian"}) {
		t.Errorf("PolicyResult.NotChecked = %v", res.NotChecked)
	}
}

// trivy's order of results, packages and vulnerabilities does not matter.
func TestFromTrivyIgnoresInputOrder(t *testing.T) {
	for _, name := range []string{"runtime-fixtures", "runtime-govulndb", "build-govulndb"} {
		raw := fixture(t, name)
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		results := doc["Results"].([]any)
		slices.Reverse(results)
		for _, res := range results {
			m := res.(map[string]any)
			for _, k := range []string{"Packages", "Vulnerabilities"} {
				if l, ok := m[k].([]any); ok {
					slices.Reverse(l)
				}
			}
		}
		shuffled, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		m := Meta{Stage: "s", DB: goDB}
		a, err := FromTrivy(raw, m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := FromTrivy(shuffled, m)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := a.JSON()
		jb, _ := b.JSON()
		if string(ja) != string(jb) {
			t.Errorf("%s: report depends on trivy's order:\n%s", name, firstDiff(ja, jb))
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"high": High, " CRITICAL ": Critical, "Unknown": Unknown, "low": Low, "MEDIUM": Medium} {
		got, err := ParseSeverity(in)
		if err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "severe", "NONE"} {
		if _, err := ParseSeverity(in); err == nil {
			t.Errorf("ParseSeverity(%q) accepted", in)
		}
	}
	if !(Unknown.Rank() < Low.Rank() && Low.Rank() < Medium.Rank() && Medium.Rank() < High.Rank() && High.Rank() < Critical.Rank()) {
		t.Error("ranks out of order")
	}
	if Severity("").Rank() != -1 || High.AtLeast("") {
		t.Error(`"" must rank below everything and never be reached`)
	}
}
