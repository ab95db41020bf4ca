package scan

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

// now is the clock of every test: ignore expiry is judged against it.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// The databases the fixtures were scanned with (testdata/gen/gen.sh).
var (
	goDB = DB{
		Source:     "go-vulndb golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018",
		Schema:     2,
		UpdatedAt:  time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC),
		Ecosystems: []string{EcosystemGo},
	}
	fixturesDB = DB{
		Source:     "fixtures (testdata/gen/mkdb)",
		Schema:     2,
		UpdatedAt:  time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
		Ecosystems: []string{EcosystemGo, EcosystemDebian},
	}
	trivyScanner = Scanner{Name: "trivy", Image: "sha256:2222222222222222222222222222222222222222222222222222222222222222"}
)

const appImage = "example.com/app@sha256:1111111111111111111111111111111111111111111111111111111111111111"

// fixture reads testdata/trivy/NAME.json.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "trivy", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load builds a report from a fixture.
func load(t testing.TB, name, stage string, db DB) *Report {
	t.Helper()
	r, err := FromTrivy(fixture(t, name), Meta{Stage: stage, Image: appImage, Scanner: trivyScanner, DB: db})
	if err != nil {
		t.Fatalf("FromTrivy(%s): %v", name, err)
	}
	return r
}

func loadVEX(t testing.TB, name string) *vex.VEX {
	t.Helper()
	doc, err := LoadVEX(filepath.Join("testdata", "vex", name))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// golden compares got with testdata/golden/NAME, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
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
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", path, firstDiff(want, got))
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return "(no line differs)"
}

// byID returns the finding with id (and package, when given).
func byID(t testing.TB, r *Report, id string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s in %s", id, r.Stage)
	return Finding{}
}

func ids(fs []Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}
