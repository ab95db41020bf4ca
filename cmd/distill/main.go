// Command distill builds, tests, scans, signs and publishes container images
// as one reproducible pipeline on BuildKit. See `distill --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/log"
)

func main() {
	// containerd's content store (the local image store BuildKit reads) logs
	// harmless warnings, such as missing fs-verity support, through logrus.
	_ = log.SetLevel("error")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "distill:", err)
		code := 1
		if ee, ok := errors.AsType[*exitError](err); ok {
			code = ee.code
		}
		os.Exit(code)
	}
}
