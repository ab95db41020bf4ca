package llbgen

import (
	"fmt"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/distill-dev/distill/internal/plan"
)

// Scanner is the scan container: an image with trivy at ScannerBinary, and
// the vulnerability database directory (trivy.db, metadata.json).
type Scanner struct {
	Image llb.State
	DB    llb.State
}

// Paths in the scan container and names of its outputs (see plan.ScanSteps).
const (
	ScannerBinary = plan.ScannerBinary
	ScanReport    = plan.ScanReport
	ScanCycloneDX = plan.ScanCycloneDX
	ScanSPDX      = plan.ScanSPDX
)

// ScanJob is one scanned stage: its outputs directory holds ScanReport,
// ScanCycloneDX and ScanSPDX.
type ScanJob struct {
	Stage    string
	Platform plan.Platform
	Gate     bool
	Outputs  llb.State
}

// Label names the job in progress output and reports ("runtime linux/arm64").
func (j ScanJob) Label(multi bool) string { return plan.ScanLabel(j.Stage, j.Platform, multi) }

// ScanState runs the scanner over target (mounted read-only) without
// network and returns the state of its outputs directory. name labels the
// progress output ("scan runtime").
func ScanState(target llb.State, sc Scanner, name string) llb.State {
	out := llb.Scratch()
	for _, step := range plan.ScanSteps() {
		run := sc.Image.Run(
			llb.Args(step.Args),
			llb.AddMount(plan.ScanTarget, target, llb.Readonly),
			llb.AddMount(plan.ScanDBDir, sc.DB, llb.Readonly),
			llb.AddEnv("TRIVY_NO_PROGRESS", "true"),
			llb.Network(pb.NetMode_NONE),
			llb.User("0:0"),
			llb.WithCustomNamef("[%s] %s", name, step.Name),
			llb.AddMount(plan.ScanOutDir, out),
		)
		out = run.GetMount(plan.ScanOutDir)
	}
	return out
}

// scanJobs builds the scan states of the graph's scans.
func (gen *generator) scanJobs(prog *Program) ([]ScanJob, error) {
	if len(gen.graph.Scans) == 0 {
		return nil, nil
	}
	if gen.opts.Scanner == nil {
		return nil, fmt.Errorf("the pipeline scans %d stages, but no scanner was given", len(gen.graph.Scans))
	}
	multi := len(gen.graph.Platforms) > 1
	var jobs []ScanJob
	for _, sc := range gen.graph.Scans {
		if sc.Stage == plan.RuntimeStage {
			for _, rt := range prog.Runtimes {
				j := ScanJob{Stage: sc.Stage, Platform: rt.Platform, Gate: sc.Gate}
				j.Outputs = ScanState(rt.State, *gen.opts.Scanner, "scan "+j.Label(multi))
				jobs = append(jobs, j)
			}
			continue
		}
		st, ok := gen.graph.Stage(sc.Stage)
		if !ok {
			return nil, fmt.Errorf("scan of stage %q: no such stage", sc.Stage)
		}
		p := gen.graph.Platforms[0]
		target, err := gen.stageState(st.Name, p)
		if err != nil {
			return nil, err
		}
		if !st.PerPlatform {
			p = gen.opts.BuildPlatform
		}
		j := ScanJob{Stage: sc.Stage, Platform: p, Gate: sc.Gate}
		j.Outputs = ScanState(target, *gen.opts.Scanner, "scan "+sc.Stage)
		jobs = append(jobs, j)
	}
	return jobs, nil
}
