package runner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"

	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/solver"
	"github.com/distill-dev/distill/internal/vulndb"
)

func TestParseSecret(t *testing.T) {
	for in, want := range map[string]Secret{
		"id=netrc,src=/home/u/.netrc": {ID: "netrc", File: "/home/u/.netrc"},
		"id=token,env=GH_TOKEN":       {ID: "token", Env: "GH_TOKEN"},
		"id=NPM_TOKEN":                {ID: "NPM_TOKEN", Env: "NPM_TOKEN"},
	} {
		got, err := ParseSecret(in)
		if err != nil || got != want {
			t.Errorf("ParseSecret(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"src=/x":            "id is required",
		"id=a,src=/x,env=Y": "not both",
		"id=a,mode=0400":    `unknown key "mode"`,
		"netrc":             "want id=ID",
	} {
		if _, err := ParseSecret(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseSecret(%q) = %v, want an error with %q", in, err, msg)
		}
	}
}

// status makes a SolveStatus with one vertex.
func status(name string, cached bool, start, end time.Duration, errMsg string, logs string) *client.SolveStatus {
	t0 := time.Unix(1000, 0)
	s, e := t0.Add(start), t0.Add(end)
	d := digest.FromString(name)
	st := &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: d, Name: name, Cached: cached, Started: &s, Completed: &e, Error: errMsg}}}
	if logs != "" {
		st.Logs = []*client.VertexLog{{Vertex: d, Data: []byte(logs)}}
	}
	return st
}

func TestStageTimingsGroupAndOrder(t *testing.T) {
	tr := engine.NewTrace()
	for _, s := range []*client.SolveStatus{
		status("[test] go test ./...", false, 2*time.Second, 9*time.Second, "", ""),
		status("[build] go build .", false, 2*time.Second, 7*time.Second, "", ""),
		status("[deps] copy source:go.mod go.sum → /src/", true, 0, 0, "", ""),
		status("[deps] go mod download", true, 0, 0, "", ""),
		status("[source] .", false, 0, time.Second/10, "", ""),
		status("[runtime linux/amd64] copy artifacts", false, 7*time.Second, 8*time.Second, "", ""),
		status("exporting to oci image format", false, 9*time.Second, 10*time.Second, "", ""),
	} {
		tr.Observe(s)
	}
	g := &plan.Graph{Stages: []*plan.Stage{{Name: "deps"}, {Name: "src"}, {Name: "build"}, {Name: "test"}}}
	got := stageTimings(tr, g)
	var names []string
	for _, st := range got {
		names = append(names, st.Stage)
	}
	if strings.Join(names, ",") != "source,deps,build,test,runtime linux/amd64" {
		t.Fatalf("stages in order %v", names)
	}
	for _, st := range got {
		switch st.Stage {
		case "deps":
			if st.Steps != 2 || st.Cached != 2 {
				t.Errorf("deps: %+v", st)
			}
		case "test":
			if st.Duration != 7*time.Second || st.Cached != 0 {
				t.Errorf("test: %+v", st)
			}
		}
	}
}

func TestExplainFailureQuotesTheFailedStep(t *testing.T) {
	tr := engine.NewTrace()
	var out strings.Builder
	for i := range 60 {
		out.WriteString("line ")
		out.WriteString(strings.Repeat("x", i%3))
		out.WriteString("\n")
	}
	out.WriteString("--- FAIL: TestDeliberatelyFails (0.00s)\nFAIL\n")
	tr.Observe(status("[build] go build .", false, 0, time.Second, "", ""))
	tr.Observe(status("[test] go test ./...", false, 0, time.Second, "exit code: 1", out.String()))
	err := explainFailure(&solver.StageError{Stage: "test", Err: errors.New("process did not complete")}, tr)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("want a *BuildError, got %T: %v", err, err)
	}
	if be.Stage != "test" || be.Step != "[test] go test ./..." {
		t.Errorf("stage %q step %q", be.Stage, be.Step)
	}
	if n := strings.Count(be.Output, "\n") + 1; n != failedLogLines {
		t.Errorf("quoted %d lines, want the last %d", n, failedLogLines)
	}
	if !strings.Contains(err.Error(), "--- FAIL: TestDeliberatelyFails") || !strings.HasPrefix(err.Error(), "test stage failed at") {
		t.Errorf("message:\n%s", err)
	}
	// Without a failed vertex the error is returned as it is.
	plain := errors.New("no engine")
	if got := explainFailure(plain, engine.NewTrace()); got != plain {
		t.Errorf("got %v", got)
	}
}

func TestPublicRemoteDropsCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://ci-token:s3cret@git.example.invalid/team/app.git": "https://git.example.invalid/team/app.git",
		"https://git.example.invalid/team/app.git?private_token=x": "https://git.example.invalid/team/app.git",
		"git@git.example.invalid:team/app.git":                     "ssh://git.example.invalid/team/app.git",
		"ssh://git@git.example.invalid/team/app.git":               "ssh://git.example.invalid/team/app.git",
		"/srv/repos/app.git":                                       "",
		"":                                                         "",
	} {
		if got := publicRemote(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("publicRemote(%q) = %q, want %q", in, got, want)
		}
	}
}

// BuildKit may end a scan's solve with the error of a test step that failed
// first; the report blames the step the error names, not the scan.
func TestExplainFailureBlamesTheStepTheErrorNames(t *testing.T) {
	tr := engine.NewTrace()
	tr.Observe(status("[scan runtime] trivy rootfs", false, 0, time.Second, "context canceled", ""))
	tr.Observe(status("[test] go test ./...", false, 0, time.Second, "exit code: 1", "--- FAIL: TestDeliberatelyFails\n"))
	inner := errdefs.WrapVertex(errors.New("process \"go test ./...\" did not complete successfully: exit code: 1"), digest.FromString("[test] go test ./..."))
	err := explainFailure(&solver.StageError{Stage: "scan runtime", Err: inner}, tr)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("want a *BuildError, got %T: %v", err, err)
	}
	if be.Stage != "test" || be.Step != "[test] go test ./..." || !strings.Contains(be.Output, "TestDeliberatelyFails") {
		t.Errorf("stage %q step %q output %q", be.Stage, be.Step, be.Output)
	}
}

func TestCatalogNamesTheDBInfoFile(t *testing.T) {
	if catalog.DBInfoFile != vulndb.InfoFile {
		t.Errorf("catalog.DBInfoFile %q, vulndb.InfoFile %q", catalog.DBInfoFile, vulndb.InfoFile)
	}
}
