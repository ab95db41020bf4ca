package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/solver"
)

// ScanOptions configure a scan of an existing image.
type ScanOptions struct {
	Engine []engine.Option
	Bases  baseimage.Config
	VulnDB string
	// Policy is applied with the image gated when Gate is set.
	Policy scan.Policy
	Gate   bool
	Epoch  time.Time // SBOM timestamps (default 0)
	Logf   func(format string, args ...any)
}

// resultStoreID attaches a scanned OCI layout to the solve.
const resultStoreID = "distill-scan-target"

// ScanImage scans an image the same way a pipeline's scan stage does: target
// is "oci:DIR" (an OCI layout holding one image) or a registry reference.
func ScanImage(ctx context.Context, target string, o ScanOptions) (*ScanFiles, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	svc, err := baseimage.New(o.Bases)
	if err != nil {
		return nil, err
	}
	env, err := newScanEnv(ctx, svc, o.VulnDB, o.Logf)
	if err != nil {
		return nil, err
	}
	so := client.SolveOpt{LocalMounts: map[string]fsutil.FS{vulnDBContext: env.dbFS}}
	cs, err := svc.Store.ContentStore()
	if err != nil {
		return nil, err
	}
	so.OCIStores = map[string]content.Store{llbgen.BaseStoreID: cs}

	var st llb.State
	name := target
	if dir, ok := strings.CutPrefix(target, "oci:"); ok {
		idx, err := ocistore.ReadLayout(dir)
		if err != nil {
			return nil, err
		}
		img, ok, err := ocistore.Single(idx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s holds several platforms' images: scan one platform's layout", dir)
		}
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		store, err := local.NewStore(dir)
		if err != nil {
			return nil, err
		}
		so.OCIStores[resultStoreID] = store
		st = llb.OCILayout("distill/scanned@"+d.String(), llb.OCIStore("", resultStoreID))
		name = "oci:" + dir + "@" + d.String()
	} else {
		st = llb.Image(target)
	}

	e, err := engine.Start(ctx, o.Engine...)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	job := llbgen.ScanJob{Stage: plan.RuntimeStage, Gate: o.Gate}
	job.Outputs = llbgen.ScanState(st, env.scanner, "scan "+target)
	var out solver.ScanOutput
	_, err = e.Build(ctx, so, "distill-scan", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		var err error
		out, err = solver.Scan(ctx, c, job)
		return gateway.NewResult(), err
	})
	if err != nil {
		return nil, err
	}
	r, err := scan.FromTrivy(out.Report, scan.Meta{
		Stage: "image", Image: name,
		Scanner: env.scanInfo(),
		DB:      env.dbInfo(),
	})
	if err != nil {
		return nil, err
	}
	o.Policy.Evaluate(r, time.Now(), o.Gate)
	so2 := sbom.Options{Epoch: o.Epoch, Name: name, Stage: "image"}
	files := &ScanFiles{Label: "image", Report: r, TrivyReport: out.Report}
	if files.CDX, err = sbom.CycloneDX(out.CDX, so2); err != nil {
		return nil, err
	}
	if files.SPDX, err = sbom.SPDX(out.SPDX, so2); err != nil {
		return nil, err
	}
	var ge *scan.GateError
	if err := r.Err(); errors.As(err, &ge) {
		return files, err
	}
	return files, nil
}
