package sign_test

import (
	"context"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/distill-dev/distill/internal/sign"
)

// Signing the image of an OCI layout with a key, offline, attaching its
// SBOM; publishing it; verifying it.
func Example() {
	ctx := context.Background()
	p, err := layout.FromPath("out/app")
	if err != nil {
		panic(err)
	}
	ii, _ := p.ImageIndex()
	im, _ := ii.IndexManifest()
	img, _ := p.Image(im.Manifests[0].Digest)
	h, _ := img.Digest()

	// The password comes from where the user keeps it, never from a flag.
	key, err := sign.LoadSigner(ctx, "env://COSIGN_PRIVATE_KEY", func() ([]byte, error) {
		return []byte(os.Getenv("COSIGN_PASSWORD")), nil
	})
	if err != nil {
		panic(err)
	}
	sbom, _ := os.ReadFile("out/reports/runtime.cdx.json")
	tag, _ := name.NewTag(os.Getenv("IMAGE")) // the registry's repo:tag
	se, err := sign.Sign(ctx, img, tag.Context(), map[v1.Hash][]sign.Attestation{
		h: {{PredicateType: "cyclonedx", Predicate: sbom}},
	}, sign.Options{Signer: key})
	if err != nil {
		panic(err)
	}
	if _, err := sign.Publish(ctx, tag, se, sign.PublishOptions{}); err != nil {
		panic(err) // the tag did not move
	}

	pub, _ := sign.LoadVerifier(ctx, "cosign.pub")
	res, err := sign.Verify(ctx, tag, sign.VerifyOptions{
		Key: pub, Offline: true, Require: []string{"cyclonedx"},
	})
	if res != nil {
		fmt.Print(res) // one line per check
	}
	if err != nil {
		os.Exit(1)
	}
}
