// Package vulndb owns the vulnerability database that distill's scan stage
// mounts read-only into its trivy container: where it lives, how it is made
// and what it covers.
//
// A database directory holds trivy's two files and distill's sidecar:
//
//	<dir>/trivy.db         bbolt, trivy DB schema 2
//	<dir>/metadata.json    trivy's {"Version":2,"NextUpdate":…,"UpdatedAt":…,"DownloadedAt":…}
//	<dir>/distill-db.json  Info: source, schema, times, ecosystems covered, advisory count
//
// trivy looks for the database at <cache-dir>/db, so a scan mounts <dir> at
// <cache-dir>/db and runs trivy with --cache-dir <cache-dir> --skip-db-update
// (the directory is never written by trivy then).
//
// There are three ways to fill it:
//
//   - BuildFromGoVulnDB converts a golang.org/x/vulndb snapshot (OSV files,
//     downloaded through the go command by DownloadGoVulnDB) with trivy-db's
//     own OSV parser and builder. It works offline, covers Go only, and keeps
//     every module, not only the standard library and golang.org/x like
//     trivy-db's stock source. Severities are never invented: the Go database
//     has none, so its findings are UNKNOWN and distill's policy decides how
//     UNKNOWN counts. Building twice from one snapshot gives identical
//     metadata.json and distill-db.json.
//   - Update runs trivy to download a published trivy DB (all ecosystems).
//   - Import installs a db.tar.gz or a directory made elsewhere (air-gapped
//     machines).
//
// Every write builds a staging directory next to the target and swaps it in
// with one rename, so a half-written database is never mounted.
//
// It must not scan images or decide what a finding means (that is the scan
// stage and its policy), and it must not name any registry: Update leaves the
// choice of repository to trivy unless the user gives one.
package vulndb
