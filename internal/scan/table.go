package scan

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// titleWidth is how many characters of a title the table shows.
const titleWidth = 60

// Table writes the report for a terminal: a header, the open findings
// (severity, ID, package, installed and fixed version, title), the suppressed
// ones with their reasons, the counts, the gate, and warnings for ecosystems
// that were not checked and for ignore entries that no longer apply.
func (r *Report) Table(w io.Writer) error {
	var b strings.Builder
	head := r.Stage
	if r.Image != "" {
		head += " " + r.Image
	}
	if r.OS != nil {
		head += " (" + r.OS.String() + ")"
	}
	fmt.Fprintln(&b, head)
	fmt.Fprintf(&b, "scanner %s · DB %s\n", scannerText(r.Scanner), dbText(r.DB))

	var open, suppressed []Finding
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			suppressed = append(suppressed, f)
		} else {
			open = append(open, f)
		}
	}
	if len(open) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tID\tPACKAGE\tINSTALLED\tFIXED\tTITLE")
		for _, f := range open {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Label(), f.ID, f.Package, f.Version, fixedText(f), truncate(oneLine(f.Title), titleWidth))
		}
		tw.Flush()
	}
	if len(suppressed) > 0 {
		fmt.Fprintf(&b, "\nSuppressed (%s):\n", count(len(suppressed)))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tID\tPACKAGE\tINSTALLED\tWHY")
		for _, f := range suppressed {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Label(), f.ID, f.Package, f.Version, oneLine(suppressionText(f.Suppressed)))
		}
		tw.Flush()
	}

	b.WriteString("\n")
	s := r.Summary
	var sev []string
	for _, v := range Severities {
		sev = append(sev, fmt.Sprintf("%s %s", count(s.BySeverity[v]), strings.ToLower(string(v))))
	}
	fmt.Fprintf(&b, "%s in %s (%s); %s suppressed\n", plural(s.Open, "open finding"), plural(r.Packages, "package"), strings.Join(sev, ", "), count(s.Suppressed))
	if nc := r.NotChecked(); len(nc) > 0 && s.Open == 0 {
		fmt.Fprintf(&b, "No findings in the checked ecosystems (%s); %s NOT CHECKED.\n", checkedList(r), strings.Join(nc, ", "))
	}
	fmt.Fprintf(&b, "Gate: %s\n", gateText(r))
	for _, eco := range r.NotChecked() {
		fmt.Fprintf(&b, "WARNING: %s\n", notCheckedText(r, eco))
	}
	if p := r.Policy; p != nil {
		for _, ig := range p.Expired {
			fmt.Fprintf(&b, "WARNING: %s\n", expiredText(ig))
		}
		for _, ig := range p.Invalid {
			fmt.Fprintf(&b, "WARNING: %s\n", invalidText(ig))
		}
	}
	if r.OS != nil && r.OS.EOSL {
		fmt.Fprintf(&b, "WARNING: %s is past its end of support: its packages get no more fixes\n", r.OS)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// checkedList names the ecosystems that were checked: "go", or "no ecosystem".
func checkedList(r *Report) string {
	var out []string
	for _, c := range r.Coverage {
		if c.Checked {
			out = append(out, c.Ecosystem)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
