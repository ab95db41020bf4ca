package solver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	commonexptypes "github.com/moby/buildkit/exporter/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/grpcerrors"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"

	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scanrun"
)

// ScanOutput is what one scan stage produced (see scanrun.Scan).
type ScanOutput = scanrun.Scan

// Request is a build to run.
type Request struct {
	Program *llbgen.Program
	Target  plan.Target
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
	// The stages' context ends with the first failure, or when all are done.
	eg, gctx := errgroup.WithContext(ctx)
	var failures stageFailures
	if target == plan.TargetRuntime {
		for _, job := range prog.Scans {
			eg.Go(failures.record(func() error {
				out, err := Scan(gctx, c, job)
				if err != nil {
					return &StageError{Stage: "scan " + job.Stage, Err: err}
				}
				if req.OnScan != nil {
					return req.OnScan(gctx, out)
				}
				return nil
			}))
		}
	}
	if target == plan.TargetRuntime || target == plan.TargetTest {
		for _, t := range prog.Tests {
			eg.Go(failures.record(func() error {
				if _, err := solve(gctx, c, t.State); err != nil {
					return &StageError{Stage: t.Name, Err: err}
				}
				return nil
			}))
		}
	}
	images := prog.Runtimes
	switch target {
	case plan.TargetBuild:
		images = prog.Builds
	case plan.TargetTest:
		images = nil
	}
	refs := make([]gateway.Reference, len(images))
	for i, img := range images {
		eg.Go(failures.record(func() error {
			ref, err := solve(gctx, c, img.State)
			refs[i] = ref
			return err
		}))
	}
	if err := eg.Wait(); err != nil {
		return nil, failures.cause(err)
	}
	if target == plan.TargetTest {
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
	out := ScanOutput{Stage: job.Stage, Platform: job.Platform, Gate: job.Gate}
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
		if v, ok := failedVertex(err); ok && !defines(def, v) {
			return nil, &foreignError{err}
		}
		return nil, err
	}
	return res.SingleRef()
}

// foreignError is a solve that failed because a step outside its own graph
// failed: BuildKit ends the other solves of a build with the error of the
// step that failed first, so a scan can report a test's failure.
type foreignError struct{ error }

func (e *foreignError) Unwrap() error { return e.error }

// FailedStep is the digest of the step a BuildKit error names, if it names one.
func FailedStep(err error) (digest.Digest, bool) { return failedVertex(err) }

// failedVertex is the digest of the step a BuildKit error names.
func failedVertex(err error) (digest.Digest, bool) {
	var ve *errdefs.VertexError
	if !errors.As(err, &ve) || ve.Vertex == nil {
		return "", false
	}
	return digest.Digest(ve.Digest), true
}

// defines reports whether v is one of def's steps.
func defines(def *llb.Definition, v digest.Digest) bool {
	for _, dt := range def.Def {
		if digest.FromBytes(dt) == v {
			return true
		}
	}
	return false
}

// stageFailures keeps every stage's error so that the build reports the stage
// that failed, not one that was cancelled or failed because of it.
type stageFailures struct {
	mu   sync.Mutex
	errs []error
}

func (f *stageFailures) record(fn func() error) func() error {
	return func() error {
		err := fn()
		if err != nil {
			f.mu.Lock()
			f.errs = append(f.errs, err)
			f.mu.Unlock()
		}
		return err
	}
}

// cause is the first error that is neither a cancellation nor another
// stage's failure. When there is none, it is first (errgroup's) without the
// stage that merely reported it; the error still names the failed step.
func (f *stageFailures) cause(first error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, err := range f.errs {
		var fe *foreignError
		if !errors.As(err, &fe) && !errors.Is(err, context.Canceled) && grpcerrors.Code(err) != codes.Canceled {
			return err
		}
	}
	if fe := (*foreignError)(nil); errors.As(first, &fe) {
		return fe.error
	}
	return first
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

// ResolveImage resolves an image reference for a platform through the
// gateway (the engine's registry access and mirrors): its state, pinned by
// digest and with its config's environment, user and working directory, as
// FROM does, and its config.
func ResolveImage(ctx context.Context, c gateway.Client, ref string, p plan.Platform) (llb.State, *ocispecs.Image, digest.Digest, error) {
	op := ocispecs.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
	resolved, dgst, dt, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		LogName:  "resolve " + ref,
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &op},
	})
	if err != nil {
		return llb.State{}, nil, "", fmt.Errorf("image %s for %s: %w", ref, p, err)
	}
	var img ocispecs.Image
	if err := json.Unmarshal(dt, &img); err != nil {
		return llb.State{}, nil, "", fmt.Errorf("image %s: config: %w", ref, err)
	}
	name := resolved
	if dgst != "" {
		name = strings.SplitN(resolved, "@", 2)[0] + "@" + dgst.String()
	}
	st := llbgen.WithImageConfig(llb.Image(name, llb.Platform(op)), img.Config.Env, img.Config.User, img.Config.WorkingDir)
	return st, &img, dgst, nil
}
