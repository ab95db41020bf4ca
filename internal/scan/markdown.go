package scan

import (
	"fmt"
	"strings"
)

// maxMarkdownRows is how many open findings a stage's table lists in
// summary.md; the JSON and SARIF reports have all of them.
const maxMarkdownRows = 100

// Markdown writes summary.md for the scanned stages: an overview table, then
// per stage the gate, NOT CHECKED warnings, the open findings, the
// suppressed ones and ignore entries that no longer apply. GitHub renders the
// "> [!WARNING]" blocks as alerts.
func Markdown(reports []*Report) []byte {
	var b strings.Builder
	b.WriteString("# Vulnerability scan\n\n")
	b.WriteString("| Stage | Open | Critical | High | Medium | Low | Unknown | Suppressed | Not checked | Gate |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, r := range reports {
		if r == nil {
			continue
		}
		s := r.Summary
		nc := "-"
		if l := r.NotChecked(); len(l) > 0 {
			nc = "**" + strings.Join(l, ", ") + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(r.Stage), count(s.Open), count(s.BySeverity[Critical]), count(s.BySeverity[High]),
			count(s.BySeverity[Medium]), count(s.BySeverity[Low]), count(s.BySeverity[Unknown]),
			count(s.Suppressed), nc, gateCell(r))
	}
	for _, r := range reports {
		if r != nil {
			markdownStage(&b, r)
		}
	}
	return []byte(b.String())
}

func gateCell(r *Report) string {
	p := r.Policy
	switch {
	case p == nil:
		return "-"
	case p.FailOn == "":
		return "report only"
	case p.Gate && p.Passed:
		return "passed"
	case p.Gate:
		return "**FAILED**"
	case p.Passed:
		return "report only (would pass)"
	default:
		return "report only (would fail)"
	}
}

func markdownStage(b *strings.Builder, r *Report) {
	fmt.Fprintf(b, "\n## %s\n\n", r.Stage)
	var facts []string
	if r.Image != "" {
		facts = append(facts, "`"+r.Image+"`")
	}
	if r.OS != nil {
		facts = append(facts, r.OS.String())
	}
	facts = append(facts, plural(r.Packages, "package"), "scanner "+scannerText(r.Scanner), "DB "+dbText(r.DB))
	b.WriteString(cell(strings.Join(facts, " · ")) + "\n\n")

	if nc := r.NotChecked(); len(nc) > 0 {
		b.WriteString("> [!WARNING]\n")
		for i, eco := range nc {
			if i > 0 {
				b.WriteString(">\n")
			}
			c, _ := r.coverageOf(eco)
			fmt.Fprintf(b, "> **%s: NOT CHECKED.** %s found, but the vulnerability database has no %s advisories: they were not checked for vulnerabilities.\n",
				eco, plural(c.Packages, "package"), eco)
		}
		b.WriteString("\n")
	}
	if r.OS != nil && r.OS.EOSL {
		fmt.Fprintf(b, "> [!WARNING]\n> %s is past its end of support: its packages get no more fixes.\n\n", r.OS)
	}

	fmt.Fprintf(b, "**Gate:** %s\n\n", gateText(r))

	var open, suppressed []Finding
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			suppressed = append(suppressed, f)
		} else {
			open = append(open, f)
		}
	}
	if len(open) == 0 {
		if nc := r.NotChecked(); len(nc) > 0 {
			fmt.Fprintf(b, "No open findings in the checked ecosystems (%s); %s NOT CHECKED.\n", checkedList(r), strings.Join(nc, ", "))
		} else {
			b.WriteString("No open findings.\n")
		}
	} else {
		b.WriteString("| Severity | ID | Package | Installed | Fixed | Title |\n|---|---|---|---|---|---|\n")
		for i, f := range open {
			if i == maxMarkdownRows {
				fmt.Fprintf(b, "\n%s more in `%s.vulns.json` and `%s.sarif`.\n", plural(len(open)-maxMarkdownRows, "finding"), r.Stage, r.Stage)
				break
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n",
				cell(f.Label()), idCell(f), cell(f.Package), cell(f.Version), cell(fixedText(f)), cell(f.Title))
		}
	}
	if len(suppressed) > 0 {
		fmt.Fprintf(b, "\n<details><summary>Suppressed (%s)</summary>\n\n", count(len(suppressed)))
		b.WriteString("| Severity | ID | Package | Installed | Why |\n|---|---|---|---|---|\n")
		for _, f := range suppressed {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n",
				cell(f.Label()), idCell(f), cell(f.Package), cell(f.Version), cell(suppressionText(f.Suppressed)))
		}
		b.WriteString("\n</details>\n")
	}
	if p := r.Policy; p != nil && len(p.Expired)+len(p.Invalid) > 0 {
		b.WriteString("\n> [!NOTE]\n")
		for _, ig := range p.Expired {
			fmt.Fprintf(b, "> - %s\n", cell(expiredText(ig)))
		}
		for _, ig := range p.Invalid {
			fmt.Fprintf(b, "> - %s\n", cell(invalidText(ig)))
		}
	}
}

// idCell links the ID to its advisory when the report has a URL.
func idCell(f Finding) string {
	if f.URL == "" {
		return cell(f.ID)
	}
	return "[" + cell(f.ID) + "](" + f.URL + ")"
}

// cell makes text safe for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}
