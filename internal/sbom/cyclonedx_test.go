package sbom

import (
	"bytes"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"
)

func normaliseCycloneDX(t *testing.T, in []byte, o Options) []byte {
	t.Helper()
	out, err := CycloneDX(in, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeForTest(t *testing.T, dt []byte) *cdx.BOM {
	t.Helper()
	bom, err := decodeCycloneDX(dt)
	if err != nil {
		t.Fatal(err)
	}
	return bom
}

// Two trivy runs over the same filesystem differ (serialNumber, timestamp,
// random bom-refs and the order they sort dependencies in); distill's output
// does not, and normalising is idempotent.
func TestCycloneDXIsDeterministic(t *testing.T) {
	run1, run2 := readTestdata(t, "trivy.cdx.json"), readTestdata(t, "trivy.run2.cdx.json")
	if bytes.Equal(run1, run2) {
		t.Fatal("the two trivy runs in testdata are identical; they should differ as trivy's runs do")
	}
	o := testOptions(t)
	a := normaliseCycloneDX(t, run1, o)
	if b := normaliseCycloneDX(t, run1, o); !bytes.Equal(a, b) {
		t.Fatal("normalising the same input twice gave different bytes")
	}
	if b := normaliseCycloneDX(t, run2, o); !bytes.Equal(a, b) {
		t.Fatal("normalising two trivy runs of the same filesystem gave different bytes")
	}
	if b := normaliseCycloneDX(t, a, o); !bytes.Equal(a, b) {
		t.Fatal("normalising distill's output again changed it")
	}
	golden(t, "go-app.runtime.cdx.json", a)
}

func TestCycloneDXIsValidAgainstTheOfficialSchema(t *testing.T) {
	out := normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), testOptions(t))
	if err := validateCycloneDX(t, out); err != nil {
		t.Fatalf("distill's CycloneDX is not valid: %v", err)
	}
	if err := validateCycloneDX(t, readTestdata(t, "trivy.cdx.json")); err != nil {
		t.Fatalf("trivy's own CycloneDX is not valid: %v", err)
	}
	// The validator does reject an invalid document.
	bad := bytes.Replace(out, []byte(`"type": "operating-system"`), []byte(`"type": "os"`), 1)
	if err := validateCycloneDX(t, bad); err == nil {
		t.Fatal("a component of type \"os\" passed validation")
	}
}

// cyclonedx-go models every field trivy writes, so decoding and encoding
// loses nothing.
func TestCycloneDXLibraryKeepsEveryTrivyField(t *testing.T) {
	in := readTestdata(t, "trivy.cdx.json")
	out, err := encodeCycloneDX(decodeForTest(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, in, out) {
		t.Fatal("decoding and encoding trivy's CycloneDX with cyclonedx-go changed it")
	}
}

func TestCycloneDXMetadata(t *testing.T) {
	o := testOptions(t)
	bom := decodeForTest(t, normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), o))

	u, err := uuid.Parse(strings.TrimPrefix(bom.SerialNumber, "urn:uuid:"))
	if err != nil || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") || u.Version() != 5 {
		t.Errorf("serialNumber %q is not a urn:uuid of a UUIDv5", bom.SerialNumber)
	}
	if bom.SpecVersion != cdx.SpecVersion1_7 {
		t.Errorf("specVersion %s, want trivy's 1.7", bom.SpecVersion)
	}
	if got := bom.Metadata.Timestamp; got != "2023-11-14T22:13:20Z" {
		t.Errorf("timestamp %q, want SOURCE_DATE_EPOCH 2023-11-14T22:13:20Z", got)
	}
	var tools []string
	for _, c := range *bom.Metadata.Tools.Components {
		tools = append(tools, c.Group+"/"+c.Name+"@"+c.Version)
	}
	if got := strings.Join(tools, " "); got != "aquasecurity/trivy@0.74.0 /distill@v0.0.0-test" {
		t.Errorf("tools %s", got)
	}
	img := bom.Metadata.Component
	if img.Type != cdx.ComponentTypeContainer || img.Name != testName || img.Version != testDigest {
		t.Errorf("metadata.component is %s %s %s, want the image", img.Type, img.Name, img.Version)
	}
	if want := "pkg:oci/go-app@sha256%3A231cddddd9989b8bff45eb5d2e0fcfeb701b5b257ccee251b839d1900fcdc700"; img.PackageURL != want {
		t.Errorf("image purl %s, want %s", img.PackageURL, want)
	}
	if property(img, PropertyStage) != testStage || property(img, "aquasecurity:trivy:SchemaVersion") != "2" {
		t.Errorf("image properties %v", *img.Properties)
	}
	// The image still depends on what trivy found in it: the OS and both binaries.
	deps := dependencyMap(bom)
	if got := len(deps[img.BOMRef]); got != 3 {
		t.Errorf("the image depends on %d components, want 3 (debian, app/go-app, app/healthcheck)", got)
	}
}

