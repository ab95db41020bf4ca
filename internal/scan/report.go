package scan

import (
	"cmp"
	"slices"
	"time"
)

// SchemaVersion names the layout of [Report]'s JSON. It changes only when a
// field changes meaning or goes away.
const SchemaVersion = "distill.dev/scan/v1"

// Report is distill's vulnerability report for one scanned stage.
type Report struct {
	SchemaVersion string `json:"schemaVersion"`
	// Stage is the scanned stage: "runtime", "build", …
	Stage string `json:"stage"`
	// Image is what was scanned, name@digest when known.
	Image string `json:"image,omitempty"`
	// OS is the operating system the scanner detected, if any.
	OS *OS `json:"os,omitempty"`
	// Scanner is the scanner that produced the findings.
	Scanner Scanner `json:"scanner"`
	// DB is the vulnerability database the scanner used.
	DB DB `json:"db"`
	// Coverage has one entry per ecosystem found among the packages, sorted
	// by ecosystem.
	Coverage []Coverage `json:"coverage"`
	// Packages is the number of distinct packages found (ecosystem, name and
	// version), whether vulnerable or not.
	Packages int `json:"packages"`
	// Findings are sorted by effective severity (highest first), then ID,
	// package, version and target.
	Findings []Finding `json:"findings"`
	// Summary counts the findings.
	Summary Summary `json:"summary"`
	// Policy is the gate's result; nil until [Policy.Evaluate] ran.
	Policy *PolicyResult `json:"policy,omitempty"`
}

// OS is the operating system of the scanned filesystem.
type OS struct {
	Family string `json:"family"`         // "debian"
	Name   string `json:"name,omitempty"` // "12.15"
	// EOSL is set when the scanner knows the release is out of support.
	EOSL bool `json:"eosl,omitempty"`
}

func (o *OS) String() string {
	if o == nil {
		return ""
	}
	if o.Name == "" {
		return o.Family
	}
	return o.Family + " " + o.Name
}

// Scanner identifies the scanner.
type Scanner struct {
	Name    string `json:"name"`              // "trivy"
	Version string `json:"version,omitempty"` // "0.74.0"
	// Image is the digest of the scanner image, when it ran from one.
	Image string `json:"image,omitempty"`
}

// DB describes the vulnerability database a scan used.
type DB struct {
	// Source says where the data came from ("go-vulndb golang.org/x/vulndb@…",
	// "trivy-db REPOSITORY", "import FILE sha256:…").
	Source string `json:"source,omitempty"`
	// Schema is the trivy DB schema version.
	Schema int `json:"schema,omitempty"`
	// UpdatedAt is when the advisory data was produced.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	// Ecosystems are the ecosystems the database has advisories for: "debian",
	// "go", "npm", "python", … (trivy-db's names, "pip" as "python"). Packages
	// of any other ecosystem are NOT CHECKED. An empty list covers nothing.
	Ecosystems []string `json:"ecosystems"`
}

// Coverage says whether the packages of one ecosystem were checked.
type Coverage struct {
	// Ecosystem uses the names of [DB.Ecosystems]: "debian", "go", "npm",
	// "python", "maven", …
	Ecosystem string `json:"ecosystem"`
	// Packages is the number of distinct packages of the ecosystem.
	Packages int `json:"packages"`
	// Checked is false when the database has no advisories for the
	// ecosystem: its packages were found but not checked.
	Checked bool `json:"checked"`
}

