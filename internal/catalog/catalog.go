package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/toolchain"
)

// Path is where the frontend image holds its catalog.
const Path = "/etc/distill/catalog.json"

// Catalog lists a frontend's images.
type Catalog struct {
	Bases   []Base  `json:"bases"`
	Scanner Scanner `json:"scanner"`
	VulnDB  VulnDB  `json:"vulnDB"`
}

// Base is one platform's image of a distill flavour.
type Base struct {
	Flavour   string `json:"flavour"`             // "static", "go", "static:debug"
	GoVersion string `json:"goVersion,omitempty"` // as the Spec asks for it ("1.26")
	Platform  string `json:"platform"`            // "linux/amd64"
	// Image is the platform image's reference, pinned: REPO@sha256:….
	Image     string             `json:"image"`
	Packages  []rootfs.Installed `json:"packages,omitempty"`
	Toolchain *toolchain.Go      `json:"toolchain,omitempty"`
}

// Scanner is the scanner image (trivy on the static flavour).
type Scanner struct {
	Image   string `json:"image"`
	Version string `json:"version"`
}

// VulnDB is the vulnerability database image: trivy.db, metadata.json and
// DBInfoFile at its root.
type VulnDB struct {
	Image  string `json:"image"`
	Info   DBInfo `json:"info"`
	SHA256 string `json:"sha256"` // of trivy.db
}

// VulnDBLabel is the label of a database image that describes it (a VulnDB
// without Image, as JSON): how a frontend learns about a database image
// given with --opt vulndb.
const VulnDBLabel = "dev.distill.vulndb"

// DBInfoFile is internal/vulndb's description of a database (vulndb.InfoFile).
const DBInfoFile = "distill-db.json"

// DBInfo is what the frontend needs of internal/vulndb's Info, with its JSON
// names, so that it reads DBInfoFile without importing internal/vulndb (and
// trivy-db, whose packages need a go command at init).
type DBInfo struct {
	Source     string    `json:"source"`
	Schema     int       `json:"schema"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Ecosystems []string  `json:"ecosystems"`
}

// NotFoundError is a base the catalog does not hold.
type NotFoundError struct {
	Ref      plan.BaseRef
	Platform plan.Platform
	Have     []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("base %s for %s is not in this frontend's catalog (it has %s): publish a frontend that has it with distill frontend publish --spec FILE",
		e.Ref, e.Platform, strings.Join(e.Have, ", "))
}

// Lookup finds a flavour's image for a platform.
func (c *Catalog) Lookup(ref plan.BaseRef, p plan.Platform) (Base, error) {
	var have []string
	for _, b := range c.Bases {
		if b.Flavour == ref.Flavour && b.GoVersion == ref.GoVersion && b.Platform == p.String() {
			return b, nil
		}
		have = append(have, b.label())
	}
	slices.Sort(have)
	return Base{}, &NotFoundError{Ref: ref, Platform: p, Have: slices.Compact(have)}
}

func (b Base) label() string {
	r := plan.BaseRef{Flavour: b.Flavour, GoVersion: b.GoVersion}
	return r.String() + " " + b.Platform
}

// Add records a base, replacing one for the same flavour, version and platform.
func (c *Catalog) Add(b Base) {
	c.Bases = slices.DeleteFunc(c.Bases, func(o Base) bool {
		return o.Flavour == b.Flavour && o.GoVersion == b.GoVersion && o.Platform == b.Platform
	})
	c.Bases = append(c.Bases, b)
	slices.SortFunc(c.Bases, func(x, y Base) int { return strings.Compare(x.label(), y.label()) })
}

// Marshal is the catalog's file content: indented, stable.
func (c *Catalog) Marshal() ([]byte, error) {
	dt, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dt, '\n'), nil
}

// Parse reads a catalog and checks that every image is pinned by digest.
func Parse(dt []byte) (*Catalog, error) {
	var c Catalog
	if err := json.Unmarshal(dt, &c); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	check := func(what, ref string) error {
		if !strings.Contains(ref, "@sha256:") {
			return fmt.Errorf("catalog: %s image %q is not pinned by digest", what, ref)
		}
		return nil
	}
	for _, b := range c.Bases {
		if err := check(b.label(), b.Image); err != nil {
			return nil, err
		}
	}
	if c.Scanner.Image != "" {
		if err := check("scanner", c.Scanner.Image); err != nil {
			return nil, err
		}
	}
	if c.VulnDB.Image != "" {
		if err := check("vulnerability database", c.VulnDB.Image); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// Load reads the catalog at path.
func Load(path string) (*Catalog, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(dt)
}
