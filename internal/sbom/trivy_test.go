package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/test/harness"
)

// fixtureDB builds the fixtures-only vulnerability DB of testdata/trivydb
// (the DB the testdata's report.json was scanned with) and returns the
// directory to pass as trivy's --cache-dir. It fetches the trivy-db module
// when the module cache lacks it.
func fixtureDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "run", ".", dir)
	cmd.Dir = filepath.Join("testdata", "trivydb")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the fixture DB: %v\n%s", err, out)
	}
	return dir
}

// findings maps each package of a trivy JSON report to the sorted IDs of its
// vulnerabilities. OS packages are keyed by class and name@version (the
// target's name is the scanned path, which differs between a rootfs and an
// SBOM); language packages also by their file.
func findings(t *testing.T, report []byte) map[string][]string {
	t.Helper()
	var r struct {
		Results []struct {
			Target, Class   string
			Vulnerabilities []struct{ VulnerabilityID, PkgName, InstalledVersion string }
		}
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, res := range r.Results {
		where := res.Class
		if res.Class == "lang-pkgs" {
			where += " " + res.Target
		}
		for _, v := range res.Vulnerabilities {
			k := where + " " + v.PkgName + "@" + v.InstalledVersion
			m[k] = append(m[k], v.VulnerabilityID)
		}
	}
	for k := range m {
		slices.Sort(m[k])
	}
	return m
}

func trivySBOMScan(t *testing.T, trivy, cacheDir string, sbom []byte, name string) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, name), filepath.Join(dir, "report.json")
	if err := os.WriteFile(in, sbom, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(trivy, "sbom", "--cache-dir", cacheDir, "--skip-db-update", "--skip-java-db-update",
		"--offline-scan", "--skip-version-check", "--disable-telemetry", "--quiet", "--format", "json", "--output", out, in)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("trivy sbom %s: %v\n%s", name, err, msg)
	}
	dt, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// The real trivy scans distill's SBOMs and finds exactly what its scan of the
// filesystem found: a Debian advisory through a source package name (glibc
// for libc6), one for openssl, Go advisories for the stdlib of both binaries
// and for golang.org/x/text.
func TestTrivyRescansDistillSBOMs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs trivy and builds a vulnerability DB (fetches the trivy-db module when not cached)")
	}
	trivy := harness.Tool(t, "trivy")
	cache := fixtureDB(t)
	want := findings(t, readTestdata(t, "report.json"))
	if len(want) != 5 {
		t.Fatalf("the captured rootfs scan has findings for %d packages, want 5: %v", len(want), want)
	}
	o := testOptions(t)
	cdxOut := normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), o)
	spdxOut := normaliseSPDX(t, readTestdata(t, "trivy.spdx.json"), o)

	for _, tc := range []struct {
		name string
		sbom []byte
	}{
		{"trivy.cdx.json", readTestdata(t, "trivy.cdx.json")}, // the control: trivy's own SBOM
		{"distill.cdx.json", cdxOut},
		{"distill.spdx.json", spdxOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findings(t, trivySBOMScan(t, trivy, cache, tc.sbom, tc.name))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("trivy sbom %s found\n%v\nthe rootfs scan found\n%v", tc.name, got, want)
			}
		})
	}

	// What the equality rests on: without trivy's SrcName property, trivy
	// looks libc6 up under its own name and misses the glibc advisory.
	t.Run("without SrcName", func(t *testing.T) {
		noSrc := bytes.Replace(cdxOut, []byte(`"name": "aquasecurity:trivy:SrcName",
          "value": "glibc"`), []byte(`"name": "distill:removed",
          "value": "glibc"`), 1)
		if bytes.Equal(noSrc, cdxOut) {
			t.Fatal("the SrcName property of libc6 was not found to remove")
		}
		got := findings(t, trivySBOMScan(t, trivy, cache, noSrc, "nosrc.cdx.json"))
		if _, ok := got["os-pkgs libc6@2.36-9+deb12u14"]; ok || len(got) != len(want)-1 {
			t.Errorf("without SrcName trivy found %v", got)
		}
	})
	if !strings.Contains(string(cdxOut), `"type": "operating-system"`) {
		t.Error("the OS component is gone")
	}
}
