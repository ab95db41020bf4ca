package ocistore

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const testRef = "distill/test:latest"

func TestParseOutput(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Output
	}{
		{"oci:out/static", Output{OCIDir, "out/static"}},
		{"tar:out/static.tar", Output{OCITar, "out/static.tar"}},
		{"docker:app.tar", Output{Docker, "app.tar"}},
		{"image:registry.example/app:v1", Output{Push, "registry.example/app:v1"}},
		{"image:localhost:5000/app@sha256:" + strings.Repeat("a", 64), Output{Push, "localhost:5000/app@sha256:" + strings.Repeat("a", 64)}},
		{"oci:dir:with:colons", Output{OCIDir, "dir:with:colons"}},
	} {
		got, err := ParseOutput(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseOutput(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if got.String() != c.in {
			t.Errorf("ParseOutput(%q).String() = %q", c.in, got.String())
		}
	}
	for _, in := range []string{"", "oci", "oci:", ":dir", "out/static", "zip:out.zip", "OCI:out", "image:Not/A Reference", "image:"} {
		if got, err := ParseOutput(in); err == nil {
			t.Errorf("ParseOutput(%q) = %+v; want an error", in, got)
		} else if !strings.Contains(err.Error(), "--output") {
			t.Errorf("ParseOutput(%q): error %q does not name --output", in, err)
		}
	}
}

func TestWriteIndexOCIDir(t *testing.T) {
	idx := platformIndex(t, "linux/amd64", "linux/arm64")
	dir := t.TempDir()
	if err := WriteIndex(context.Background(), Output{OCIDir, dir}, idx, testRef); err != nil {
		t.Fatal(err)
	}
	assertLayoutHolds(t, dir, idx)

	// Writing again replaces the entry instead of adding one.
	other := platformIndex(t, "linux/amd64")
	if err := WriteIndex(context.Background(), Output{OCIDir, dir}, other, testRef); err != nil {
		t.Fatal(err)
	}
	assertLayoutHolds(t, dir, other)
}

func TestWriteIndexOCITar(t *testing.T) {
	idx := platformIndex(t, "linux/amd64", "linux/arm64", "linux/arm/v7")
	file := filepath.Join(t.TempDir(), "multi.tar")
	var writes [2][]byte
	for i := range writes {
		if err := WriteIndex(context.Background(), Output{OCITar, file}, idx, testRef); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		writes[i] = b
	}
	if !bytes.Equal(writes[0], writes[1]) {
		t.Error("two writes of one index gave different tars")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".distill-oci-*")); len(left) != 0 {
		t.Errorf("temporary layouts left behind: %v", left)
	}
	dir := t.TempDir()
	untar(t, writes[0], dir)
	assertLayoutHolds(t, dir, idx)
}

func TestWriteIndexPush(t *testing.T) {
	reg := testRegistry(t)
	idx := platformIndex(t, "linux/amd64", "linux/arm64")
	target := reg + "/distill/multi:v1"
	if err := WriteIndex(context.Background(), Output{Push, target}, idx, testRef); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(target)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	assertSameDigest(t, "pushed index", pushed, idx)
	for _, m := range mustManifest(t, idx).Manifests {
		img, err := pushed.Image(m.Digest)
		if err != nil {
			t.Fatalf("pushed %s: %v", m.Platform, err)
		}
		assertBlobsMatch(t, img)
	}
}

func TestWriteIndexDocker(t *testing.T) {
	idx := platformIndex(t, "linux/arm64")
	want, _, err := Single(idx)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "app.tar")
	if err := WriteIndex(context.Background(), Output{Docker, file}, idx, testRef); err != nil {
		t.Fatal(err)
	}
	assertDockerTarHolds(t, file, want)
}

// BuildKit's attestation manifests are not platforms: an index with one image and
// its attestation still makes a docker tar.
func TestWriteIndexDockerSkipsAttestations(t *testing.T) {
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	att, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	imgDigest, _ := img.Digest()
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": imgDigest.String()},
		}})
	file := filepath.Join(t.TempDir(), "app.tar")
	if err := WriteIndex(context.Background(), Output{Docker, file}, idx, testRef); err != nil {
		t.Fatal(err)
	}
	assertDockerTarHolds(t, file, img)
}

func TestWriteIndexDockerRefusesSeveralPlatforms(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.tar")
	out := Output{Docker, file}
	err := WriteIndex(context.Background(), out, platformIndex(t, "linux/amd64", "linux/arm64"), testRef)
	var pe *OnePlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v; want a OnePlatformError", err)
	}
	want := "docker:" + file + " holds one platform; this build has linux/amd64, linux/arm64: choose one with --platform or use oci:/tar:"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if _, serr := os.Stat(file); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("refused write left %s behind (%v)", file, serr)
	}

	// random.Index leaves platforms out of the index; they come from the configs then.
	noPlatforms, err := random.Index(128, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	err = WriteIndex(context.Background(), out, noPlatforms, testRef)
	if !errors.As(err, &pe) || len(pe.Platforms) != 2 {
		t.Errorf("index without platforms: err = %v; want a OnePlatformError listing 2 images", err)
	}
}

