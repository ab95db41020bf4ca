package sbom

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/lockfile"
)

// The testdata (see testdata/README.md) is one real scan: distill's base
// flavour (8 Debian packages in two layers, static and base) plus two Go
// binaries, scanned by trivy v0.74.0 twice.
const (
	testName   = "go-app"
	testStage  = "runtime"
	testDigest = "sha256:231cddddd9989b8bff45eb5d2e0fcfeb701b5b257ccee251b839d1900fcdc700" // the base image's
)

var (
	testEpoch = time.Unix(1700000000, 0)
	update    = flag.Bool("update", false, "rewrite the golden files in testdata")
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// testInstalled is distill's record of the scanned image, from its lock.
func testInstalled(t *testing.T) []Installed {
	t.Helper()
	l, err := lockfile.Load(filepath.Join("testdata", "distill.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Installed
	for layer, pkgs := range l.Platforms["linux/amd64"].Layers {
		for name, p := range pkgs {
			out = append(out, Installed{
				Name: name, Version: p.Version, Architecture: p.Architecture,
				Source: p.Source, SourceVersion: p.SourceVersion, SHA256: p.SHA256, Layer: layer,
			})
		}
	}
	slices.SortFunc(out, func(a, b Installed) int { return cmp.Compare(a.Name, b.Name) })
	if len(out) != 8 {
		t.Fatalf("the lock has %d packages, want 8", len(out))
	}
	return out
}

func testOptions(t *testing.T) Options {
	return Options{
		Epoch:       testEpoch,
		Name:        testName,
		Stage:       testStage,
		Digest:      testDigest,
		Installed:   testInstalled(t),
		ToolVersion: "v0.0.0-test",
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s; run go test -run %s -update and review the diff", path, t.Name())
	}
}

// jsonEqual compares two JSON documents as values.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}
