package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/spdxlib"
)

func normaliseSPDX(t *testing.T, in []byte, o Options) []byte {
	t.Helper()
	out, err := SPDX(in, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSPDXIsDeterministic(t *testing.T) {
	run1, run2 := readTestdata(t, "trivy.spdx.json"), readTestdata(t, "trivy.run2.spdx.json")
	if bytes.Equal(run1, run2) {
		t.Fatal("the two trivy runs in testdata are identical; they should differ as trivy's runs do")
	}
	o := testOptions(t)
	a := normaliseSPDX(t, run1, o)
	if b := normaliseSPDX(t, run1, o); !bytes.Equal(a, b) {
		t.Fatal("normalising the same input twice gave different bytes")
	}
	if b := normaliseSPDX(t, run2, o); !bytes.Equal(a, b) {
		t.Fatal("normalising two trivy runs of the same filesystem gave different bytes")
	}
	if b := normaliseSPDX(t, a, o); !bytes.Equal(a, b) {
		t.Fatal("normalising distill's output again changed it")
	}
	golden(t, "go-app.runtime.spdx.json", a)
}

var spdxIDPattern = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.\-]+$`)

// validateSPDX checks a document as far as the SPDX 2.3 model in
// spdx/tools-golang can: it must decode into v2_3.Document and encode back to
// the same JSON (so it has no field the model does not know and none of an
// unexpected shape; escaped strings aside, which the model mangles), pass spdxlib.ValidateDocument, and have every field SPDX
// 2.3 requires, in the form the specification gives.
func validateSPDX(t *testing.T, dt []byte) error {
	t.Helper()
	var doc v2_3.Document
	if err := json.Unmarshal(dt, &doc); err != nil {
		return err
	}
	if doc.CreationInfo == nil {
		return errors.New("no creationInfo")
	}
	unescapeRawStrings(&doc) // the model's flaw, see there
	again, err := json.Marshal(&doc)
	if err != nil {
		return err
	}
	if !jsonEqual(t, dt, again) {
		return errors.New("the document does not survive decoding into the SPDX 2.3 model and encoding again")
	}
	if err := spdxlib.ValidateDocument(&doc); err != nil {
		return err
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXIdentifier != "DOCUMENT" || doc.DocumentName == "" {
		fail("document header %s %s %s %q", doc.SPDXVersion, doc.DataLicense, doc.SPDXIdentifier, doc.DocumentName)
	}
	if u, err := url.Parse(doc.DocumentNamespace); err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(doc.DocumentNamespace, "#") {
		fail("documentNamespace %q is not an absolute URI without '#'", doc.DocumentNamespace)
	}
	if doc.CreationInfo == nil || len(doc.CreationInfo.Creators) == 0 || !rfc3339UTC.MatchString(doc.CreationInfo.Created) {
		fail("creationInfo %+v", doc.CreationInfo)
	}
	ids := map[string]bool{"SPDXRef-DOCUMENT": true}
	for _, p := range doc.Packages {
		id := "SPDXRef-" + string(p.PackageSPDXIdentifier)
		if !spdxIDPattern.MatchString(id) || ids[id] {
			fail("package SPDXID %q is malformed or used twice", id)
		}
		ids[id] = true
		if p.PackageName == "" || p.PackageDownloadLocation == "" {
			fail("package %s lacks name or downloadLocation", id)
		}
		for _, c := range p.PackageChecksums {
			if c.Algorithm == common.SHA256 && !sha256Hex.MatchString(c.Value) {
				fail("package %s: SHA256 %q is not 64 lower-case hex digits", id, c.Value)
			}
		}
		for _, a := range p.Annotations {
			if !rfc3339UTC.MatchString(a.AnnotationDate) || a.AnnotationType == "" || a.Annotator.Annotator == "" || a.AnnotationComment == "" {
				fail("package %s: incomplete annotation %+v", id, a)
			}
		}
	}
	for _, f := range doc.Files {
		id := "SPDXRef-" + string(f.FileSPDXIdentifier)
		if !spdxIDPattern.MatchString(id) || ids[id] || len(f.Checksums) == 0 {
			fail("file %s is malformed", id)
		}
		ids[id] = true
	}
	for _, r := range doc.Relationships {
		for _, ref := range []common.DocElementID{r.RefA, r.RefB} {
			if ref.DocumentRefID == "" && ref.SpecialID == "" && !ids["SPDXRef-"+string(ref.ElementRefID)] {
				fail("relationship %s refers to unknown %s", r.Relationship, ref.ElementRefID)
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

var (
	rfc3339UTC = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	sha256Hex  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func TestSPDXIsValid(t *testing.T) {
	out := normaliseSPDX(t, readTestdata(t, "trivy.spdx.json"), testOptions(t))
	if err := validateSPDX(t, out); err != nil {
		t.Fatalf("distill's SPDX is not valid: %v", err)
	}
	if err := validateSPDX(t, readTestdata(t, "trivy.spdx.json")); err != nil {
		t.Fatalf("trivy's own SPDX is not valid: %v", err)
	}
	// The checks do reject a broken document.
	bad := bytes.Replace(out, []byte(`"relatedSpdxElement": "SPDXRef-`), []byte(`"relatedSpdxElement": "SPDXRef-gone`), 1)
	if err := validateSPDX(t, bad); err == nil {
		t.Fatal("a relationship to an unknown element passed validation")
	}
	unknown := bytes.Replace(out, []byte(`"dataLicense"`), []byte(`"dataLicence": "x", "dataLicense"`), 1)
	if err := validateSPDX(t, unknown); err == nil {
		t.Fatal("a field SPDX 2.3 does not have passed validation")
	}
}

// TestSPDXOfficialSchema validates distill's SPDX against the official SPDX
// 2.3 JSON schemas ($id http://spdx.org/rdf/terms/2.3): the v2.3 release's and
// the v2.3.1 revision's, as the spdx-spec repository publishes them. They are
// read from the sbom-utility module that tools/schemas pins (go.sum-verified);
// `make test` downloads it.
func TestSPDXOfficialSchema(t *testing.T) {
	dir := filepath.Join(moduleDirIn(t, "../../tools/schemas", "github.com/CycloneDX/sbom-utility"), "resources", "schema", "spdx")
	documents := map[string][]byte{
		"distill's SPDX of trivy's scan": normaliseSPDX(t, readTestdata(t, "trivy.spdx.json"), testOptions(t)),
		"go-app.runtime.spdx.json":       readTestdata(t, "go-app.runtime.spdx.json"),
	}
	for _, version := range []string{"2.3", "2.3.1"} {
		sch := spdxSchema(t, filepath.Join(dir, version, "spdx-schema.json"))
		for name, dt := range documents {
			if err := sch.Validate(jsonInstance(t, dt)); err != nil {
				t.Errorf("%s is not valid against the SPDX %s schema: %v", name, version, err)
			}
		}
		// The schema does reject what SPDX 2.3 forbids.
		out := documents["go-app.runtime.spdx.json"]
		for what, bad := range map[string][]byte{
			"a relationship type SPDX 2.3 does not have": bytes.Replace(out, []byte(`"relationshipType": "CONTAINS"`), []byte(`"relationshipType": "HOLDS"`), 1),
			"a field SPDX 2.3 does not have":             bytes.Replace(out, []byte(`"creationInfo": {`), []byte(`"creationInfo": {"createdBy": "x", `), 1),
			"a package without its downloadLocation":     bytes.Replace(out, []byte(`"downloadLocation": "NONE",`), nil, 1),
		} {
			if bytes.Equal(bad, out) {
				t.Fatalf("%s: the replacement did not apply", what)
			}
			if err := sch.Validate(jsonInstance(t, bad)); err == nil {
				t.Errorf("SPDX %s schema: %s passed", version, what)
			}
		}
	}
}

// spdxSchema compiles an SPDX JSON schema file, with format assertions on.
func spdxSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func jsonInstance(t *testing.T, dt []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(dt))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func decodeSPDXForTest(t *testing.T, dt []byte) *v2_3.Document {
	t.Helper()
	var doc v2_3.Document
	if err := json.Unmarshal(dt, &doc); err != nil {
		t.Fatal(err)
	}
	unescapeRawStrings(&doc)
	return &doc
}

func TestSPDXContent(t *testing.T) {
	o := testOptions(t)
	in := decodeSPDXForTest(t, readTestdata(t, "trivy.spdx.json"))
	doc := decodeSPDXForTest(t, normaliseSPDX(t, readTestdata(t, "trivy.spdx.json"), o))

	if !strings.HasPrefix(doc.DocumentNamespace, NamespacePrefix+"go-app/runtime/") || doc.DocumentName != testName {
		t.Errorf("name %q, namespace %q", doc.DocumentName, doc.DocumentNamespace)
	}
	if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created %q, want SOURCE_DATE_EPOCH", doc.CreationInfo.Created)
	}
	var creators []string
	for _, c := range doc.CreationInfo.Creators {
		creators = append(creators, c.CreatorType+": "+c.Creator)
	}
	if got := strings.Join(creators, ", "); got != "Organization: aquasecurity, Tool: trivy-0.74.0, Tool: distill-v0.0.0-test" {
		t.Errorf("creators %s", got)
	}
	if bytes.Contains(normaliseSPDX(t, readTestdata(t, "trivy.spdx.json"), o), []byte("2026-")) {
		t.Error("a date of the scan is left in the output")
	}

	root, _ := describedID(doc)
	kinds := map[string]int{}
	supplier := map[string]string{}
	for _, p := range in.Packages {
		if p.PackageSupplier != nil {
			supplier[p.PackageName+"@"+p.PackageVersion] = p.PackageSupplier.Supplier
		}
	}
	byID := map[string]*v2_3.Package{}
	for _, p := range doc.Packages {
		kinds[kindOf(p.PackageSPDXIdentifier)]++
		if p.PackageSupplier != nil && supplier[p.PackageName+"@"+p.PackageVersion] != p.PackageSupplier.Supplier {
			t.Errorf("%s: supplier %q changed", p.PackageName, p.PackageSupplier.Supplier)
		}
		if d, ok := parseDebPURL(packagePURL(p)); ok {
			byID[d.id()] = p
		}
		if p.PackageSPDXIdentifier == root {
			if p.PackageName != testName || p.PrimaryPackagePurpose != "CONTAINER" || p.PackageVersion != testDigest ||
				!strings.HasPrefix(packagePURL(p), "pkg:oci/go-app@") || kindOf(p.PackageSPDXIdentifier) != kindContainerImage {
				t.Errorf("the described package is not the image: %+v", p)
			}
		}
	}
	if kinds["OperatingSystem"] != 1 || kinds["Application"] != 2 || kinds["Package"] != 13 || kinds[kindContainerImage] != 1 {
		t.Errorf("element kinds %v", kinds)
	}
	for _, inst := range o.Installed {
		p := byID[inst.id()]
		if p == nil {
			t.Errorf("%s is not in the SPDX document", inst.id())
			continue
		}
		if len(p.PackageChecksums) != 1 || p.PackageChecksums[0].Algorithm != common.SHA256 || p.PackageChecksums[0].Value != inst.SHA256 {
			t.Errorf("%s: checksums %v, want SHA256 %s", inst.id(), p.PackageChecksums, inst.SHA256)
		}
		found := false
		for _, a := range p.Annotations {
			found = found || a.AnnotationComment == PropertyLayer+": "+inst.Layer
		}
		if !found {
			t.Errorf("%s: no %s annotation for layer %s", inst.id(), PropertyLayer, inst.Layer)
		}
		if want := "built package from: " + inst.Source + " "; !strings.HasPrefix(p.PackageSourceInfo, want) {
			t.Errorf("%s: sourceInfo %q, want %q…", inst.id(), p.PackageSourceInfo, want)
		}
	}
}

func TestSPDXErrors(t *testing.T) {
	in := readTestdata(t, "trivy.spdx.json")
	o := testOptions(t)
	o.Name = ""
	if _, err := SPDX(in, o); !errors.Is(err, ErrNoName) {
		t.Errorf("no name: %v", err)
	}
	old := bytes.Replace(in, []byte(`"SPDX-2.3"`), []byte(`"SPDX-2.2"`), 1)
	if _, err := SPDX(old, testOptions(t)); err == nil || !strings.Contains(err.Error(), "SPDX-2.2") {
		t.Errorf("SPDX 2.2: %v", err)
	}
	o = testOptions(t)
	o.Installed[1].SHA256 = strings.Repeat("1", 64)
	withSum := normaliseSPDX(t, in, o)
	if _, err := SPDX(withSum, testOptions(t)); err == nil || !strings.Contains(err.Error(), "is not the .deb's") {
		t.Errorf("an SBOM checksum that differs from distill's record: %v", err)
	}
}
