package engine

import (
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// vertexLogLimit is how much of a vertex's output a Trace keeps: the last 32 KiB,
// which holds the end of a failing compiler or test run.
const vertexLogLimit = 32 << 10

// Vertex is one step of a solve as BuildKit reported it.
type Vertex struct {
	Digest digest.Digest
	Name   string
	Cached bool
	// Started is when BuildKit first started the vertex and Completed when it last
	// completed it; zero when not reported, and Completed is zero while it runs.
	Started, Completed time.Time
	Error              string
	// Logs is the vertex's last output (at most 32 KiB; older output is dropped),
	// stdout and stderr interleaved as received.
	Logs []byte
}

// Trace collects what BuildKit reports about solves; safe for concurrent use. Pass
// its Observe to Engine.Solve or Engine.Build.
type Trace struct {
	mu       sync.Mutex
	vertices []*Vertex // in the order first seen
	byDigest map[digest.Digest]*Vertex
}

// NewTrace returns an empty trace.
func NewTrace() *Trace {
	return &Trace{byDigest: map[digest.Digest]*Vertex{}}
}

// Observe records one status message. A vertex message replaces what was known
// about that vertex (BuildKit sends a vertex's whole state each time), except that an
// empty name keeps the one seen before and Started keeps the first start: BuildKit
// starts a vertex once to compute its cache key and again to run it, and Started to
// Completed spans both. Log messages append to the vertex's output.
//
// A Trace is meant for one solve; across several, a vertex keeps its first start.
func (t *Trace) Observe(s *client.SolveStatus) {
	if s == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range s.Vertexes {
		if v == nil {
			continue
		}
		tv := t.vertex(v.Digest)
		if v.Name != "" {
			tv.Name = v.Name
		}
		tv.Cached = v.Cached
		if tv.Started.IsZero() {
			tv.Started = timeOrZero(v.Started)
		}
		tv.Completed = timeOrZero(v.Completed)
		tv.Error = v.Error
	}
	for _, l := range s.Logs {
		if l == nil || len(l.Data) == 0 {
			continue
		}
		tv := t.vertex(l.Vertex)
		tv.Logs = appendTail(tv.Logs, l.Data, vertexLogLimit)
	}
}

// Vertices returns the vertices seen so far, in the order first seen.
func (t *Trace) Vertices() []Vertex {
	return t.collect(func(*Vertex) bool { return true })
}

// Failed returns the vertices that reported an error, in the order first seen.
func (t *Trace) Failed() []Vertex {
	return t.collect(func(v *Vertex) bool { return v.Error != "" })
}

// collect copies the vertices keep selects, so callers never share memory with
// later Observe calls.
func (t *Trace) collect(keep func(*Vertex) bool) []Vertex {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Vertex
	for _, v := range t.vertices {
		if !keep(v) {
			continue
		}
		c := *v
		c.Logs = append([]byte(nil), v.Logs...)
		out = append(out, c)
	}
	return out
}

// vertex returns the entry for d, adding it when first seen. t.mu is held.
func (t *Trace) vertex(d digest.Digest) *Vertex {
	if v, ok := t.byDigest[d]; ok {
		return v
	}
	v := &Vertex{Digest: d}
	t.byDigest[d] = v
	t.vertices = append(t.vertices, v)
	return v
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// appendTail appends data to buf and keeps only the last limit bytes.
func appendTail(buf, data []byte, limit int) []byte {
	if len(data) >= limit {
		return append(buf[:0], data[len(data)-limit:]...)
	}
	if drop := len(buf) + len(data) - limit; drop > 0 {
		buf = buf[:copy(buf, buf[drop:])]
	}
	return append(buf, data...)
}
