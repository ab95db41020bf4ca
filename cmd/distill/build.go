package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/distill-dev/distill/internal/runner"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
)

type buildFlags struct {
	file, target, caBundle, lock                     string
	outputs, push, platforms, args, secrets, sshs    []string
	locked, keepEngine                               bool
	debianMirror, debianSecurityMirror, buildkitAddr string
	reportDir, vulnDB, failOn                        string
	vex, scanStages, mirrors                         []string
	noScan                                           bool
	sign                                             signFlags
}

// signFlags say how distill build signs what it pushes.
type signFlags struct {
	sign, keyless, noTlog, referrers, allowUnsigned, passwordStdin bool
	key, fulcioURL, rekorURL                                       string
}

func newBuildCmd(g *globalFlags) *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Build, test and assemble the distroless runtime of a project",
		Long: `Runs the pipeline of DIR (default .): its distill.yaml, or a preset detected
from go.mod, package.json or requirements.txt. Build and test run as separate
containers on BuildKit, in parallel with the runtime assembly; a failing test
fails the build and nothing is exported.

A push is signed: --sign (with --key or --keyless) signs the image and each
platform image and attaches the SBOMs, vulnerability report and SLSA
provenance as signed attestations before anything is pushed; the tag moves
last. Pushing unsigned needs --allow-unsigned.

The result is exported into an OCI layout (printed at the end) and written to
every --output. The build is reproducible: timestamps are SOURCE_DATE_EPOCH
(default: the last commit's time), base images come from distill.lock.`,
		Example: `  # the project in this directory, into an OCI layout
  distill build --output oci:out/app

  # a distill.yaml elsewhere, for two platforms, pushed to a registry
  distill build -f deploy/distill.yaml --platform linux/amd64,linux/arm64 --push 127.0.0.1:5000/app:v1

  # stop after the test stage; pass a secret to steps that mount it
  distill build --target test --secret id=netrc,src=$HOME/.netrc

  # a tar that docker load accepts
  distill build examples/go-app --output docker:go-app.tar

  # scan the build stage too, gate at CRITICAL, keep the reports and SBOMs for CI
  distill build --scan-stage build --fail-on CRITICAL --report-dir reports/

  # sign and attest before pushing (key password from $COSIGN_PASSWORD)
  distill build --push 127.0.0.1:5000/app:v1 --sign --key cosign.key

  # keyless, in a CI job with an OIDC identity (Fulcio + Rekor)
  distill build --push registry.example/org/app:v1 --sign --keyless

  # air-gapped: sign with a key and no transparency log (distill verify --offline)
  distill build --push registry.internal/app:v1 --sign --key cosign.key --no-tlog`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runBuild(cmd, g, f, dir)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "the distill.yaml (default DIR/distill.yaml, else a detected preset)")
	fl.StringVar(&f.target, "target", "runtime", "stop after: build, test or runtime")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "also write the result to oci:DIR, tar:FILE, docker:FILE or image:REF (repeatable)")
	fl.StringArrayVar(&f.push, "push", nil, "push the result to a registry reference (repeatable)")
	fl.StringSliceVar(&f.platforms, "platform", nil, "runtime platforms, e.g. linux/amd64,linux/arm64 (default: the Spec's)")
	fl.StringArrayVar(&f.args, "build-arg", nil, "override a build argument NAME=VALUE (repeatable)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "secret for steps: id=ID[,src=FILE|,env=VAR] (repeatable)")
	fl.StringArrayVar(&f.sshs, "ssh", nil, "forward an SSH agent to steps: default or ID=SOCKET (repeatable)")
	fl.StringVar(&f.caBundle, "ca-bundle", "", "CA bundle dependency downloads trust (default $SSL_CERT_FILE or the system bundle)")
	fl.StringVar(&f.lock, "lock", "", "lockfile for base image packages (default DIR/distill.lock)")
	fl.BoolVar(&f.locked, "locked", false, "build exactly what the lockfile pins; never resolve packages anew")
	fl.BoolVar(&f.keepEngine, "keep-engine", false, "leave a local buildkitd started by this build running")
	fl.StringVar(&f.debianMirror, "debian-mirror", "", "Debian archive for base images (default $DISTILL_DEBIAN_MIRROR, else the apt sources)")
	fl.StringVar(&f.debianSecurityMirror, "debian-security-mirror", "", "Debian security archive (default $DISTILL_DEBIAN_SECURITY_MIRROR, else the apt sources)")
	fl.StringVar(&f.buildkitAddr, "buildkit", "", "BuildKit address (default $BUILDKIT_HOST, else a local buildkitd)")
	fl.StringVar(&f.reportDir, "report-dir", "", "write each scan's report (JSON, SARIF), SBOMs (CycloneDX, SPDX) and summary.md here")
	fl.StringVar(&f.vulnDB, "vulndb", "", "vulnerability database directory (default: distill's, see distill db)")
	fl.StringVar(&f.failOn, "fail-on", "", "override the policy threshold: LOW, MEDIUM, HIGH, CRITICAL or NONE")
	fl.StringArrayVar(&f.vex, "vex", nil, "OpenVEX document whose not_affected statements suppress findings (repeatable)")
	fl.StringArrayVar(&f.scanStages, "scan-stage", nil, "also scan this stage, e.g. build (repeatable; the runtime is always scanned)")
	fl.BoolVar(&f.noScan, "no-scan", false, "skip the scan stages (nothing is checked)")
	fl.StringArrayVar(&f.mirrors, "registry-mirror", nil, "pull a registry's images from a mirror first: REGISTRY=MIRROR, e.g. docker.io=127.0.0.1:5000 (local buildkitd; repeatable)")
	fl.BoolVar(&f.sign.sign, "sign", false, "sign the pushed image and attach its SBOMs, vulnerability report and provenance as signed attestations")
	f.sign.register(fl)
	return cmd
}

