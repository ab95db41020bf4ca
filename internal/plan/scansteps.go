package plan

// The scan container, the same on every backend (LLB and Dagger): the
// scanner image with trivy at ScannerBinary, the scanned filesystem mounted
// read-only at ScanTarget, the vulnerability database (trivy.db,
// metadata.json) at ScanDBDir, no network, and the outputs written to
// ScanOutDir.
const (
	ScannerBinary = "/usr/local/bin/trivy"
	ScanTarget    = "/target"
	scanCacheDir  = "/trivy-cache"       // trivy's --cache-dir; the DB is mounted at db/ below it
	ScanDBDir     = scanCacheDir + "/db" // where the database is mounted
	ScanOutDir    = "/distill-scan"      // outputs
	ScanReport    = "report.json"        // trivy's JSON report with every package
	ScanCycloneDX = "trivy.cdx.json"     // trivy convert --format cyclonedx
	ScanSPDX      = "trivy.spdx.json"    // trivy convert --format spdx-json
)

// scanOffline keeps trivy off the network entirely: no DB or Java DB
// update, no version check, no telemetry (each of the last two alone still
// does a lookup), packages resolved from the image only.
var scanOffline = []string{
	"--cache-dir", scanCacheDir, "--cache-backend", "memory",
	"--skip-db-update", "--skip-java-db-update", "--offline-scan",
	"--skip-version-check", "--disable-telemetry", "--quiet",
}

// ScanStep is one command of the scan container.
type ScanStep struct {
	Name string   // "trivy rootfs", shown in progress output
	Args []string // argv, ScannerBinary first
}

// ScanSteps are the scan container's commands, in order: the report, then
// the SBOMs converted from it.
func ScanSteps() []ScanStep {
	out := []ScanStep{{Name: "trivy rootfs", Args: append(append([]string{ScannerBinary, "rootfs"}, scanOffline...),
		"--scanners", "vuln", "--list-all-pkgs", "--format", "json", "--output", ScanOutDir+"/"+ScanReport, ScanTarget)}}
	for _, c := range []struct{ format, file string }{{"cyclonedx", ScanCycloneDX}, {"spdx-json", ScanSPDX}} {
		out = append(out, ScanStep{Name: "trivy convert --format " + c.format,
			Args: []string{ScannerBinary, "convert", "--quiet", "--format", c.format, "--output", ScanOutDir + "/" + c.file, ScanOutDir + "/" + ScanReport}})
	}
	return out
}

// ScanLabel names a scan in progress output and reports: the stage, and for
// the runtime of a multi-platform build its platform ("runtime linux/arm64").
func ScanLabel(stage string, p Platform, multi bool) string {
	if multi && stage == RuntimeStage {
		return stage + " " + p.String()
	}
	return stage
}
