// Package attest builds the in-toto predicates distill attaches to the images
// it signs, and the in-toto Statement that carries a predicate.
//
// distill attaches four attestations to every image: its CycloneDX and SPDX
// SBOMs (made by internal/sbom and passed through unchanged under
// [PredicateCycloneDX] and [PredicateSPDX]), a vulnerability report
// ([Vuln], cosign's vuln predicate [PredicateVuln] around distill's own
// scan report) and SLSA provenance v1 ([SLSA], [PredicateSLSA]): what was
// built (the pipeline Spec, target, platforms, build arguments, the ids of
// the secrets offered), from what (the source commit, every Debian package
// of every base image with its .deb SHA-256, the Go toolchains with their
// go.sum hashes, the base and scanner images, the vulnerability database) and
// what else came out (the SBOMs' and reports' digests, so a verifier can tie
// the SBOM attestations to the provenance). [Statement] wraps a predicate in
// an in-toto Statement v1 for callers that need the whole statement.
//
// The predicates are written with the upstream types: cosign's
// attestation.CosignVulnPredicate for the vuln predicate and in-toto-golang's
// slsa_provenance/v1 ProvenancePredicate for SLSA provenance (the type
// cosign reads a slsaprovenance1 predicate into), and in-toto-golang's
// StatementHeader for statements. in-toto-golang marks those types
// deprecated in favour of the in-toto attestation framework's protobuf
// types; these encode through structpb (every number a float64, so a spec or
// SBOM number could change) and protojson (whose output is deliberately
// unstable), so the tests use them as validators only: every predicate and
// statement must pass the framework's Validate.
//
// Everything here is a pure function of its inputs: no clock (every time is
// an argument, and SLSA's startedOn/finishedOn are written only when given),
// no randomness, no I/O. Lists whose order carries no meaning are sorted and
// every object's keys are written in order, so the same inputs give the same
// bytes. Secrets cannot reach an attestation through this package: the
// provenance takes secret ids only, and credentials in a source URL are
// dropped. The package must not sign, talk to a registry, or run a scanner;
// that is internal/sign's and internal/scan's work.
package attest