// Finding is one vulnerability in one package version at one place.
type Finding struct {
	// ID is the vulnerability ID the scanner reported. For the Go database
	// that is the CVE when the advisory has one, else the GO-… ID.
	ID string `json:"id"`
	// Aliases are the advisory's other IDs (GO-…, GHSA-…), sorted.
	Aliases []string `json:"aliases,omitempty"`
	// Package and Version are the installed package: the binary package for
	// OS packages ("libc6", "1:2.36-9"), the module for Go ("stdlib",
	// "v1.26.8").
	Package string `json:"package"`
	Version string `json:"version"`
	// FixedVersion lists the versions that fix it, as the advisory gives them
	// ("0.3.7", "1.26.9, 1.27.2"); empty when there is no fix.
	FixedVersion string `json:"fixedVersion,omitempty"`
	// PURL is the package URL of the installed package.
	PURL      string `json:"purl,omitempty"`
	Ecosystem string `json:"ecosystem"`
	// Target is where the package was found: the OS ("debian 12.15") for OS
	// packages, else the file relative to the scanned root ("app/server").
	Target string `json:"target"`
	Title  string `json:"title,omitempty"`
	URL    string `json:"url,omitempty"`
	// Status is the advisory's status for the package: "fixed", "affected",
	// "will_not_fix", …
	Status string `json:"status,omitempty"`
	// Severity is what the advisory says; Effective is what the policy counts
	// (UNKNOWN becomes the policy's UnknownAs).
	Severity  Severity `json:"severity"`
	Effective Severity `json:"effective"`
	// Fixed is set when a fixed version exists.
	Fixed bool  `json:"fixed"`
	CVSS  *CVSS `json:"cvss,omitempty"`
	// Suppressed is set when an ignore entry or a VEX statement suppresses
	// the finding: it is reported but does not count.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// CVSS is the score the advisory's severity source gives.
type CVSS struct {
	Source  string  `json:"source"`  // "nvd", "debian", "ghsa", …
	Version string  `json:"version"` // "3", "4.0" or "2"
	Score   float64 `json:"score"`
	Vector  string  `json:"vector,omitempty"`
}

// Suppression says why a finding does not count.
type Suppression struct {
	By     string `json:"by"` // "ignore" or "vex"
	Reason string `json:"reason"`
	// Source names the ignore entry or the VEX document (its @id).
	Source  string    `json:"source,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// Suppression kinds.
const (
	ByIgnore = "ignore"
	ByVEX    = "vex"
)

// Summary counts a report's findings.
type Summary struct {
	// Total is the number of findings, suppressed ones included.
	Total int `json:"total"`
	// Open is the number of findings that are not suppressed.
	Open int `json:"open"`
	// BySeverity counts open findings by effective severity; every severity
	// is present.
	BySeverity map[Severity]int `json:"bySeverity"`
	Suppressed int              `json:"suppressed"`
	// Unknown counts open findings whose advisory gives no severity.
	Unknown int `json:"unknown"`
}

// Label shows the advisory's severity and, when the policy counts it
// differently, the effective one: "UNKNOWN→HIGH".
func (f Finding) Label() string {
	if f.Effective == "" || f.Effective == f.Severity {
		return string(f.Severity)
	}
	return string(f.Severity) + "→" + string(f.Effective)
}

// IDs returns the finding's ID followed by its aliases.
func (f Finding) IDs() []string {
	return append([]string{f.ID}, f.Aliases...)
}

// NotChecked returns the ecosystems whose packages were found but not checked,
// sorted.
func (r *Report) NotChecked() []string {
	var out []string
	for _, c := range r.Coverage {
		if !c.Checked {
			out = append(out, c.Ecosystem)
		}
	}
	return out
}

// coverageOf returns the coverage entry of ecosystem.
func (r *Report) coverageOf(ecosystem string) (Coverage, bool) {
	for _, c := range r.Coverage {
		if c.Ecosystem == ecosystem {
			return c, true
		}
	}
	return Coverage{}, false
}

// summarize recounts r.Summary from r.Findings.
func (r *Report) summarize() {
	s := Summary{BySeverity: map[Severity]int{}}
	for _, sev := range Severities {
		s.BySeverity[sev] = 0
	}
	for _, f := range r.Findings {
		s.Total++
		if f.Suppressed != nil {
			s.Suppressed++
			continue
		}
		s.Open++
		s.BySeverity[f.Effective]++
		if f.Severity == Unknown {
			s.Unknown++
		}
	}
	r.Summary = s
}

// sortFindings orders findings by effective severity (highest first), then
// ID, package, version and target.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, compareFindings)
}

func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(b.Effective.Rank(), a.Effective.Rank()),
		cmp.Compare(a.ID, b.ID),
		cmp.Compare(a.Package, b.Package),
		cmp.Compare(a.Version, b.Version),
		cmp.Compare(a.Target, b.Target),
	)
}
