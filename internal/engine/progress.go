package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// ProgressMode is how build progress is shown. The modes are BuildKit's (progressui).
type ProgressMode string

const (
	ProgressAuto    ProgressMode = "auto"    // tty when the output is a terminal, else plain
	ProgressTTY     ProgressMode = "tty"     // redrawn in place; fails when the output is not a terminal
	ProgressPlain   ProgressMode = "plain"   // one line per event, for logs and CI
	ProgressRawJSON ProgressMode = "rawjson" // BuildKit's SolveStatus as JSON lines, for programs
	ProgressQuiet   ProgressMode = "quiet"   // nothing
)

// ProgressModes lists the valid modes, for flag help.
var ProgressModes = []ProgressMode{ProgressAuto, ProgressTTY, ProgressPlain, ProgressRawJSON, ProgressQuiet}

// ParseProgressMode checks a --progress value; "" means auto.
func ParseProgressMode(s string) (ProgressMode, error) {
	if s == "" {
		return ProgressAuto, nil
	}
	for _, m := range ProgressModes {
		if ProgressMode(s) == m {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown progress mode %q: use one of %v", s, ProgressModes)
}

// showProgress renders the statuses from ch on out until ch is closed. It does not stop
// when ctx is cancelled, so the last statuses (and the error vertex) are still shown;
// the solve closes ch when it ends.
func showProgress(mode ProgressMode, out io.Writer, ch chan *client.SolveStatus) (func() error, error) {
	d, err := progressui.NewDisplay(out, progressui.DisplayMode(mode))
	if err != nil {
		return nil, fmt.Errorf("progress display %s: %w", mode, err)
	}
	return func() error {
		warnings, err := d.UpdateFrom(context.Background(), ch)
		if mode == ProgressAuto || mode == ProgressTTY || mode == ProgressPlain {
			for _, w := range warnings {
				fmt.Fprintf(out, "WARNING: %s\n", w.Short)
			}
		}
		return err
	}, nil
}
