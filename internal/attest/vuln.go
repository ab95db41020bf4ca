package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"

	"github.com/distill-dev/distill/internal/scan"
)

// Invocation says what ran a scan, for cosign's vuln predicate. Every field
// may be empty; they are written as given.
type Invocation struct {
	URI       string // where the run can be seen, e.g. a CI job's page
	EventID   string // the event that started it, e.g. a CI run id
	BuilderID string // what ran it, e.g. [Provenance.BuilderID]
}

// trivyModule is the Go module distill builds its scanner image from.
const trivyModule = "github.com/aquasecurity/trivy"

// Vuln builds cosign's vulnerability scan predicate ([PredicateVuln]) for a
// report:
//
//   - invocation: inv as given (parameters null);
//   - scanner: uri pkg:golang/github.com/aquasecurity/trivy@v<version>, the
//     scanner's version, db {uri: the database's source, version: "<schema>
//     <updatedAt>", e.g. "2 2026-11-05T23:49:57Z"}, and as result distill's
//     report exactly as [scan.Report.JSON] writes it (its findings, coverage
//     and policy result; [scan.ParseReport] reads it back);
//   - metadata: scanStartedOn and scanFinishedOn, the times given (in UTC).
//
// The times are required: this package reads no clock. For a reproducible
// attestation pass the same time (such as SOURCE_DATE_EPOCH) for both.
func Vuln(r *scan.Report, inv Invocation, started, finished time.Time) ([]byte, error) {
	if r == nil {
		return nil, errors.New("vuln predicate: no report")
	}
	switch {
	case started.IsZero() || finished.IsZero():
		return nil, fmt.Errorf("vuln predicate for %s: the scan's start and finish times are required", r.Stage)
	case finished.Before(started):
		return nil, fmt.Errorf("vuln predicate for %s: scan finished (%s) before it started (%s)", r.Stage, finished.UTC().Format(time.RFC3339Nano), started.UTC().Format(time.RFC3339Nano))
	}
	uri, err := scannerURI(r.Scanner)
	if err != nil {
		return nil, fmt.Errorf("vuln predicate for %s: %w", r.Stage, err)
	}
	result, err := r.JSON()
	if err != nil {
		return nil, fmt.Errorf("vuln predicate: %w", err)
	}
	p := attestation.CosignVulnPredicate{
		Invocation: attestation.Invocation{URI: inv.URI, EventID: inv.EventID, BuilderID: inv.BuilderID},
		Scanner: attestation.Scanner{
			URI:     uri,
			Version: r.Scanner.Version,
			DB:      attestation.DB{URI: r.DB.Source, Version: dbVersion(r.DB)},
			Result:  json.RawMessage(result),
		},
		Metadata: attestation.Metadata{ScanStartedOn: started.UTC(), ScanFinishedOn: finished.UTC()},
	}
	out, err := canonical(p)
	if err != nil {
		return nil, fmt.Errorf("vuln predicate for %s: %w", r.Stage, err)
	}
	return out, nil
}

// scannerURI is the package URL of the scanner that wrote a report. distill
// builds trivy from its Go module, so the purl is the module's, at the
// module version of the release ("0.74.0" is v0.74.0).
func scannerURI(s scan.Scanner) (string, error) {
	if s.Name != "trivy" {
		return "", fmt.Errorf("scanner %q: only trivy reports are known", s.Name)
	}
	version := s.Version
	if version != "" && !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return golangPURL(trivyModule, version), nil
}

// dbVersion names a database's version: its schema and when its advisory
// data was produced, "2 2026-11-05T23:49:57Z"; either part may be missing.
func dbVersion(db scan.DB) string {
	var parts []string
	if db.Schema != 0 {
		parts = append(parts, strconv.Itoa(db.Schema))
	}
	if !db.UpdatedAt.IsZero() {
		parts = append(parts, db.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	return strings.Join(parts, " ")
}

// golangPURL is the purl of a Go module version: pkg:golang/<module>@<version>.
func golangPURL(module, version string) string {
	ns, name := "", module
	if i := strings.LastIndexByte(module, '/'); i >= 0 {
		ns, name = module[:i], module[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}
