package solver

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	commonexptypes "github.com/moby/buildkit/exporter/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/distill-dev/distill/internal/llbgen"
)

// Target is how far a build goes.
type Target string

const (
	// TargetRuntime runs tests and returns the runtime images (the default).
	TargetRuntime Target = "runtime"
	// TargetTest runs the build and test stages and returns the test stage.
	TargetTest Target = "test"
	// TargetBuild returns the build stage (no tests).
	TargetBuild Target = "build"
)

// ParseTarget checks a --target value; empty is TargetRuntime.
func ParseTarget(s string) (Target, error) {
	switch t := Target(s); t {
	case "":
		return TargetRuntime, nil
	case TargetRuntime, TargetTest, TargetBuild:
		return t, nil
	}
	return "", fmt.Errorf("--target %q: want build, test or runtime", s)
}

// ScanOutput is what one scan stage produced: trivy's JSON report (every
// package and finding), and trivy's CycloneDX and SPDX documents.
type ScanOutput struct {
	Job               llbgen.ScanJob
	Report, CDX, SPDX []byte
}

// Request is a build to run.
type Request struct {
	Program *llbgen.Program
	Target  Target
	Epoch   time.Time
	// OnScan receives each scan's outputs as soon as it completes, while
	// the other stages still run. An error (a failed policy gate) fails the
	// build, so nothing is exported.
	OnScan func(context.Context, ScanOutput) error
}

// Build solves the request's program up to its target and returns the
// result to export: tests, scans and every platform's runtime run in
// parallel, and the result exists only when all succeed.
func Build(ctx context.Context, c gateway.Client, req Request) (*gateway.Result, error) {
	prog, target, epoch := req.Program, req.Target, req.Epoch
	eg, ctx := errgroup.WithContext(ctx)
	if target == TargetRuntime {
		for _, job := range prog.Scans {
			eg.Go(func() error {
				out, err := Scan(ctx, c, job)
				if err != nil {
					return &StageError{Stage: "scan " + job.Stage, Err: err}
				}
				if req.OnScan != nil {
					return req.OnScan(ctx, out)
				}
				return nil
			})
		}
	}
	if target == TargetRuntime || target == TargetTest {
		for _, t := range prog.Tests {
			eg.Go(func() error {
				if _, err := solve(ctx, c, t.State); err != nil {
					return &StageError{Stage: t.Name, Err: err}
				}
				return nil
			})
		}
	}
	images := prog.Runtimes
	switch target {
	case TargetBuild:
		images = prog.Builds
	case TargetTest:
		images = nil
	}
	refs := make([]gateway.Reference, len(images))
	for i, img := range images {
		eg.Go(func() error {
			ref, err := solve(ctx, c, img.State)
			refs[i] = ref
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if target == TargetTest {
		res := gateway.NewResult()
		if len(prog.Tests) > 0 {
			ref, err := solve(ctx, c, prog.Tests[0].State)
			if err != nil {
				return nil, err
			}
			res.SetRef(ref)
		}
		return res, nil
	}
	return result(images, refs, epoch)
}

// StageError is a failed stage; its error is BuildKit's, naming the step.
type StageError struct {
	Stage string
	Err   error
}

func (e *StageError) Error() string { return fmt.Sprintf("%s stage failed: %v", e.Stage, e.Err) }
func (e *StageError) Unwrap() error { return e.Err }

// Scan solves a scan job and reads its outputs.
func Scan(ctx context.Context, c gateway.Client, job llbgen.ScanJob) (ScanOutput, error) {
	ref, err := solve(ctx, c, job.Outputs)
	if err != nil {
		return ScanOutput{}, err
	}
	out := ScanOutput{Job: job}
	for _, f := range []struct {
		name string
		into *[]byte
	}{{llbgen.ScanReport, &out.Report}, {llbgen.ScanCycloneDX, &out.CDX}, {llbgen.ScanSPDX, &out.SPDX}} {
		dt, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: f.name})
		if err != nil {
			return ScanOutput{}, fmt.Errorf("reading %s: %w", f.name, err)
		}
		*f.into = dt
	}
	return out, nil
}

func solve(ctx context.Context, c gateway.Client, st llb.State) (gateway.Reference, error) {
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// result builds the exporter's view: one ref per platform with its image
// config, the platform list, and SOURCE_DATE_EPOCH for the exporter.
func result(images []llbgen.Runtime, refs []gateway.Reference, epoch time.Time) (*gateway.Result, error) {
	res := gateway.NewResult()
	multi := len(images) > 1
	exp := exptypes.Platforms{}
	sde := []byte(strconv.FormatInt(epoch.Unix(), 10))
	for i, img := range images {
		p := ocispecs.Platform{OS: img.Platform.OS, Architecture: img.Platform.Arch, Variant: img.Platform.Variant}
		id := platforms.Format(p)
		exp.Platforms = append(exp.Platforms, exptypes.Platform{ID: id, Platform: p})
		var cfg []byte
		if img.Config != nil {
			var err error
			if cfg, err = json.Marshal(img.Config); err != nil {
				return nil, err
			}
		}
		if multi {
			res.AddRef(id, refs[i])
			if cfg != nil {
				res.AddMeta(exptypes.ExporterImageConfigKey+"/"+id, cfg)
			}
			res.AddMeta(commonexptypes.ExporterEpochKey+"/"+id, sde)
		} else {
			res.SetRef(refs[i])
			if cfg != nil {
				res.AddMeta(exptypes.ExporterImageConfigKey, cfg)
			}
			res.AddMeta(commonexptypes.ExporterEpochKey, sde)
		}
	}
	dt, err := json.Marshal(exp)
	if err != nil {
		return nil, err
	}
	res.AddMeta(exptypes.ExporterPlatformsKey, dt)
	return res, nil
}
