// Command sdkimage turns the image in an OCI layout into Dagger's Go SDK runtime image
// by appending one layer (a tar), in place: the layout's index then names only the new
// image. tools/dagger.sh runs it on distill's go builder flavour; the engine reads the
// layout as its builtin content store. It prints the new manifest digest.
//
//	go run ./tools/dagger/sdkimage -layout DIR -layer FILE.tar [-ref NAME]
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	dir := flag.String("layout", "", "OCI layout holding exactly one image (rewritten in place)")
	layerTar := flag.String("layer", "", "uncompressed tar to append as a layer")
	ref := flag.String("ref", "", "org.opencontainers.image.ref.name of the new image")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("sdkimage: ")
	if *dir == "" || *layerTar == "" || flag.NArg() > 0 {
		log.Fatal("usage: sdkimage -layout DIR -layer FILE.tar [-ref NAME]")
	}

	p, err := layout.FromPath(*dir)
	if err != nil {
		log.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		log.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		log.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		log.Fatalf("%s: want one image, found %d manifests", *dir, len(im.Manifests))
	}
	base, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		log.Fatal(err)
	}

	layer, err := tarball.LayerFromFile(*layerTar, tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
	if err != nil {
		log.Fatal(err)
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		Created:   v1.Time{Time: time.Unix(0, 0).UTC()},
		CreatedBy: "tools/dagger.sh: Dagger Go SDK layer (codegen, module cache)",
	}})
	if err != nil {
		log.Fatal(err)
	}

	var opts []layout.Option
	if *ref != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": *ref}))
	}
	if err := p.ReplaceImage(img, match.Digests(im.Manifests[0].Digest), opts...); err != nil {
		log.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
}
