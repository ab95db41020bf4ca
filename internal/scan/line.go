package scan

import (
	"strings"
)

// Line summarizes the scanned stages in one line for the CLI:
//
//	build: 1 234 vulns (7 critical, 30 high; debian NOT CHECKED) · runtime: 0 vulns
//
// It counts open findings by effective severity and names suppressed
// findings, ecosystems that were not checked and a failed gate.
func Line(reports []*Report) string {
	var parts []string
	for _, r := range reports {
		if r != nil {
			parts = append(parts, stageLine(r))
		}
	}
	return strings.Join(parts, " · ")
}

func stageLine(r *Report) string {
	s := r.Summary
	if s.BySeverity == nil {
		c := *r
		c.summarize()
		s = c.Summary
	}
	text := r.Stage + ": " + plural(s.Open, "vuln")
	var notes []string
	var sev []string
	for _, v := range []Severity{Critical, High} {
		if n := s.BySeverity[v]; n > 0 {
			sev = append(sev, count(n)+" "+strings.ToLower(string(v)))
		}
	}
	if len(sev) > 0 {
		notes = append(notes, strings.Join(sev, ", "))
	}
	if s.Suppressed > 0 {
		notes = append(notes, count(s.Suppressed)+" suppressed")
	}
	if nc := r.NotChecked(); len(nc) > 0 {
		notes = append(notes, strings.Join(nc, ", ")+" NOT CHECKED")
	}
	if len(notes) > 0 {
		text += " (" + strings.Join(notes, "; ") + ")"
	}
	if p := r.Policy; p != nil && p.Gate && !p.Passed {
		text += " FAILED"
	}
	return text
}
