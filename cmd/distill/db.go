package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/vulndb"
)

// dbNow is the clock `distill db status` measures age with.
var dbNow = time.Now

func newDBCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Build, update, import and inspect the vulnerability database that scans use",
		Long: `The scan stage runs trivy against a vulnerability database that distill keeps
in one directory (default <distill cache>/vulndb, where the cache is
$DISTILL_CACHE or the user cache dir + /distill) and mounts read-only.

Three ways to fill it:
  build --from-go-vulndb  the Go vulnerability database (golang.org/x/vulndb),
                          fetched through the go command: works wherever the Go
                          module proxy does. Go only; no severities (UNKNOWN).
  update                  the published trivy DB (Debian, Go, npm, Python, …),
                          downloaded by trivy from its registry.
  import FILE             a db.tar.gz or database directory made elsewhere.

"distill db status" says which ecosystems the database does NOT cover.`,
		Example: `  # offline-friendly: the Go vulnerability database
  distill db build --from-go-vulndb

  # what is covered, and how old it is
  distill db status`,
	}
	cmd.AddCommand(newDBBuildCmd(g), newDBUpdateCmd(g), newDBImportCmd(g), newDBStatusCmd())
	return cmd
}

// dbDir resolves --dir: the flag, else the default directory.
func dbDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return vulndb.DefaultDir()
}

const dbDirUsage = "database directory (default <distill cache>/vulndb)"

func newDBBuildCmd(g *globalFlags) *cobra.Command {
	var (
		fromGoVulnDB bool
		version, dir string
	)
	cmd := &cobra.Command{
		Use:   "build --from-go-vulndb",
		Short: "Build the database from the Go vulnerability database (works offline)",
		Long: `Downloads golang.org/x/vulndb at a pinned snapshot with the go command (so
GOPROXY, GOFLAGS and the checksum database apply, and the module cache keeps it)
and converts its OSV entries into a trivy DB with trivy-db's own builder.

Every Go module is covered, and the Go standard library of every binary; the
toolchain (cmd/go) advisories are left out. The Go database has no severities,
so findings are UNKNOWN: the scan policy decides how UNKNOWN counts. The
database is dated by the snapshot, so a rebuild writes the same metadata.`,
		Example: `  # the pinned snapshot into the default directory
  distill db build --from-go-vulndb

  # a newer snapshot (any golang.org/x/vulndb pseudo-version) into a directory of your choice
  distill db build --from-go-vulndb --vulndb-version v0.0.0-20261105234957-e22db6528018 --dir ./vulndb`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !fromGoVulnDB {
				return errors.New(`say where the advisories come from: --from-go-vulndb (the Go vulnerability database); ` +
					`for every ecosystem use "distill db update" or "distill db import FILE"`)
			}
			dir, err := dbDir(dir)
			if err != nil {
				return err
			}
			start := time.Now()
			g.logf("downloading %s@%s with the go command", vulndb.GoVulnDBModule, version)
			osvDir, err := vulndb.DownloadGoVulnDB(cmd.Context(), version)
			if err != nil {
				return err
			}
			db, err := vulndb.BuildFromGoVulnDB(cmd.Context(), osvDir, dir,
				vulndb.WithModuleVersion(version), vulndb.WithLogf(g.logf))
			if err != nil {
				return err
			}
			return printDBSummary(cmd.OutOrStdout(), db, time.Since(start))
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&fromGoVulnDB, "from-go-vulndb", false, "build from the Go vulnerability database (golang.org/x/vulndb)")
	fl.StringVar(&version, "vulndb-version", vulndb.DefaultGoVulnDBVersion, "golang.org/x/vulndb version (a pseudo-version)")
	fl.StringVar(&dir, "dir", "", dbDirUsage)
	return cmd
}

func newDBUpdateCmd(g *globalFlags) *cobra.Command {
	var repository, dir string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the published trivy DB (all ecosystems) with trivy",
		Long: `Runs the pinned trivy ("make setup" builds it) with --download-db-only into a
staging directory and installs the result, so a scan never sees a half-written
database. Without --repository trivy uses its own default registry; a machine
without access to it can build the Go database ("distill db build
--from-go-vulndb") or import one made elsewhere ("distill db import FILE").`,
		Example: `  # from trivy's default repository
  distill db update

  # from a registry of your own that mirrors the trivy DB artifact
  distill db update --repository 127.0.0.1:5000/trivy-db:2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dbDir(dir)
			if err != nil {
				return err
			}
			trivy, err := vulndb.FindTrivy()
			if err != nil {
				return err
			}
			start := time.Now()
			db, err := vulndb.Update(cmd.Context(), trivy, dir, repository, vulndb.WithLogf(g.logf))
			if err != nil {
				return err
			}
			return printDBSummary(cmd.OutOrStdout(), db, time.Since(start))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&repository, "repository", "", "trivy DB repository (default: trivy's own)")
	fl.StringVar(&dir, "dir", "", dbDirUsage)
	return cmd
}

func newDBImportCmd(g *globalFlags) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "import FILE|DIR",
		Short: "Install a trivy DB made elsewhere (db.tar.gz or a database directory)",
		Long: `FILE is a tar or tar.gz with trivy.db and metadata.json at its top (the
layer of trivy's DB artifact is one), DIR a directory with them (a distill
database directory, or a trivy cache directory with db/ in it). The schema must
be trivy's schema 2. The source recorded is the file and its SHA256.`,
		Example: `  # on a machine with access: pack the database
  tar -C ~/.cache/distill/vulndb -czf distill-vulndb.tar.gz trivy.db metadata.json distill-db.json

  # on the air-gapped machine
  distill db import distill-vulndb.tar.gz

  # a trivy cache directory
  distill db import ~/.cache/trivy`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := dbDir(dir)
			if err != nil {
				return err
			}
			start := time.Now()
			db, err := vulndb.Import(cmd.Context(), args[0], dir, vulndb.WithLogf(g.logf))
			if err != nil {
				return err
			}
			return printDBSummary(cmd.OutOrStdout(), db, time.Since(start))
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", dbDirUsage)
	return cmd
}

