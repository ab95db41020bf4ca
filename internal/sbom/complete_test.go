package sbom

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheckComplete(t *testing.T) {
	o := testOptions(t)
	out := normaliseCycloneDX(t, readTestdata(t, "trivy.cdx.json"), o)
	if err := CheckComplete(out, o.Installed); err != nil {
		t.Fatalf("distill's SBOM of the image: %v", err)
	}
	// Trivy's own SBOM names the same packages; it just has no hashes.
	if err := CheckComplete(readTestdata(t, "trivy.cdx.json"), o.Installed); err != nil {
		t.Fatalf("trivy's SBOM of the image: %v", err)
	}

	t.Run("a package distill installed is missing", func(t *testing.T) {
		installed := append(slices.Clone(o.Installed), Installed{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Architecture: "amd64"})
		e := incomplete(t, CheckComplete(out, installed))
		if !slices.Equal(e.Missing, []string{"zlib1g=1:1.2.13.dfsg-1"}) || e.Unexpected != nil || e.Mismatched != nil {
			t.Errorf("%+v", e)
		}
	})
	t.Run("the SBOM has a package distill did not install", func(t *testing.T) {
		installed := slices.DeleteFunc(slices.Clone(o.Installed), func(p Installed) bool { return p.Name == "libssl3" })
		e := incomplete(t, CheckComplete(out, installed))
		if !slices.Equal(e.Unexpected, []string{"libssl3=3.0.22-1~deb12u2"}) || e.Missing != nil {
			t.Errorf("%+v", e)
		}
	})
	t.Run("another version counts as both", func(t *testing.T) {
		installed := slices.Clone(o.Installed)
		for i := range installed {
			if installed[i].Name == "tzdata" {
				installed[i].Version = "2026g-0+deb12u1"
			}
		}
		e := incomplete(t, CheckComplete(out, installed))
		if !slices.Equal(e.Missing, []string{"tzdata=2026g-0+deb12u1"}) || !slices.Equal(e.Unexpected, []string{"tzdata=2026f-0+deb12u1"}) {
			t.Errorf("%+v", e)
		}
		if msg := e.Error(); !strings.Contains(msg, "missing tzdata=2026g-0+deb12u1") || !strings.Contains(msg, "not installed by distill tzdata=2026f-0+deb12u1") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("a hash that is not the .deb's", func(t *testing.T) {
		installed := slices.Clone(o.Installed)
		installed[2].SHA256 = strings.Repeat("a", 64)
		e := incomplete(t, CheckComplete(out, installed))
		if !slices.Equal(e.Mismatched, []string{installed[2].id()}) || e.Missing != nil || e.Unexpected != nil {
			t.Errorf("%+v", e)
		}
	})
}

func incomplete(t *testing.T, err error) *IncompleteError {
	t.Helper()
	var e *IncompleteError
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *IncompleteError", err)
	}
	return e
}
