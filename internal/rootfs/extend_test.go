package rootfs

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestAddFilesIsReproducible(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tool")
	os.WriteFile(bin, []byte("#!binary"), 0o600)
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	epoch := time.Unix(1700000000, 0)
	build := func() v1.Image {
		img, err := AddFiles(base, []File{
			{Path: "/usr/local/bin/tool", Mode: 0o755, From: bin},
			{Path: "etc/tool.conf", Mode: 0o644, Data: []byte("x=1\n")},
		}, epoch, "distill: tool", func(c *v1.Config) { c.Entrypoint = []string{"/usr/local/bin/tool"} })
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b := build(), build()
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("two builds differ: %s %s", da, db)
	}
	cf, _ := a.ConfigFile()
	if cf.Config.Entrypoint[0] != "/usr/local/bin/tool" || len(cf.History) != 1 || cf.History[0].CreatedBy != "distill: tool" {
		t.Fatalf("config %+v", cf)
	}
	layers, _ := a.Layers()
	rc, _ := layers[0].Uncompressed()
	tr := tar.NewReader(rc)
	got := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
	}
	h := got["usr/local/bin/tool"]
	if h == nil || h.Mode != 0o755 || h.Uid != 0 || !h.ModTime.Equal(epoch) || h.Size != 8 {
		t.Fatalf("tool entry %+v", h)
	}
	if d := got["usr/local/bin/"]; d == nil || d.Mode != 0o755 {
		t.Fatalf("parent dir %+v", d)
	}
}
