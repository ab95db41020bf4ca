package sign

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"

	"github.com/distill-dev/distill/internal/scan"
)

// signatureChecks are "signature" and "signature identity" of t.
func (v *verifier) signatureChecks(t *targetState) []Check {
	sig := Check{Name: t.named("signature")}
	id := Check{Name: t.named("signature identity")}
	var valid []sigResult
	var errs []string
	for _, s := range t.sigs {
		if s.ok {
			valid = append(valid, s)
		} else {
			errs = appendUnique(errs, s.err.Error())
		}
	}
	switch {
	case len(t.sigs) == 0:
		sig.Detail = "no signatures found"
	case len(valid) == 0:
		sig.Detail = "no matching signatures: " + strings.Join(errs, "; ")
	default:
		sig.Passed = true
		sig.Detail = fmt.Sprintf("%d of %d signatures valid, %s", len(valid), len(t.sigs), v.signedBy())
	}
	if len(valid) == 0 {
		id.Detail = "no valid signature to take the identity from"
		return []Check{sig, id}
	}
	var refs []string
	for _, s := range valid {
		if sameRepository(s.dockerRef, v.repo) {
			id.Passed = true
			id.Detail = "docker-reference " + s.dockerRef
			return []Check{sig, id}
		}
		refs = appendUnique(refs, fmt.Sprintf("%q", s.dockerRef))
	}
	id.Detail = fmt.Sprintf("the signed payload names %s, not %s (a signature copied from another repository)", strings.Join(refs, ", "), v.repo.Name())
	return []Check{sig, id}
}

func (v *verifier) signedBy() string {
	if v.o.Key != nil {
		return "by the key"
	}
	return fmt.Sprintf("by a certificate for %s from %s", v.o.CertIdentity, v.o.CertOIDCIssuer)
}

// tlogCheck is "transparency log", over every target.
func (v *verifier) tlogCheck(targets []targetState) Check {
	c := Check{Name: "transparency log"}
	if v.o.Offline {
		c.Passed, c.Detail = true, "not checked (offline)"
		return c
	}
	var sigs, atts, missing int
	for _, t := range targets {
		for _, s := range t.sigs {
			if s.ok && s.tlog {
				sigs++
			}
			if errors.Is(s.err, errNoTlogEntry) {
				missing++
			}
		}
		for _, a := range t.atts {
			if a.ok && a.tlog {
				atts++
			}
			if errors.Is(a.err, errNoTlogEntry) {
				missing++
			}
		}
	}
	switch {
	case missing > 0:
		c.Detail = fmt.Sprintf("%d signatures or attestations have no transparency log entry (signed offline?); verify with Offline to accept them", missing)
	case sigs == 0:
		c.Detail = "no signature with a verified log entry"
	default:
		c.Passed = true
		c.Detail = fmt.Sprintf("verified log entries of %d signatures and %d attestations", sigs, atts)
	}
	return c
}

// attestationChecks are t's required attestations, "SBOM digest matches"
// and the vulnerability report checks. parent is the index t belongs to
// (nil for the top), whose attestations count for t too.
//
// For an index (children are its platform images), a required type is
// satisfied by the index's own attestation or by one on each platform image
// — SBOMs and vulnerability reports describe images, not indexes — and the
// vulnerability policy is checked on the platform images only.
func (v *verifier) attestationChecks(t, parent *targetState, children []*targetState) []Check {
	var out []Check
	for _, pt := range v.require {
		out = append(out, v.requireCheck(t, parent, children, pt))
	}
	if c, ok := v.sbomCheck(t, parent); ok {
		out = append(out, c)
	}
	if (v.maxSev != "" || v.o.MaxAge > 0) && len(children) == 0 {
		out = append(out, v.vulnChecks(t, parent)...)
	}
	return out
}

