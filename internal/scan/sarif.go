package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/owenrumney/go-sarif/v2/sarif"
)

// suppressionNamespace makes SARIF suppression GUIDs name-based (UUID v5), so
// the same finding gets the same GUID in every run.
var suppressionNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(SchemaVersion))

// SARIF encodes the report as SARIF 2.1.0 for code-scanning upload: one run
// (automation ID "distill/<stage>/"), one rule per vulnerability ID, one
// result per finding with its level from the effective severity (CRITICAL
// and HIGH are "error", MEDIUM "warning", LOW and UNKNOWN "note"). Suppressed
// findings carry an accepted external suppression with the reason.
// Ecosystems that were not checked and ignore entries that no longer apply
// are tool execution notifications; the gate's outcome, the scanner, the
// database and the coverage are run properties.
func (r *Report) SARIF() ([]byte, error) {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, err
	}
	driver := sarif.NewDriver("distill")
	driver.WithFullName(strings.TrimSpace("distill vulnerability scan with " + r.Scanner.Name + " " + r.Scanner.Version))
	run := sarif.NewRun(sarif.Tool{Driver: driver})
	run.AutomationDetails = sarif.NewRunAutomationDetails().WithID("distill/" + r.Stage + "/")
	run.Properties = sarif.Properties{"distill": r.runProperties()}

	// Rules in ID order, each described by its most severe finding (the
	// findings are sorted by severity first).
	first := map[string]Finding{}
	var ids []string
	for _, f := range r.Findings {
		if _, ok := first[f.ID]; !ok {
			first[f.ID] = f
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	ruleIndex := map[string]int{}
	for i, id := range ids {
		ruleIndex[id] = i
		addRule(run, first[id])
	}

	for _, f := range r.Findings {
		loc := findingLocation(f)
		res := sarif.NewRuleResult(f.ID).
			WithRuleIndex(ruleIndex[f.ID]).
			WithLevel(sarifLevel(f.Effective)).
			WithMessage(sarif.NewTextMessage(resultMessage(f))).
			WithLocations([]*sarif.Location{loc})
		res.Properties = sarif.Properties{
			"severity":          string(f.Severity),
			"effectiveSeverity": string(f.Effective),
			"package":           f.Package,
			"installedVersion":  f.Version,
			"ecosystem":         f.Ecosystem,
		}
		if f.FixedVersion != "" {
			res.Properties["fixedVersion"] = f.FixedVersion
		}
		if f.PURL != "" {
			res.Properties["purl"] = f.PURL
		}
		if s := f.Suppressed; s != nil {
			key := strings.Join([]string{r.Stage, f.ID, f.Package, f.Version, f.Target}, "\x00")
			sup := sarif.NewSuppression("external").
				WithStatus("accepted").
				WithJustifcation(suppressionText(s)).
				WithGuid(uuid.NewSHA1(suppressionNamespace, []byte(key)).String()).
				WithLocation(findingLocation(f))
			sup.Properties = sarif.Properties{"by": s.By}
			if s.Source != "" {
				sup.Properties["source"] = s.Source
			}
			if !s.Expires.IsZero() {
				sup.Properties["expires"] = s.Expires.UTC().Format("2006-01-02T15:04:05Z07:00")
			}
			res.AddSuppression(sup)
		}
		run.AddResult(res)
	}

	inv := run.AddInvocation(true)
	for _, eco := range r.NotChecked() {
		inv.AddTToolExecutionNotification(sarif.NewNotification().WithLevel("warning").WithTextMessage(notCheckedText(r, eco)))
	}
	if p := r.Policy; p != nil {
		for _, ig := range p.Expired {
			inv.AddTToolExecutionNotification(sarif.NewNotification().WithLevel("warning").WithTextMessage(expiredText(ig)))
		}
		for _, ig := range p.Invalid {
			inv.AddTToolExecutionNotification(sarif.NewNotification().WithLevel("warning").WithTextMessage(invalidText(ig)))
		}
	}

	log.AddRun(run)
	// go-sarif's PrettyWrite escapes HTML ("&" in package URLs); encode
	// without.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return nil, fmt.Errorf("encoding %s SARIF: %w", r.Stage, err)
	}
	return buf.Bytes(), nil
}

