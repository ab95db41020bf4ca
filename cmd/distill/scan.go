package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/runner"
	"github.com/distill-dev/distill/internal/scan"
)

type scanFlags struct {
	format, failOn, unknownAs, vulnDB, output string
	vex                                       []string
	fixedOnly                                 bool
}

func newScanCmd(g *globalFlags) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan (REF | oci:DIR)",
		Short: "Scan an image for vulnerabilities, with the same scan stage distill build runs",
		Long: `Scans an image — an OCI layout (oci:DIR, e.g. one distill build wrote) or a
registry reference — with the pinned trivy in a container of its own, offline,
against distill's vulnerability database (see distill db). With --fail-on the
image is held to a policy and the exit code is 1 when it fails.

Reports say which ecosystems the database does not cover (e.g. "debian NOT
CHECKED") instead of claiming zero vulnerabilities.`,
		Example: `  distill scan oci:out/go-app
  distill scan oci:out/go-app --format sarif -o go-app.sarif
  distill scan 127.0.0.1:5000/team/app:1.0 --fail-on HIGH --vex security/vex.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := scanImage(cmd, g, args[0], f)
			if files == nil {
				return err
			}
			var out []byte
			switch f.format {
			case "json":
				out, _ = files.Report.JSON()
			case "sarif":
				out, _ = files.Report.SARIF()
			case "markdown":
				out = scan.Markdown([]*scan.Report{files.Report})
			case "table", "":
				var b strings.Builder
				if terr := files.Report.Table(&b); terr != nil {
					return terr
				}
				out = []byte(b.String())
			default:
				return fmt.Errorf("--format %q: want table, json, sarif or markdown", f.format)
			}
			if werr := writeOut(cmd, f.output, out); werr != nil {
				return werr
			}
			return err
		},
	}
	scanFlagsOn(cmd, f, "table, json, sarif or markdown")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "", "gate the image: fail (exit 1) on a finding at or above LOW, MEDIUM, HIGH or CRITICAL")
	cmd.Flags().StringVar(&f.unknownAs, "unknown-as", "HIGH", "how advisories without a severity count")
	cmd.Flags().BoolVar(&f.fixedOnly, "fixed-only", false, "only findings with a fixed version count against --fail-on")
	cmd.Flags().StringArrayVar(&f.vex, "vex", nil, "OpenVEX document whose not_affected statements suppress findings (repeatable)")
	return cmd
}

func newSBOMCmd(g *globalFlags) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "sbom (REF | oci:DIR)",
		Short: "Print an image's SBOM (CycloneDX or SPDX), deterministic and re-scannable",
		Long: `Inventories an image with the scan stage distill build runs and prints its SBOM:
Debian packages (purl, version), Go modules and the standard library of every Go
binary, npm and Python packages. The output is deterministic (no random ids, no
clock) and trivy can scan it again (trivy sbom).`,
		Example: `  distill sbom oci:out/go-app > go-app.cdx.json
  distill sbom oci:out/go-app --format spdx -o go-app.spdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := scanImage(cmd, g, args[0], f)
			if err != nil {
				return err
			}
			switch f.format {
			case "cyclonedx", "":
				return writeOut(cmd, f.output, files.CDX)
			case "spdx":
				return writeOut(cmd, f.output, files.SPDX)
			}
			return fmt.Errorf("--format %q: want cyclonedx or spdx", f.format)
		},
	}
	scanFlagsOn(cmd, f, "cyclonedx or spdx")
	return cmd
}

func scanFlagsOn(cmd *cobra.Command, f *scanFlags, formats string) {
	cmd.Flags().StringVar(&f.format, "format", "", "output format: "+formats)
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write to this file instead of stdout")
	cmd.Flags().StringVar(&f.vulnDB, "vulndb", "", "vulnerability database directory (default: distill's, see distill db)")
}

func scanImage(cmd *cobra.Command, g *globalFlags, target string, f *scanFlags) (*runner.ScanFiles, error) {
	mode, err := engine.ParseProgressMode(g.progress)
	if err != nil {
		return nil, err
	}
	o := runner.ScanOptions{
		VulnDB: f.vulnDB,
		Engine: []engine.Option{engine.WithProgress(mode, cmd.ErrOrStderr()), engine.WithLog(cmd.ErrOrStderr())},
		Logf:   g.logf,
	}
	if f.failOn != "" {
		o.Gate = true
		if o.Policy.FailOn, err = scan.ParseSeverity(strings.ToUpper(f.failOn)); err != nil {
			return nil, fmt.Errorf("--fail-on: %w", err)
		}
	}
	if f.unknownAs != "" {
		if o.Policy.UnknownAs, err = scan.ParseSeverity(strings.ToUpper(f.unknownAs)); err != nil {
			return nil, fmt.Errorf("--unknown-as: %w", err)
		}
	}
	o.Policy.FixedOnly = f.fixedOnly
	for _, v := range f.vex {
		doc, err := scan.LoadVEX(v)
		if err != nil {
			return nil, err
		}
		o.Policy.VEX = append(o.Policy.VEX, doc)
	}
	if o.Epoch, err = g.sourceDateEpoch(); err != nil {
		return nil, err
	}
	return runner.ScanImage(cmd.Context(), target, o)
}

func writeOut(cmd *cobra.Command, file string, data []byte) error {
	if file == "" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	return os.WriteFile(file, data, 0o644)
}
