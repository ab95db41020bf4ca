package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/runner"
	"github.com/distill-dev/distill/pipeline/spec"
)

func newFrontendCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "frontend",
		Short: "Publish distill's BuildKit frontend (# syntax= for distill.yaml and Dockerfiles)",
		Long: `distill's BuildKit frontend runs the whole pipeline inside buildkitd: put
"# syntax=REPO/frontend" at the top of a distill.yaml or of a Dockerfile and
build it with buildctl or docker buildx. See docs/frontend.md.`,
		Example: `  # publish the frontend and the images it uses (what make frontend does)
  distill frontend publish 127.0.0.1:5000/distill --binary bin/distill-frontend --key cosign.key --no-tlog`,
	}
	cmd.AddCommand(newFrontendPublishCmd(g))
	return cmd
}

type frontendPublishFlags struct {
	binary, tag, lock, vulnDB    string
	debianMirror, debianSecurity string
	specs, platforms             []string
	locked                       bool
	sign                         signFlags
}

func newFrontendPublishCmd(g *globalFlags) *cobra.Command {
	f := &frontendPublishFlags{}
	cmd := &cobra.Command{
		Use:   "publish REPO",
		Short: "Assemble, sign and push the frontend image and the images its catalog pins",
		Long: `Pushes, each signed:

  REPO/<flavour>:<tag>  the base flavours the --spec pipelines use (REPO/go:1.26,
                        REPO/static:latest …), and static for every --platform,
                        so that Dockerfiles can start FROM them too
  REPO/trivy:<version>  the scanner
  REPO/vulndb:latest    the vulnerability database (distill db)
  REPO/frontend:<tag>   distill-frontend on the static flavour, with a catalog
                        that pins all of the above by digest

and prints the frontend's reference for "# syntax=". The frontend never
assembles images itself: a Spec whose bases are not in its catalog fails,
naming the missing base.`,
		Example: `  # what make frontend runs
  distill frontend publish 127.0.0.1:5000/distill --binary bin/distill-frontend \
      --spec examples/go-app/distill.yaml --key cosign.key --no-tlog

  # then
  buildctl build --frontend dockerfile.v0 --local context=examples/go-app \
      --local dockerfile=examples/go-app --opt filename=distill.yaml --output type=oci,dest=app.tar`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFrontendPublish(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.binary, "binary", "bin/distill-frontend", "distill-frontend built for linux/amd64 (make frontend builds it)")
	fl.StringVar(&f.tag, "tag", "latest", "tag of REPO/frontend")
	fl.StringArrayVar(&f.specs, "spec", nil, "a distill.yaml whose base flavours the frontend carries (repeatable)")
	fl.StringSliceVar(&f.platforms, "platform", []string{"linux/amd64", "linux/arm64"}, "runtime platforms of the flavours")
	fl.StringVar(&f.lock, "lock", "", "lockfile for the flavours' packages (as distill build --lock)")
	fl.BoolVar(&f.locked, "locked", false, "assemble exactly what the lockfile pins")
	fl.StringVar(&f.vulnDB, "vulndb", "", "vulnerability database directory (default: distill's, see distill db)")
	fl.StringVar(&f.debianMirror, "debian-mirror", "", "Debian archive (default $DISTILL_DEBIAN_MIRROR, else the apt sources)")
	fl.StringVar(&f.debianSecurity, "debian-security-mirror", "", "Debian security archive (default $DISTILL_DEBIAN_SECURITY_MIRROR, else the apt sources)")
	f.sign.register(fl)
	return cmd
}

func runFrontendPublish(cmd *cobra.Command, g *globalFlags, f *frontendPublishFlags, repo string) error {
	if _, err := os.Stat(f.binary); err != nil {
		return fmt.Errorf("--binary: %w (build it with make frontend, or CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o %s ./cmd/distill-frontend)", err, f.binary)
	}
	f.sign.sign = !f.sign.allowUnsigned && (f.sign.key != "" || f.sign.keyless)
	popts, err := f.sign.options(cmd)
	if err != nil {
		return err
	}
	var ro runner.Options
	for _, o := range popts {
		if err := o(&ro); err != nil {
			return err
		}
	}
	var specs []*spec.Spec
	for _, file := range f.specs {
		s, err := spec.Load(file)
		if err != nil {
			return err
		}
		specs = append(specs, s)
	}
	lock := f.lock
	if lock == "" && len(f.specs) == 1 {
		lock = filepath.Join(filepath.Dir(f.specs[0]), "distill.lock")
	}
	res, err := runner.PublishFrontend(cmd.Context(), runner.FrontendOptions{
		Repo: repo, Tag: f.tag, Binary: f.binary, Specs: specs, Platforms: f.platforms, VulnDB: f.vulnDB,
		Bases: baseimage.Config{
			DebianMirror: f.debianMirror, DebianSecurityMirror: f.debianSecurity,
			LockPath: lock, Locked: f.locked, Logf: g.logf,
		},
		Signing: ro.Signing, AllowUnsigned: ro.AllowUnsigned, Logf: g.logf,
	})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "frontend\t%s\n", res.Image)
	fmt.Fprintf(out, "bases\t%d platform images\n", len(res.Catalog.Bases))
	fmt.Fprintf(out, "scanner\t%s\n", res.Catalog.Scanner.Image)
	fmt.Fprintf(out, "vulndb\t%s (%s)\n", res.Catalog.VulnDB.Image, res.Catalog.VulnDB.Info.Source)
	fmt.Fprintf(out, "\nuse it: put this line first in a distill.yaml or a Dockerfile\n# syntax=%s\n", res.Image)
	return nil
}
