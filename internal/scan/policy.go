package scan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
)

// Policy decides which findings fail a stage. The zero Policy reports only
// (FailOn is empty); [DefaultPolicy] is what a stage gets unless it says
// otherwise.
type Policy struct {
	// FailOn is the threshold: an open finding whose effective severity is at
	// or above it fails the gate. "" never fails.
	FailOn Severity `json:"failOn,omitempty"`
	// UnknownAs is how findings without a severity count; "" means HIGH. All
	// Go vulnerability database entries are UNKNOWN, so a lower value lets
	// them through a HIGH gate.
	UnknownAs Severity `json:"unknownAs,omitempty"`
	// FixedOnly counts only findings that have a fixed version; the others
	// are still reported.
	FixedOnly bool `json:"fixedOnly,omitempty"`
	// Ignore suppresses findings by vulnerability ID, each with a reason.
	Ignore []Ignore `json:"ignore,omitempty"`
	// VEX documents whose not_affected and fixed statements suppress
	// findings. See [Policy.Evaluate] for how statements match.
	VEX []*vex.VEX `json:"-"`
}

// Ignore suppresses a vulnerability until it expires.
type Ignore struct {
	// ID is the vulnerability ID; it also matches a finding's aliases, so
	// either the CVE or the GO-… ID of a Go advisory works.
	ID string `json:"id"`
	// Package, when set, narrows the entry to one package: its name
	// ("golang.org/x/text") or a package URL ("pkg:golang/golang.org/x/text").
	Package string `json:"package,omitempty"`
	// Reason is required: why the finding is acceptable.
	Reason string `json:"reason"`
	// Expires, when set, is when the entry stops suppressing.
	Expires time.Time `json:"expires,omitzero"`
	// Source says where the entry was written ("distill.yaml:14"); reports
	// show it with the suppression.
	Source string `json:"source,omitempty"`
}

// DefaultPolicy fails on HIGH and above and counts UNKNOWN as HIGH.
func DefaultPolicy() Policy {
	return Policy{FailOn: High, UnknownAs: High}
}

// PolicyResult is the outcome of [Policy.Evaluate].
type PolicyResult struct {
	// Gate is false for a report-only stage: Passed is computed, but a
	// failure does not stop the pipeline.
	Gate      bool     `json:"gate"`
	Passed    bool     `json:"passed"`
	FailOn    Severity `json:"failOn,omitempty"`
	UnknownAs Severity `json:"unknownAs"`
	FixedOnly bool     `json:"fixedOnly,omitempty"`
	// Failing are exactly the findings that failed the gate.
	Failing []Finding `json:"failing"`
	// Expired are ignore entries past their expiry: they do not suppress.
	Expired []Ignore `json:"expired,omitempty"`
	// Invalid are ignore entries without an ID or a reason: they do not
	// suppress.
	Invalid []Ignore `json:"invalid,omitempty"`
	// NotChecked are the ecosystems with packages but no advisory data. They
	// do not fail the gate by themselves; every output names them.
	NotChecked []string `json:"notChecked,omitempty"`
}

// Validate checks the policy's severities and ignore entries.
func (p Policy) Validate() error {
	var errs []error
	if p.FailOn != "" && p.FailOn.Rank() < 0 {
		errs = append(errs, fmt.Errorf("failOn: invalid severity %q", p.FailOn))
	}
	if p.UnknownAs != "" && p.UnknownAs.Rank() < 0 {
		errs = append(errs, fmt.Errorf("unknownAs: invalid severity %q", p.UnknownAs))
	}
	for i, ig := range p.Ignore {
		if err := ig.validate(); err != nil {
			errs = append(errs, fmt.Errorf("ignore[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (ig Ignore) validate() error {
	if strings.TrimSpace(ig.ID) == "" {
		return errors.New("id: required")
	}
	if strings.TrimSpace(ig.Reason) == "" {
		return fmt.Errorf("%s: reason: required (say why the finding is acceptable)", ig.ID)
	}
	return nil
}

// expired reports whether the entry's expiry is before now.
func (ig Ignore) expired(now time.Time) bool {
	return !ig.Expires.IsZero() && ig.Expires.Before(now)
}

// matches reports whether the entry names the finding.
func (ig Ignore) matches(f *Finding) bool {
	if !slices.ContainsFunc(f.IDs(), func(id string) bool { return strings.EqualFold(id, ig.ID) }) {
		return false
	}
	switch {
	case ig.Package == "":
		return true
	case strings.HasPrefix(ig.Package, "pkg:"):
		return f.PURL != "" && vex.PurlMatches(ig.Package, f.PURL)
	default:
		return ig.Package == f.Package
	}
}

func (ig Ignore) source() string {
	if ig.Source != "" {
		return ig.Source
	}
	if ig.Package != "" {
		return "ignore " + ig.ID + " " + ig.Package
	}
	return "ignore " + ig.ID
}

// Evaluate applies the policy to r at now and records the result in r.Policy.
// gate is false for a report-only stage.
//
// It sets each finding's Effective severity (UNKNOWN counts as UnknownAs) and
// Suppressed: an unexpired, valid ignore entry matching the ID or an alias
// (and the package, if it names one) suppresses; otherwise the latest
// matching VEX statement decides, and suppresses when its status is
// not_affected or fixed. A VEX statement matches when its vulnerability's
// name, @id or aliases equal the finding's ID or an alias, and its products
// cover the finding: a statement without products, or with a product that
// is not a package (an image, a purl of type oci or docker, any other IRI),
// covers every package of the scanned image; a product that is a package
// purl covers that package; a product's subcomponents, when it has any,
// cover exactly the packages whose purls they match.
//
// Then it re-sorts and re-counts the findings and decides the gate: the
// failing findings are the open ones at or above FailOn (and, with
// FixedOnly, with a fix).
func (p Policy) Evaluate(r *Report, now time.Time, gate bool) *PolicyResult {
	unknownAs := p.UnknownAs
	if unknownAs == "" {
		unknownAs = High
	}
	res := &PolicyResult{
		Gate:       gate,
		FailOn:     p.FailOn,
		UnknownAs:  unknownAs,
		FixedOnly:  p.FixedOnly,
		Failing:    []Finding{},
		NotChecked: r.NotChecked(),
	}
	var active []Ignore
	for _, ig := range p.Ignore {
		switch {
		case ig.validate() != nil:
			res.Invalid = append(res.Invalid, ig)
		case ig.expired(now):
			res.Expired = append(res.Expired, ig)
		default:
			active = append(active, ig)
		}
	}
	statements := vexStatements(p.VEX)

	for i := range r.Findings {
		f := &r.Findings[i]
		f.Effective = f.Severity
		if f.Severity == Unknown {
			f.Effective = unknownAs
		}
		f.Suppressed = nil
		for _, ig := range active {
			if ig.matches(f) {
				f.Suppressed = &Suppression{By: ByIgnore, Reason: ig.Reason, Source: ig.source(), Expires: ig.Expires}
				break
			}
		}
		if f.Suppressed == nil {
			f.Suppressed = statements.suppression(f)
		}
	}
	sortFindings(r.Findings)
	r.summarize()

	for _, f := range r.Findings {
		if f.Suppressed != nil || p.FailOn == "" || !f.Effective.AtLeast(p.FailOn) {
			continue
		}
		if p.FixedOnly && !f.Fixed {
			continue
		}
		res.Failing = append(res.Failing, f)
	}
	res.Passed = len(res.Failing) == 0
	r.Policy = res
	return res
}
