package runner

import (
	"context"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/solver"
	"github.com/distill-dev/distill/internal/toolchain"
)

// baseKey identifies a base image for one platform.
type baseKey = plan.BaseUse

type resolvedBase struct {
	state     llb.State
	config    *ocispecs.Image
	digest    string             // manifest digest, for the summary and labels
	packages  []rootfs.Installed // what distill installed, for distill flavours (SBOM records)
	toolchain *toolchain.Go      // the Go toolchain of a builder flavour
}

// bases implements llbgen.Bases from images resolved before Generate runs.
type bases map[baseKey]resolvedBase

func (b bases) Base(ref plan.BaseRef, p plan.Platform) (llb.State, *ocispecs.Image, error) {
	r, ok := b[baseKey{Ref: ref, Platform: p}]
	if !ok {
		return llb.State{}, nil, fmt.Errorf("base %s for %s was not resolved", ref, p)
	}
	return r.state, r.config, nil
}

// neededBases lists every base the graph uses.
func neededBases(g *plan.Graph, build plan.Platform) []baseKey { return g.Bases(build) }

// assembleFlavours builds the distill flavours among keys into the local
// image store and returns their states.
func assembleFlavours(ctx context.Context, svc *baseimage.Service, keys []baseKey) (bases, error) {
	out := bases{}
	for _, k := range keys {
		if k.Ref.Flavour == "" {
			continue
		}
		res, err := svc.Build(ctx, rootfs.Request{Flavour: k.Ref.Flavour, Platform: k.Platform.String(), GoVersion: k.Ref.GoVersion})
		if err != nil {
			return nil, fmt.Errorf("base image %s for %s: %w", k.Ref, k.Platform, err)
		}
		digest, err := res.Image.Digest()
		if err != nil {
			return nil, err
		}
		cf, err := res.Image.ConfigFile()
		if err != nil {
			return nil, err
		}
		img, err := toOCI(cf)
		if err != nil {
			return nil, err
		}
		out[k] = resolvedBase{
			state:     llbgen.FromStore("distill/"+k.Ref.Flavour, digest, cf),
			config:    img,
			digest:    digest.String(),
			packages:  res.Packages,
			toolchain: res.Toolchain,
		}
	}
	return out, nil
}

// resolveImages resolves image references among keys through the gateway
// (the engine's registry access and mirrors) into states with their config.
func resolveImages(ctx context.Context, c gateway.Client, keys []baseKey, into bases) error {
	for _, k := range keys {
		if k.Ref.Flavour != "" {
			continue
		}
		st, img, dgst, err := solver.ResolveImage(ctx, c, k.Ref.Image, k.Platform)
		if err != nil {
			return err
		}
		into[k] = resolvedBase{state: st, config: img, digest: dgst.String()}
	}
	return nil
}

func toOCI(cf *v1.ConfigFile) (*ocispecs.Image, error) {
	dt, err := json.Marshal(cf)
	if err != nil {
		return nil, err
	}
	var img ocispecs.Image
	if err := json.Unmarshal(dt, &img); err != nil {
		return nil, err
	}
	return &img, nil
}
