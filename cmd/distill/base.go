package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/rootfs"
)

func newBaseCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "base",
		Short: "Assemble distroless runtime and builder images from Debian packages",
		Long: `Runtime and builder images are assembled by distill itself from Debian
packages: the mirror comes from --debian-mirror, DISTILL_DEBIAN_MIRROR or the
machine's apt sources; InRelease is verified against the Debian archive keyring
and every .deb against its SHA256. Outputs are reproducible: the same packages
and SOURCE_DATE_EPOCH give the same digest.`,
	}
	cmd.AddCommand(newBaseBuildCmd(g), newBaseListCmd())
	return cmd
}

type baseBuildFlags struct {
	output, arch, goVersion, lock   string
	locked                          bool
	mirror, securityMirror, keyring string
}

func newBaseBuildCmd(g *globalFlags) *cobra.Command {
	f := &baseBuildFlags{}
	cmd := &cobra.Command{
		Use:   "build FLAVOUR[:debug]",
		Short: "Assemble one flavour into an OCI layout, a tar or a registry",
		Example: `  # the static runtime into an OCI layout directory
  distill base build static --output oci:out/static

  # base with busybox for debugging, as a tar that docker load accepts
  distill base build base:debug --output docker:base-debug.tar

  # the Go builder (newest Go 1.26 patch release) pushed to a registry
  distill base build go --go 1.26 --output image:127.0.0.1:5000/distill/go:1.26

  # exactly what distill.lock pins, for arm64
  distill base build cc --arch arm64 --locked --output oci:out/cc-arm64`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaseBuild(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "where to write the image: oci:DIR, tar:FILE (OCI layout), docker:FILE or image:REF (required)")
	fl.StringVar(&f.arch, "arch", "amd64", "architecture: amd64 or arm64")
	fl.StringVar(&f.goVersion, "go", rootfs.DefaultGoVersion, "Go release for builder flavours with Go; 1.26 means its newest patch release")
	fl.StringVar(&f.lock, "lock", "distill.lock", "lockfile to record resolved packages in (and read with --locked); empty for none")
	fl.BoolVar(&f.locked, "locked", false, "install exactly what the lockfile pins; fail instead of resolving anew")
	fl.StringVar(&f.mirror, "debian-mirror", "", "Debian archive URL (default $DISTILL_DEBIAN_MIRROR, else the apt sources)")
	fl.StringVar(&f.securityMirror, "debian-security-mirror", "", "Debian security archive URL (default $DISTILL_DEBIAN_SECURITY_MIRROR, else the apt sources, else <mirror>-security)")
	fl.StringVar(&f.keyring, "debian-keyring", "", "OpenPGP keyring that signs the archive (default $DISTILL_DEBIAN_KEYRING, else the apt source's Signed-By, else the built-in Debian archive keyring)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runBaseBuild(cmd *cobra.Command, g *globalFlags, f *baseBuildFlags, flavour string) error {
	out, err := ocistore.ParseOutput(f.output)
	if err != nil {
		return err
	}
	epoch, err := g.sourceDateEpoch()
	if err != nil {
		return err
	}
	svc, err := baseimage.New(baseimage.Config{
		DebianMirror: f.mirror, DebianSecurityMirror: f.securityMirror, DebianKeyring: f.keyring,
		LockPath: f.lock, Locked: f.locked, Epoch: epoch, Logf: g.logf,
	})
	if err != nil {
		return err
	}
	res, err := svc.Build(cmd.Context(), rootfs.Request{Flavour: flavour, Platform: "linux/" + f.arch, GoVersion: f.goVersion})
	if err != nil {
		return err
	}
	if err := svc.SaveLock(); err != nil {
		return err
	}
	ref := "distill/" + strings.ReplaceAll(res.Name(), ":", "-") + ":latest"
	if err := ocistore.Write(cmd.Context(), out, res.Image, ref); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return printBaseSummary(cmd, res, out, f)
}

func printBaseSummary(cmd *cobra.Command, res *rootfs.Result, out ocistore.Output, f *baseBuildFlags) error {
	digest, err := res.Image.Digest()
	if err != nil {
		return err
	}
	size, layers, err := compressedSize(res.Image)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "image\tdistill/%s %s\n", res.Name(), res.Platform)
	fmt.Fprintf(w, "digest\t%s\n", digest)
	fmt.Fprintf(w, "size\t%s compressed, %d layers\n", humanBytes(size), layers)
	fmt.Fprintf(w, "packages\t%d from Debian %s\n", len(res.Packages), rootfs.Codename)
	if res.Toolchain != nil {
		fmt.Fprintf(w, "toolchain\t%s (%s)\n", res.Toolchain.Version, res.Toolchain.Sum)
	}
	target := out.String()
	if out.Kind == ocistore.OCIDir || out.Kind == ocistore.OCITar || out.Kind == ocistore.Docker {
		if abs, err := filepath.Abs(out.Target); err == nil {
			target = string(out.Kind) + ":" + abs
		}
	}
	fmt.Fprintf(w, "written to\t%s\n", target)
	if f.lock != "" && !f.locked {
		fmt.Fprintf(w, "lock\t%s\n", f.lock)
	}
	return w.Flush()
}

// compressedSize is what a registry stores for the image: manifest, config and layers.
func compressedSize(img v1.Image) (int64, int, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, 0, err
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, len(m.Layers), nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func newBaseListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the runtime and builder flavours",
		Example: "  distill base list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FLAVOUR\tKIND\tPACKAGES\tDESCRIPTION")
			for _, fl := range rootfs.Flavours() {
				name := fl.Name
				if fl.Kind == rootfs.Runtime {
					name += " (" + rootfs.DebugSuffix + ")"
				}
				pkgs := strings.Join(fl.Packages, " ")
				if fl.Parent != "" {
					pkgs = strings.TrimSpace(fl.Parent + " + " + pkgs)
				}
				if fl.MinBase {
					pkgs = "minbase + " + pkgs
				}
				if fl.Toolchain != "" {
					pkgs += " " + fl.Toolchain + " toolchain"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, fl.Kind, strings.TrimSpace(pkgs), fl.Description)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nRuntime flavours never install %s: only maintainer scripts use them, and distill generates what those scripts would.\n",
				strings.Join(rootfs.MaintainerScriptDeps(), ", "))
			return nil
		},
	}
}
