package ocistore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

// Annotations distill puts on the descriptors of a store's index.json.
const (
	// KeyAnnotation holds the cache key an image was assembled for.
	KeyAnnotation = "dev.distill.cache-key"
	// RefAnnotation is the OCI ref name (e.g. "distill/static:latest").
	RefAnnotation = "org.opencontainers.image.ref.name"
)

// Store is an OCI image layout directory used as a content-addressed cache.
type Store struct {
	dir  string
	path layout.Path
}

// Open opens the layout at dir, creating it when missing.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return nil, fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
	}
	return &Store{dir: dir, path: p}, nil
}

// Dir is the layout's directory.
func (s *Store) Dir() string { return s.dir }

// Put stores an image under a cache key (and an optional ref name), replacing
// what the key pointed at before. Blobs already present are not rewritten.
func (s *Store) Put(img v1.Image, key, ref string) (v1.Hash, error) {
	h, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	unlock, err := s.lock()
	if err != nil {
		return v1.Hash{}, err
	}
	defer unlock()
	ann := map[string]string{KeyAnnotation: key}
	if ref != "" {
		ann[RefAnnotation] = ref
	}
	if err := s.path.ReplaceImage(img, match.Annotation(KeyAnnotation, key), layout.WithAnnotations(ann)); err != nil {
		return v1.Hash{}, fmt.Errorf("writing image to %s: %w", s.dir, err)
	}
	return h, nil
}

// Get returns the image stored under a cache key; ok is false when none is.
func (s *Store) Get(key string) (img v1.Image, ok bool, err error) {
	ii, err := s.path.ImageIndex()
	if err != nil {
		return nil, false, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, false, err
	}
	for _, d := range im.Manifests {
		if d.Annotations[KeyAnnotation] != key {
			continue
		}
		img, err := s.path.Image(d.Digest)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, false, nil // a blob went missing: rebuild
			}
			return nil, false, err
		}
		return img, true, nil
	}
	return nil, false, nil
}

// Image returns an image of the store by manifest digest.
func (s *Store) Image(h v1.Hash) (v1.Image, error) { return s.path.Image(h) }

// ContentStore exposes the layout as a containerd content store, which is how
// BuildKit clients hand local images to the daemon (SolveOpt.OCIStores).
func (s *Store) ContentStore() (content.Store, error) { return local.NewStore(s.dir) }

// lock serialises index updates between distill processes.
func (s *Store) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
