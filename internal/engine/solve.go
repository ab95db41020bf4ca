package engine

import (
	"context"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"golang.org/x/sync/errgroup"
)

// Solve solves def and exports the result as opt says, showing progress as configured.
// Every status BuildKit reports is also passed to each observer (Trace.Observe, say).
func (e *Engine) Solve(ctx context.Context, def *llb.Definition, opt client.SolveOpt, observers ...func(*client.SolveStatus)) (*client.SolveResponse, error) {
	return e.withProgress(observers, func(ch chan *client.SolveStatus) (*client.SolveResponse, error) {
		return e.client.Solve(ctx, def, opt, ch)
	})
}

// Build runs fn as a gateway build function (a frontend running in this process),
// exports its result as opt says, and shows progress as configured. product names the
// caller to BuildKit; "" means BuildKit's default. Every status BuildKit reports is
// also passed to each observer.
func (e *Engine) Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc, observers ...func(*client.SolveStatus)) (*client.SolveResponse, error) {
	return e.withProgress(observers, func(ch chan *client.SolveStatus) (*client.SolveResponse, error) {
		return e.client.Build(ctx, opt, product, fn, ch)
	})
}

// withProgress runs solve, which closes the status channel when it ends, next to the
// progress display reading that channel. Every status goes to the observers, in order
// and before the display sees it; none is dropped, so a slow observer slows the solve.
func (e *Engine) withProgress(observers []func(*client.SolveStatus), solve func(chan *client.SolveStatus) (*client.SolveResponse, error)) (*client.SolveResponse, error) {
	ch := make(chan *client.SolveStatus)
	shown := ch
	if len(observers) > 0 {
		shown = make(chan *client.SolveStatus)
	}
	display, err := showProgress(e.opts.progress, e.opts.progressOut, shown)
	if err != nil {
		return nil, err
	}
	var res *client.SolveResponse
	var eg errgroup.Group
	eg.Go(func() error {
		var err error
		res, err = solve(ch)
		return err
	})
	if shown != ch {
		eg.Go(func() error {
			forward(ch, shown, observers)
			return nil
		})
	}
	eg.Go(display)
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}

// forward passes each status from in to every observer and then to out, and closes
// out when in is closed. The display reads out until it is closed, so this never
// blocks for good.
func forward(in <-chan *client.SolveStatus, out chan<- *client.SolveStatus, observers []func(*client.SolveStatus)) {
	defer close(out)
	for s := range in {
		for _, observe := range observers {
			observe(s)
		}
		out <- s
	}
}
