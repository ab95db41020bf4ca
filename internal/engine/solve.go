package engine

import (
	"context"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"golang.org/x/sync/errgroup"
)

// Solve solves def and exports the result as opt says, showing progress as configured.
func (e *Engine) Solve(ctx context.Context, def *llb.Definition, opt client.SolveOpt) (*client.SolveResponse, error) {
	return e.withProgress(func(ch chan *client.SolveStatus) (*client.SolveResponse, error) {
		return e.client.Solve(ctx, def, opt, ch)
	})
}

// Build runs fn as a gateway build function (a frontend running in this process),
// exports its result as opt says, and shows progress as configured. product names the
// caller to BuildKit; "" means BuildKit's default.
func (e *Engine) Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc) (*client.SolveResponse, error) {
	return e.withProgress(func(ch chan *client.SolveStatus) (*client.SolveResponse, error) {
		return e.client.Build(ctx, opt, product, fn, ch)
	})
}

// withProgress runs solve, which closes the status channel when it ends, next to the
// progress display reading that channel.
func (e *Engine) withProgress(solve func(chan *client.SolveStatus) (*client.SolveResponse, error)) (*client.SolveResponse, error) {
	ch := make(chan *client.SolveStatus)
	display, err := showProgress(e.opts.progress, e.opts.progressOut, ch)
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
	eg.Go(display)
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}
