package rootfs

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is a regular file to add to an image.
type File struct {
	Path string // absolute or relative path in the image
	Mode int64  // permission bits
	Data []byte // content; or
	From string // a host file to read the content from
}

// AddFiles returns base with one more layer holding files (root-owned,
// timestamps at epoch, parent directories 0755), its config changed by edit.
// Tools that ship as images (the scanner, the frontend) are made this way, so
// they are reproducible like the flavours they run on.
func AddFiles(base v1.Image, files []File, epoch time.Time, createdBy string, edit func(*v1.Config)) (v1.Image, error) {
	t := newTree()
	for _, f := range files {
		data := f.Data
		if f.From != "" {
			var err error
			if data, err = os.ReadFile(f.From); err != nil {
				return nil, err
			}
		}
		t.add(&entry{path: f.Path, typ: tar.TypeReg, mode: f.Mode, data: data})
	}
	l, err := t.layer(epoch, gzip.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("layer of %s: %w", createdBy, err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     l,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: createdBy},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	if edit != nil {
		edit(&cf.Config)
	}
	return mutate.ConfigFile(img, cf)
}
