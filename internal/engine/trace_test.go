package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

var (
	t0   = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	t1   = t0.Add(time.Second)
	dRun = digest.FromString("run")
	dGet = digest.FromString("get")
	dBad = digest.FromString("bad")
)

func TestTraceVertexLifecycle(t *testing.T) {
	tr := NewTrace()
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: dGet, Name: "[internal] load metadata"},
		{Digest: dRun, Name: "RUN go build"},
	}})
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: dRun, Name: "RUN go build", Started: &t0},
		{Digest: dGet, Name: "[internal] load metadata", Started: &t0, Completed: &t0, Cached: true},
	}})
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: dRun, Started: &t0, Completed: &t1}, // no name: the earlier one stays
	}})
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: dBad, Name: "RUN false", Started: &t1, Completed: &t1, Error: "process \"false\" did not complete successfully: exit code: 1"},
	}})
	tr.Observe(nil)
	tr.Observe(&client.SolveStatus{})

	want := []Vertex{
		{Digest: dGet, Name: "[internal] load metadata", Cached: true, Started: t0, Completed: t0},
		{Digest: dRun, Name: "RUN go build", Started: t0, Completed: t1},
		{Digest: dBad, Name: "RUN false", Started: t1, Completed: t1, Error: "process \"false\" did not complete successfully: exit code: 1"},
	}
	assertVertices(t, "Vertices()", tr.Vertices(), want)
	assertVertices(t, "Failed()", tr.Failed(), want[2:])
}

// BuildKit starts a vertex to compute its cache key, and again to run it.
func TestTraceStartedTwice(t *testing.T) {
	tr := NewTrace()
	t2 := t1.Add(time.Second)
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dRun, Name: "run", Started: &t0, Completed: &t0}}})
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dRun, Name: "run", Started: &t1}}})
	if v := tr.Vertices()[0]; !v.Started.Equal(t0) || !v.Completed.IsZero() {
		t.Errorf("running again: Started %v, Completed %v; want %v and zero", v.Started, v.Completed, t0)
	}
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dRun, Name: "run", Started: &t1, Completed: &t2}}})
	if v := tr.Vertices()[0]; !v.Started.Equal(t0) || !v.Completed.Equal(t2) {
		t.Errorf("done: Started %v, Completed %v; want %v and %v", v.Started, v.Completed, t0, t2)
	}
}

func TestTraceNotStartedHasZeroTimes(t *testing.T) {
	tr := NewTrace()
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dRun, Name: "RUN make"}}})
	v := tr.Vertices()
	if len(v) != 1 || !v[0].Started.IsZero() || !v[0].Completed.IsZero() || v[0].Cached || v[0].Error != "" {
		t.Errorf("Vertices() = %+v; want one vertex with zero times, not cached, no error", v)
	}
	if f := tr.Failed(); len(f) != 0 {
		t.Errorf("Failed() = %+v; want none", f)
	}
}

func TestTraceLogsAcrossMessages(t *testing.T) {
	tr := NewTrace()
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dRun, Name: "RUN go test ./...", Started: &t0}}})
	tr.Observe(&client.SolveStatus{Logs: []*client.VertexLog{
		{Vertex: dRun, Stream: 1, Data: []byte("=== RUN   TestA\n")},
		{Vertex: dRun, Stream: 2, Data: []byte("warning: ")},
	}})
	tr.Observe(&client.SolveStatus{Logs: []*client.VertexLog{
		{Vertex: dRun, Stream: 2, Data: []byte("slow\n")},
		{Vertex: dRun, Stream: 1, Data: []byte("--- FAIL: TestA\n")},
		{Vertex: dRun, Stream: 1, Data: nil},
	}})
	v := tr.Vertices()
	if len(v) != 1 {
		t.Fatalf("Vertices() = %+v; want one", v)
	}
	if got, want := string(v[0].Logs), "=== RUN   TestA\nwarning: slow\n--- FAIL: TestA\n"; got != want {
		t.Errorf("Logs = %q; want %q", got, want)
	}
}

