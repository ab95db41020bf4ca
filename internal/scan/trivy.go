package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// trivySchemaVersion is the SchemaVersion of trivy's JSON report that this
// package reads (trivy v0.74.0 writes 2).
const trivySchemaVersion = 2

// The parts of trivy's JSON report (github.com/aquasecurity/trivy/pkg/types
// Report) that FromTrivy reads.
type trivyReport struct {
	SchemaVersion int
	Trivy         struct{ Version string }
	ArtifactName  string
	Metadata      struct {
		OS *struct {
			Family string
			Name   string
			EOSL   bool
		}
	}
	Results []trivyResult
}

type trivyResult struct {
	Target          string
	Class           string // "os-pkgs", "lang-pkgs", …
	Type            string // OS family or language type: "debian", "gobinary", "node-pkg", …
	Packages        []trivyPackage
	Vulnerabilities []trivyVulnerability
}

type trivyPackage struct {
	ID         string
	Name       string
	Version    string
	Release    string
	Epoch      int
	Identifier struct{ PURL string }
}

type trivyVulnerability struct {
	VulnerabilityID  string
	VendorIDs        []string
	PkgID            string
	PkgName          string
	PkgPath          string
	PkgIdentifier    struct{ PURL string }
	InstalledVersion string
	FixedVersion     string
	Status           string
	Severity         string
	SeveritySource   string
	PrimaryURL       string
	Title            string
	CVSS             map[string]trivyCVSS
}

type trivyCVSS struct {
	V2Vector, V3Vector, V40Vector string
	V2Score, V3Score, V40Score    float64
}

// Meta is what the caller knows about a scan that trivy's JSON does not say.
type Meta struct {
	Stage string // "runtime", "build", …
	Image string // what was scanned, name@digest when known
	// Scanner identifies the scanner; an empty Name is "trivy", an empty
	// Version is taken from trivy's report.
	Scanner Scanner
	// DB describes the database, in particular the ecosystems it covers.
	DB DB
}

// FromTrivy builds a report from trivy's JSON report (trivy rootfs|image
// --format json, schema 2). Run trivy with --list-all-pkgs: without it the
// report knows only the vulnerable packages and cannot say what was not
// checked. The findings are sorted and summarized with each finding's
// effective severity equal to its advisory's; [Policy.Evaluate] refines them.
func FromTrivy(trivyJSON []byte, m Meta) (*Report, error) {
	var tr trivyReport
	dec := json.NewDecoder(bytes.NewReader(trivyJSON))
	if err := dec.Decode(&tr); err != nil {
		return nil, fmt.Errorf("reading trivy report: %w", err)
	}
	if tr.SchemaVersion != trivySchemaVersion {
		return nil, fmt.Errorf("reading trivy report: schema version %d, want %d", tr.SchemaVersion, trivySchemaVersion)
	}
	if m.Stage == "" {
		return nil, errors.New("reading trivy report: no stage given")
	}

	r := &Report{
		SchemaVersion: SchemaVersion,
		Stage:         m.Stage,
		Image:         m.Image,
		Scanner:       m.Scanner,
		DB:            m.DB,
		Findings:      []Finding{},
	}
	if r.Scanner.Name == "" {
		r.Scanner.Name = "trivy"
	}
	if r.Scanner.Version == "" {
		r.Scanner.Version = tr.Trivy.Version
	}
	r.DB.Ecosystems = sortedUnique(r.DB.Ecosystems)
	if os := tr.Metadata.OS; os != nil && os.Family != "" {
		r.OS = &OS{Family: os.Family, Name: os.Name, EOSL: os.EOSL}
	}

	pkgs := map[string]map[string]bool{} // ecosystem -> package keys
	addPkg := func(eco, key string) {
		if pkgs[eco] == nil {
			pkgs[eco] = map[string]bool{}
		}
		pkgs[eco][key] = true
	}
	withFindings := map[string]bool{}
	seen := map[string]bool{}
	for _, res := range tr.Results {
		if res.Class != "os-pkgs" && res.Class != "lang-pkgs" {
			continue // misconfigurations, secrets, licenses: not this report's subject
		}
		eco := ecosystemOf(res)
		if eco == "" {
			continue
		}
		if _, ok := pkgs[eco]; !ok {
			pkgs[eco] = map[string]bool{}
		}
		for _, p := range res.Packages {
			addPkg(eco, packageKey(p.Identifier.PURL, p.Name, p.fullVersion()))
		}
		target := findingTarget(res, r.OS)
		for _, v := range res.Vulnerabilities {
			// Vulnerable packages count even when trivy ran without --list-all-pkgs.
			addPkg(eco, packageKey(v.PkgIdentifier.PURL, v.PkgName, v.InstalledVersion))
			withFindings[eco] = true
			f := v.finding(eco, target)
			key := strings.Join([]string{f.ID, f.Package, f.Version, f.Target}, "\x00")
			if seen[key] {
				continue
			}
			seen[key] = true
			r.Findings = append(r.Findings, f)
		}
	}

	for eco, keys := range pkgs {
		r.Coverage = append(r.Coverage, Coverage{
			Ecosystem: eco,
			Packages:  len(keys),
			Checked:   slices.Contains(r.DB.Ecosystems, eco) || withFindings[eco],
		})
		r.Packages += len(keys)
	}
	if r.Coverage == nil {
		r.Coverage = []Coverage{}
	}
	sort.Slice(r.Coverage, func(i, j int) bool { return r.Coverage[i].Ecosystem < r.Coverage[j].Ecosystem })
	sortFindings(r.Findings)
	r.summarize()
	return r, nil
}

