// mkdb builds trivy DBs for distill's internal/scan test fixtures.
//
//	mkdb govulndb OSVDIR OUTDIR   all Go modules from golang.org/x/vulndb, severities left as the data gives them (UNKNOWN)
//	mkdb fixtures OUTDIR          hand-written Debian + Go advisories only
package main

import (
	"log"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/ecosystem"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulndb"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/bucket"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/osv"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/vulnerability"
)

var goDS = types.DataSource{ID: vulnerability.GoVulnDB, Name: "The Go Vulnerability Database", URL: "https://pkg.go.dev/vuln/"}

type xform struct{}

func (xform) PostParseAffected(a osv.Advisory, _ osv.Affected) (osv.Advisory, error) { return a, nil }
func (xform) TransformAdvisories(advs []osv.Advisory, _ osv.Entry) ([]osv.Advisory, error) {
	var out []osv.Advisory
	for _, a := range advs {
		if a.PkgName == "toolchain" {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

type goSrc struct{}

func (goSrc) Name() types.SourceID { return vulnerability.GoVulnDB }
func (goSrc) Update(dir string) error {
	return osv.New(".", vulnerability.GoVulnDB, map[ecosystem.Type]types.DataSource{ecosystem.Go: goDS},
		osv.WithTransformer(xform{})).Update(dir)
}

type fixtures struct{}

func (fixtures) Name() types.SourceID { return "fixtures" }
func (fixtures) Update(string) error {
	dbc := db.Config{}
	return dbc.BatchUpdate(func(tx *bolt.Tx) error {
		put := func(bkt string, ds types.DataSource, id, pkg string, adv types.Advisory, d types.VulnerabilityDetail) error {
			if err := dbc.PutDataSource(tx, bkt, ds); err != nil {
				return err
			}
			if err := dbc.PutAdvisoryDetail(tx, id, pkg, []string{bkt}, adv); err != nil {
				return err
			}
			if d.Title == "" {
				d.Title = "fixture " + id
			}
			if err := dbc.PutVulnerabilityDetail(tx, id, ds.ID, d); err != nil {
				return err
			}
			return dbc.PutVulnerabilityID(tx, id)
		}
		deb := types.DataSource{ID: vulnerability.Debian, Name: "Debian Security Tracker"}
		d12 := bucket.NewDebian("12").Name()
		gob := "go::" + goDS.Name
		steps := []struct {
			bkt string
			ds  types.DataSource
			id  string
			pkg string
			adv types.Advisory
			d   types.VulnerabilityDetail
		}{
			// Debian: keyed by source package.
			{d12, deb, "CVE-0000-0001", "bash", types.Advisory{FixedVersion: "5.2.99-1"},
				types.VulnerabilityDetail{Severity: types.SeverityCritical, CvssScoreV3: 9.8, CvssVectorV3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			{d12, deb, "CVE-0000-0002", "zlib", types.Advisory{Status: types.StatusWillNotFix},
				types.VulnerabilityDetail{Severity: types.SeverityMedium}},
			{d12, deb, "CVE-0000-0003", "tzdata", types.Advisory{FixedVersion: "2099a-0+deb12u1"},
				types.VulnerabilityDetail{Severity: types.SeverityLow}},
			{d12, deb, "CVE-0000-0006", "glibc", types.Advisory{Status: types.StatusAffected},
				types.VulnerabilityDetail{Severity: types.SeverityUnknown}},
			// Go: semver ranges.
			{gob, goDS, "GO-0000-0001", "golang.org/x/text", types.Advisory{VulnerableVersions: []string{"<0.3.6"}, PatchedVersions: []string{"0.3.6"}},
				types.VulnerabilityDetail{Severity: types.SeverityHigh}},
			{gob, goDS, "CVE-0000-0004", "golang.org/x/text", types.Advisory{VendorIDs: []string{"GO-0000-0004"}, VulnerableVersions: []string{"<0.3.8"}, PatchedVersions: []string{"0.3.8"}},
				types.VulnerabilityDetail{Severity: types.SeverityUnknown}},
			{gob, goDS, "GO-0000-0005", "stdlib", types.Advisory{VulnerableVersions: []string{"<1.26.9"}, PatchedVersions: []string{"1.26.9"}},
				types.VulnerabilityDetail{Severity: types.SeverityMedium}},
		}
		for _, s := range steps {
			if err := put(s.bkt, s.ds, s.id, s.pkg, s.adv, s.d); err != nil {
				return err
			}
		}
		return nil
	})
}

func main() {
	var osvDir, out string
	srcs := map[types.SourceID]vulnsrc.VulnSrc{}
	var targets []string
	switch os.Args[1] {
	case "govulndb":
		osvDir, out = os.Args[2], os.Args[3]
		srcs[vulnerability.GoVulnDB] = goSrc{}
		targets = []string{"govulndb"}
	case "fixtures":
		osvDir, out = os.TempDir(), os.Args[2]
		srcs["fixtures"] = fixtures{}
		targets = []string{"fixtures"}
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
	if err := db.Init(out); err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := vulndb.New(osvDir, out, 24*time.Hour, vulndb.WithVulnSrcs(srcs)).Build(targets); err != nil {
		log.Fatal(err)
	}
}
