package attest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"

	"github.com/distill-dev/distill/internal/scan"
)

var testInvocation = Invocation{
	URI:       "https://ci.example.com/distill-dev/app/runs/4711",
	EventID:   "4711",
	BuilderID: "https://distill.dev/distill@v0.3.0",
}

func TestVulnGolden(t *testing.T) {
	got, err := Vuln(testReport(), testInvocation, started, finished)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vuln.json", got)
}

// The predicate is cosign's: it decodes into cosign's type with every field
// in place, and its result is distill's report, byte for byte once encoded
// again.
func TestVulnIsCosignVulnPredicate(t *testing.T) {
	r := testReport()
	got, err := Vuln(r, testInvocation, started, finished)
	if err != nil {
		t.Fatal(err)
	}
	var p attestation.CosignVulnPredicate
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decoding into cosign's CosignVulnPredicate: %v", err)
	}
	if p.Invocation.URI != testInvocation.URI || p.Invocation.EventID != testInvocation.EventID || p.Invocation.BuilderID != testInvocation.BuilderID {
		t.Errorf("invocation = %+v, want %+v", p.Invocation, testInvocation)
	}
	if want := "pkg:golang/github.com/aquasecurity/trivy@v0.74.0"; p.Scanner.URI != want {
		t.Errorf("scanner.uri = %q, want %q", p.Scanner.URI, want)
	}
	if p.Scanner.Version != "0.74.0" {
		t.Errorf("scanner.version = %q, want 0.74.0", p.Scanner.Version)
	}
	if p.Scanner.DB.URI != r.DB.Source || p.Scanner.DB.Version != "2 2026-11-05T23:49:57Z" {
		t.Errorf("scanner.db = %+v, want {%s, 2 2026-11-05T23:49:57Z}", p.Scanner.DB, r.DB.Source)
	}
	if !p.Metadata.ScanStartedOn.Equal(started) || !p.Metadata.ScanFinishedOn.Equal(finished) {
		t.Errorf("metadata = %+v, want %s … %s", p.Metadata, started, finished)
	}

	result, err := json.Marshal(p.Scanner.Result)
	if err != nil {
		t.Fatal(err)
	}
	back, err := scan.ParseReport(result)
	if err != nil {
		t.Fatalf("scanner.result: %v", err)
	}
	want, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, want) {
		t.Errorf("scanner.result read back and written again:\n%s\nwant the report:\n%s", again, want)
	}
	if back.Policy == nil || back.Policy.Passed || len(back.Policy.Failing) != 1 || back.Summary.Suppressed != 1 {
		t.Errorf("scanner.result lost the policy result: %+v, summary %+v", back.Policy, back.Summary)
	}
	if nc := back.NotChecked(); len(nc) != 1 || nc[0] != "python" {
		t.Errorf("scanner.result: not checked = %v, want [python]", nc)
	}
}

// A cosign vuln statement around the predicate (what `cosign verify-attestation
// --type vuln` decodes) keeps it.
func TestVulnStatementIsCosignVulnStatement(t *testing.T) {
	pred, err := Vuln(testReport(), Invocation{}, started, finished)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Statement(PredicateVuln, pred, Subject{Name: "example.com/app", Digest: hash("1")})
	if err != nil {
		t.Fatal(err)
	}
	var s attestation.CosignVulnStatement
	if err := json.Unmarshal(st, &s); err != nil {
		t.Fatal(err)
	}
	if s.PredicateType != attestation.CosignVulnProvenanceV01 || len(s.Subject) != 1 || s.Subject[0].Digest["sha256"] != hex64("1") {
		t.Errorf("statement header = %+v", s.StatementHeader)
	}
	if s.Predicate.Scanner.URI != "pkg:golang/github.com/aquasecurity/trivy@v0.74.0" {
		t.Errorf("scanner.uri = %q", s.Predicate.Scanner.URI)
	}
	if s.Predicate.Invocation != (attestation.Invocation{}) {
		t.Errorf("invocation = %+v, want it empty", s.Predicate.Invocation)
	}
}

// The same instants give the same bytes whatever time zone they come in,
// and the report's lists are written in the report's order.
func TestVulnDeterministic(t *testing.T) {
	want, err := Vuln(testReport(), testInvocation, started, finished)
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	for i := range 25 {
		got, err := Vuln(testReport(), testInvocation, started.In(zone), finished.In(zone))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("run %d differs:\n%s\nwant:\n%s", i, got, want)
		}
	}
	if !bytes.Contains(want, []byte(`"scanStartedOn": "2026-11-27T12:00:00Z"`)) || !bytes.Contains(want, []byte(`"scanFinishedOn": "2026-11-27T12:00:41.25Z"`)) {
		t.Errorf("times not in UTC:\n%s", want)
	}
	// No HTML escaping: the title reads as written.
	if !bytes.Contains(want, []byte(`excessive <memory> & CPU`)) {
		t.Errorf("title escaped:\n%s", want)
	}
}

func TestVulnErrors(t *testing.T) {
	other := testReport()
	other.Scanner.Name = "grype"
	for _, tc := range []struct {
		name              string
		r                 *scan.Report
		started, finished time.Time
		want              string
	}{
		{"no report", nil, started, finished, "no report"},
		{"no start", testReport(), time.Time{}, finished, "start and finish times are required"},
		{"no finish", testReport(), started, time.Time{}, "start and finish times are required"},
		{"backwards", testReport(), finished, started, "finished (2026-11-27T12:00:00Z) before it started (2026-11-27T12:00:41.25Z)"},
		{"other scanner", other, started, finished, `scanner "grype": only trivy reports are known`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Vuln(tc.r, Invocation{}, tc.started, tc.finished)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestVulnSameTimeForReproducibleAttestation(t *testing.T) {
	got, err := Vuln(testReport(), Invocation{}, epoch, epoch)
	if err != nil {
		t.Fatal(err)
	}
	var p attestation.CosignVulnPredicate
	if err := json.Unmarshal(got, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Metadata.ScanStartedOn.Equal(epoch) || !p.Metadata.ScanFinishedOn.Equal(epoch) {
		t.Errorf("metadata = %+v, want both %s", p.Metadata, epoch)
	}
}

func TestDBVersion(t *testing.T) {
	for _, tc := range []struct {
		db   scan.DB
		want string
	}{
		{scan.DB{Schema: 2, UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))}, "2 2026-01-02T02:04:05Z"},
		{scan.DB{Schema: 2}, "2"},
		{scan.DB{UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, "2026-01-02T03:04:05Z"},
		{scan.DB{}, ""},
	} {
		if got := dbVersion(tc.db); got != tc.want {
			t.Errorf("dbVersion(%+v) = %q, want %q", tc.db, got, tc.want)
		}
	}
}