// validOf returns the valid attestations of type pt of t, or of parent if
// t has none.
func validOf(t, parent *targetState, pt string) []attResult {
	var out []attResult
	for _, tt := range []*targetState{t, parent} {
		if tt == nil {
			continue
		}
		for _, a := range tt.atts {
			if a.ok && a.predicateType == pt {
				out = append(out, a)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// invalidOf returns why attestations of type pt (or of no readable type)
// of t and parent did not verify.
func invalidOf(t, parent *targetState, pt string) []string {
	var out []string
	for _, tt := range []*targetState{t, parent} {
		if tt == nil {
			continue
		}
		for _, a := range tt.atts {
			if !a.ok && (a.predicateType == pt || a.predicateType == "") {
				out = appendUnique(out, fmt.Sprintf("%s: %v", a.source, a.err))
			}
		}
	}
	return out
}

func (v *verifier) requireCheck(t, parent *targetState, children []*targetState, pt string) Check {
	c := Check{Name: t.named("attestation " + shortPredicateName(pt))}
	if valid := validOf(t, parent, pt); len(valid) > 0 {
		c.Passed = true
		c.Detail = fmt.Sprintf("%d valid", len(valid))
		if !slices.ContainsFunc(t.atts, func(a attResult) bool { return a.ok && a.predicateType == pt }) {
			c.Detail += ", on the index"
		}
		return c
	}
	if len(children) > 0 && !slices.ContainsFunc(children, func(ch *targetState) bool { return len(validOf(ch, t, pt)) == 0 }) {
		c.Passed = true
		c.Detail = fmt.Sprintf("on each of the %d platform images", len(children))
		return c
	}
	if bad := invalidOf(t, parent, pt); len(bad) > 0 {
		c.Detail = "no valid attestation: " + strings.Join(bad, "; ")
	} else {
		c.Detail = "none found"
	}
	return c
}

// shortPredicateName is cosign's --type name of a predicate URI.
func shortPredicateName(pt string) string {
	switch pt {
	case in_toto.PredicateCycloneDX:
		return "cyclonedx"
	case in_toto.PredicateSPDX:
		return "spdxjson"
	case attestation.CosignVulnProvenanceV01:
		return "vuln"
	case slsa1.PredicateSLSAProvenance:
		return "slsaprovenance1"
	}
	return pt
}

// sbomCheck is "SBOM digest matches": the SBOMs a valid provenance lists
// among its byproducts must be the predicates of valid SBOM attestations.
// It is made only when a provenance lists SBOMs.
func (v *verifier) sbomCheck(t, parent *targetState) (Check, bool) {
	type want struct{ name, pt, sha256 string }
	var wants []want
	for _, a := range validOf(t, parent, slsa1.PredicateSLSAProvenance) {
		var p struct {
			RunDetails struct {
				Byproducts []struct {
					Name   string            `json:"name"`
					Digest map[string]string `json:"digest"`
				} `json:"byproducts"`
			} `json:"runDetails"`
		}
		if err := json.Unmarshal(a.st.Predicate, &p); err != nil {
			continue
		}
		for _, b := range p.RunDetails.Byproducts {
			var pt string
			switch {
			case strings.HasSuffix(b.Name, ".cdx.json"):
				pt = in_toto.PredicateCycloneDX
			case strings.HasSuffix(b.Name, ".spdx.json"):
				pt = in_toto.PredicateSPDX
			default:
				continue
			}
			w := want{b.Name, pt, b.Digest["sha256"]}
			if !slices.Contains(wants, w) {
				wants = append(wants, w)
			}
		}
	}
	if len(wants) == 0 {
		return Check{}, false
	}
	c := Check{Name: t.named("SBOM digest matches"), Passed: true}
	var ok, bad []string
	for _, w := range wants {
		if w.sha256 == "" {
			bad = append(bad, w.name+": the provenance gives no sha256 digest")
			continue
		}
		var got []string
		found := false
		for _, a := range validOf(t, parent, w.pt) {
			if predicateMatches(a.st.Predicate, w.sha256) {
				found = true
				break
			}
			got = appendUnique(got, PredicateDigest(a.st.Predicate).String())
		}
		switch {
		case found:
			ok = append(ok, w.name)
		case len(got) == 0:
			bad = append(bad, fmt.Sprintf("%s: the provenance lists sha256:%s, and there is no valid %s attestation", w.name, w.sha256, shortPredicateName(w.pt)))
		default:
			bad = append(bad, fmt.Sprintf("%s: the provenance lists sha256:%s, the %s attestation hashes to %s", w.name, w.sha256, shortPredicateName(w.pt), strings.Join(got, ", ")))
		}
	}
	if len(bad) > 0 {
		c.Passed, c.Detail = false, strings.Join(bad, "; ")
	} else {
		c.Detail = strings.Join(ok, ", ") + " match the provenance"
	}
	return c, true
}

// vulnPredicate is what Verify reads of cosign's vuln predicate.
type vulnPredicate struct {
	Scanner struct {
		Result json.RawMessage `json:"result"`
	} `json:"scanner"`
	Metadata struct {
		ScanFinishedOn time.Time `json:"scanFinishedOn"`
	} `json:"metadata"`
}

// report is what Verify reads of distill's scan report (scan.Report).
type report struct {
	SchemaVersion string `json:"schemaVersion"`
	Findings      []struct {
		ID         string          `json:"id"`
		Package    string          `json:"package"`
		Version    string          `json:"version"`
		Severity   string          `json:"severity"`
		Effective  string          `json:"effective"`
		Suppressed json.RawMessage `json:"suppressed"`
	} `json:"findings"`
}

// vulnChecks are "max severity" and "max age" over the newest valid vuln
// attestation of t (or of its index).
func (v *verifier) vulnChecks(t, parent *targetState) []Check {
	sev := Check{Name: t.named("max severity")}
	age := Check{Name: t.named("max age")}
	var newest *vulnPredicate
	for _, a := range validOf(t, parent, attestation.CosignVulnProvenanceV01) {
		var p vulnPredicate
		if err := json.Unmarshal(a.st.Predicate, &p); err != nil {
			continue
		}
		if newest == nil || p.Metadata.ScanFinishedOn.After(newest.Metadata.ScanFinishedOn) {
			newest = &p
		}
	}
	var out []Check
	if newest == nil {
		detail := "no valid vuln attestation"
		if bad := invalidOf(t, parent, attestation.CosignVulnProvenanceV01); len(bad) > 0 {
			detail += ": " + strings.Join(bad, "; ")
		}
		sev.Detail, age.Detail = detail, detail
		if v.maxSev != "" {
			out = append(out, sev)
		}
		if v.o.MaxAge > 0 {
			out = append(out, age)
		}
		return out
	}
	if v.maxSev != "" {
		sev.Passed, sev.Detail = v.severity(newest)
		out = append(out, sev)
	}
	if v.o.MaxAge > 0 {
		fin := newest.Metadata.ScanFinishedOn
		switch d := v.now.Sub(fin); {
		case fin.IsZero():
			age.Detail = "the vuln attestation gives no scanFinishedOn"
		case d > v.o.MaxAge:
			age.Detail = fmt.Sprintf("the scan finished at %s, %s ago: more than %s", fin.UTC().Format(time.RFC3339), d.Round(time.Second), v.o.MaxAge)
		default:
			age.Passed = true
			age.Detail = fmt.Sprintf("the scan finished at %s, %s ago", fin.UTC().Format(time.RFC3339), d.Round(time.Second))
		}
		out = append(out, age)
	}
	return out
}

// severity checks a vuln predicate's report against MaxSeverity.
func (v *verifier) severity(p *vulnPredicate) (bool, string) {
	var r report
	if err := json.Unmarshal(p.Scanner.Result, &r); err != nil {
		return false, fmt.Sprintf("the vuln attestation's scanner.result is not a distill report: %v", err)
	}
	if r.SchemaVersion != scan.SchemaVersion {
		return false, fmt.Sprintf("the vuln attestation's report has schema %q, want %q", r.SchemaVersion, scan.SchemaVersion)
	}
	var above []string
	open, suppressed := 0, 0
	highest := scan.Severity("")
	for _, f := range r.Findings {
		if len(f.Suppressed) > 0 && string(f.Suppressed) != "null" {
			suppressed++
			continue
		}
		open++
		label := f.Effective
		if label == "" {
			label = f.Severity
		}
		s, err := scan.ParseSeverity(label)
		if err != nil {
			// A severity this code does not know is not let through.
			above = append(above, fmt.Sprintf("%s in %s %s (severity %q not recognised)", f.ID, f.Package, f.Version, label))
			continue
		}
		if s.Rank() > highest.Rank() {
			highest = s
		}
		if s.Rank() > v.maxSev.Rank() {
			above = append(above, fmt.Sprintf("%s %s in %s %s", f.ID, s, f.Package, f.Version))
		}
	}
	if n := len(above); n > 0 {
		const show = 5
		more := ""
		if n > show {
			more = fmt.Sprintf(", and %d more", n-show)
			above = above[:show]
		}
		return false, fmt.Sprintf("%d open findings above %s: %s%s", n, v.maxSev, strings.Join(above, ", "), more)
	}
	if highest == "" {
		return true, fmt.Sprintf("no open findings (%d suppressed)", suppressed)
	}
	return true, fmt.Sprintf("highest open severity %s, not above %s (%d open, %d suppressed)", highest, v.maxSev, open, suppressed)
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