func newDBStatusCmd() *cobra.Command {
	var (
		dir    string
		maxAge time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's source, age and the ecosystems it does NOT cover",
		Example: `  distill db status

  # warn when the advisories are more than a week old
  distill db status --max-age 168h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dbDir(dir)
			if err != nil {
				return err
			}
			db, err := vulndb.Open(dir)
			if err != nil {
				return err
			}
			return printDBStatus(cmd.OutOrStdout(), db, dbNow(), maxAge)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", dbDirUsage)
	cmd.Flags().DurationVar(&maxAge, "max-age", 72*time.Hour, "warn when the advisories are older than this")
	return cmd
}

// printDBSummary is what build, update and import print.
func printDBSummary(w io.Writer, db *vulndb.DB, took time.Duration) error {
	size, err := db.Size()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\n", db.Dir)
	fmt.Fprintf(tw, "source\t%s\n", db.Info.Source)
	fmt.Fprintf(tw, "advisories\t%d\n", db.Info.Advisories)
	fmt.Fprintf(tw, "ecosystems\t%s\n", dbEcosystems(db.Info))
	if missing := db.Info.Uncovered(); len(missing) > 0 {
		var names []string
		for _, e := range missing {
			names = append(names, e.Name)
		}
		fmt.Fprintf(tw, "NOT covered\t%s (see distill db status)\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(tw, "updated\t%s\n", dbTime(db.Info.UpdatedAt))
	fmt.Fprintf(tw, "size\t%s\n", humanBytes(size))
	fmt.Fprintf(tw, "took\t%s\n", took.Round(10*time.Millisecond))
	return tw.Flush()
}

func printDBStatus(w io.Writer, db *vulndb.DB, now time.Time, maxAge time.Duration) error {
	size, err := db.Size()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\n", db.Dir)
	fmt.Fprintf(tw, "source\t%s\n", db.Info.Source)
	fmt.Fprintf(tw, "schema\t%d\n", db.Info.Schema)
	if db.Info.UpdatedAt.IsZero() {
		fmt.Fprintf(tw, "updated\tunknown\n")
	} else {
		fmt.Fprintf(tw, "updated\t%s (%s ago)\n", dbTime(db.Info.UpdatedAt), dbAge(db.Age(now)))
	}
	fmt.Fprintf(tw, "next update\t%s\n", dbTime(db.Info.NextUpdate))
	fmt.Fprintf(tw, "advisories\t%d\n", db.Info.Advisories)
	fmt.Fprintf(tw, "size\t%s\n", humanBytes(size))
	fmt.Fprintf(tw, "covers\t%s\n", dbEcosystems(db.Info))
	if err := tw.Flush(); err != nil {
		return err
	}
	if missing := db.Info.Uncovered(); len(missing) > 0 {
		fmt.Fprintln(w)
		for _, e := range missing {
			fmt.Fprintf(w, "WARNING: %s are NOT checked by this database\n", e.Packages)
		}
	}
	if strings.Contains(db.Info.Source, "go-vulndb ") {
		fmt.Fprintln(w, "\nThe Go vulnerability database has no severities: its findings are UNKNOWN.")
	}
	if db.Stale(now, maxAge) {
		age := "of unknown age"
		if !db.Info.UpdatedAt.IsZero() {
			age = dbAge(db.Age(now)) + " old"
		}
		fmt.Fprintf(w, "\nWARNING: the advisories are %s, older than --max-age %s: refresh with \"distill db update\", "+
			"\"distill db build --from-go-vulndb --vulndb-version NEWER\" or \"distill db import FILE\"\n", age, maxAge)
	}
	return nil
}

func dbEcosystems(info vulndb.Info) string {
	if len(info.Ecosystems) == 0 {
		return "none"
	}
	return strings.Join(info.Ecosystems, ", ")
}

func dbTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// dbAge prints a duration in days once it exceeds two.
func dbAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0h"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	default:
		return d.Round(time.Minute).String()
	}
}
