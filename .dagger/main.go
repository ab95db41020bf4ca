// The distill pipeline as a Dagger module: `dagger call build`, `test`,
// `scan`, `sbom`, `publish` and `ci` run the same plan as `distill build`
// and the BuildKit frontend, through distill's Dagger backend
// (internal/daggergen). Base images, the scanner and the vulnerability
// database come from a distill frontend image's catalog (make frontend).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	sdk "dagger.io/dagger"

	"github.com/distill-dev/distill/dagger/internal/dagger"
	"github.com/distill-dev/distill/internal/daggergen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/scanrun"
	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/pipeline/spec"
)

// Distill builds, tests, scans, SBOMs and signs distroless images.
type Distill struct {
	// The distill frontend image whose catalog names the base images, scanner and vulnerability database
	Frontend string
}

// New selects the distill frontend image (published by make frontend) whose
// catalog pins the base images, the scanner and the vulnerability database.
func New(
	// A distill frontend image: REPO/frontend:TAG
	// +optional
	// +default="127.0.0.1:5000/distill/frontend:latest"
	frontend string,
) *Distill {
	return &Distill{Frontend: frontend}
}

// run compiles the project's pipeline and evaluates it up to target.
func run(ctx context.Context, source *dagger.Directory, frontend string, target plan.Target, o daggergen.PipelineOptions) (*sdk.Client, *daggergen.Result, error) {
	if frontend == "" {
		return nil, nil, fmt.Errorf("--frontend is required: a distill frontend image (REPO/frontend, published by make frontend) whose catalog names the base images, scanner and vulnerability database")
	}
	c, err := sdk.Connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	id, err := source.ID(ctx)
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "distill-source-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	// The Spec: distill.yaml, or a preset detected from the project's files.
	if _, err := source.Export(ctx, dir); err != nil {
		return nil, nil, err
	}
	s, err := spec.LoadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	cat, err := daggergen.CatalogOf(ctx, c, frontend)
	if err != nil {
		return nil, nil, err
	}
	o.Catalog, o.Target = cat, target
	res, err := daggergen.Pipeline(ctx, c, s, c.LoadDirectoryFromID(sdk.DirectoryID(id)), o)
	return c, res, err
}

// options are the arguments every function takes besides the source.
func options(platform []string, epoch int, noScan bool) daggergen.PipelineOptions {
	return daggergen.PipelineOptions{Platforms: platform, NoScan: noScan, Epoch: time.Unix(int64(epoch), 0).UTC()}
}

// container hands a container of the backend's client to the module's.
func container(ctx context.Context, c *sdk.Container) (*dagger.Container, error) {
	id, err := c.ID(ctx)
	if err != nil {
		return nil, err
	}
	return dag.LoadContainerFromID(dagger.ContainerID(id)), nil
}

// Build runs the project's pipeline — build and test stages as separate
// containers, the distroless runtime, the runtime's scan held to the policy
// — and returns the runtime image (of the first platform).
func (m *Distill) Build(ctx context.Context,
	// The project: a directory with a distill.yaml, or a Go, Node or Python project
	// +defaultPath="/"
	source *dagger.Directory,
	// Runtime platforms (default: the Spec's)
	// +optional
	platform []string,
	// SOURCE_DATE_EPOCH: every timestamp in the image
	// +optional
	// +default=0
	sourceDateEpoch int,
	// Skip the scans (nothing is checked)
	// +optional
	noScan bool,
) (*dagger.Container, error) {
	_, res, err := run(ctx, source, m.Frontend, plan.TargetRuntime, options(platform, sourceDateEpoch, noScan))
	if err != nil {
		return nil, err
	}
	return container(ctx, res.Images[0].Container)
}

// Test runs the build and test stages; it fails with the failing test's output.
func (m *Distill) Test(ctx context.Context,
	// The project
	// +defaultPath="/"
	source *dagger.Directory,
) (string, error) {
	_, res, err := run(ctx, source, m.Frontend, plan.TargetTest, options(nil, 0, true))
	if err != nil {
		return "", err
	}
	var names []string
	for _, st := range res.Graph.StagesWith(plan.RoleTest) {
		names = append(names, st.Name)
	}
	return fmt.Sprintf("passed: %s\n", strings.Join(names, ", ")), nil
}

// Scan scans a stage — the runtime (what ships) or a build stage — and
// returns distill's JSON report. The report is returned whatever it finds;
// --fail-on gates it.
func (m *Distill) Scan(ctx context.Context,
	// The project
	// +defaultPath="/"
	source *dagger.Directory,
	// The stage to scan: runtime, or a stage of the pipeline (build)
	// +optional
	// +default="runtime"
	stage string,
	// Fail when a finding is at or above this severity (LOW … CRITICAL); NONE reports only
	// +optional
	// +default="NONE"
	failOn string,
	// Report format: json, sarif or markdown
	// +optional
	// +default="json"
	format string,
) (*dagger.File, error) {
	f, err := scanFiles(ctx, source, m.Frontend, stage, failOn)
	if err != nil {
		return nil, err
	}
	var dt []byte
	switch format {
	case "json":
		dt, err = f.Report.JSON()
	case "sarif":
		dt, err = f.Report.SARIF()
	case "markdown":
		dt = scan.Markdown([]*scan.Report{f.Report})
	default:
		return nil, fmt.Errorf("--format %q: want json, sarif or markdown", format)
	}
	if err != nil {
		return nil, err
	}
	return dag.File(scanrun.FileLabel(f.Label)+"."+format, string(dt)), nil
}

