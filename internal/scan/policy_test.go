package scan

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// All Go vulnerability database entries are UNKNOWN: they must count as
// UnknownAs (HIGH by default), and reports show both severities.
func TestUnknownCountsAsUnknownAs(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", goDB)
	res := Policy{FailOn: High}.Evaluate(r, now, true) // UnknownAs unset: HIGH
	if res.UnknownAs != High || res.Passed || len(res.Failing) != 18 {
		t.Fatalf("UnknownAs %s, passed %v, %d failing; want HIGH, false, 18", res.UnknownAs, res.Passed, len(res.Failing))
	}
	f := byID(t, r, "CVE-2021-38561")
	if f.Severity != Unknown || f.Effective != High || f.Label() != "UNKNOWN→HIGH" {
		t.Errorf("finding = %s %s %q", f.Severity, f.Effective, f.Label())
	}
	if s := r.Summary; s.BySeverity[High] != 18 || s.BySeverity[Unknown] != 0 || s.Unknown != 18 {
		t.Errorf("summary = %+v", s)
	}

	res = Policy{FailOn: High, UnknownAs: Medium}.Evaluate(r, now, true)
	if !res.Passed || byID(t, r, "CVE-2021-38561").Label() != "UNKNOWN→MEDIUM" {
		t.Errorf("UnknownAs MEDIUM: passed %v, label %q", res.Passed, byID(t, r, "CVE-2021-38561").Label())
	}
	res = Policy{FailOn: High, UnknownAs: Unknown}.Evaluate(r, now, true)
	if !res.Passed || byID(t, r, "CVE-2021-38561").Label() != "UNKNOWN" || r.Summary.BySeverity[Unknown] != 18 {
		t.Errorf("UnknownAs UNKNOWN: passed %v, label %q", res.Passed, byID(t, r, "CVE-2021-38561").Label())
	}
	// A threshold of UNKNOWN fails on everything.
	if res := (Policy{FailOn: Unknown, UnknownAs: Unknown}).Evaluate(r, now, true); res.Passed {
		t.Error("FailOn UNKNOWN passed")
	}
}

func TestFailOnThreshold(t *testing.T) {
	r := load(t, "runtime-fixtures", "runtime", fixturesDB)
	for _, tc := range []struct {
		failOn Severity
		want   []string
	}{
		{Critical, []string{"CVE-0000-0001"}},
		// UNKNOWN→HIGH: CVE-0000-0004 (x/text), CVE-0000-0006 (libc6, no fix).
		{High, []string{"CVE-0000-0001", "CVE-0000-0004", "CVE-0000-0006", "GO-0000-0001"}},
		{Medium, []string{"CVE-0000-0001", "CVE-0000-0004", "CVE-0000-0006", "GO-0000-0001", "CVE-0000-0002", "GO-0000-0005"}},
		{"", nil},
	} {
		res := Policy{FailOn: tc.failOn}.Evaluate(r, now, true)
		if got := ids(res.Failing); !slices.Equal(got, append([]string{}, tc.want...)) {
			t.Errorf("FailOn %q: failing %v, want %v", tc.failOn, got, tc.want)
		}
		if res.Passed != (len(tc.want) == 0) {
			t.Errorf("FailOn %q: passed %v", tc.failOn, res.Passed)
		}
	}
}

// FixedOnly leaves unfixed findings out of the gate but in the report.
func TestFixedOnly(t *testing.T) {
	r := load(t, "runtime-fixtures", "runtime", fixturesDB)
	res := Policy{FailOn: High, FixedOnly: true}.Evaluate(r, now, true)
	if got, want := ids(res.Failing), []string{"CVE-0000-0001", "CVE-0000-0004", "GO-0000-0001"}; !slices.Equal(got, want) {
		t.Errorf("failing %v, want %v (libc6's CVE-0000-0006 has no fix)", got, want)
	}
	libc := byID(t, r, "CVE-0000-0006")
	if libc.Suppressed != nil || libc.Effective != High || libc.Fixed {
		t.Errorf("unfixed finding must stay open and reported: %+v", libc)
	}
	if r.Summary.Open != 7 {
		t.Errorf("open = %d, want 7", r.Summary.Open)
	}
	// With only unfixed findings at or above the threshold, the gate passes.
	res = Policy{FailOn: High, FixedOnly: true, Ignore: []Ignore{
		{ID: "CVE-0000-0001", Reason: "r"}, {ID: "CVE-0000-0004", Reason: "r"}, {ID: "GO-0000-0001", Reason: "r"},
	}}.Evaluate(r, now, true)
	if !res.Passed {
		t.Errorf("failing %v", ids(res.Failing))
	}
}

