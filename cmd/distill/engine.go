package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/engine"
)

func newEngineCmd(g *globalFlags) *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "engine",
		Short: "Manage the local buildkitd distill starts when BUILDKIT_HOST is not set",
		Long: `Without BUILDKIT_HOST, every distill command starts a local rootful buildkitd
(built by "make setup" from the pinned BuildKit module, runc from Debian) with
its state and private socket under the user cache dir, and stops it when done.
"distill engine start" keeps one running, so later commands reuse it and keep
their warm cache; "distill engine stop" stops it.

With BUILDKIT_HOST set (a remote buildkitd, buildx, a Kubernetes deployment),
distill never starts anything.`,
	}
	cmd.PersistentFlags().StringVar(&stateDir, "state-dir", "", "engine state directory (default <user cache dir>/distill/buildkit)")

	start := &cobra.Command{
		Use:     "start",
		Short:   "Start the local buildkitd and keep it running",
		Example: "  distill engine start\n  export BUILDKIT_HOST=$(distill engine status --addr)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := []engine.Option{engine.WithAddr(""), engine.WithKeep(true), engine.WithLog(cmd.ErrOrStderr())}
			if stateDir != "" {
				opts = append(opts, engine.WithStateDir(stateDir))
			}
			e, err := engine.Start(cmd.Context(), opts...)
			if err != nil {
				return err
			}
			defer e.Close()
			verb := "started"
			if !e.Started() {
				verb = "already running"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "buildkitd %s (pid %d) at %s\n", verb, e.PID(), e.Addr())
			return nil
		},
	}
	stop := &cobra.Command{
		Use:     "stop",
		Short:   "Stop the local buildkitd started by distill engine start",
		Example: "  distill engine stop",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := engine.StopLocal(stateDir)
			if errors.Is(err, engine.ErrNotRunning) {
				fmt.Fprintln(cmd.OutOrStdout(), "buildkitd is not running")
				return nil
			}
			if err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "buildkitd stopped")
			}
			return err
		},
	}
	var addrOnly bool
	status := &cobra.Command{
		Use:     "status",
		Short:   "Show whether the local buildkitd runs and where",
		Example: "  distill engine status\n  distill engine status --addr",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := engine.LocalStatus(cmd.Context(), stateDir)
			if err != nil {
				return err
			}
			if addrOnly {
				if !st.Ready {
					return fmt.Errorf("buildkitd is not running in %s", st.StateDir)
				}
				fmt.Fprintln(cmd.OutOrStdout(), st.Addr)
				return nil
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			state := "stopped"
			switch {
			case st.Ready:
				state = fmt.Sprintf("running (pid %d, BuildKit %s)", st.PID, st.Version)
			case st.Running:
				state = fmt.Sprintf("running (pid %d) but not answering: %v", st.PID, st.Err)
			}
			fmt.Fprintf(w, "state\t%s\naddress\t%s\nstate dir\t%s\nlog\t%s\n", state, st.Addr, st.StateDir, st.Log)
			return w.Flush()
		},
	}
	status.Flags().BoolVar(&addrOnly, "addr", false, "print only the address (for BUILDKIT_HOST)")
	cmd.AddCommand(start, stop, status)
	_ = g
	return cmd
}
