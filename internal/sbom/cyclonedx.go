package sbom

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"
)

// Property names distill adds. Trivy reads properties outside its own
// aquasecurity:trivy: namespace as external ones and keeps them.
const (
	PropertyLayer = "distill:layer" // the image layer that installed a Debian package
	PropertyStage = "distill:stage" // the pipeline stage an SBOM describes
)

// trivyFilePath is the property trivy gives a package found in a file.
const trivyFilePath = "aquasecurity:trivy:FilePath"

// CycloneDX normalises trivy's CycloneDX JSON (spec 1.5 or later, as
// `trivy convert --format cyclonedx` writes it) into distill's SBOM of the
// image o names: the same bytes for the same scanned filesystem, whatever the
// run.
//
//   - metadata.timestamp is o.Epoch; metadata.component is the image (type
//     container, o.Name, o.Digest as version and pkg:oci purl) and keeps
//     trivy's properties; metadata.tools lists trivy and distill.
//   - Every bom-ref is derived from content: a component's purl when no other
//     component has it (as trivy does), else a UUIDv5 of its type, group,
//     name, version, purl and file path, and of its place in the dependency
//     graph when those are shared. Dependencies and vulnerabilities follow.
//   - Components, properties, hashes, dependencies and vulnerabilities are
//     sorted; serialNumber is the UUIDv5 of the result.
//   - Debian packages distill installed get the .deb's SHA-256 as a hash and
//     their layer as the distill:layer property.
func CycloneDX(trivyCDX []byte, o Options) ([]byte, error) {
	if o.Name == "" {
		return nil, ErrNoName
	}
	bom, err := decodeCycloneDX(trivyCDX)
	if err != nil {
		return nil, err
	}
	if bom.SpecVersion < cdx.SpecVersion1_5 {
		return nil, fmt.Errorf("sbom: CycloneDX %s is not supported: need 1.5 or later", bom.SpecVersion)
	}
	// An SBOM is the inventory: findings depend on the vulnerability DB of the
	// day and live in the vulnerability report, so that the same filesystem
	// always gives the same SBOM.
	bom.Vulnerabilities = nil
	describeImage(bom, o)
	if err := addDebianRecords(bom, indexInstalled(o.Installed)); err != nil {
		return nil, err
	}
	if err := deriveBOMRefs(bom); err != nil {
		return nil, err
	}
	sortBOM(bom)

	bom.SerialNumber = ""
	dt, err := encodeCycloneDX(bom)
	if err != nil {
		return nil, err
	}
	bom.SerialNumber = uuid.NewSHA1(refNamespace, dt).URN()
	return encodeCycloneDX(bom)
}

func decodeCycloneDX(dt []byte) (*cdx.BOM, error) {
	bom := new(cdx.BOM)
	if err := cdx.NewBOMDecoder(bytes.NewReader(dt), cdx.BOMFileFormatJSON).Decode(bom); err != nil {
		return nil, fmt.Errorf("sbom: reading CycloneDX: %w", err)
	}
	if bom.BOMFormat != cdx.BOMFormat {
		return nil, fmt.Errorf("sbom: reading CycloneDX: bomFormat is %q, not %q", bom.BOMFormat, cdx.BOMFormat)
	}
	return bom, nil
}

func encodeCycloneDX(bom *cdx.BOM) ([]byte, error) {
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.Encode(bom); err != nil {
		return nil, fmt.Errorf("sbom: writing CycloneDX: %w", err)
	}
	return buf.Bytes(), nil
}

