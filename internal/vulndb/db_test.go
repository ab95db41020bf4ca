package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	bolt "go.etcd.io/bbolt"
)

func TestSchemaIsTrivyDBs(t *testing.T) {
	if SchemaVersion != trivydb.SchemaVersion {
		t.Errorf("SchemaVersion %d, trivy-db builds %d", SchemaVersion, trivydb.SchemaVersion)
	}
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := Open(empty)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("empty dir: %v", err)
	}
	want := `no vulnerability database in ` + empty + `: run "distill db build --from-go-vulndb", "distill db update" or "distill db import FILE"`
	if err.Error() != want {
		t.Errorf("error %q\nwant %q", err, want)
	}
	if _, err := Open(filepath.Join(empty, "missing")); !errors.As(err, &nf) {
		t.Errorf("missing dir: %v", err)
	}

	built := filepath.Join(t.TempDir(), "db")
	if _, err := BuildFromGoVulnDB(context.Background(), writeOSV(t, false), built); err != nil {
		t.Fatal(err)
	}
	noMeta := copyDir(t, built)
	os.Remove(filepath.Join(noMeta, MetadataFile))
	if _, err := Open(noMeta); err == nil || !strings.Contains(err.Error(), "no "+MetadataFile) {
		t.Errorf("without metadata.json: %v", err)
	}
	oldSchema := copyDir(t, built)
	if err := os.WriteFile(filepath.Join(oldSchema, MetadataFile), []byte(`{"Version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(oldSchema); err == nil || !strings.Contains(err.Error(), "schema 1") {
		t.Errorf("schema 1: %v", err)
	}
	notBolt := copyDir(t, built)
	os.Remove(filepath.Join(notBolt, InfoFile))
	if err := os.WriteFile(filepath.Join(notBolt, DBFile), []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(notBolt); err == nil || !strings.Contains(err.Error(), "not a readable trivy database") {
		t.Errorf("not bbolt: %v", err)
	}
}

// A database put in place by hand (no sidecar, or a sidecar for other data) is
// described from trivy.db itself.
func TestOpenWithoutSidecar(t *testing.T) {
	built := filepath.Join(t.TempDir(), "db")
	if _, err := BuildFromGoVulnDB(context.Background(), writeOSV(t, false), built); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(dir string){
		"no sidecar": func(dir string) { os.Remove(filepath.Join(dir, InfoFile)) },
		"other data": func(dir string) {
			os.WriteFile(filepath.Join(dir, MetadataFile), []byte(`{"Version":2,"UpdatedAt":"2027-01-01T00:00:00Z"}`), 0o644)
		},
	} {
		dir := copyDir(t, built)
		change(dir)
		db, err := Open(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(db.Info.Source, "unknown") || !slices.Equal(db.Info.Ecosystems, []string{"go"}) || db.Info.Advisories != 2 {
			t.Errorf("%s: Info = %+v", name, db.Info)
		}
	}
}

func TestAgeAndStale(t *testing.T) {
	updated := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	db := &DB{Info: Info{UpdatedAt: updated}}
	now := updated.Add(50 * time.Hour)
	if got := db.Age(now); got != 50*time.Hour {
		t.Errorf("Age = %s", got)
	}
	if db.Stale(now, 72*time.Hour) || !db.Stale(now, 48*time.Hour) {
		t.Error("Stale wrong around 50h")
	}
	if !(&DB{}).Stale(now, 1000*time.Hour) {
		t.Error("an undated database is not stale")
	}
}

func TestBucketEcosystems(t *testing.T) {
	// Top-level bucket names as the published trivy DB has them.
	buckets := []string{
		"vulnerability", "data-source", "Red Hat CPE",
		"debian 11", "debian 12", "ubuntu 22.04", "alpine 3.20", "amazon linux 2", "Red Hat",
		"openSUSE Leap 15.5", "SUSE Linux Enterprise 15", "Oracle Linux 9", "Photon OS 5.0", "CBL-Mariner 2.0",
		"go::GitHub Security Advisory Go", "go::The Go Vulnerability Database", "npm::GitHub Security Advisory npm",
		"pip::GitHub Security Advisory pip", "rubygems::GitHub Security Advisory RubyGems", "k8s::Official Kubernetes",
	}
	path := filepath.Join(t.TempDir(), DBFile)
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			if name == "vulnerability" {
				for _, id := range []string{"CVE-1", "CVE-2", "CVE-3"} {
					if err := b.Put([]byte(id), []byte("{}")); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ecos, n, err := inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"alpine", "amazon", "cbl-mariner", "debian", "go", "k8s", "npm", "oracle", "photon", "python", "redhat", "rubygems", "suse", "ubuntu"}
	if !slices.Equal(ecos, want) || n != 3 {
		t.Errorf("inspect = %v, %d\nwant %v, 3", ecos, n, want)
	}
	info := Info{Ecosystems: []string{"go"}}
	var missing []string
	for _, e := range info.Uncovered() {
		missing = append(missing, e.Name)
	}
	if !slices.Equal(missing, []string{"debian", "npm", "python"}) {
		t.Errorf("Uncovered = %v", missing)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("DISTILL_CACHE", "/cache/distill")
	if dir, err := DefaultDir(); err != nil || dir != "/cache/distill/vulndb" {
		t.Errorf("DefaultDir = %q, %v", dir, err)
	}
}

// copyDir copies a database directory into a new temporary directory.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "db")
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return out
}
