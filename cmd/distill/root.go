package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// globalFlags are shared by every command.
type globalFlags struct {
	progress string
	epoch    string
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "distill",
		Short: "Build, test, scan, sign and publish distroless images as one pipeline on BuildKit",
		Long: `distill runs build, test and scan stages as separate containers on BuildKit,
assembles a distroless runtime from Debian packages, produces SBOMs and signs
the result — one typed, reproducible pipeline instead of a hand-written
multi-stage Dockerfile.

BuildKit: distill uses BUILDKIT_HOST when it is set; otherwise it starts a local
buildkitd (state under the user cache dir) and stops it when done.`,
		Example: `  # a distroless base image into an OCI layout
  distill base build static --output oci:out/static

  # list the runtime and builder flavours
  distill base list`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.progress, "progress", "auto", "progress output: auto, tty, plain, rawjson or quiet")
	root.PersistentFlags().StringVar(&g.epoch, "source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "Unix time for every timestamp in outputs (default $SOURCE_DATE_EPOCH, else 0)")
	root.AddCommand(newBuildCmd(g), newScanCmd(g), newSBOMCmd(g), newBaseCmd(g), newEngineCmd(g), newDBCmd(g), newSignCmd(), newVerifyCmd(), newFrontendCmd(g), newVersionCmd())
	return root
}

// sourceDateEpoch parses --source-date-epoch.
func (g *globalFlags) sourceDateEpoch() (time.Time, error) {
	if g.epoch == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(g.epoch, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("--source-date-epoch %q: want a non-negative Unix time in seconds", g.epoch)
	}
	return time.Unix(n, 0).UTC(), nil
}

// logf prints progress lines unless --progress=quiet.
func (g *globalFlags) logf(format string, args ...any) {
	if g.progress == "quiet" {
		return
	}
	fmt.Fprintf(os.Stderr, "» "+format+"\n", args...)
}
