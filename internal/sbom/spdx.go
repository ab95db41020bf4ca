package sbom

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// NamespacePrefix starts every SPDX documentNamespace distill writes; the
// image name, the stage and a hash of the document follow.
const NamespacePrefix = "https://distill.dev/spdx/"

// SPDX element kinds, as trivy names them in SPDXIDs (SPDXRef-<kind>-<hash>).
// Trivy's SPDX reader tells operating systems, applications and packages
// apart by these prefixes, so they are kept.
const (
	kindContainerImage = "ContainerImage"
	kindPackage        = "Package"
	kindFile           = "File"
)

const documentID common.ElementID = "DOCUMENT"

// SPDX normalises trivy's SPDX 2.3 JSON into distill's SBOM of the image o
// names, as CycloneDX does for CycloneDX: creationInfo.created and every
// annotation date are o.Epoch; the described package is the image (o.Name,
// purpose CONTAINER, o.Digest as versionInfo and pkg:oci purl); SPDXIDs are
// derived from content (kind, name, version, purl, source info, and the
// relationships around an element where those are shared) and every
// relationship follows; packages, files, relationships and licences are
// sorted; the documentNamespace is NamespacePrefix/<name>/<stage>/<hash of the
// document>. Debian packages distill installed get the .deb's SHA256 as a
// checksum and their layer as a "distill:layer: <layer>" annotation; their
// supplier and originator stay as trivy gives them.
func SPDX(trivySPDX []byte, o Options) ([]byte, error) {
	if o.Name == "" {
		return nil, ErrNoName
	}
	var doc v2_3.Document
	if err := json.Unmarshal(trivySPDX, &doc); err != nil {
		return nil, fmt.Errorf("sbom: reading SPDX: %w", err)
	}
	if doc.SPDXVersion != v2_3.Version {
		return nil, fmt.Errorf("sbom: SPDX version %q is not supported: need %s", doc.SPDXVersion, v2_3.Version)
	}
	if len(doc.Snippets) > 0 {
		return nil, errors.New("sbom: SPDX snippets are not supported")
	}
	if doc.CreationInfo == nil {
		doc.CreationInfo = &v2_3.CreationInfo{}
	}
	unescapeRawStrings(&doc)
	annotator := common.Annotator{Annotator: toolName + "-" + o.toolVersion(), AnnotatorType: "Tool"}
	ts := o.timestamp()

	doc.DocumentName = o.Name
	doc.CreationInfo.Created = ts
	doc.CreationInfo.Creators = slices.DeleteFunc(doc.CreationInfo.Creators, func(c common.Creator) bool {
		return c.CreatorType == "Tool" && strings.HasPrefix(c.Creator, toolName+"-")
	})
	doc.CreationInfo.Creators = append(doc.CreationInfo.Creators, common.Creator{CreatorType: "Tool", Creator: annotator.Annotator})

	// The inventory only: trivy adds its findings as advisory references,
	// which depend on the vulnerability DB of the day (they are in the
	// vulnerability report).
	for _, p := range doc.Packages {
		p.PackageExternalReferences = slices.DeleteFunc(p.PackageExternalReferences, func(r *v2_3.PackageExternalReference) bool {
			return r.Category == "SECURITY" && r.RefType == "advisory"
		})
	}
	describeImageSPDX(&doc, o, annotator)
	idx := indexInstalled(o.Installed)
	for _, p := range doc.Packages {
		// The SPDX 2.3 text spells it OPERATING-SYSTEM, as trivy does; the
		// JSON schema, which SPDX calls authoritative for JSON, allows only
		// OPERATING_SYSTEM.
		if p.PrimaryPackagePurpose == "OPERATING-SYSTEM" {
			p.PrimaryPackagePurpose = "OPERATING_SYSTEM"
		}
		if err := addDebianRecordSPDX(p, idx, annotator); err != nil {
			return nil, err
		}
	}
	for _, p := range doc.Packages {
		for i := range p.Annotations {
			p.Annotations[i].AnnotationDate = ts
		}
	}
	for _, f := range doc.Files {
		for i := range f.Annotations {
			f.Annotations[i].AnnotationDate = ts
		}
	}
	for _, a := range doc.Annotations {
		a.AnnotationDate = ts
	}
	if err := deriveSPDXIDs(&doc); err != nil {
		return nil, err
	}
	sortSPDX(&doc)

	doc.DocumentNamespace = ""
	dt, err := encodeSPDX(&doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(dt)
	doc.DocumentNamespace = namespace(o.Name, o.Stage, hex.EncodeToString(sum[:]))
	return encodeSPDX(&doc)
}

// unescapeRawStrings undoes a flaw of the tools-golang v2 model: suppliers,
// originators, creators and annotators are read by trimming the quotes off
// the raw JSON, so their escapes stay (trivy writes "<" as \u003c), and
// writing them escapes the backslashes once more.
func unescapeRawStrings(doc *v2_3.Document) {
	fix := func(s *string) {
		if !strings.Contains(*s, `\`) {
			return
		}
		var out string
		if err := json.Unmarshal([]byte(`"`+*s+`"`), &out); err == nil {
			*s = out
		}
	}
	for i := range doc.CreationInfo.Creators {
		fix(&doc.CreationInfo.Creators[i].Creator)
	}
	annotations := func(list []v2_3.Annotation) {
		for i := range list {
			fix(&list[i].Annotator.Annotator)
		}
	}
	for _, a := range doc.Annotations {
		fix(&a.Annotator.Annotator)
	}
	for _, p := range doc.Packages {
		if p.PackageSupplier != nil {
			fix(&p.PackageSupplier.Supplier)
		}
		if p.PackageOriginator != nil {
			fix(&p.PackageOriginator.Originator)
		}
		annotations(p.Annotations)
	}
	for _, f := range doc.Files {
		annotations(f.Annotations)
	}
}

func encodeSPDX(doc *v2_3.Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sbom: writing SPDX: %w", err)
	}
	return buf.Bytes(), nil
}

func namespace(name, stage, hash string) string {
	var segs []string
	for _, s := range strings.Split(name, "/") {
		segs = append(segs, url.PathEscape(s))
	}
	if stage != "" {
		segs = append(segs, url.PathEscape(stage))
	}
	return NamespacePrefix + strings.Join(append(segs, hash), "/")
}

// describedID is the element the document DESCRIBES: trivy's root.
func describedID(doc *v2_3.Document) (common.ElementID, bool) {
	for _, r := range doc.Relationships {
		if r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == documentID && r.RefA.DocumentRefID == "" {
			return r.RefB.ElementRefID, true
		}
	}
	return "", false
}

// describeImageSPDX makes the described package the image. Its SPDXID gets
// the ContainerImage kind when SPDXIDs are derived.
func describeImageSPDX(doc *v2_3.Document, o Options, annotator common.Annotator) {
	root, ok := describedID(doc)
	if !ok {
		return
	}
	for _, p := range doc.Packages {
		if p.PackageSPDXIdentifier != root {
			continue
		}
		p.PackageName = o.Name
		p.PrimaryPackagePurpose = "CONTAINER"
		p.PackageVersion = o.Digest
		p.PackageExternalReferences = slices.DeleteFunc(p.PackageExternalReferences, func(r *v2_3.PackageExternalReference) bool {
			return r.RefType == common.TypePackageManagerPURL
		})
		if o.Digest != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &v2_3.PackageExternalReference{
				Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: ociPURL(o.Name, o.Digest),
			})
		}
		if o.Stage != "" {
			setAnnotation(p, annotator, PropertyStage, o.Stage)
		}
	}
}

func addDebianRecordSPDX(p *v2_3.Package, idx installedIndex, annotator common.Annotator) error {
	d, ok := parseDebPURL(packagePURL(p))
	if !ok {
		return nil
	}
	inst, ok := idx.lookup(d)
	if !ok {
		return nil
	}
	if inst.SHA256 != "" {
		have := false
		for _, c := range p.PackageChecksums {
			if c.Algorithm != common.SHA256 {
				continue
			}
			if !strings.EqualFold(c.Value, inst.SHA256) {
				return fmt.Errorf("sbom: %s: the SBOM's SHA256 %s is not the .deb's %s", d.id(), c.Value, inst.SHA256)
			}
			have = true
		}
		if !have {
			p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: common.SHA256, Value: strings.ToLower(inst.SHA256)})
		}
	}
	if inst.Layer != "" {
		setAnnotation(p, annotator, PropertyLayer, inst.Layer)
	}
	return nil
}

// setAnnotation records a "name: value" annotation, the form in which trivy
// writes its properties into SPDX and reads them back.
func setAnnotation(p *v2_3.Package, annotator common.Annotator, name, value string) {
	p.Annotations = slices.DeleteFunc(p.Annotations, func(a v2_3.Annotation) bool {
		return strings.HasPrefix(a.AnnotationComment, name+": ")
	})
	p.Annotations = append(p.Annotations, v2_3.Annotation{
		Annotator:         annotator,
		AnnotationType:    "OTHER",
		AnnotationComment: name + ": " + value,
	})
}

func packagePURL(p *v2_3.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.Category == common.CategoryPackageManager && r.RefType == common.TypePackageManagerPURL {
			return r.Locator
		}
	}
	return ""
}

// kindOf is the kind part of an SPDXID: "Package" in Package-b81d5227216c6493.
func kindOf(id common.ElementID) string {
	s := string(id)
	if i := strings.LastIndexByte(s, '-'); i > 0 {
		return s[:i]
	}
	return kindPackage
}

// deriveSPDXIDs replaces the SPDXID of every package and file by one derived
// from content and rewrites the relationships.
func deriveSPDXIDs(doc *v2_3.Document) error {
	root, _ := describedID(doc)
	type element struct {
		id   *common.ElementID
		kind string
	}
	var els []element
	var nodes []node
	for _, p := range doc.Packages {
		kind := kindOf(p.PackageSPDXIdentifier)
		if p.PackageSPDXIdentifier == root {
			kind = kindContainerImage
		}
		content := *p
		content.PackageSPDXIdentifier = ""
		dt, err := json.Marshal(content)
		if err != nil {
			return err
		}
		els = append(els, element{id: &p.PackageSPDXIdentifier, kind: kind})
		nodes = append(nodes, node{
			key:     contentKey("package", kind, p.PackageName, p.PackageVersion, packagePURL(p), p.PackageSourceInfo),
			content: string(dt),
		})
	}
	for _, f := range doc.Files {
		content := *f
		content.FileSPDXIdentifier = ""
		dt, err := json.Marshal(content)
		if err != nil {
			return err
		}
		var sums []string
		for _, c := range f.Checksums {
			sums = append(sums, string(c.Algorithm)+":"+c.Value)
		}
		slices.Sort(sums)
		els = append(els, element{id: &f.FileSPDXIdentifier, kind: kindFile})
		nodes = append(nodes, node{key: contentKey(append([]string{"file", f.FileName}, sums...)...), content: string(dt)})
	}
	index := map[common.ElementID]int{}
	for i, e := range els {
		if _, dup := index[*e.id]; dup {
			return fmt.Errorf("sbom: SPDXID %q is used twice", *e.id)
		}
		index[*e.id] = i
	}
	for _, r := range doc.Relationships {
		if r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
			continue
		}
		a, okA := index[r.RefA.ElementRefID]
		b, okB := index[r.RefB.ElementRefID]
		if okA && okB {
			nodes[a].down = append(nodes[a].down, b)
			nodes[b].up = append(nodes[b].up, a)
		}
	}
	ids := identities(nodes)
	renamed := map[common.ElementID]common.ElementID{}
	seen := map[common.ElementID]bool{}
	for i, e := range els {
		n := common.ElementID(e.kind + "-" + ids[i][:16])
		if seen[n] {
			return fmt.Errorf("sbom: derived SPDXID %q twice", n)
		}
		seen[n] = true
		renamed[*e.id] = n
		*e.id = n
	}
	for _, r := range doc.Relationships {
		for _, ref := range []*common.DocElementID{&r.RefA, &r.RefB} {
			if ref.DocumentRefID != "" {
				continue
			}
			if n, ok := renamed[ref.ElementRefID]; ok {
				ref.ElementRefID = n
			}
		}
	}
	return nil
}

// sortSPDX puts every list whose order carries no meaning into a fixed order.
func sortSPDX(doc *v2_3.Document) {
	for _, p := range doc.Packages {
		slices.SortFunc(p.PackageChecksums, compareChecksums)
		slices.SortStableFunc(p.PackageExternalReferences, func(a, b *v2_3.PackageExternalReference) int {
			return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.RefType, b.RefType), cmp.Compare(a.Locator, b.Locator))
		})
		slices.SortStableFunc(p.Annotations, compareAnnotations)
	}
	slices.SortFunc(doc.Packages, func(a, b *v2_3.Package) int {
		return cmp.Or(cmp.Compare(a.PrimaryPackagePurpose, b.PrimaryPackagePurpose), cmp.Compare(a.PackageName, b.PackageName),
			cmp.Compare(a.PackageVersion, b.PackageVersion), cmp.Compare(a.PackageSPDXIdentifier, b.PackageSPDXIdentifier))
	})
	for _, f := range doc.Files {
		slices.SortFunc(f.Checksums, compareChecksums)
		slices.SortStableFunc(f.Annotations, compareAnnotations)
	}
	slices.SortFunc(doc.Files, func(a, b *v2_3.File) int {
		return cmp.Or(cmp.Compare(a.FileName, b.FileName), cmp.Compare(a.FileSPDXIdentifier, b.FileSPDXIdentifier))
	})
	relKey := func(r *v2_3.Relationship) string {
		return common.RenderDocElementID(r.RefA) + "\x00" + common.RenderDocElementID(r.RefB) + "\x00" + r.Relationship + "\x00" + r.RelationshipComment
	}
	slices.SortFunc(doc.Relationships, func(a, b *v2_3.Relationship) int { return cmp.Compare(relKey(a), relKey(b)) })
	doc.Relationships = slices.CompactFunc(doc.Relationships, func(a, b *v2_3.Relationship) bool { return relKey(a) == relKey(b) })
	slices.SortStableFunc(doc.OtherLicenses, func(a, b *v2_3.OtherLicense) int {
		return cmp.Compare(a.LicenseIdentifier, b.LicenseIdentifier)
	})
}

func compareChecksums(a, b common.Checksum) int {
	return cmp.Or(cmp.Compare(a.Algorithm, b.Algorithm), cmp.Compare(a.Value, b.Value))
}

func compareAnnotations(a, b v2_3.Annotation) int {
	return cmp.Or(cmp.Compare(a.AnnotationComment, b.AnnotationComment), cmp.Compare(a.Annotator.Annotator, b.Annotator.Annotator),
		cmp.Compare(a.AnnotationType, b.AnnotationType))
}