func addRule(run *sarif.Run, f Finding) {
	title := f.Title
	if title == "" {
		title = f.ID
	}
	name := "LanguageSpecificPackageVulnerability"
	if f.Ecosystem == osEcosystemOf(f) {
		name = "OsPackageVulnerability"
	}
	help := fmt.Sprintf("Vulnerability %s\nSeverity: %s\nPackage: %s\nFixed Version: %s", f.ID, f.Label(), f.Package, fixedText(f))
	helpMD := fmt.Sprintf("**Vulnerability %s**\n\n| Severity | Package | Fixed Version |\n| --- | --- | --- |\n| %s | %s | %s |",
		f.ID, cell(f.Label()), cell(f.Package), cell(fixedText(f)))
	if len(f.Aliases) > 0 {
		help += "\nAliases: " + strings.Join(f.Aliases, ", ")
		helpMD += "\n\nAliases: " + strings.Join(f.Aliases, ", ")
	}
	if f.URL != "" {
		help += "\nLink: " + f.URL
		helpMD += "\n\n[" + f.ID + "](" + f.URL + ")"
	}
	rule := run.AddRule(f.ID).
		WithName(name).
		WithShortDescription(sarif.NewMultiformatMessageString(title)).
		WithFullDescription(sarif.NewMultiformatMessageString(title)).
		WithHelp(sarif.NewMultiformatMessageString(help).WithMarkdown(helpMD)).
		WithDefaultConfiguration(&sarif.ReportingConfiguration{Level: sarifLevel(f.Effective)}).
		WithProperties(sarif.Properties{
			"tags":              []string{"vulnerability", "security", string(f.Effective)},
			"precision":         "very-high",
			"security-severity": securitySeverity(f),
		})
	if u, err := url.Parse(f.URL); f.URL != "" && err == nil && u.IsAbs() {
		rule.WithHelpURI(f.URL)
	}
}

// osEcosystemOf returns f's ecosystem when f is an OS package (its target is
// the OS, not a file).
func osEcosystemOf(f Finding) string {
	if strings.HasPrefix(f.PURL, "pkg:deb/") || strings.HasPrefix(f.PURL, "pkg:rpm/") || strings.HasPrefix(f.PURL, "pkg:apk/") {
		return f.Ecosystem
	}
	return ""
}

// findingLocation places a finding: the file for language packages, the
// package URL for OS packages (they have no file of their own in trivy's report).
func findingLocation(f Finding) *sarif.Location {
	uri := f.Target
	if osEcosystemOf(f) != "" && f.PURL != "" {
		uri = f.PURL
	}
	return sarif.NewLocationWithPhysicalLocation(
		sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri)).
			WithRegion(sarif.NewSimpleRegion(1, 1)),
	).WithMessage(sarif.NewTextMessage(f.Target + ": " + f.Package + "@" + f.Version))
}

func resultMessage(f Finding) string {
	msg := fmt.Sprintf("Package: %s\nInstalled Version: %s\nVulnerability: %s\nSeverity: %s\nFixed Version: %s\nTarget: %s",
		f.Package, f.Version, f.ID, f.Label(), fixedText(f), f.Target)
	if f.URL != "" {
		msg += "\nLink: " + f.URL
	}
	if f.Suppressed != nil {
		msg += "\nSuppressed: " + suppressionText(f.Suppressed)
	}
	return msg
}

func sarifLevel(s Severity) string {
	switch s {
	case Critical, High:
		return "error"
	case Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is GitHub's "security-severity" score: the advisory's CVSS
// score when the effective severity is the advisory's own, else a score in
// the middle of the effective severity's band.
func securitySeverity(f Finding) string {
	if f.CVSS != nil && f.Effective == f.Severity {
		return fmt.Sprintf("%.1f", f.CVSS.Score)
	}
	switch f.Effective {
	case Critical:
		return "9.5"
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "2.0"
	}
	return "0.0"
}

// runProperties are the report's facts that SARIF has no field for.
func (r *Report) runProperties() map[string]any {
	p := map[string]any{
		"schemaVersion": SchemaVersion,
		"stage":         r.Stage,
		"scanner":       r.Scanner,
		"db":            dbProperties(r.DB),
		"coverage":      r.Coverage,
		"packages":      r.Packages,
		"summary":       r.Summary,
	}
	if r.Image != "" {
		p["image"] = r.Image
	}
	if r.OS != nil {
		p["os"] = r.OS
	}
	if nc := r.NotChecked(); len(nc) > 0 {
		p["notChecked"] = nc
	}
	if pr := r.Policy; pr != nil {
		p["gate"] = map[string]any{
			"gate":      pr.Gate,
			"passed":    pr.Passed,
			"failOn":    pr.FailOn,
			"unknownAs": pr.UnknownAs,
			"fixedOnly": pr.FixedOnly,
			"failing":   len(pr.Failing),
		}
	}
	return p
}

func dbProperties(db DB) DB {
	if db.Ecosystems == nil {
		db.Ecosystems = []string{}
	}
	return db
}
