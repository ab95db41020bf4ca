package ocistore

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// OutputKind is where an image goes.
type OutputKind string

const (
	OCIDir OutputKind = "oci"    // an OCI image layout directory
	OCITar OutputKind = "tar"    // an OCI image layout in a tar file
	Docker OutputKind = "docker" // a tar that `docker load` accepts
	Push   OutputKind = "image"  // a registry reference
)

// Output is a parsed --output value such as "oci:out/static".
type Output struct {
	Kind   OutputKind
	Target string // directory, file or image reference
}

func (o Output) String() string { return string(o.Kind) + ":" + o.Target }

// ParseOutput parses KIND:TARGET, with KIND one of oci, tar, docker, image.
func ParseOutput(s string) (Output, error) {
	kind, target, ok := strings.Cut(s, ":")
	if ok && target != "" {
		switch k := OutputKind(kind); k {
		case OCIDir, OCITar, Docker, Push:
			if k == Push {
				if _, err := name.ParseReference(target); err != nil {
					return Output{}, fmt.Errorf("--output %q: %w", s, err)
				}
			}
			return Output{Kind: k, Target: target}, nil
		}
	}
	return Output{}, fmt.Errorf("--output %q: want oci:DIR, tar:FILE, docker:FILE or image:REF", s)
}

// Write sends an image to an output. ref names the image inside layouts and
// docker tars ("distill/static:latest").
func Write(ctx context.Context, o Output, img v1.Image, ref string) error {
	switch o.Kind {
	case OCIDir, OCITar:
		return writeLayout(o, func(p layout.Path) error { return p.AppendImage(img, refAnnotation(ref)) })
	case Docker:
		return writeDocker(o.Target, img, ref)
	case Push:
		r, err := name.ParseReference(o.Target)
		if err != nil {
			return err
		}
		return remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	return fmt.Errorf("unknown output kind %q", o.Kind)
}

// WriteIndex sends a multi-platform result to an output. oci: and tar: write the
// index, with all its platform manifests, as the layout's single entry, named ref;
// image: pushes it. docker: takes only an index holding one platform's image (a
// `docker load` tar has no index), and writes that image.
func WriteIndex(ctx context.Context, o Output, idx v1.ImageIndex, ref string) error {
	switch o.Kind {
	case OCIDir, OCITar:
		return writeLayout(o, func(p layout.Path) error { return p.AppendIndex(idx, refAnnotation(ref)) })
	case Docker:
		imgs, err := platformImages(idx)
		if err != nil {
			return err
		}
		if len(imgs) != 1 {
			return &OnePlatformError{Output: o, Platforms: platformNames(imgs)}
		}
		img, err := imgs[0].image()
		if err != nil {
			return err
		}
		return writeDocker(o.Target, img, ref)
	case Push:
		r, err := name.ParseReference(o.Target)
		if err != nil {
			return err
		}
		return remote.WriteIndex(r, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	return fmt.Errorf("unknown output kind %q", o.Kind)
}

// OnePlatformError is WriteIndex refusing to put other than one platform's image
// into a docker tar.
type OnePlatformError struct {
	Output    Output
	Platforms []string // the index's platforms, in index order
}

func (e *OnePlatformError) Error() string {
	if len(e.Platforms) == 0 {
		return fmt.Sprintf("%s holds one platform; this build has no image", e.Output)
	}
	return fmt.Sprintf("%s holds one platform; this build has %s: choose one with --platform or use oci:/tar:",
		e.Output, strings.Join(e.Platforms, ", "))
}

func refAnnotation(ref string) layout.Option {
	return layout.WithAnnotations(map[string]string{RefAnnotation: ref})
}

func writeDocker(file string, img v1.Image, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(file, tag, img)
}

// writeLayout writes a layout holding just what add appends: into the directory of
// an oci: output, or into the tar of a tar: output.
func writeLayout(o Output, add func(layout.Path) error) error {
	if o.Kind == OCITar {
		return writeLayoutTar(o.Target, add)
	}
	return writeLayoutDir(o.Target, add)
}

// writeLayoutDir writes a fresh index.json in dir holding what add appends. Blobs
// already in dir stay.
func writeLayoutDir(dir string, add func(layout.Path) error) error {
	if err := os.RemoveAll(filepath.Join(dir, "index.json")); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return add(p)
}

// writeLayoutTar writes the layout into a tar with sorted entries and fixed
// timestamps, so equal images give equal files.
func writeLayoutTar(file string, add func(layout.Path) error) error {
	dir, err := os.MkdirTemp(filepath.Dir(file), ".distill-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeLayoutDir(dir, add); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := tarDir(f, dir); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func tarDir(w io.Writer, dir string) error {
	var paths []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		paths = append(paths, p)
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Size: st.Size()}
		if st.IsDir() {
			h.Name += "/"
			h.Mode, h.Typeflag, h.Size = 0o755, tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !st.IsDir() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}
