package scan

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the wording that the human-readable formats share.

// count writes n with a space between groups of three digits: "1 234".
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// plural returns "1 finding" or "2 findings".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return count(n) + " " + word + "s"
}

// notCheckedText says which packages were not checked and why:
// "debian: 8 packages NOT CHECKED: the vulnerability database has no debian advisories".
func notCheckedText(r *Report, eco string) string {
	c, _ := r.coverageOf(eco)
	return fmt.Sprintf("%s: %s NOT CHECKED: the vulnerability database has no %s advisories",
		eco, plural(c.Packages, "package"), eco)
}

// gateText states the gate's outcome in one sentence.
func gateText(r *Report) string {
	p := r.Policy
	if p == nil {
		return "no policy evaluated"
	}
	if p.FailOn == "" {
		return "report only: the policy has no threshold"
	}
	what := "findings"
	if p.FixedOnly {
		what = "fixable findings"
	}
	rule := fmt.Sprintf("fail on %s, UNKNOWN counts as %s", p.FailOn, p.UnknownAs)
	if p.FixedOnly {
		rule += ", fixed only"
	}
	n := len(p.Failing)
	switch {
	case p.Gate && p.Passed:
		return fmt.Sprintf("passed: no %s at or above %s (%s)", what, p.FailOn, rule)
	case p.Gate:
		return fmt.Sprintf("FAILED: %s at or above %s (%s)", plural(n, strings.TrimSuffix(what, "s")), p.FailOn, rule)
	case p.Passed:
		return fmt.Sprintf("report only: would pass (%s)", rule)
	default:
		return fmt.Sprintf("report only: would fail with %s at or above %s (%s)", plural(n, strings.TrimSuffix(what, "s")), p.FailOn, rule)
	}
}

// expiredText describes an ignore entry that no longer suppresses.
func expiredText(ig Ignore) string {
	s := fmt.Sprintf("ignore %s", ig.ID)
	if ig.Package != "" {
		s += " (" + ig.Package + ")"
	}
	s += fmt.Sprintf(" expired on %s and no longer suppresses", ig.Expires.UTC().Format("2006-01-02"))
	if ig.Source != "" {
		s += " [" + ig.Source + "]"
	}
	return s
}

// invalidText describes an ignore entry that cannot suppress.
func invalidText(ig Ignore) string {
	s := "ignore entry " + ig.source()
	if err := ig.validate(); err != nil {
		s += ": " + err.Error()
	}
	return s + "; it does not suppress"
}

// suppressionText: "ignore: reason [source]".
func suppressionText(s *Suppression) string {
	t := s.By + ": " + s.Reason
	if !s.Expires.IsZero() {
		t += " (until " + s.Expires.UTC().Format("2006-01-02") + ")"
	}
	if s.Source != "" {
		t += " [" + s.Source + "]"
	}
	return t
}

// dbText: "go-vulndb … (schema 2, updated 2026-11-05), advisories for go".
func dbText(db DB) string {
	src := db.Source
	if src == "" {
		src = "unnamed database"
	}
	var extra []string
	if db.Schema != 0 {
		extra = append(extra, fmt.Sprintf("schema %d", db.Schema))
	}
	if !db.UpdatedAt.IsZero() {
		extra = append(extra, "updated "+db.UpdatedAt.UTC().Format("2006-01-02"))
	}
	if len(extra) > 0 {
		src += " (" + strings.Join(extra, ", ") + ")"
	}
	if len(db.Ecosystems) == 0 {
		return src + ", no advisories"
	}
	return src + ", advisories for " + strings.Join(db.Ecosystems, ", ")
}

// scannerText: "trivy 0.74.0".
func scannerText(s Scanner) string {
	t := s.Name
	if s.Version != "" {
		t += " " + s.Version
	}
	if s.Image != "" {
		t += " (" + s.Image + ")"
	}
	return t
}

// oneLine squeezes whitespace so that text fits a table cell.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fixedText is the fixed version or "-".
func fixedText(f Finding) string {
	if f.FixedVersion == "" {
		return "-"
	}
	return f.FixedVersion
}
