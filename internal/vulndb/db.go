package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/metadata"

	"github.com/distill-dev/distill/internal/baseimage"
)

// The files of a database directory.
const (
	DBFile       = "trivy.db"        // trivy's bbolt database
	MetadataFile = "metadata.json"   // trivy's metadata
	InfoFile     = "distill-db.json" // distill's sidecar: Info
)

// SchemaVersion is the trivy DB schema that distill's pinned trivy reads.
const SchemaVersion = 2

// Info describes a database: where it came from, how old it is and what it covers.
// It is stored as distill-db.json next to trivy.db.
type Info struct {
	// Source says where the data came from: "go-vulndb golang.org/x/vulndb@v0.0.0-…",
	// "trivy-db REPOSITORY" or "import FILE sha256:…".
	Source string `json:"source"`
	// Schema is the trivy DB schema version (metadata.json "Version").
	Schema int `json:"schema"`
	// UpdatedAt is when the advisory data was produced (metadata.json "UpdatedAt").
	// For a go-vulndb build it is the snapshot's date, never the build time.
	UpdatedAt time.Time `json:"updatedAt"`
	// NextUpdate is when the publisher plans the next version (metadata.json "NextUpdate").
	NextUpdate time.Time `json:"nextUpdate"`
	// Ecosystems are the advisory ecosystems the database holds, sorted: "debian",
	// "go", "npm", "python", … (trivy's names; "pip" is reported as "python").
	Ecosystems []string `json:"ecosystems"`
	// Advisories is the number of vulnerability IDs in the database.
	Advisories int `json:"advisories"`
}

// Covers reports whether the database holds advisories for ecosystem.
func (i Info) Covers(ecosystem string) bool {
	return slices.Contains(i.Ecosystems, ecosystem)
}

// Uncovered returns the ecosystems of ImageEcosystems that the database does not hold.
func (i Info) Uncovered() []Ecosystem {
	var out []Ecosystem
	for _, e := range ImageEcosystems {
		if !i.Covers(e.Name) {
			out = append(out, e)
		}
	}
	return out
}

// Ecosystem is a kind of package that distill images contain.
type Ecosystem struct {
	Name     string // as in Info.Ecosystems
	Packages string // what a user calls them: "Debian packages"
}

// ImageEcosystems are the package ecosystems distill's images carry: a database
// that lacks one of them leaves those packages unchecked.
var ImageEcosystems = []Ecosystem{
	{Name: "debian", Packages: "Debian packages"},
	{Name: "go", Packages: "Go modules and the Go standard library"},
	{Name: "npm", Packages: "npm packages"},
	{Name: "python", Packages: "Python packages"},
}

// DB is an installed database directory.
type DB struct {
	Dir  string
	Info Info
}

// Age is how old the advisory data is at now.
func (db *DB) Age(now time.Time) time.Duration {
	return now.Sub(db.Info.UpdatedAt)
}

// Stale reports whether the advisory data is older than maxAge at now. A database
// without a date is always stale.
func (db *DB) Stale(now time.Time, maxAge time.Duration) bool {
	return db.Info.UpdatedAt.IsZero() || db.Age(now) > maxAge
}

// Size is the size of trivy.db in bytes.
func (db *DB) Size() (int64, error) {
	fi, err := os.Stat(filepath.Join(db.Dir, DBFile))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// DefaultDir is where distill keeps its database: <distill cache>/vulndb.
func DefaultDir() (string, error) {
	root, err := baseimage.CacheRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "vulndb"), nil
}

// NotFoundError reports a directory without a database.
type NotFoundError struct {
	Dir string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf(`no vulnerability database in %s: run "distill db build --from-go-vulndb", "distill db update" or "distill db import FILE"`, e.Dir)
}

// Open reads the database in dir. trivy.db and metadata.json must be there and
// the schema must be SchemaVersion. Times and schema come from metadata.json, which
// is what trivy reads; source, ecosystems and the advisory count from
// distill-db.json. Without a sidecar that matches metadata.json (a database put
// there by hand) they are read from trivy.db and the source is unknown.
func Open(dir string) (*DB, error) {
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Dir: dir}
		}
		return nil, err
	}
	md, err := readMetadata(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s has %s but no %s: %w", dir, DBFile, MetadataFile, &NotFoundError{Dir: dir})
		}
		return nil, err
	}
	if md.Version != SchemaVersion {
		return nil, fmt.Errorf("%s: trivy DB schema %d, distill's trivy reads schema %d", filepath.Join(dir, MetadataFile), md.Version, SchemaVersion)
	}
	info, err := readInfo(dir)
	switch {
	case err == nil && info.matches(md):
	case err == nil || errors.Is(err, fs.ErrNotExist):
		ecos, n, ierr := inspect(filepath.Join(dir, DBFile))
		if ierr != nil {
			return nil, ierr
		}
		info = Info{Source: "unknown (no " + InfoFile + " describes this " + DBFile + ")", Ecosystems: ecos, Advisories: n}
	default:
		return nil, err
	}
	info.Schema, info.UpdatedAt, info.NextUpdate = md.Version, md.UpdatedAt.UTC(), md.NextUpdate.UTC()
	return &DB{Dir: dir, Info: info}, nil
}

// matches reports whether the sidecar was written for this metadata.json.
func (i Info) matches(md metadata.Metadata) bool {
	return i.Schema == md.Version && i.UpdatedAt.Equal(md.UpdatedAt) && i.NextUpdate.Equal(md.NextUpdate)
}

func readMetadata(dir string) (metadata.Metadata, error) {
	var md metadata.Metadata
	b, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return md, err
	}
	if err := json.Unmarshal(b, &md); err != nil {
		return md, fmt.Errorf("%s: %w", filepath.Join(dir, MetadataFile), err)
	}
	return md, nil
}

func readInfo(dir string) (Info, error) {
	var info Info
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s: %w", filepath.Join(dir, InfoFile), err)
	}
	return info, nil
}

// writeInfo writes the sidecar: indented JSON with a trailing newline, UTC times.
func writeInfo(dir string, info Info) error {
	info.UpdatedAt, info.NextUpdate = info.UpdatedAt.UTC(), info.NextUpdate.UTC()
	if info.Ecosystems == nil {
		info.Ecosystems = []string{}
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, InfoFile), append(b, '\n'))
}

// describe fills Info for the database files in dir: times from metadata.json,
// ecosystems and count from trivy.db. It checks the schema.
func describe(dir, source string) (Info, error) {
	md, err := readMetadata(dir)
	if err != nil {
		return Info{}, err
	}
	if md.Version != SchemaVersion {
		return Info{}, fmt.Errorf("trivy DB schema %d, distill's trivy reads schema %d", md.Version, SchemaVersion)
	}
	ecos, n, err := inspect(filepath.Join(dir, DBFile))
	if err != nil {
		return Info{}, err
	}
	return Info{
		Source: source, Schema: md.Version, UpdatedAt: md.UpdatedAt.UTC(), NextUpdate: md.NextUpdate.UTC(),
		Ecosystems: ecos, Advisories: n,
	}, nil
}