func dependencyMap(bom *cdx.BOM) map[string][]string {
	m := map[string][]string{}
	for _, d := range *bom.Dependencies {
		m[d.Ref] = *d.Dependencies
	}
	return m
}

var randomUUID = regexp.MustCompile(`"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"`)

func TestCycloneDXReferencesAreDerivedAndConsistent(t *testing.T) {
	in := readTestdata(t, "trivy.cdx.json")
	out := normaliseCycloneDX(t, in, testOptions(t))
	if n := len(randomUUID.FindAll(in, -1)); n < 5 {
		t.Fatalf("trivy's output has only %d random UUID refs; the test needs its usual ones", n)
	}
	if m := randomUUID.Find(out); m != nil {
		t.Errorf("a random (version 4) UUID is left: %s", m)
	}

	bom := decodeForTest(t, out)
	refs := map[string]*cdx.Component{}
	walkComponents(bom, func(c *cdx.Component) {
		if refs[c.BOMRef] != nil {
			t.Errorf("bom-ref %s is used twice", c.BOMRef)
		}
		refs[c.BOMRef] = c
	})
	for _, d := range *bom.Dependencies {
		if refs[d.Ref] == nil {
			t.Errorf("dependency of unknown bom-ref %s", d.Ref)
		}
		for _, r := range *d.Dependencies {
			if refs[r] == nil {
				t.Errorf("%s depends on unknown bom-ref %s", d.Ref, r)
			}
		}
	}
	// The SBOM is the inventory: trivy's findings are dropped (they are in
	// the vulnerability report and change with the DB).
	if bom.Vulnerabilities != nil {
		t.Errorf("the SBOM carries %d vulnerabilities", len(*bom.Vulnerabilities))
	}
	// Unique purls stay the bom-refs; the stdlib of each binary gets its own ref.
	deps := dependencyMap(bom)
	stdlibOf := map[string]string{}
	for ref, c := range refs {
		if c.PackageURL != "" && c.PackageURL != "pkg:golang/stdlib@v1.26.8" && ref != c.PackageURL {
			t.Errorf("%s has bom-ref %s, want its purl", c.PackageURL, ref)
		}
		if c.Name == "app/go-app" || c.Name == "app/healthcheck" {
			for _, main := range deps[ref] {
				for _, d := range deps[main] {
					if refs[d].Name == "stdlib" {
						stdlibOf[c.Name] = d
					}
				}
			}
		}
	}
	if len(stdlibOf) != 2 || stdlibOf["app/go-app"] == stdlibOf["app/healthcheck"] {
		t.Errorf("each binary should depend on its own stdlib component: %v", stdlibOf)
	}
}

// Everything trivy needs to scan the SBOM again is still there, unchanged.
func TestCycloneDXKeepsWhatTrivyReads(t *testing.T) {
	in := decodeForTest(t, readTestdata(t, "trivy.cdx.json"))
	out := decodeForTest(t, normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), testOptions(t)))
	summary := func(bom *cdx.BOM) map[string]int {
		m := map[string]int{}
		for _, c := range *bom.Components {
			var props []string
			if c.Properties != nil {
				for _, p := range *c.Properties {
					if strings.HasPrefix(p.Name, "aquasecurity:trivy:") {
						props = append(props, p.Name+"="+p.Value)
					}
				}
			}
			m[strings.Join(append([]string{string(c.Type), c.Name, c.Version, c.PackageURL}, slices.Sorted(slices.Values(props))...), " ")]++
		}
		return m
	}
	sin, sout := summary(in), summary(out)
	if len(sin) != len(sout) {
		t.Fatalf("%d distinct components in, %d out", len(sin), len(sout))
	}
	for k, n := range sin {
		if sout[k] != n {
			t.Errorf("component %q: %d in trivy's output, %d in distill's", k, n, sout[k])
		}
	}
	if !strings.Contains(strings.Join(slices.Sorted(maps.Keys(sout)), "\n"), "operating-system debian 12.15") {
		t.Error("the OS component is gone")
	}
}