// describeImage sets the metadata: the time, the tools and the image as the
// described component.
func describeImage(bom *cdx.BOM, o Options) {
	if bom.Metadata == nil {
		bom.Metadata = &cdx.Metadata{}
	}
	md := bom.Metadata
	md.Timestamp = o.timestamp()

	if md.Tools == nil {
		md.Tools = &cdx.ToolsChoice{}
	}
	if md.Tools.Tools != nil && md.Tools.Components == nil { // the pre-1.5 list
		tools := slices.DeleteFunc(slices.Clone(*md.Tools.Tools), func(t cdx.Tool) bool { return t.Name == toolName })
		tools = append(tools, cdx.Tool{Name: toolName, Version: o.toolVersion()})
		md.Tools.Tools = &tools
	} else {
		var tools []cdx.Component
		if md.Tools.Components != nil {
			tools = slices.DeleteFunc(slices.Clone(*md.Tools.Components), func(c cdx.Component) bool {
				return c.Name == toolName && c.Group == ""
			})
		}
		tools = append(tools, cdx.Component{Type: cdx.ComponentTypeApplication, Name: toolName, Version: o.toolVersion()})
		md.Tools.Components = &tools
	}

	image := &cdx.Component{Type: cdx.ComponentTypeContainer, Name: o.Name}
	if old := md.Component; old != nil {
		image.BOMRef = old.BOMRef
		image.Components = old.Components
		image.Properties = old.Properties
	}
	if o.Digest != "" {
		image.Version = o.Digest
		image.PackageURL = ociPURL(o.Name, o.Digest)
	}
	if o.Stage != "" {
		setProperty(&image.Properties, PropertyStage, o.Stage)
	}
	md.Component = image
}

// addDebianRecords gives each Debian package distill installed its .deb hash
// and layer.
func addDebianRecords(bom *cdx.BOM, idx installedIndex) error {
	var err error
	walkComponents(bom, func(c *cdx.Component) {
		d, ok := parseDebPURL(c.PackageURL)
		if !ok || err != nil {
			return
		}
		p, ok := idx.lookup(d)
		if !ok {
			return
		}
		if p.SHA256 != "" {
			if err = setHash(c, p.SHA256); err != nil {
				return
			}
		}
		if p.Layer != "" {
			setProperty(&c.Properties, PropertyLayer, p.Layer)
		}
	})
	return err
}

func setHash(c *cdx.Component, sha256 string) error {
	var hashes []cdx.Hash
	if c.Hashes != nil {
		hashes = *c.Hashes
	}
	for _, h := range hashes {
		if h.Algorithm == cdx.HashAlgoSHA256 {
			if !strings.EqualFold(h.Value, sha256) {
				return fmt.Errorf("sbom: %s: the SBOM's SHA-256 %s is not the .deb's %s", c.PackageURL, h.Value, sha256)
			}
			return nil
		}
	}
	hashes = append(hashes, cdx.Hash{Algorithm: cdx.HashAlgoSHA256, Value: strings.ToLower(sha256)})
	c.Hashes = &hashes
	return nil
}

func setProperty(props **[]cdx.Property, name, value string) {
	var list []cdx.Property
	if *props != nil {
		list = slices.DeleteFunc(slices.Clone(**props), func(p cdx.Property) bool { return p.Name == name })
	}
	list = append(list, cdx.Property{Name: name, Value: value})
	*props = &list
}

