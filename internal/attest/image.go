package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distill-dev/distill/internal/scan"
)

// Predicate is one predicate to attest, with its type.
type Predicate struct {
	PredicateType string
	Predicate     []byte
}

// Scanned is what a scan of an image produced: its normalised SBOMs and its
// report, with when the scan started and finished.
type Scanned struct {
	CDX, SPDX         []byte
	Report            *scan.Report
	Started, Finished time.Time
}

// ForImage is what distill attests for one image: its CycloneDX and SPDX
// SBOMs, its vulnerability report (cosign's vuln predicate) and its
// provenance, which provenance makes from the byproducts (the SBOMs by
// digest, so that a verifier can tie them to it). Without a scan (nil) only
// the provenance.
func ForImage(s *Scanned, builderID string, provenance func([]Byproduct) ([]byte, error)) ([]Predicate, error) {
	var out []Predicate
	var byproducts []Byproduct
	if s != nil {
		vuln, err := Vuln(s.Report, Invocation{BuilderID: builderID}, s.Started, s.Finished)
		if err != nil {
			return nil, err
		}
		out = append(out,
			Predicate{PredicateCycloneDX, s.CDX},
			Predicate{PredicateSPDX, s.SPDX},
			Predicate{PredicateVuln, vuln})
		byproducts = append(byproducts,
			Byproduct{Name: "sbom.cdx.json", MediaType: "application/vnd.cyclonedx+json", Digest: PredicateDigest(s.CDX)},
			Byproduct{Name: "sbom.spdx.json", MediaType: "application/spdx+json", Digest: PredicateDigest(s.SPDX)})
	}
	prov, err := provenance(byproducts)
	if err != nil {
		return nil, err
	}
	return append(out, Predicate{PredicateSLSA, prov}), nil
}

// PredicateDigest is the digest of a predicate as it appears in a signed
// statement: the SHA-256 of the predicate without surrounding white space
// (internal/sign's Verify checks the SBOMs against it).
func PredicateDigest(predicate []byte) v1.Hash {
	sum := sha256.Sum256(bytes.TrimSpace(predicate))
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}