// fullVersion is the package's version as Debian writes it: epoch:version-release.
func (p trivyPackage) fullVersion() string {
	v := p.Version
	if p.Release != "" {
		v += "-" + p.Release
	}
	if p.Epoch > 0 {
		v = fmt.Sprintf("%d:%s", p.Epoch, v)
	}
	return v
}

func packageKey(purl, name, version string) string {
	if purl != "" {
		return purl
	}
	return name + "@" + version
}

// findingTarget says where a result's packages are: the OS for OS packages
// (trivy's target there names the scanned path, which is the scanner's mount
// point and means nothing to the user), else the file trivy names.
func findingTarget(res trivyResult, os *OS) string {
	if res.Class == "os-pkgs" {
		if os != nil {
			return os.String()
		}
		return res.Type
	}
	return res.Target
}

func (v trivyVulnerability) finding(eco, target string) Finding {
	f := Finding{
		ID:           v.VulnerabilityID,
		Package:      v.PkgName,
		Version:      v.InstalledVersion,
		FixedVersion: v.FixedVersion,
		PURL:         v.PkgIdentifier.PURL,
		Ecosystem:    eco,
		Target:       target,
		Title:        v.Title,
		URL:          v.PrimaryURL,
		Status:       v.Status,
		Severity:     normalizeSeverity(v.Severity),
		Fixed:        v.FixedVersion != "",
		CVSS:         pickCVSS(v.CVSS, v.SeveritySource),
	}
	f.Effective = f.Severity
	if v.PkgPath != "" {
		// Language packages found inside a file trivy aggregates ("Node.js",
		// "Python"): the package's own file is the place.
		f.Target = v.PkgPath
	}
	for _, id := range v.VendorIDs {
		if id != "" && id != f.ID {
			f.Aliases = append(f.Aliases, id)
		}
	}
	f.Aliases = sortedUnique(f.Aliases)
	return f
}

// pickCVSS returns the score of the severity's source, else of the first
// source by name; CVSS v3 is preferred over v4.0 over v2.
func pickCVSS(m map[string]trivyCVSS, source string) *CVSS {
	if len(m) == 0 {
		return nil
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	if _, ok := m[source]; ok {
		names = append([]string{source}, names...)
	}
	for _, name := range names {
		c := m[name]
		switch {
		case c.V3Score > 0:
			return &CVSS{Source: name, Version: "3", Score: c.V3Score, Vector: c.V3Vector}
		case c.V40Score > 0:
			return &CVSS{Source: name, Version: "4.0", Score: c.V40Score, Vector: c.V40Vector}
		case c.V2Score > 0:
			return &CVSS{Source: name, Version: "2", Score: c.V2Score, Vector: c.V2Vector}
		}
	}
	return nil
}

func sortedUnique(s []string) []string {
	if s == nil {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
