// Package scan turns a scanner's output into distill's own vulnerability
// report and decides the policy gate of a stage.
//
// distill runs trivy in a scanner container over a stage's root filesystem
// (trivy rootfs --format json --list-all-pkgs … /target) and hands the JSON to
// [FromTrivy], which reads only the parts of trivy's report it needs and builds
// a [Report]: the findings (one per vulnerability, package version and
// location), the packages per ecosystem, and which ecosystems the
// vulnerability database had advisories for ([Coverage]). An ecosystem
// without advisory data is reported as NOT CHECKED by every output: a report
// never says "0 vulnerabilities" for packages nobody looked at.
//
// [Policy.Evaluate] applies a stage's policy: the severity threshold, how
// advisories without a severity count (the Go vulnerability database gives
// none, so every Go finding is UNKNOWN), whether only fixable findings count,
// ignore entries (each with a reason and an optional expiry) and OpenVEX
// statements. [Report.Err] returns a [GateError] listing the findings that
// failed a gated stage.
//
// The outputs are [Report.JSON] (the stable report, schema
// "distill.dev/scan/v1"), [Report.SARIF] (SARIF 2.1.0 for code-scanning
// upload), [Report.Table] (terminal), [Markdown] (summary.md over all stages)
// and [Line] (the CLI's one-line result). All of them are deterministic: the
// same inputs give the same bytes.
//
// This package must not run anything, touch the network or read the clock:
// the scanner is run by the stage that owns the container, the database is
// owned by internal/vulndb, and "now" for ignore expiry is passed in. It does
// not import trivy (which needs ~400 modules and GOEXPERIMENT=jsonv2); trivy's
// JSON is read through the few struct fields this package declares.
package scan