// register adds the flags that say how to sign (all but --sign).
func (f *signFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.key, "key", os.Getenv("DISTILL_SIGN_KEY"), "signing key: a cosign key file, env://VAR or a KMS URI (default $DISTILL_SIGN_KEY; password from $DISTILL_SIGN_PASSWORD, $COSIGN_PASSWORD, --password-stdin or a prompt)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the key's password from the first line of stdin")
	fl.BoolVar(&f.keyless, "keyless", false, "sign with a Fulcio certificate for the CI job's OIDC identity, logged in Rekor (needs their network)")
	fl.StringVar(&f.fulcioURL, "fulcio-url", "", "Fulcio for --keyless (default: sigstore's)")
	fl.StringVar(&f.rekorURL, "rekor-url", "", "transparency log (default: sigstore's)")
	fl.BoolVar(&f.noTlog, "no-tlog", false, "sign offline: no transparency log entry (key only; distill verify then needs --offline)")
	fl.BoolVar(&f.referrers, "referrers", false, "store signatures and attestations as OCI 1.1 referrers instead of cosign's .sig/.att tags")
	fl.BoolVar(&f.allowUnsigned, "allow-unsigned", false, "push without signing")
}

// options turns the signing flags into pipeline options.
func (f signFlags) options(cmd *cobra.Command) ([]pipeline.Option, error) {
	if f.allowUnsigned {
		if f.sign || f.keyless {
			return nil, fmt.Errorf("--allow-unsigned and --sign contradict each other")
		}
		return []pipeline.Option{pipeline.AllowUnsigned()}, nil
	}
	if !f.sign && !f.keyless {
		if f.noTlog || f.referrers {
			return nil, fmt.Errorf("--no-tlog and --referrers are for signing: add --sign")
		}
		return nil, nil
	}
	var opts []pipeline.Option
	switch {
	case f.keyless && f.noTlog:
		return nil, fmt.Errorf("--keyless needs the transparency log: drop --no-tlog, or sign with --key")
	case f.keyless:
		opts = append(opts, pipeline.SignKeyless(f.fulcioURL, f.rekorURL))
	case f.key == "":
		return nil, fmt.Errorf("--sign needs --key (a cosign key file, env://VAR or a KMS URI; default $DISTILL_SIGN_KEY) or --keyless")
	default:
		opts = append(opts, pipeline.SignWithKey(f.key, password(cmd, f.passwordStdin, "Password for "+f.key, false)))
		if f.rekorURL != "" {
			opts = append(opts, pipeline.RekorURL(f.rekorURL))
		}
	}
	if f.noTlog {
		opts = append(opts, pipeline.NoTransparencyLog())
	}
	if f.referrers {
		opts = append(opts, pipeline.Referrers())
	}
	return opts, nil
}

