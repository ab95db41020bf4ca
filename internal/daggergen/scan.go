package daggergen

import (
	"context"
	"fmt"

	"dagger.io/dagger"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scanrun"
)

// Scanner is the scan container's image (trivy at plan.ScannerBinary) and
// the vulnerability database directory (trivy.db, metadata.json).
type Scanner struct {
	Image *dagger.Container
	DB    *dagger.Directory
}

// Scan runs plan.ScanSteps over target, mounted read-only, as the LLB
// backend does, and reads the outputs.
func Scan(ctx context.Context, c *dagger.Client, sc Scanner, target *dagger.Directory, stage string, p plan.Platform, gate bool) (scanrun.Scan, error) {
	out := scanrun.Scan{Stage: stage, Platform: p, Gate: gate}
	ctr := sc.Image.
		// The scanner's base is distroless: it has Debian's identity files but
		// no shell, so an engine that installs custom CAs into Debian
		// containers (update-ca-certificates) could not run it. trivy reads
		// the target's identity, not its own, and needs no CA (offline).
		WithoutFiles([]string{"/etc/debian_version", "/etc/os-release", "/usr/lib/os-release"}).
		WithUser("0:0").
		WithEnvVariable("TRIVY_NO_PROGRESS", "true").
		WithMountedDirectory(plan.ScanTarget, target).
		WithMountedDirectory(plan.ScanDBDir, sc.DB).
		WithDirectory(plan.ScanOutDir, c.Directory())
	for _, step := range plan.ScanSteps() {
		ctr = ctr.WithExec(step.Args)
	}
	outputs := ctr.Directory(plan.ScanOutDir)
	for _, f := range []struct {
		name string
		into *[]byte
	}{{plan.ScanReport, &out.Report}, {plan.ScanCycloneDX, &out.CDX}, {plan.ScanSPDX, &out.SPDX}} {
		s, err := outputs.File(f.name).Contents(ctx)
		if err != nil {
			return out, fmt.Errorf("scan %s: %w", stage, err)
		}
		*f.into = []byte(s)
	}
	return out, nil
}