// A log can come before the vertex it belongs to: the vertex is recorded then, and
// named when its vertex message arrives.
func TestTraceLogBeforeVertex(t *testing.T) {
	tr := NewTrace()
	tr.Observe(&client.SolveStatus{Logs: []*client.VertexLog{{Vertex: dRun, Data: []byte("early\n")}}})
	tr.Observe(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dGet, Name: "get"}, {Digest: dRun, Name: "run"}}})
	v := tr.Vertices()
	if len(v) != 2 || v[0].Digest != dRun || v[0].Name != "run" || string(v[0].Logs) != "early\n" || v[1].Digest != dGet {
		t.Errorf("Vertices() = %+v; want run (with its early log) before get", v)
	}
}

func TestTraceKeepsLogTail(t *testing.T) {
	tr := NewTrace()
	var all bytes.Buffer
	for i := range 5000 { // about 60 KiB in small pieces
		line := fmt.Sprintf("line %05d\n", i)
		all.WriteString(line)
		tr.Observe(&client.SolveStatus{Logs: []*client.VertexLog{{Vertex: dRun, Data: []byte(line)}}})
	}
	got := tr.Vertices()[0].Logs
	want := all.Bytes()[all.Len()-vertexLogLimit:]
	if !bytes.Equal(got, want) {
		t.Errorf("kept %d bytes ending %q; want the last %d bytes ending %q", len(got), tail(got), len(want), tail(want))
	}

	// One message larger than the limit keeps its own end.
	big := bytes.Repeat([]byte("x"), 2*vertexLogLimit)
	copy(big[len(big)-4:], "end\n")
	tr.Observe(&client.SolveStatus{Logs: []*client.VertexLog{{Vertex: dRun, Data: big}}})
	if got := tr.Vertices()[0].Logs; len(got) != vertexLogLimit || !bytes.HasSuffix(got, []byte("xend\n")) {
		t.Errorf("after a large message: kept %d bytes ending %q; want %d ending \"xend\\n\"", len(got), tail(got), vertexLogLimit)
	}
}

func TestAppendTail(t *testing.T) {
	for _, c := range []struct{ buf, data, want string }{
		{"", "abc", "abc"},
		{"ab", "cd", "bcd"},
		{"abc", "d", "bcd"},
		{"a", "bcdef", "def"},
		{"abc", "", "abc"},
	} {
		if got := string(appendTail([]byte(c.buf), []byte(c.data), 3)); got != c.want {
			t.Errorf("appendTail(%q, %q, 3) = %q; want %q", c.buf, c.data, got, c.want)
		}
	}
}

// What Vertices returns is a copy: later messages do not change it.
func TestTraceVerticesAreCopies(t *testing.T) {
	tr := NewTrace()
	tr.Observe(&client.SolveStatus{Logs: []*client.VertexLog{{Vertex: dRun, Data: []byte("one\n")}}})
	before := tr.Vertices()
	tr.Observe(&client.SolveStatus{
		Vertexes: []*client.Vertex{{Digest: dRun, Name: "renamed", Error: "failed"}},
		Logs:     []*client.VertexLog{{Vertex: dRun, Data: []byte("two\n")}},
	})
	before[0].Logs[0] = 'O'
	if v := before[0]; v.Name != "" || v.Error != "" || string(v.Logs) != "One\n" {
		t.Errorf("earlier result changed: %+v", v)
	}
	if got := string(tr.Vertices()[0].Logs); got != "one\ntwo\n" {
		t.Errorf("Logs = %q after the caller changed its copy", got)
	}
}