func TestIgnore(t *testing.T) {
	r := load(t, "runtime-fixtures", "runtime", fixturesDB)
	expires := now.Add(24 * time.Hour)
	p := Policy{FailOn: High, Ignore: []Ignore{
		{ID: "CVE-0000-0001", Reason: "bash is never run", Expires: expires, Source: "distill.yaml:12"},
		{ID: "GO-0000-0001", Reason: "old", Expires: now.Add(-time.Hour)}, // expired
		{ID: "CVE-0000-0006"}, // no reason
		{ID: "CVE-0000-0004", Package: "stdlib", Reason: "wrong package"},       // narrowed away
		{ID: "GO-0000-0005", Package: "pkg:golang/stdlib", Reason: "by purl"},   // purl without version
		{ID: "cve-0000-0003", Package: "tzdata", Reason: "case-insensitive ID"}, // name
		{ID: "CVE-0000-0002", Reason: "expires exactly now: still valid", Expires: now},
	}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "ignore[2]: CVE-0000-0006: reason: required") {
		t.Errorf("Validate = %v", err)
	}
	res := p.Evaluate(r, now, true)

	bash := byID(t, r, "CVE-0000-0001")
	if s := bash.Suppressed; s == nil || s.By != ByIgnore || s.Reason != "bash is never run" || !s.Expires.Equal(expires) || s.Source != "distill.yaml:12" {
		t.Errorf("bash suppression = %+v", bash.Suppressed)
	}
	for id, want := range map[string]bool{
		"GO-0000-0001": false, "CVE-0000-0006": false, "CVE-0000-0004": false,
		"GO-0000-0005": true, "CVE-0000-0003": true, "CVE-0000-0002": true,
	} {
		if got := byID(t, r, id).Suppressed != nil; got != want {
			t.Errorf("%s suppressed = %v, want %v", id, got, want)
		}
	}
	if len(res.Expired) != 1 || res.Expired[0].ID != "GO-0000-0001" {
		t.Errorf("Expired = %+v", res.Expired)
	}
	if len(res.Invalid) != 1 || res.Invalid[0].ID != "CVE-0000-0006" {
		t.Errorf("Invalid = %+v", res.Invalid)
	}
	if got, want := ids(res.Failing), []string{"CVE-0000-0004", "CVE-0000-0006", "GO-0000-0001"}; !slices.Equal(got, want) {
		t.Errorf("failing %v, want %v", got, want)
	}
	if s := r.Summary; s.Total != 7 || s.Suppressed != 4 || s.Open != 3 || s.BySeverity[Critical] != 0 {
		t.Errorf("summary = %+v", s)
	}
	// Once the entry expires, it no longer suppresses.
	res = p.Evaluate(r, expires.Add(time.Second), true)
	if byID(t, r, "CVE-0000-0001").Suppressed != nil || len(res.Expired) != 3 {
		t.Errorf("after expiry: bash suppressed %+v, expired %d", byID(t, r, "CVE-0000-0001").Suppressed, len(res.Expired))
	}
}

// An ignore entry may name a Go advisory by its GO- ID although trivy reports
// the CVE, and the other way round.
func TestIgnoreMatchesAliases(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", goDB)
	Policy{FailOn: High, Ignore: []Ignore{
		{ID: "GO-2021-0113", Reason: "by GO ID"},
		{ID: "GHSA-69ch-w2m2-3vjp", Reason: "by GHSA ID", Package: "golang.org/x/text"},
	}}.Evaluate(r, now, true)
	for _, id := range []string{"CVE-2021-38561", "CVE-2022-32149"} {
		if byID(t, r, id).Suppressed == nil {
			t.Errorf("%s not suppressed by its alias", id)
		}
	}
}

