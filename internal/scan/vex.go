package scan

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
	"github.com/package-url/packageurl-go"
)

// LoadVEX reads an OpenVEX document (any OpenVEX version go-vex reads) and
// checks its statements. A document without an @id gets path as its ID, so
// that suppressions can name where they come from.
func LoadVEX(path string) (*vex.VEX, error) {
	doc, err := vex.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading VEX %s: %w", path, err)
	}
	return checkVEX(doc, path)
}

// ParseVEX is LoadVEX for a document read elsewhere (the frontend reads it
// from the build context); name stands for its path.
func ParseVEX(data []byte, name string) (*vex.VEX, error) {
	f, err := os.CreateTemp("", "distill-vex-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	// vex.Open reads every OpenVEX version; it only takes a path.
	doc, err := vex.Open(f.Name())
	if err != nil {
		return nil, fmt.Errorf("reading VEX %s: %w", name, err)
	}
	return checkVEX(doc, name)
}

func checkVEX(doc *vex.VEX, path string) (*vex.VEX, error) {
	for i := range doc.Statements {
		s := &doc.Statements[i]
		if s.Vulnerability.Name == "" && s.Vulnerability.ID == "" {
			return nil, fmt.Errorf("VEX %s: statement %d: vulnerability: name required", path, i)
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("VEX %s: statement %d (%s): %w", path, i, s.Vulnerability.Name, err)
		}
	}
	if doc.ID == "" {
		doc.ID = path
	}
	return doc, nil
}

// vexStatement is a statement with the document it came from and the time it
// speaks for.
type vexStatement struct {
	vex.Statement
	doc   *vex.VEX
	time  time.Time
	order int
}

type statementSet []vexStatement

func vexStatements(docs []*vex.VEX) statementSet {
	var out statementSet
	for _, doc := range docs {
		if doc == nil {
			continue
		}
		for _, s := range doc.Statements {
			t := s.Timestamp
			if t == nil || t.IsZero() {
				t = doc.Timestamp
			}
			st := vexStatement{Statement: s, doc: doc, order: len(out)}
			if t != nil {
				st.time = *t
			}
			out = append(out, st)
		}
	}
	return out
}

// suppression returns the suppression the latest statement about f gives,
// or nil when no statement matches or the latest one says affected or
// under_investigation.
func (ss statementSet) suppression(f *Finding) *Suppression {
	var latest *vexStatement
	for i := range ss {
		s := &ss[i]
		if !s.aboutVulnerability(f) || !s.coversPackage(f.PURL) {
			continue
		}
		// Later time wins; at equal times the later statement does.
		if latest == nil || !s.time.Before(latest.time) {
			latest = s
		}
	}
	if latest == nil {
		return nil
	}
	switch latest.Status {
	case vex.StatusNotAffected, vex.StatusFixed:
	default:
		return nil
	}
	reason := string(latest.Status)
	for _, part := range []string{string(latest.Justification), latest.ImpactStatement, latest.StatusNotes} {
		if part != "" {
			reason += ": " + part
		}
	}
	return &Suppression{By: ByVEX, Reason: reason, Source: latest.doc.ID}
}

func (s *vexStatement) aboutVulnerability(f *Finding) bool {
	for _, id := range f.IDs() {
		if s.Vulnerability.Matches(id) {
			return true
		}
	}
	return false
}

// coversPackage reports whether the statement's products cover the package
// with purl; see Policy.Evaluate for the rules.
func (s *vexStatement) coversPackage(purl string) bool {
	if len(s.Products) == 0 {
		return true
	}
	for _, p := range s.Products {
		if len(p.Subcomponents) > 0 {
			for _, sc := range p.Subcomponents {
				if purl != "" && sc.Matches(purl) {
					return true
				}
			}
			continue
		}
		if !isPackage(p.Component) {
			return true // the image itself: every package in it
		}
		if purl != "" && p.Matches(purl, "") {
			return true
		}
	}
	return false
}

// isPackage reports whether a VEX component names a package (a purl of a
// package type) rather than the image or some other product.
func isPackage(c vex.Component) bool {
	ids := []string{c.ID}
	for t, id := range c.Identifiers {
		if t == vex.PURL {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "pkg:") {
			continue
		}
		p, err := packageurl.FromString(id)
		if err != nil {
			continue
		}
		if p.Type != packageurl.TypeOCI && p.Type != packageurl.TypeDocker {
			return true
		}
	}
	return false
}