func property(c *cdx.Component, name string) string {
	if c.Properties == nil {
		return ""
	}
	for _, p := range *c.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// walkComponents calls f for metadata.component and every component, nested
// ones included.
func walkComponents(bom *cdx.BOM, f func(*cdx.Component)) {
	var walk func(list *[]cdx.Component)
	walk = func(list *[]cdx.Component) {
		if list == nil {
			return
		}
		for i := range *list {
			c := &(*list)[i]
			f(c)
			walk(c.Components)
		}
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		f(bom.Metadata.Component)
		walk(bom.Metadata.Component.Components)
	}
	walk(bom.Components)
}

func walkServices(bom *cdx.BOM, f func(*cdx.Service)) {
	var walk func(list *[]cdx.Service)
	walk = func(list *[]cdx.Service) {
		if list == nil {
			return
		}
		for i := range *list {
			f(&(*list)[i])
			walk((*list)[i].Services)
		}
	}
	walk(bom.Services)
}

// deriveBOMRefs replaces every component's and service's bom-ref by one
// derived from content and rewrites the references to them.
func deriveBOMRefs(bom *cdx.BOM) error {
	type element struct {
		ref     *string
		purl    string
		key     string
		content any
	}
	var els []element
	var nested [][2]int // parent, child: nesting is a relation too
	var collect func(c *cdx.Component, parent int)
	collect = func(c *cdx.Component, parent int) {
		content := *c
		content.BOMRef, content.Components = "", nil
		me := len(els)
		els = append(els, element{
			ref:     &c.BOMRef,
			purl:    c.PackageURL,
			key:     contentKey("component", string(c.Type), c.Group, c.Name, c.Version, c.PackageURL, property(c, trivyFilePath)),
			content: content,
		})
		if parent >= 0 {
			nested = append(nested, [2]int{parent, me})
		}
		if c.Components != nil {
			for i := range *c.Components {
				collect(&(*c.Components)[i], me)
			}
		}
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		collect(bom.Metadata.Component, -1)
	}
	if bom.Components != nil {
		for i := range *bom.Components {
			collect(&(*bom.Components)[i], -1)
		}
	}
	walkServices(bom, func(s *cdx.Service) {
		content := *s
		content.BOMRef, content.Services = "", nil
		els = append(els, element{ref: &s.BOMRef, key: contentKey("service", s.Group, s.Name, s.Version), content: content})
	})

	index := map[string]int{}
	for i, e := range els {
		if *e.ref == "" {
			continue
		}
		if _, dup := index[*e.ref]; dup {
			return fmt.Errorf("sbom: bom-ref %q is used twice", *e.ref)
		}
		index[*e.ref] = i
	}
	nodes := make([]node, len(els))
	for i, e := range els {
		content, err := json.Marshal(e.content)
		if err != nil {
			return err
		}
		nodes[i] = node{key: e.key, content: string(content)}
	}
	edge := func(parent, child int) {
		nodes[parent].down = append(nodes[parent].down, child)
		nodes[child].up = append(nodes[child].up, parent)
	}
	for _, pc := range nested {
		edge(pc[0], pc[1])
	}
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			p, ok := index[d.Ref]
			if !ok || d.Dependencies == nil {
				continue
			}
			for _, ref := range *d.Dependencies {
				if c, ok := index[ref]; ok {
					edge(p, c)
				}
			}
		}
	}

	purls := map[string]int{}
	for _, e := range els {
		if e.purl != "" {
			purls[e.purl]++
		}
	}
	ids := identities(nodes)
	renamed := map[string]string{}
	for i, e := range els {
		ref := e.purl
		if ref == "" || purls[ref] > 1 {
			ref = derivedUUID(ids[i])
		}
		if *e.ref != "" {
			renamed[*e.ref] = ref
		}
		*e.ref = ref
	}
	rewriteRefs(bom, renamed)
	return checkRefsRewritten(bom, renamed, purls)
}

// rewriteRefs points every reference to a component or service at its new
// bom-ref.
func rewriteRefs(bom *cdx.BOM, renamed map[string]string) {
	ref := func(s string) string {
		if n, ok := renamed[s]; ok {
			return n
		}
		return s
	}
	refs := func(list *[]string) {
		if list == nil {
			return
		}
		for i := range *list {
			(*list)[i] = ref((*list)[i])
		}
	}
	bomRefs := func(list *[]cdx.BOMReference) {
		if list == nil {
			return
		}
		for i := range *list {
			(*list)[i] = cdx.BOMReference(ref(string((*list)[i])))
		}
	}
	if bom.Dependencies != nil {
		for i := range *bom.Dependencies {
			d := &(*bom.Dependencies)[i]
			d.Ref = ref(d.Ref)
			refs(d.Dependencies)
			refs(d.Provides)
		}
	}
	if bom.Compositions != nil {
		for i := range *bom.Compositions {
			c := &(*bom.Compositions)[i]
			bomRefs(c.Assemblies)
			bomRefs(c.Dependencies)
			bomRefs(c.Vulnerabilities)
		}
	}
	if bom.Vulnerabilities != nil {
		for i := range *bom.Vulnerabilities {
			v := &(*bom.Vulnerabilities)[i]
			if v.Affects == nil {
				continue
			}
			for j := range *v.Affects {
				(*v.Affects)[j].Ref = ref((*v.Affects)[j].Ref)
			}
		}
	}
	if bom.Annotations != nil {
		for i := range *bom.Annotations {
			bomRefs((*bom.Annotations)[i].Subjects)
		}
	}
}

