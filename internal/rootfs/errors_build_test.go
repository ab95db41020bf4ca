package rootfs_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/rootfs"
)

// A dependency the archive cannot satisfy fails the build with the layer and
// the chain that led to it.
func TestResolveFailureNamesLayerAndChain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.security[0].Depends = "libc6 (>= 2.34), libcrypto9 (>= 3.0)"
	w.publish()
	res, err := w.assembler().Build(t.Context(), rootfs.Request{Flavour: "base"})
	var re *debian.ResolveError
	if !errors.As(err, &re) || res != nil {
		t.Fatalf("Build = %v, %v; want a *debian.ResolveError", res, err)
	}
	if re.Relation != "libcrypto9 (>= 3.0)" || !slices.Equal(re.Chain, []string{"libssl3"}) {
		t.Errorf("ResolveError = %+v", re)
	}
	if !strings.Contains(err.Error(), `flavour layer "base"`) {
		t.Errorf("err = %q, want the layer named", err)
	}
	// static does not need libssl3 and still builds.
	w.build(w.assembler(), "static")
}

func TestBuildRequestErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	for _, tc := range []struct {
		req  rootfs.Request
		want string
	}{
		{rootfs.Request{Flavour: "static", Platform: "linux/s390x"}, `platform "linux/s390x" is not supported`},
		{rootfs.Request{Flavour: "static", Platform: "windows/amd64"}, `platform "windows/amd64" is not supported`},
		{rootfs.Request{Flavour: "distroless"}, `unknown flavour "distroless"`},
		{rootfs.Request{Flavour: "debian:debug"}, "only runtime flavours have a :debug variant"},
	} {
		if _, err := a.Build(t.Context(), tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.req, err, tc.want)
		}
	}
	if len(w.archivesOf) != 0 {
		t.Errorf("invalid requests asked for archives %v", w.archivesOf)
	}
}

// linux/arm64 asks for the arm64 archive and makes an arm64/v8 image.
func TestArm64(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "amd64", "arm64")
	a := w.assembler()
	res, err := a.Build(t.Context(), rootfs.Request{Flavour: "static", Platform: "linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.archivesOf, []string{"arm64"}) {
		t.Errorf("archives asked for %v, want [arm64]", w.archivesOf)
	}
	cf := configFile(t, res.Image)
	if cf.OS != "linux" || cf.Architecture != "arm64" || cf.Variant != "v8" || res.Platform != "linux/arm64" {
		t.Errorf("platform %s/%s/%s, result %s", cf.OS, cf.Architecture, cf.Variant, res.Platform)
	}
	for _, p := range res.Packages {
		want := "arm64"
		if p.Name == "ca-certificates" || p.Name == "netbase" || p.Name == "tzdata" {
			want = "all"
		}
		if p.Architecture != want {
			t.Errorf("%s: architecture %s, want %s", p.Name, p.Architecture, want)
		}
	}
	if pinned, err := a.Lock().Layer("linux/arm64", "static"); err != nil || pinned["base-files"].Architecture != "arm64" {
		t.Errorf("arm64 lock: %v, %v", pinned, err)
	}

	// The same Assembler builds amd64 from the amd64 archive; the images differ.
	amd := w.build(a, "static")
	if !slices.Equal(w.archivesOf, []string{"arm64", "amd64"}) {
		t.Errorf("archives asked for %v, want [arm64 amd64]", w.archivesOf)
	}
	if digest(t, amd.Image) == digest(t, res.Image) {
		t.Error("amd64 and arm64 images have the same digest")
	}
	if cf := configFile(t, amd.Image); cf.Architecture != "amd64" || cf.Variant != "" {
		t.Errorf("amd64 image platform %s/%s", cf.Architecture, cf.Variant)
	}

	// linux/arm64/v8 is the same Debian architecture.
	v8, err := a.Build(t.Context(), rootfs.Request{Flavour: "static", Platform: "linux/arm64/v8"})
	if err != nil {
		t.Fatal(err)
	}
	if cf := configFile(t, v8.Image); cf.Architecture != "arm64" || cf.Variant != "v8" {
		t.Errorf("linux/arm64/v8 image platform %s/%s", cf.Architecture, cf.Variant)
	}
}