// Sbom returns the SBOM of a stage (the runtime by default): SPDX 2.3 or
// CycloneDX 1.5 JSON, deterministic, as distill build writes it.
func (m *Distill) Sbom(ctx context.Context,
	// The project
	// +defaultPath="/"
	source *dagger.Directory,
	// The stage: runtime, or a stage of the pipeline (build)
	// +optional
	// +default="runtime"
	stage string,
	// spdx or cyclonedx
	// +optional
	// +default="spdx"
	format string,
) (*dagger.File, error) {
	f, err := scanFiles(ctx, source, m.Frontend, stage, "NONE")
	if err != nil {
		return nil, err
	}
	switch format {
	case "spdx":
		return dag.File(scanrun.FileLabel(f.Label)+".spdx.json", string(f.SPDX)), nil
	case "cyclonedx":
		return dag.File(scanrun.FileLabel(f.Label)+".cdx.json", string(f.CDX)), nil
	}
	return nil, fmt.Errorf("--format %q: want spdx or cyclonedx", format)
}

// scanFiles runs the pipeline with stage scanned and returns its files.
func scanFiles(ctx context.Context, source *dagger.Directory, frontend, stage, failOn string) (*scanrun.Files, error) {
	o := options(nil, 0, false)
	o.FailOn = failOn
	if stage != plan.RuntimeStage {
		o.ScanStages = []string{stage}
	}
	_, res, err := run(ctx, source, frontend, plan.TargetRuntime, o)
	if err != nil {
		return nil, err
	}
	for _, f := range res.Scans {
		if f.Label == stage || strings.HasPrefix(f.Label, stage+" ") {
			return &f, nil
		}
	}
	return nil, fmt.Errorf("no scan of %s", stage)
}

// Ci runs everything, in parallel where the plan allows: build, tests, the
// runtime's scan (gated by the policy) and the build stage's (reported),
// SBOMs. It returns a directory with the runtime image (image.tar, OCI),
// each scan's report (JSON, SARIF), SBOMs (CycloneDX, SPDX) and summary.md.
func (m *Distill) Ci(ctx context.Context,
	// The project
	// +defaultPath="/"
	source *dagger.Directory,
	// Runtime platforms (default: the Spec's)
	// +optional
	platform []string,
	// SOURCE_DATE_EPOCH
	// +optional
	// +default=0
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	o := options(platform, sourceDateEpoch, false)
	o.ScanStages = []string{"build"}
	c, res, err := run(ctx, source, m.Frontend, plan.TargetRuntime, o)
	if err != nil {
		return nil, err
	}
	out := "ci"
	if err := scanrun.WriteReports(out, res.Scans); err != nil {
		return nil, err
	}
	var variants []*sdk.Container
	for _, img := range res.Images[1:] {
		variants = append(variants, img.Container)
	}
	if _, err := res.Images[0].Container.Export(ctx, out+"/image.tar", sdk.ContainerExportOpts{PlatformVariants: variants}); err != nil {
		return nil, err
	}
	_ = c
	return dag.CurrentModule().Workdir(out), nil
}

// Publish runs the pipeline (build, tests, scans under the policy), signs
// the image, each platform image and the attestations — SBOMs, vulnerability
// report, SLSA provenance — with a cosign key, and pushes them to address,
// the tag last. Signing is offline (no transparency log): verify with
// distill verify --offline or cosign verify --insecure-ignore-tlog. It
// returns REPO@digest.
func (m *Distill) Publish(ctx context.Context,
	// The project
	// +defaultPath="/"
	source *dagger.Directory,
	// Where to publish: REPOSITORY:TAG
	address string,
	// The cosign private key (a PEM; e.g. --key=file:cosign.key or env:COSIGN_KEY)
	key *dagger.Secret,
	// The key's password (none when omitted)
	// +optional
	password *dagger.Secret,
	// How this module reaches address's registry when it is on the caller's
	// loopback: --registry=tcp://localhost:5000. The signatures still name address.
	// +optional
	registry *dagger.Service,
	// Store signatures and attestations as OCI 1.1 referrers instead of cosign's .sig/.att tags
	// +optional
	referrers bool,
	// Runtime platforms (default: the Spec's)
	// +optional
	platform []string,
	// SOURCE_DATE_EPOCH
	// +optional
	// +default=0
	sourceDateEpoch int,
) (string, error) {
	pem, err := key.Plaintext(ctx)
	if err != nil {
		return "", err
	}
	var pass []byte
	if password != nil {
		p, err := password.Plaintext(ctx)
		if err != nil {
			return "", err
		}
		pass = []byte(p)
	}
	const keyEnv = "DISTILL_DAGGER_SIGNING_KEY"
	os.Setenv(keyEnv, pem)
	defer os.Unsetenv(keyEnv)
	signer, err := sign.LoadSigner(ctx, "env://"+keyEnv, func() ([]byte, error) { return pass, nil })
	if err != nil {
		return "", err
	}
	endpoint := ""
	if registry != nil {
		if endpoint, err = registry.Endpoint(ctx); err != nil {
			return "", err
		}
	}
	_, res, err := run(ctx, source, m.Frontend, plan.TargetRuntime, options(platform, sourceDateEpoch, false))
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "distill-publish-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	return daggergen.Publish(ctx, res, daggergen.PublishOptions{
		Address: address, Signer: sign.Options{Signer: signer}, Endpoint: endpoint, Referrers: referrers, Spec: res.Spec,
	}, dir)
}

// CheckGoApp is distill's own check (dagger check): examples/go-app through
// the whole pipeline — build, tests, the runtime's scan under the policy —
// on the Dagger backend.
// +check
func (m *Distill) CheckGoApp(ctx context.Context,
	// +defaultPath="/examples/go-app"
	source *dagger.Directory,
) error {
	_, _, err := run(ctx, source, m.Frontend, plan.TargetRuntime, options(nil, 0, false))
	return err
}
