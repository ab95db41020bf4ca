package attest

import (
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
)

// The predicate types of the attestations distill attaches to an image.
const (
	// PredicateCycloneDX is a CycloneDX SBOM (internal/sbom's, as is).
	PredicateCycloneDX = in_toto.PredicateCycloneDX
	// PredicateSPDX is an SPDX SBOM (internal/sbom's, as is).
	PredicateSPDX = in_toto.PredicateSPDX
	// PredicateVuln is cosign's vulnerability scan predicate ([Vuln]).
	PredicateVuln = attestation.CosignVulnProvenanceV01
	// PredicateSLSA is SLSA provenance v1 ([SLSA]).
	PredicateSLSA = slsa1.PredicateSLSAProvenance
)
