package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print distill's version and the versions of the libraries it links",
		Example: "  distill version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				return fmt.Errorf("no build information in this binary")
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "distill %s (%s)\n", bi.Main.Version, bi.GoVersion)
			for _, d := range bi.Deps {
				switch d.Path {
				case "github.com/moby/buildkit", "github.com/google/go-containerregistry":
					fmt.Fprintf(out, "  %s %s\n", d.Path, d.Version)
				}
			}
			return nil
		},
	}
}
