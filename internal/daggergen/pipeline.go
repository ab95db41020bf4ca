package daggergen

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/openvex/go-vex/pkg/vex"

	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/scanrun"
	"github.com/distill-dev/distill/pipeline/spec"
)

// PipelineOptions are what a Dagger run of a Spec takes besides the Spec.
type PipelineOptions struct {
	// Catalog names the base flavours, scanner and database (the catalog of
	// a distill frontend image: see CatalogOf).
	Catalog *catalog.Catalog
	Target  plan.Target
	// Platforms, ScanStages and NoScan override the Spec's.
	Platforms  []string
	ScanStages []string
	NoScan     bool
	FailOn     string
	Args       map[string]string
	Epoch      time.Time
	Secrets    map[string]*dagger.Secret
}

// Result is what a Dagger run produced.
type Result struct {
	Spec   *spec.Spec // as run, with the options applied
	Graph  *plan.Graph
	Images []Image
	// Scans are the reports and SBOMs, runtimes first.
	Scans []scanrun.Files
	// GateErr is the failed gate, when one failed (the build failed too).
	GateErr error

	epoch   time.Time
	catalog *catalog.Catalog
}

// Pipeline runs s on Dagger: the same plan as distill build, evaluated as
// Dagger containers, its scans held to the policy. src is the directory
// the Spec's source path is relative to.
func Pipeline(ctx context.Context, c *dagger.Client, s *spec.Spec, src *dagger.Directory, o PipelineOptions) (*Result, error) {
	s = s.With(spec.Overrides{Platforms: o.Platforms, ScanStages: o.ScanStages, NoScan: o.NoScan})
	g, err := plan.Compile(s)
	if err != nil {
		return nil, err
	}
	if o.Target == "" {
		o.Target = plan.TargetRuntime
	}
	g.StopAt(o.Target)
	source := src
	if g.Source.Local != nil {
		dir := src.Directory(g.Source.Local.Path)
		// .dockerignore applies as with distill build.
		if ok, _ := dir.Exists(ctx, ".dockerignore"); ok {
			dt, err := dir.File(".dockerignore").Contents(ctx)
			if err != nil {
				return nil, err
			}
			ignore, err := ignorefile.ReadAll(strings.NewReader(dt))
			if err != nil {
				return nil, fmt.Errorf(".dockerignore: %w", err)
			}
			g.Source.Local.Exclude = append(g.Source.Local.Exclude, ignore...)
		}
		source = dir.Filter(dagger.DirectoryFilterOpts{Exclude: g.Source.Local.Exclude})
	} else if g.Source.Git != nil {
		source = c.Git(g.Source.Git.URL).Ref(g.Source.Git.Ref).Tree()
	}
	prog, err := Generate(ctx, c, g, source, CatalogBases{Client: c, Catalog: o.Catalog}, Options{
		Args: o.Args, Epoch: o.Epoch, Secrets: o.Secrets,
	})
	if err != nil {
		return nil, err
	}
	req := Request{Program: prog, Target: o.Target}
	res := &Result{Spec: s, Graph: g, epoch: o.Epoch.UTC(), catalog: o.Catalog}
	var col *scanrun.Collector
	if len(g.Scans) > 0 {
		if req.Scanner, err = CatalogScanner(c, o.Catalog); err != nil {
			return nil, err
		}
		pol, err := scanrun.Policy(g.Policy, "", nil, o.FailOn, func(p string) (*vex.VEX, error) {
			dt, err := src.File(path.Clean(p)).Contents(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading VEX %s: %w", p, err)
			}
			return scan.ParseVEX([]byte(dt), p)
		})
		if err != nil {
			return nil, err
		}
		records := map[string][]sbom.Installed{}
		for _, p := range g.Platforms {
			if e, err := o.Catalog.Lookup(g.Runtime.Base, p); err == nil {
				for _, pkg := range e.Packages {
					records[plan.RuntimeStage+" "+p.String()] = append(records[plan.RuntimeStage+" "+p.String()], sbom.Installed(pkg))
				}
			}
		}
		db := o.Catalog.VulnDB.Info
		col = &scanrun.Collector{
			Policy: pol, Multi: len(g.Platforms) > 1, Image: g.Name,
			Scanner: scan.Scanner{Name: "trivy", Version: o.Catalog.Scanner.Version, Image: o.Catalog.Scanner.Image},
			DB:      scan.DB{Source: db.Source, Schema: db.Schema, UpdatedAt: db.UpdatedAt, Ecosystems: db.Ecosystems},
			SBOM:    scanrun.SBOMs(g.Name, o.Epoch, records),
		}
		col.Start(time.Now())
		req.OnScan = col.OnScan
	}
	res.Images, err = Build(ctx, c, req)
	if col != nil {
		res.Scans = col.Results()
		res.GateErr = col.GateError()
		if res.GateErr != nil {
			return res, res.GateErr
		}
	}
	return res, err
}

// CatalogOf reads the catalog of a distill frontend image (REPO/frontend@…,
// published by distill frontend publish).
func CatalogOf(ctx context.Context, c *dagger.Client, frontendImage string) (*catalog.Catalog, error) {
	dt, err := c.Container(dagger.ContainerOpts{Platform: "linux/amd64"}).From(frontendImage).File(catalog.Path).Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("the catalog of %s: %w", frontendImage, err)
	}
	return catalog.Parse([]byte(dt))
}
