package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/plan"
)

func TestLookupAddAndRoundTrip(t *testing.T) {
	var c Catalog
	amd64 := plan.Platform{OS: "linux", Arch: "amd64"}
	arm64 := plan.Platform{OS: "linux", Arch: "arm64"}
	c.Add(Base{Flavour: "static", Platform: "linux/arm64", Image: "r/static@sha256:aa"})
	c.Add(Base{Flavour: "go", GoVersion: "1.26", Platform: "linux/amd64", Image: "r/go@sha256:bb"})
	c.Add(Base{Flavour: "static", Platform: "linux/amd64", Image: "r/static@sha256:cc"})
	c.Add(Base{Flavour: "static", Platform: "linux/amd64", Image: "r/static@sha256:dd"}) // replaces cc
	if len(c.Bases) != 3 {
		t.Fatalf("bases %+v", c.Bases)
	}
	b, err := c.Lookup(plan.BaseRef{Flavour: "static"}, amd64)
	if err != nil || b.Image != "r/static@sha256:dd" {
		t.Errorf("static amd64 = %+v, %v", b, err)
	}
	if b, err := c.Lookup(plan.BaseRef{Flavour: "go", GoVersion: "1.26"}, amd64); err != nil || b.Image != "r/go@sha256:bb" {
		t.Errorf("go 1.26 = %+v, %v", b, err)
	}
	_, err = c.Lookup(plan.BaseRef{Flavour: "go", GoVersion: "1.25"}, amd64)
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "distill/go (go 1.26) linux/amd64") {
		t.Errorf("missing base: %v", err)
	}
	if _, err := c.Lookup(plan.BaseRef{Flavour: "go", GoVersion: "1.26"}, arm64); err == nil {
		t.Error("a platform the catalog lacks was found")
	}

	dt, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(dt)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.Marshal()
	if string(again) != string(dt) {
		t.Errorf("round trip changed the catalog:\n%s\n%s", dt, again)
	}
}

func TestParseRefusesUnpinnedImages(t *testing.T) {
	for _, doc := range []string{
		`{"bases":[{"flavour":"static","platform":"linux/amd64","image":"r/static:latest"}]}`,
		`{"scanner":{"image":"r/trivy:v0.74.0"}}`,
		`{"vulnDB":{"image":"r/vulndb:latest"}}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "not pinned by digest") {
			t.Errorf("%s: %v", doc, err)
		}
	}
}
