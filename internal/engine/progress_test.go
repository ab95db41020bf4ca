package engine

import (
	"bytes"
	"testing"

	"github.com/moby/buildkit/client"
)

func TestParseProgressMode(t *testing.T) {
	for in, want := range map[string]ProgressMode{
		"": ProgressAuto, "auto": ProgressAuto, "tty": ProgressTTY, "plain": ProgressPlain,
		"rawjson": ProgressRawJSON, "quiet": ProgressQuiet,
	} {
		got, err := ParseProgressMode(in)
		if err != nil || got != want {
			t.Errorf("ParseProgressMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Plain", "json", "none"} {
		if _, err := ParseProgressMode(in); err == nil {
			t.Errorf("ParseProgressMode(%q): no error", in)
		}
	}
}

func TestProgressTTYNeedsTerminal(t *testing.T) {
	if _, err := showProgress(ProgressTTY, &bytes.Buffer{}, make(chan *client.SolveStatus)); err == nil {
		t.Error("tty progress on a buffer: no error")
	}
}

func TestProgressDrainsUntilClosed(t *testing.T) {
	for _, mode := range ProgressModes {
		if mode == ProgressTTY {
			continue
		}
		t.Run(string(mode), func(t *testing.T) {
			var out bytes.Buffer
			ch := make(chan *client.SolveStatus)
			show, err := showProgress(mode, &out, ch)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() { done <- show() }()
			ch <- &client.SolveStatus{Warnings: []*client.VertexWarning{{Short: []byte("careful")}}}
			close(ch)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			gotWarning := bytes.Contains(out.Bytes(), []byte("WARNING: careful"))
			if want := mode == ProgressAuto || mode == ProgressPlain; gotWarning != want {
				t.Errorf("warning printed = %v, want %v; output:\n%s", gotWarning, want, out.String())
			}
			if mode == ProgressQuiet && out.Len() != 0 {
				t.Errorf("quiet mode wrote %q", out.String())
			}
		})
	}
}