// A report-only stage computes Passed but never returns a GateError.
func TestGate(t *testing.T) {
	r := load(t, "runtime-fixtures", "runtime", fixturesDB)
	if r.Err() != nil {
		t.Fatal("Err before Evaluate")
	}
	res := DefaultPolicy().Evaluate(r, now, false)
	if res.Passed || res.Gate || r.Err() != nil {
		t.Fatalf("report-only: passed %v gate %v err %v", res.Passed, res.Gate, r.Err())
	}

	DefaultPolicy().Evaluate(r, now, true)
	err := r.Err()
	var ge *GateError
	if !errors.As(err, &ge) || ge.Stage != "runtime" || len(ge.Failing) != 4 || ge.FailOn != High {
		t.Fatalf("err = %#v", err)
	}
	want := "runtime: 4 findings at or above HIGH: " +
		"CVE-0000-0001 bash 5.2.15-2+b13 (CRITICAL, fixed in 5.2.99-1), " +
		"CVE-0000-0004 golang.org/x/text v0.3.5 (UNKNOWN→HIGH, fixed in 0.3.8), " +
		"CVE-0000-0006 libc6 2.36-9+deb12u14 (UNKNOWN→HIGH, no fix), " +
		"GO-0000-0001 golang.org/x/text v0.3.5 (HIGH, fixed in 0.3.6)"
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}

	DefaultPolicy().Evaluate(r, now, true)
	Policy{FailOn: Critical, FixedOnly: true}.Evaluate(r, now, true)
	if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), "runtime: 1 fixable finding at or above CRITICAL: CVE-0000-0001") {
		t.Errorf("err = %v", err)
	}
	Policy{FailOn: Critical, Ignore: []Ignore{{ID: "CVE-0000-0001", Reason: "r"}}}.Evaluate(r, now, true)
	if err := r.Err(); err != nil {
		t.Errorf("passing gate: %v", err)
	}
}

func TestGateErrorListsAtMostTen(t *testing.T) {
	r := load(t, "runtime-govulndb", "runtime", goDB)
	DefaultPolicy().Evaluate(r, now, true)
	msg := r.Err().Error()
	if !strings.HasPrefix(msg, "runtime: 18 findings at or above HIGH: ") || !strings.HasSuffix(msg, ", and 8 more") {
		t.Errorf("message = %s", msg)
	}
	if n := strings.Count(msg, "UNKNOWN→HIGH"); n != 10 {
		t.Errorf("%d findings listed, want 10", n)
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Error(err)
	}
	err := Policy{FailOn: "SEVERE", UnknownAs: "x", Ignore: []Ignore{{Reason: "r"}}}.Validate()
	for _, want := range []string{`failOn: invalid severity "SEVERE"`, `unknownAs: invalid severity "x"`, "ignore[0]: id: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

// The same advisory in several binaries is listed once, with a count.
func TestGateErrorGroupsDuplicates(t *testing.T) {
	f := Finding{ID: "CVE-2023-39318", Package: "stdlib", Version: "v1.21.0", Severity: Unknown, Effective: High, Fixed: true, FixedVersion: "1.21.1"}
	g := Finding{ID: "CVE-2023-39319", Package: "stdlib", Version: "v1.21.0", Severity: Unknown, Effective: High}
	err := &GateError{Stage: "build", FailOn: High, Failing: []Finding{f, f, f, g}}
	want := "build: 4 findings at or above HIGH (2 distinct): CVE-2023-39318 stdlib v1.21.0 (UNKNOWN→HIGH, fixed in 1.21.1) ×3, CVE-2023-39319 stdlib v1.21.0 (UNKNOWN→HIGH, no fix)"
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err, want)
	}
}