// Write (one image) and WriteIndex agree: both make layouts ReadLayout and Single read.
func TestWriteImage(t *testing.T) {
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := Write(ctx, Output{OCIDir, dir}, img, testRef); err != nil {
		t.Fatal(err)
	}
	idx, err := ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[RefAnnotation] != testRef {
		t.Fatalf("index.json = %+v; want one entry named %s", im.Manifests, testRef)
	}
	got, ok, err := Single(idx)
	if err != nil || !ok {
		t.Fatalf("Single = %v, %v", ok, err)
	}
	assertSameDigest(t, "image in the layout", got, img)

	tar1, tar2 := filepath.Join(t.TempDir(), "1.tar"), filepath.Join(t.TempDir(), "2.tar")
	for _, f := range []string{tar1, tar2} {
		if err := Write(ctx, Output{OCITar, f}, img, testRef); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := readFile(t, tar1), readFile(t, tar2); !bytes.Equal(a, b) {
		t.Error("two tar writes of one image differ")
	}

	docker := filepath.Join(t.TempDir(), "app.tar")
	if err := Write(ctx, Output{Docker, docker}, img, testRef); err != nil {
		t.Fatal(err)
	}
	assertDockerTarHolds(t, docker, img)

	reg := testRegistry(t)
	target := reg + "/distill/one:v1"
	if err := Write(ctx, Output{Push, target}, img, testRef); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(target)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	assertSameDigest(t, "pushed image", pushed, img)
}

func TestWriteUnknownKind(t *testing.T) {
	img, _ := random.Image(16, 1)
	if err := Write(context.Background(), Output{"zip", "x"}, img, testRef); err == nil {
		t.Error("Write to kind zip: no error")
	}
	if err := WriteIndex(context.Background(), Output{"zip", "x"}, empty.Index, testRef); err == nil {
		t.Error("WriteIndex to kind zip: no error")
	}
}

func TestSingle(t *testing.T) {
	one := platformIndex(t, "linux/amd64")
	oneImg, err := one.Image(mustManifest(t, one).Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	nested := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: one})
	for _, c := range []struct {
		name string
		idx  v1.ImageIndex
		ok   bool
	}{
		{"one platform", one, true},
		{"nested", nested, true},
		{"two platforms", platformIndex(t, "linux/amd64", "linux/arm64"), false},
		{"empty", empty.Index, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, ok, err := Single(c.idx)
			if err != nil || ok != c.ok {
				t.Fatalf("Single = %v, %v; want ok %v", ok, err, c.ok)
			}
			if ok {
				assertSameDigest(t, "the single image", img, oneImg)
			}
		})
	}
}

func TestReadLayoutMissing(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadLayout(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("ReadLayout of an empty directory: %v; want an error naming it", err)
	}
}

// platformIndex is an index of random images, one per platform, with the platforms on
// the descriptors as BuildKit writes them.
func platformIndex(t *testing.T, platforms ...string) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		img, err := random.Image(256, 2)
		if err != nil {
			t.Fatal(err)
		}
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
}

// assertLayoutHolds checks that the layout in dir has one entry, named testRef: want,
// with all its manifests. It returns the index read back.
func assertLayoutHolds(t *testing.T, dir string, want v1.ImageIndex) v1.ImageIndex {
	t.Helper()
	top, err := ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	im := mustManifest(t, top)
	if len(im.Manifests) != 1 {
		t.Fatalf("index.json has %d entries; want 1", len(im.Manifests))
	}
	d := im.Manifests[0]
	if !d.MediaType.IsIndex() || d.Annotations[RefAnnotation] != testRef {
		t.Errorf("index.json entry = %+v; want an index named %s", d, testRef)
	}
	got, err := top.ImageIndex(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	assertSameDigest(t, "index in the layout", got, want)
	gotM, wantM := mustManifest(t, got), mustManifest(t, want)
	if len(gotM.Manifests) != len(wantM.Manifests) {
		t.Fatalf("layout index has %d manifests; want %d", len(gotM.Manifests), len(wantM.Manifests))
	}
	for i, m := range wantM.Manifests {
		img, err := got.Image(m.Digest)
		if err != nil {
			t.Fatalf("manifest %d (%s): %v", i, m.Platform, err)
		}
		assertBlobsMatch(t, img)
	}
	return got
}

func assertDockerTarHolds(t *testing.T, file string, want v1.Image) {
	t.Helper()
	tag, err := name.NewTag(testRef)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	gotCfg, err := got.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := want.ConfigName()
	if gotCfg != wantCfg {
		t.Errorf("docker tar has config %s; want %s", gotCfg, wantCfg)
	}
	gotLayers, wantLayers := layerDigests(t, got), layerDigests(t, want)
	if !slices.Equal(gotLayers, wantLayers) {
		t.Errorf("docker tar has layers %v; want %v", gotLayers, wantLayers)
	}
	assertBlobsMatch(t, got)
}

// assertBlobsMatch reads the image's config and layers and checks them against
// their digests.
func assertBlobsMatch(t *testing.T, img v1.Image) {
	t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.ConfigName()
	if got, _, _ := v1.SHA256(bytes.NewReader(cfg)); got != want {
		t.Errorf("config has digest %s; want %s", got, want)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		want, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := v1.SHA256(rc)
		rc.Close()
		if err != nil || got != want {
			t.Errorf("layer %s reads back as %s (%v)", want, got, err)
		}
	}
}

type digester interface{ Digest() (v1.Hash, error) }

func assertSameDigest(t *testing.T, what string, got, want digester) {
	t.Helper()
	g, err := got.Digest()
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if g != w {
		t.Errorf("%s has digest %s; want %s", what, g, w)
	}
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var hs []v1.Hash
	for _, l := range ls {
		h, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	return hs
}

func mustManifest(t *testing.T, idx v1.ImageIndex) *v1.IndexManifest {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// testRegistry serves an in-memory registry and returns its host:port.
func testRegistry(t *testing.T) string {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the user's config
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func untar(t *testing.T, b []byte, dir string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
