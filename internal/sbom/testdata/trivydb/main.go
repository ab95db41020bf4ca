// Command trivydb writes a fixtures-only Trivy vulnerability DB (schema 2) for
// the sbom package's re-scan test: a few hand-written Debian and Go advisories
// that match the packages scanned in ../report.json, so that a scan finds something
// in both ecosystems without any network DB.
//
// Usage: go run . DIR   (writes DIR/db/trivy.db and DIR/db/metadata.json;
// pass DIR to trivy as --cache-dir)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulndb"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/bucket"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/vulnerability"
)

var (
	debianDS = types.DataSource{ID: vulnerability.Debian, Name: "Debian Security Tracker"}
	goDS     = types.DataSource{ID: vulnerability.GoVulnDB, Name: "The Go Vulnerability Database", URL: "https://pkg.go.dev/vuln/"}
)

type advisory struct {
	bucket string
	ds     types.DataSource
	id     string
	pkg    string // Debian: the source package name
	adv    types.Advisory
	sev    types.Severity
}

var advisories = []advisory{
	{bucket.NewDebian("12").Name(), debianDS, "CVE-0000-0001", "glibc",
		types.Advisory{FixedVersion: "2.36-9+deb12u99"}, types.SeverityCritical},
	{bucket.NewDebian("12").Name(), debianDS, "CVE-0000-0002", "openssl",
		types.Advisory{FixedVersion: "3.0.99-1"}, types.SeverityHigh},
	{"go::" + goDS.Name, goDS, "GO-0000-0001", "stdlib",
		types.Advisory{VulnerableVersions: []string{"<1.26.99"}, PatchedVersions: []string{"1.26.99"}}, types.SeverityHigh},
	{"go::" + goDS.Name, goDS, "GO-0000-0002", "golang.org/x/text",
		types.Advisory{VulnerableVersions: []string{"<0.99.0"}, PatchedVersions: []string{"0.99.0"}}, types.SeverityMedium},
}

type fixtures struct{}

func (fixtures) Name() types.SourceID { return "fixtures" }

func (fixtures) Update(string) error {
	dbc := db.Config{}
	return dbc.BatchUpdate(func(tx *bolt.Tx) error {
		for _, a := range advisories {
			if err := dbc.PutDataSource(tx, a.bucket, a.ds); err != nil {
				return err
			}
			if err := dbc.PutAdvisoryDetail(tx, a.id, a.pkg, []string{a.bucket}, a.adv); err != nil {
				return err
			}
			if err := dbc.PutVulnerabilityDetail(tx, a.id, a.ds.ID, types.VulnerabilityDetail{Title: "fixture " + a.id, Severity: a.sev}); err != nil {
				return err
			}
			if err := dbc.PutVulnerabilityID(tx, a.id); err != nil {
				return err
			}
		}
		return nil
	})
}

func run(dir string) error {
	out := filepath.Join(dir, "db")
	if err := db.Init(out); err != nil {
		return err
	}
	defer db.Close()
	srcs := map[types.SourceID]vulnsrc.VulnSrc{"fixtures": fixtures{}}
	return vulndb.New(dir, out, 24*time.Hour, vulndb.WithVulnSrcs(srcs)).Build([]string{"fixtures"})
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: trivydb DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "trivydb:", err)
		os.Exit(1)
	}
}
