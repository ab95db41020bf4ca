package runner

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/solver"
)

// stageOf reads the stage from a vertex name: llbgen names steps "[stage] …".
func stageOf(name string) string {
	if !strings.HasPrefix(name, "[") {
		return ""
	}
	end := strings.Index(name, "]")
	if end < 0 {
		return ""
	}
	return name[1:end]
}

// stageTimings groups the trace's vertices by stage: wall time from the
// first start to the last completion, and how many steps were cached. They
// are listed in pipeline order: source, the graph's stages, runtime.
func stageTimings(t *engine.Trace, g *plan.Graph) []StageTiming {
	type acc struct {
		first, last time.Time
		steps, hits int
	}
	by := map[string]*acc{}
	var order []string
	for _, v := range t.Vertices() {
		st := stageOf(v.Name)
		if st == "" {
			continue
		}
		a, ok := by[st]
		if !ok {
			a = &acc{}
			by[st] = a
			order = append(order, st)
		}
		a.steps++
		if v.Cached {
			a.hits++
		}
		if !v.Started.IsZero() && (a.first.IsZero() || v.Started.Before(a.first)) {
			a.first = v.Started
		}
		if v.Completed.After(a.last) {
			a.last = v.Completed
		}
	}
	out := make([]StageTiming, 0, len(order))
	for _, st := range order {
		a := by[st]
		var d time.Duration
		if !a.first.IsZero() && a.last.After(a.first) {
			d = a.last.Sub(a.first)
		}
		out = append(out, StageTiming{Stage: st, Start: a.first, End: a.last, Duration: d, Steps: a.steps, Cached: a.hits})
	}
	rank := func(label string) int {
		name, _, _ := strings.Cut(label, " ")
		switch name {
		case "source":
			return -1
		case "runtime":
			return len(g.Stages)
		}
		for i, st := range g.Stages {
			if st.Name == name {
				return i
			}
		}
		return len(g.Stages) + 1
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Stage) < rank(out[j].Stage) })
	return out
}

// failedLogLines is how much of a failed step's output an error quotes.
const failedLogLines = 40

// BuildError is a failed step: which stage and step, and its last output.
type BuildError struct {
	Stage, Step string
	Output      string
	Err         error
}

func (e *BuildError) Error() string {
	var b strings.Builder
	if e.Stage != "" {
		fmt.Fprintf(&b, "%s stage failed", e.Stage)
	} else {
		b.WriteString("build failed")
	}
	if e.Step != "" {
		fmt.Fprintf(&b, " at %q", e.Step)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Output != "" {
		fmt.Fprintf(&b, "\n--- last output of the step ---\n%s", e.Output)
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return e.Err }

// explainFailure attaches the failed step's stage, name and last output lines
// to a build error.
func explainFailure(err error, t *engine.Trace) error {
	failed := t.Failed()
	var se *solver.StageError
	stage := ""
	if errors.As(err, &se) {
		stage = se.Stage
	}
	if len(failed) == 0 {
		return err
	}
	v := failed[0]
	named := -1
	if step, ok := solver.FailedStep(err); ok {
		named = slices.IndexFunc(failed, func(f engine.Vertex) bool { return f.Digest == step })
	}
	if named >= 0 {
		// The error names the step that failed: its stage is the one to blame.
		v = failed[named]
		if s := stageOf(v.Name); s != "" {
			stage = s
		}
	} else {
		for _, f := range failed {
			if stageOf(f.Name) == stage && stage != "" {
				v = f
				break
			}
		}
	}
	if stage == "" {
		stage = stageOf(v.Name)
	}
	return &BuildError{Stage: stage, Step: v.Name, Output: lastLines(string(v.Logs), failedLogLines), Err: err}
}

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
