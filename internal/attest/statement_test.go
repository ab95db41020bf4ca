package attest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	ita1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

func TestPredicateTypes(t *testing.T) {
	for got, want := range map[string]string{
		PredicateCycloneDX: "https://cyclonedx.org/bom",
		PredicateSPDX:      "https://spdx.dev/Document",
		PredicateVuln:      "https://cosign.sigstore.dev/attestation/vuln/v1",
		PredicateSLSA:      "https://slsa.dev/provenance/v1",
	} {
		if got != want {
			t.Errorf("predicate type %q, want %q", got, want)
		}
	}
}

// A statement is an in-toto Statement v1 that the attestation framework's
// validator accepts, with its subjects sorted and the predicate unchanged.
func TestStatement(t *testing.T) {
	pred, err := SLSA(testProvenance())
	if err != nil {
		t.Fatal(err)
	}
	arm, amd := Subject{Name: "example.com/app", Digest: hash("b")}, Subject{Name: "example.com/app", Digest: hash("a")}
	got, err := Statement(PredicateSLSA, pred, arm, amd, arm)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Statement(PredicateSLSA, pred, amd, arm)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Errorf("subject order changed the statement:\n%s\n%s", got, again)
	}

	var st ita1.Statement
	if err := protojson.Unmarshal(got, &st); err != nil {
		t.Fatalf("protojson into in-toto Statement v1: %v", err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if st.GetType() != "https://in-toto.io/Statement/v1" || st.GetPredicateType() != PredicateSLSA {
		t.Errorf("_type %q, predicateType %q", st.GetType(), st.GetPredicateType())
	}
	if s := st.GetSubject(); len(s) != 2 || s[0].GetDigest()["sha256"] != hex64("a") || s[1].GetDigest()["sha256"] != hex64("b") {
		t.Errorf("subjects = %v", s)
	}

	var raw struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(got, &raw); err != nil {
		t.Fatal(err)
	}
	back, err := canonical(raw.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, pred) {
		t.Errorf("predicate changed in the statement:\n%s", back)
	}
}

// An SBOM is passed through: its keys sorted, its numbers exactly as written.
func TestStatementSBOM(t *testing.T) {
	sbom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"size":12345678901234567890,"ratio":0.1000000000000000055511151231257827}}`)
	got, err := Statement(PredicateCycloneDX, sbom, Subject{Digest: hash("c")})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"size": 12345678901234567890`, `"ratio": 0.1000000000000000055511151231257827`, `"predicateType": "https://cyclonedx.org/bom"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("statement lacks %s:\n%s", want, got)
		}
	}
	var st ita1.Statement
	if err := protojson.Unmarshal(got, &st); err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestStatementErrors(t *testing.T) {
	good := []byte(`{"a":1}`)
	for _, tc := range []struct {
		name, typ string
		pred      []byte
		subjects  []Subject
		want      string
	}{
		{"no type", "", good, []Subject{{Digest: hash("a")}}, "a predicate type is required"},
		{"no predicate", PredicateSPDX, nil, []Subject{{Digest: hash("a")}}, "predicate: not a JSON object"},
		{"bad predicate", PredicateSPDX, []byte(`{"a":`), []Subject{{Digest: hash("a")}}, "predicate: not a JSON object"},
		{"no subject", PredicateSPDX, good, nil, "a subject is required"},
		{"bad digest", PredicateSPDX, good, []Subject{{Name: "x", Digest: hash("g")}}, "subject x: digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Statement(tc.typ, tc.pred, tc.subjects...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
