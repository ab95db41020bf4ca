package frontend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/openvex/go-vex/pkg/vex"
	"golang.org/x/sync/errgroup"

	"github.com/distill-dev/distill/internal/attest"
	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scanrun"
	"github.com/distill-dev/distill/internal/solver"
)

// BuildTypeDockerfile is the provenance build type of a Dockerfile built by
// the frontend: BuildKit's Dockerfile frontend, then distill's scans.
const BuildTypeDockerfile = "https://distill.dev/buildtypes/dockerfile/v1"

// buildDockerfile builds a Dockerfile with BuildKit's own Dockerfile
// frontend (in process: the same LLB, so the same result), then scans the
// final stage of each platform and the stages asked for, holds the final
// stage to the policy, and attaches distill's attestations.
func buildDockerfile(ctx context.Context, c gateway.Client, src *dockerui.Source, cat *catalog.Catalog, o options) (*gateway.Result, error) {
	res, err := builder.Build(ctx, upstream(c, nil))
	if err != nil || !o.scan {
		return res, err
	}
	if _, sub := c.BuildOpts().Opts["requestid"]; sub {
		return res, nil // a subrequest (outline, targets, lint): no image to scan
	}
	imgs, err := images(res)
	if err != nil {
		return nil, err
	}
	env, err := newScanEnv(ctx, c, cat, o)
	if err != nil {
		return nil, err
	}
	env.warnStale(ctx, c)
	p := plan.Policy{FailOn: plan.DefaultFailOn, UnknownAs: plan.DefaultUnknownAs, FixedOnly: o.fixedOnly}
	if o.unknownAs != "" {
		p.UnknownAs = o.unknownAs
	}
	var loadVEX func(string) (*vex.VEX, error)
	if len(o.vex) > 0 {
		bc, err := dockerui.NewClient(c)
		if err != nil {
			return nil, err
		}
		main, err := bc.MainContext(ctx)
		if err != nil {
			return nil, err
		}
		loadVEX = vexLoader(ctx, solveRef(ctx, c, *main))
	}
	pol, err := scanrun.Policy(p, "", o.vex, o.failOn, loadVEX)
	if err != nil {
		return nil, err
	}
	multi := len(imgs) > 1
	scans := env.collector(pol, src.Filename, multi, o.epoch, nil)

	var jobs []llbgen.ScanJob
	for _, img := range imgs {
		st, err := img.ref.ToState()
		if err != nil {
			return nil, err
		}
		j := llbgen.ScanJob{Stage: plan.RuntimeStage, Platform: img.platform, Gate: true}
		j.Outputs = llbgen.ScanState(st, env.scanner, "scan "+j.Label(multi))
		jobs = append(jobs, j)
	}
	for _, stage := range o.scanStages {
		// The stage as BuildKit's frontend builds it with --target: the same
		// steps, answered from the cache of the build above.
		sres, err := builder.Build(ctx, upstream(c, map[string]string{"target": stage}))
		if err != nil {
			return nil, err
		}
		simgs, err := images(sres)
		if err != nil {
			return nil, err
		}
		st, err := simgs[0].ref.ToState()
		if err != nil {
			return nil, err
		}
		j := llbgen.ScanJob{Stage: stage, Platform: simgs[0].platform}
		j.Outputs = llbgen.ScanState(st, env.scanner, "scan "+stage)
		jobs = append(jobs, j)
	}
	eg, ectx := errgroup.WithContext(ctx)
	for _, j := range jobs {
		eg.Go(func() error {
			out, err := solver.Scan(ectx, c, j)
			if err != nil {
				return &solver.StageError{Stage: "scan " + j.Label(multi), Err: err}
			}
			return scans.OnScan(ectx, out)
		})
	}
	err = eg.Wait()
	summary(ctx, c, reports(scans))
	if gerr := scans.GateError(); gerr != nil {
		return nil, gerr
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src.Data)
	specJSON, err := json.Marshal(map[string]any{"dockerfile": map[string]string{
		"filename": src.Filename, "sha256": hex.EncodeToString(sum[:]),
	}})
	if err != nil {
		return nil, err
	}
	return res, attach(ctx, c, res, imgs, scans, func(byproducts []attest.Byproduct) ([]byte, error) {
		pv := provenance(o, env, specJSON, byproducts)
		pv.BuildType = BuildTypeDockerfile
		pv.Target = c.BuildOpts().Opts["target"]
		for _, img := range imgs {
			pv.Platforms = append(pv.Platforms, img.id)
		}
		return attest.SLSA(pv)
	})
}

// upstream is the client BuildKit's Dockerfile frontend gets: the build's,
// with opts changed by set, and without what distill answers itself.
//
//   - attest:sbom: the Dockerfile frontend would pull its own SBOM scanner
//     image; distill attaches its SPDX SBOM instead.
//   - forwarding: the Dockerfile's `# syntax=` line names this frontend;
//     "cmdline" tells the Dockerfile frontend not to forward to it again.
func upstream(c gateway.Client, set map[string]string) gateway.Client {
	bo := c.BuildOpts()
	opts := maps.Clone(bo.Opts)
	if opts == nil {
		opts = map[string]string{}
	}
	delete(opts, "attest:sbom")
	delete(opts, "build-arg:BUILDKIT_ATTEST_SBOM")
	delete(opts, "build-arg:BUILDKIT_SYNTAX")
	if _, ok := opts["cmdline"]; !ok {
		opts["cmdline"] = "distill"
	}
	maps.Copy(opts, set)
	bo.Opts = opts
	return &upstreamClient{Client: c, opts: bo}
}

type upstreamClient struct {
	gateway.Client
	opts gateway.BuildOpts
}

func (c *upstreamClient) BuildOpts() gateway.BuildOpts { return c.opts }

// solveRef solves st and returns its reference; nil when it fails (the
// caller's read then says what is missing).
func solveRef(ctx context.Context, c gateway.Client, st llb.State) gateway.Reference {
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil
	}
	res, err := c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil
	}
	ref, _ := res.SingleRef()
	return ref
}