func runBuild(cmd *cobra.Command, g *globalFlags, f *buildFlags, dir string) error {
	var s *spec.Spec
	var err error
	specDir := dir
	if f.file != "" {
		s, err = spec.Load(f.file)
		specDir = filepath.Dir(f.file)
	} else {
		s, err = pipeline.Load(dir)
	}
	if err != nil {
		return err
	}
	lock := f.lock
	if lock == "" {
		lock = filepath.Join(specDir, "distill.lock")
	}
	opts := []pipeline.Option{
		pipeline.Dir(specDir),
		pipeline.Target(f.target),
		pipeline.Progress(g.progress, cmd.ErrOrStderr()),
		pipeline.Lockfile(lock, f.locked),
		pipeline.DebianMirror(f.debianMirror, f.debianSecurityMirror),
		pipeline.Logf(g.logf),
	}
	if g.epoch != "" {
		t, err := g.sourceDateEpoch()
		if err != nil {
			return err
		}
		opts = append(opts, pipeline.SourceDateEpoch(t))
	}
	for _, o := range f.outputs {
		opts = append(opts, pipeline.Output(o))
	}
	for _, r := range f.push {
		opts = append(opts, pipeline.Push(r))
	}
	if len(f.platforms) > 0 {
		opts = append(opts, pipeline.BuildPlatforms(f.platforms...))
	}
	for _, a := range f.args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("--build-arg %q: want NAME=VALUE", a)
		}
		opts = append(opts, pipeline.BuildArg(k, v))
	}
	for _, sv := range f.secrets {
		sec, err := runner.ParseSecret(sv)
		if err != nil {
			return err
		}
		if sec.File != "" {
			opts = append(opts, pipeline.SecretFile(sec.ID, sec.File))
		} else {
			opts = append(opts, pipeline.SecretEnv(sec.ID, sec.Env))
		}
	}
	for _, s := range f.sshs {
		opts = append(opts, pipeline.SSHAgent(s))
	}
	if f.caBundle != "" {
		opts = append(opts, pipeline.CABundle(f.caBundle))
	}
	if f.buildkitAddr != "" {
		opts = append(opts, pipeline.BuildKit(f.buildkitAddr))
	}
	if f.keepEngine {
		opts = append(opts, pipeline.KeepEngine())
	}
	if f.reportDir != "" {
		opts = append(opts, pipeline.ReportDir(f.reportDir))
	}
	if f.vulnDB != "" {
		opts = append(opts, pipeline.VulnDB(f.vulnDB))
	}
	if f.failOn != "" {
		opts = append(opts, pipeline.FailOn(strings.ToUpper(f.failOn)))
	}
	for _, v := range f.vex {
		opts = append(opts, pipeline.VEX(v))
	}
	for _, st := range f.scanStages {
		opts = append(opts, pipeline.ScanStage(st))
	}
	if f.noScan {
		opts = append(opts, pipeline.NoScan())
	}
	for _, m := range f.mirrors {
		reg, mirror, ok := strings.Cut(m, "=")
		if !ok || reg == "" || mirror == "" {
			return fmt.Errorf("--registry-mirror %q: want REGISTRY=MIRROR", m)
		}
		opts = append(opts, pipeline.RegistryMirror(reg, mirror))
	}
	signOpts, err := f.sign.options(cmd)
	if err != nil {
		return err
	}
	opts = append(opts, signOpts...)
	res, err := pipeline.BuildSpec(cmd.Context(), s, opts...)
	if err != nil {
		return err
	}
	return printBuildSummary(cmd, res, f.target)
}

func printBuildSummary(cmd *cobra.Command, res *runner.Result, target string) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "image\t%s\n", res.Name)
	if target != "test" {
		what := "manifest"
		if len(res.Images) > 1 {
			what = fmt.Sprintf("index of %d platforms", len(res.Images))
		}
		fmt.Fprintf(w, "digest\t%s (%s)\n", res.Digest, what)
		for _, img := range res.Images {
			fmt.Fprintf(w, "  %s\t%s  %s, %d layers\n", img.Platform, img.Digest, humanBytes(img.Size), img.Layers)
		}
	}
	var parts []string
	for _, st := range res.Stages {
		p := fmt.Sprintf("%s %s", st.Stage, st.Duration.Round(10*time.Millisecond))
		if st.Steps > 0 && st.Cached == st.Steps {
			p = st.Stage + " cached"
		}
		parts = append(parts, p)
	}
	fmt.Fprintf(w, "stages\t%s\n", strings.Join(parts, " · "))
	if len(res.Scans) > 0 {
		var reports []*scan.Report
		for _, f := range res.Scans {
			reports = append(reports, f.Report)
		}
		fmt.Fprintf(w, "scans\t%s\n", scan.Line(reports))
	}
	fmt.Fprintf(w, "time\t%s (SOURCE_DATE_EPOCH %d)\n", res.Duration.Round(10*time.Millisecond), res.Epoch.Unix())
	if target != "test" {
		fmt.Fprintf(w, "layout\toci:%s\n", res.Layout)
	}
	for _, o := range res.Outputs {
		t := o.String()
		if abs, err := filepath.Abs(o.Target); err == nil && o.Kind != "image" {
			t = string(o.Kind) + ":" + abs
		}
		fmt.Fprintf(w, "output\t%s\n", t)
	}
	for _, p := range res.Published {
		how := "UNSIGNED"
		switch {
		case p.Signed && p.Tlog:
			how = "signed, attested, in the transparency log"
		case p.Signed:
			how = "signed, attested, OFFLINE (no transparency log)"
		}
		fmt.Fprintf(w, "pushed\t%s@%s (%s)\n", p.Tag, p.Digest, how)
	}
	return w.Flush()
}