// checkRefsRewritten fails when an old bom-ref survives somewhere
// rewriteRefs does not know, rather than leave a dangling reference. Old refs
// that are purls are skipped: purl fields hold the same text.
func checkRefsRewritten(bom *cdx.BOM, renamed map[string]string, purls map[string]int) error {
	dt, err := json.Marshal(bom)
	if err != nil {
		return err
	}
	for old, n := range renamed {
		if old == n || purls[old] > 0 {
			continue
		}
		q, _ := json.Marshal(old)
		if bytes.Contains(dt, q) {
			return fmt.Errorf("sbom: bom-ref %q is still referenced from a part of the BOM distill does not rewrite", old)
		}
	}
	return nil
}

// sortBOM puts every list whose order carries no meaning into a fixed order.
func sortBOM(bom *cdx.BOM) {
	walkComponents(bom, sortComponentFields)
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		sortComponents(bom.Metadata.Component.Components)
	}
	sortComponents(bom.Components)
	if bom.Dependencies != nil {
		for i := range *bom.Dependencies {
			d := &(*bom.Dependencies)[i]
			sortUnique(d.Dependencies)
			sortUnique(d.Provides)
		}
		slices.SortFunc(*bom.Dependencies, func(a, b cdx.Dependency) int { return cmp.Compare(a.Ref, b.Ref) })
	}
	if bom.Vulnerabilities != nil {
		for i := range *bom.Vulnerabilities {
			v := &(*bom.Vulnerabilities)[i]
			if v.Affects != nil {
				slices.SortStableFunc(*v.Affects, func(a, b cdx.Affects) int { return cmp.Compare(a.Ref, b.Ref) })
			}
		}
		slices.SortStableFunc(*bom.Vulnerabilities, func(a, b cdx.Vulnerability) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(sourceName(a.Source), sourceName(b.Source)),
				cmp.Compare(firstAffected(a), firstAffected(b)), cmp.Compare(a.BOMRef, b.BOMRef))
		})
	}
}

func sortComponents(list *[]cdx.Component) {
	if list == nil {
		return
	}
	for i := range *list {
		sortComponents((*list)[i].Components)
	}
	slices.SortFunc(*list, func(a, b cdx.Component) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.PackageURL, b.PackageURL), cmp.Compare(a.BOMRef, b.BOMRef))
	})
}

func sortComponentFields(c *cdx.Component) {
	if c.Properties != nil {
		slices.SortStableFunc(*c.Properties, func(a, b cdx.Property) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Value, b.Value))
		})
	}
	if c.Hashes != nil {
		slices.SortStableFunc(*c.Hashes, func(a, b cdx.Hash) int {
			return cmp.Or(cmp.Compare(a.Algorithm, b.Algorithm), cmp.Compare(a.Value, b.Value))
		})
	}
}

func sortUnique(list *[]string) {
	if list == nil {
		return
	}
	slices.Sort(*list)
	*list = slices.Compact(*list)
}

func sourceName(s *cdx.Source) string {
	if s == nil {
		return ""
	}
	return s.Name
}

func firstAffected(v cdx.Vulnerability) string {
	if v.Affects == nil || len(*v.Affects) == 0 {
		return ""
	}
	return (*v.Affects)[0].Ref
}