func TestCycloneDXDebianPackagesGetHashAndLayer(t *testing.T) {
	o := testOptions(t)
	bom := decodeForTest(t, normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), o))
	byID := map[string]*cdx.Component{}
	walkComponents(bom, func(c *cdx.Component) {
		if d, ok := parseDebPURL(c.PackageURL); ok {
			byID[d.id()] = c
		}
	})
	if len(byID) != len(o.Installed) {
		t.Fatalf("%d Debian components, want %d", len(byID), len(o.Installed))
	}
	for _, p := range o.Installed {
		c := byID[p.id()]
		if c == nil {
			t.Errorf("%s is not in the SBOM", p.id())
			continue
		}
		if c.Hashes == nil || len(*c.Hashes) != 1 || (*c.Hashes)[0].Algorithm != cdx.HashAlgoSHA256 || (*c.Hashes)[0].Value != p.SHA256 {
			t.Errorf("%s: hashes %v, want SHA-256 %s", p.id(), c.Hashes, p.SHA256)
		}
		if got := property(c, PropertyLayer); got != p.Layer {
			t.Errorf("%s: %s %q, want %q", p.id(), PropertyLayer, got, p.Layer)
		}
		if got := property(c, "aquasecurity:trivy:SrcName"); got != p.Source {
			t.Errorf("%s: trivy's SrcName %q, want the source package %q", p.id(), got, p.Source)
		}
	}
}

func TestCycloneDXErrors(t *testing.T) {
	in := readTestdata(t, "trivy.cdx.json")
	o := testOptions(t)

	o.Name = ""
	if _, err := CycloneDX(in, o); !errors.Is(err, ErrNoName) {
		t.Errorf("no name: %v, want ErrNoName", err)
	}
	o = testOptions(t)
	o.Installed[0].SHA256 = strings.Repeat("0", 64)
	withHash := normaliseCycloneDX(t, in, o)
	if _, err := CycloneDX(withHash, testOptions(t)); err == nil || !strings.Contains(err.Error(), "is not the .deb's") {
		t.Errorf("an SBOM hash that differs from distill's record: %v", err)
	}
	if _, err := CycloneDX([]byte(`{"bomFormat":"SPDX"}`), testOptions(t)); err == nil {
		t.Error("a document that is not CycloneDX was accepted")
	}
	old := bytes.Replace(in, []byte(`"specVersion": "1.7"`), []byte(`"specVersion": "1.4"`), 1)
	if _, err := CycloneDX(old, testOptions(t)); err == nil || !strings.Contains(err.Error(), "1.4") {
		t.Errorf("CycloneDX 1.4: %v", err)
	}
}

func TestOCIPURL(t *testing.T) {
	for name, want := range map[string]string{
		"go-app":                        "pkg:oci/go-app@sha256%3Aab",
		"Distill/Base":                  "pkg:oci/base@sha256%3Aab?repository_url=distill/base",
		"127.0.0.1:5000/team/app:v1":    "pkg:oci/app@sha256%3Aab?repository_url=127.0.0.1%3A5000/team/app",
		"127.0.0.1:5000/app@sha256:bad": "pkg:oci/app@sha256%3Aab?repository_url=127.0.0.1%3A5000/app",
	} {
		if got := ociPURL(name, "sha256:ab"); got != want {
			t.Errorf("ociPURL(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestParseDebPURL(t *testing.T) {
	for purl, want := range map[string]debPackage{
		"pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.15":      {"libc6", "2.36-9+deb12u14", "amd64"},
		"pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&epoch=1": {"zlib1g", "1:1.2.13.dfsg-1", "amd64"},
		"pkg:deb/debian/netbase@6.4?arch=all&epoch=0":                                {"netbase", "6.4", "all"},
	} {
		got, ok := parseDebPURL(purl)
		if !ok || got != want {
			t.Errorf("parseDebPURL(%s) = %+v %v, want %+v", purl, got, ok, want)
		}
	}
	for _, purl := range []string{"pkg:golang/stdlib@v1.26.8", "pkg:deb/debian/libc6", "pkg:deb/debian/@1"} {
		if _, ok := parseDebPURL(purl); ok {
			t.Errorf("parseDebPURL(%s) accepted it", purl)
		}
	}
}
