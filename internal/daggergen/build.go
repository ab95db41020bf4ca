package daggergen

import (
	"context"
	"fmt"
	"sync"

	"dagger.io/dagger"
	"golang.org/x/sync/errgroup"

	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scanrun"
)

// Request is a program to evaluate.
type Request struct {
	Program *Program
	Target  plan.Target
	// Scanner runs the graph's scans; nil skips them.
	Scanner *Scanner
	// OnScan receives each scan (a failed gate fails the build).
	OnScan func(context.Context, scanrun.Scan) error
}

// Build evaluates the request as solver.Build does on BuildKit: tests,
// scans and every platform's runtime in parallel; it returns the images to
// export only when all succeed.
func Build(ctx context.Context, c *dagger.Client, req Request) ([]Image, error) {
	prog := req.Program
	g := prog.Graph
	eg, ctx := errgroup.WithContext(ctx)
	if req.Target == plan.TargetRuntime || req.Target == plan.TargetTest {
		for _, t := range prog.Tests {
			eg.Go(func() error {
				if _, err := t.Container.Sync(ctx); err != nil {
					return fmt.Errorf("%s stage failed: %w", t.Name, err)
				}
				return nil
			})
		}
	}
	images := prog.Runtimes
	switch req.Target {
	case plan.TargetBuild:
		images = prog.Builds
	case plan.TargetTest:
		images = nil
	}
	var mu sync.Mutex
	scan := func(target *dagger.Directory, stage string, p plan.Platform, gate bool) {
		eg.Go(func() error {
			out, err := Scan(ctx, c, *req.Scanner, target, stage, p, gate)
			if err != nil {
				return fmt.Errorf("scan %s stage failed: %w", stage, err)
			}
			mu.Lock()
			defer mu.Unlock()
			return req.OnScan(ctx, out)
		})
	}
	if req.Target == plan.TargetRuntime && req.Scanner != nil {
		for _, sc := range g.Scans {
			if sc.Stage == plan.RuntimeStage {
				for _, rt := range prog.Runtimes {
					scan(rt.Container.Rootfs(), sc.Stage, rt.Platform, sc.Gate)
				}
				continue
			}
			st, ok := g.Stage(sc.Stage)
			if !ok {
				return nil, fmt.Errorf("scan of stage %q: no such stage", sc.Stage)
			}
			p := prog.build
			if st.PerPlatform {
				p = g.Platforms[0]
			}
			ctr, ok := prog.stages[stageKey{st.Name, p}]
			if !ok {
				return nil, fmt.Errorf("scan of stage %q: not built", sc.Stage)
			}
			scan(ctr.Rootfs(), sc.Stage, p, sc.Gate)
		}
	}
	for _, img := range images {
		eg.Go(func() error {
			if _, err := img.Container.Sync(ctx); err != nil {
				return fmt.Errorf("%s for %s: %w", req.Target, img.Platform, err)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return images, nil
}

// CatalogBases resolves distill flavours from a frontend catalog's pinned
// images, and image references as they are.
type CatalogBases struct {
	Client  *dagger.Client
	Catalog *catalog.Catalog
}

func (b CatalogBases) Base(ref plan.BaseRef, p plan.Platform) (*dagger.Container, error) {
	image := ref.Image
	if ref.Flavour != "" {
		e, err := b.Catalog.Lookup(ref, p)
		if err != nil {
			return nil, err
		}
		image = e.Image
	}
	return b.Client.Container(dagger.ContainerOpts{Platform: dagger.Platform(p.String())}).From(image), nil
}

// CatalogScanner is the catalog's scanner and database.
func CatalogScanner(c *dagger.Client, cat *catalog.Catalog) (*Scanner, error) {
	if cat.Scanner.Image == "" || cat.VulnDB.Image == "" {
		return nil, fmt.Errorf("the catalog has no scanner or vulnerability database image")
	}
	amd64 := dagger.ContainerOpts{Platform: "linux/amd64"}
	return &Scanner{
		Image: c.Container(amd64).From(cat.Scanner.Image),
		DB:    c.Container(amd64).From(cat.VulnDB.Image).Rootfs(),
	}, nil
}
