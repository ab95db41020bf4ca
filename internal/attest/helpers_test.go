package attest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distill-dev/distill/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/NAME, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

// hash is a digest of algorithm sha256 made of one repeated hex digit.
func hash(digit string) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex64(digit)}
}

func hex64(digit string) string {
	return string(bytes.Repeat([]byte(digit), 64))
}

func ptr[T any](v T) *T { return &v }

// The clock of every test.
var (
	epoch    = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	started  = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	finished = time.Date(2026, 11, 27, 12, 0, 41, 250_000_000, time.UTC)
)

// testReport is a runtime report of two findings: a Go one without
// severity (UNKNOWN, counted as HIGH) that fails a HIGH gate, and a Debian
// one the policy ignores; Python was found but not checked.
func testReport() *scan.Report {
	r := &scan.Report{
		SchemaVersion: scan.SchemaVersion,
		Stage:         "runtime",
		Image:         "example.com/app@" + hash("1").String(),
		OS:            &scan.OS{Family: "debian", Name: "12.15"},
		Scanner:       scan.Scanner{Name: "trivy", Version: "0.74.0", Image: hash("2").String()},
		DB: scan.DB{
			Source:     "go-vulndb golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018",
			Schema:     2,
			UpdatedAt:  time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC),
			Ecosystems: []string{"debian", "go"},
		},
		Coverage: []scan.Coverage{
			{Ecosystem: "debian", Packages: 7, Checked: true},
			{Ecosystem: "go", Packages: 3, Checked: true},
			{Ecosystem: "python", Packages: 1, Checked: false},
		},
		Packages: 11,
		Findings: []scan.Finding{
			{
				ID: "CVE-2026-1111", Aliases: []string{"GO-2026-4000"}, Package: "stdlib", Version: "v1.26.8",
				FixedVersion: "1.26.9", PURL: "pkg:golang/stdlib@v1.26.8", Ecosystem: "go", Target: "app/server",
				Title: "net/http: excessive <memory> & CPU", Status: "fixed",
				Severity: scan.Unknown, Fixed: true,
			},
			{
				ID: "CVE-2025-2222", Package: "libc6", Version: "2.36-9+deb12u13",
				PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u13?arch=amd64&distro=debian-12.15", Ecosystem: "debian",
				Target: "debian 12.15", Status: "will_not_fix", Severity: scan.Low,
				CVSS: &scan.CVSS{Source: "nvd", Version: "3", Score: 3.7, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L"},
			},
		},
	}
	pol := scan.Policy{FailOn: scan.High, Ignore: []scan.Ignore{{ID: "CVE-2025-2222", Reason: "glibc is not reachable from the static binary"}}}
	r.Policy = pol.Evaluate(r, started, true)
	return r
}

// specJSON is a pipeline Spec as the runner hands it over: JSON with
// defaults applied.
const specJSON = `{"apiVersion":"distill.dev/v1","name":"app","source":{"path":"."},
 "platforms":["linux/arm64","linux/amd64"],"args":{"VERSION":"1.4.2"},
 "build":{"go":{"version":"1.26","main":"./cmd/app","ldflags":"-s -w"}},
 "runtime":{"flavour":"static","user":65532},
 "scan":{"stages":["runtime"]},"policy":{"failOn":"HIGH"}}`

// testProvenance is a two-platform build of a Go service on distill/static.
func testProvenance() Provenance {
	return Provenance{
		BuilderID:       "https://distill.dev/distill@v0.3.0",
		InvocationID:    "run-4711",
		Spec:            []byte(specJSON),
		Target:          "runtime",
		Platforms:       []string{"linux/arm64", "linux/amd64"},
		Args:            map[string]string{"VERSION": "1.4.2", "LDFLAGS": "-s -w", "CGO_ENABLED": "0"},
		SecretIDs:       []string{"netrc", "npmrc"},
		SourceDateEpoch: ptr(epoch),
		BuildPlatform:   "linux/amd64",
		Source:          Source{URI: "https://example.com/distill-dev/app.git", Revision: "0123456789abcdef0123456789abcdef01234567"},
		Packages: []Package{
			{Name: "base-files", Version: "12.4+deb12u13", Arch: "amd64", SHA256: hex64("a"), Image: "distill/static linux/amd64"},
			{Name: "base-files", Version: "12.4+deb12u13", Arch: "arm64", SHA256: hex64("b"), Image: "distill/static linux/arm64"},
			{Name: "tzdata", Version: "2026a-0+deb12u1", Arch: "all", SHA256: hex64("c"), Image: "distill/static linux/amd64"},
			{Name: "tzdata", Version: "2026a-0+deb12u1", Arch: "all", SHA256: hex64("c"), Image: "distill/static linux/arm64"},
			{Name: "tzdata", Version: "2026a-0+deb12u1", Arch: "all", SHA256: hex64("c"), Image: "distill/go (go 1.26) linux/amd64"},
			{Name: "libc6", Version: "2.36-9+deb12u13", Arch: "amd64", SHA256: hex64("d"), Image: "distill/go (go 1.26) linux/amd64"},
			{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64", SHA256: hex64("e"), Image: "distill/go (go 1.26) linux/amd64"},
		},
		Toolchains: []Toolchain{
			// The module dirhash example of the in-toto DigestSet spec.
			{Module: "golang.org/toolchain", Version: "v0.0.1-go1.26.11.linux-amd64", Sum: "h1:Khu2En+0gcYPZ2kuIihfswbzxv/mIHXgzPZ018Oty48="},
		},
		BaseImages: []Image{
			{Name: "distill/static", Platform: "linux/amd64", Digest: hash("3")},
			{Name: "distill/static", Platform: "linux/arm64", Digest: hash("4")},
			{Name: "distill/go (go 1.26)", Platform: "linux/amd64", Digest: hash("5")},
		},
		Scanner:        Image{Name: "distill/trivy:0.74.0", Platform: "linux/amd64", Digest: hash("2")},
		ScannerVersion: "0.74.0",
		VulnDB: VulnDB{
			Source:    "go-vulndb golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018",
			Schema:    2,
			UpdatedAt: time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC),
			SHA256:    hex64("6"),
		},
		Byproducts: []Byproduct{
			{Name: "runtime.vulns.json", Digest: hash("7"), MediaType: "application/json"},
			{Name: "runtime.cdx.json", Digest: hash("8"), MediaType: "application/vnd.cyclonedx+json"},
			{Name: "runtime.spdx.json", Digest: hash("9"), MediaType: "application/spdx+json"},
		},
		Versions:   map[string]string{"distill": "v0.3.0", "buildkit": "v0.34.2"},
		StartedOn:  ptr(started),
		FinishedOn: ptr(finished),
	}
}
