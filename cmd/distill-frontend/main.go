// Command distill-frontend is distill's BuildKit frontend, run by buildkitd
// from the frontend image (`# syntax=` or --frontend gateway.v0).
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"

	"github.com/distill-dev/distill/frontend"
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "distill-frontend: %v\n", err)
		os.Exit(1)
	}
}