func TestTraceConcurrent(t *testing.T) {
	tr := NewTrace()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			d := digest.FromString(fmt.Sprint(i))
			for range 100 {
				tr.Observe(&client.SolveStatus{
					Vertexes: []*client.Vertex{{Digest: d, Name: fmt.Sprint(i)}},
					Logs:     []*client.VertexLog{{Vertex: d, Data: []byte("x")}},
				})
				tr.Vertices()
				tr.Failed()
			}
		})
	}
	wg.Wait()
	v := tr.Vertices()
	if len(v) != 8 {
		t.Fatalf("%d vertices; want 8", len(v))
	}
	for _, x := range v {
		if len(x.Logs) != 100 {
			t.Errorf("vertex %s: %d log bytes; want 100", x.Name, len(x.Logs))
		}
	}
}

// withProgress hands every status to every observer, in order, and to the display.
func TestWithProgressObservers(t *testing.T) {
	const n = 200
	var out bytes.Buffer
	e := &Engine{opts: &options{progress: ProgressRawJSON, progressOut: &out}}
	tr := NewTrace()
	var seen []int
	count := func(s *client.SolveStatus) { seen = append(seen, len(s.Logs[0].Data)) }
	_, err := e.withProgress([]func(*client.SolveStatus){tr.Observe, count}, func(ch chan *client.SolveStatus) (*client.SolveResponse, error) {
		defer close(ch)
		ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dRun, Name: "run", Started: &t0}}, Logs: []*client.VertexLog{{Vertex: dRun, Data: []byte("0")}}}
		for i := 1; i < n; i++ {
			ch <- &client.SolveStatus{Logs: []*client.VertexLog{{Vertex: dRun, Data: bytes.Repeat([]byte("x"), i)}}}
		}
		return &client.SolveResponse{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("second observer saw %d statuses; want %d", len(seen), n)
	}
	for i, l := range seen {
		if want := max(i, 1); l != want {
			t.Fatalf("status %d had %d log bytes; want %d (out of order?)", i, l, want)
		}
	}
	if got, want := len(tr.Vertices()[0].Logs), 1+n*(n-1)/2; got != want {
		t.Errorf("trace kept %d log bytes; want %d", got, want)
	}
	// rawjson writes one JSON object per status it reads.
	if lines := strings.Count(out.String(), "\n"); lines != n {
		t.Errorf("display wrote %d lines; want %d", lines, n)
	}
	dec := json.NewDecoder(&out)
	var first client.SolveStatus
	if err := dec.Decode(&first); err != nil || len(first.Vertexes) != 1 || first.Vertexes[0].Name != "run" {
		t.Errorf("display's first status = %+v, %v; want the run vertex", first, err)
	}
}

// The solve's error comes back, and the observers still saw what came before it.
func TestWithProgressSolveError(t *testing.T) {
	e := &Engine{opts: &options{progress: ProgressQuiet, progressOut: &bytes.Buffer{}}}
	tr := NewTrace()
	_, err := e.withProgress([]func(*client.SolveStatus){tr.Observe}, func(ch chan *client.SolveStatus) (*client.SolveResponse, error) {
		defer close(ch)
		ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: dBad, Name: "bad", Error: "exit code: 2"}}}
		return nil, fmt.Errorf("solve failed")
	})
	if err == nil || err.Error() != "solve failed" {
		t.Fatalf("err = %v; want the solve's error", err)
	}
	if f := tr.Failed(); len(f) != 1 || f[0].Error != "exit code: 2" {
		t.Errorf("Failed() = %+v", f)
	}
}

func assertVertices(t *testing.T, what string, got, want []Vertex) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d vertices %+v; want %d", what, len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Digest != w.Digest || g.Name != w.Name || g.Cached != w.Cached || !g.Started.Equal(w.Started) ||
			!g.Completed.Equal(w.Completed) || g.Error != w.Error || !bytes.Equal(g.Logs, w.Logs) {
			t.Errorf("%s[%d] = %+v; want %+v", what, i, g, w)
		}
	}
}

func tail(b []byte) string {
	return string(b[max(0, len(b)-12):])
}
