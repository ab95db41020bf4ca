// Package sign signs images and their attestations with cosign before they
// reach a registry, publishes them so that a tag never points at an unsigned
// digest, and verifies what a registry holds.
//
// The flow is the supply chain of ARCHITECTURE.md: distill builds an image
// (a v1.Image, or a v1.ImageIndex of platform images) into an OCI layout, then
//
//  1. [Sign] signs it as repo@digest — an index and every platform image in
//     it — and attaches in-toto attestations (SBOMs, the vulnerability report,
//     SLSA provenance) as DSSE envelopes, exactly as `cosign sign` and
//     `cosign attest` store them. Nothing is sent to the registry. With a
//     key ([LoadSigner]: a file, env://VAR or a KMS URI) and Tlog false,
//     nothing is sent anywhere: the signature carries no transparency-log
//     bundle, and [Verify] says so. [Keyless] signing gets a short-lived
//     certificate from Fulcio for an OIDC identity token and records every
//     signature in Rekor (CI runners with network).
//  2. [Publish] pushes the image's blobs and manifests by digest, then the
//     signatures, then the attestations, and only then moves the tag. A
//     failure at any step leaves the tag where it was; publishing again
//     completes the push. Signatures and attestations are stored with
//     cosign's tag scheme (sha256-<hex>.sig/.att) or as OCI 1.1 referrers
//     (signatures as `cosign sign --registry-referrers-mode=oci-1-1` writes
//     them, attestations as sigstore bundles, as `cosign attest
//     --new-bundle-format` writes them), so the cosign CLI verifies either.
//  3. [Verify] checks, for the digest a reference points at and each of its
//     platform images: a valid signature, that the signed payload names the
//     reference's repository (cosign does not check that), the
//     transparency-log status, each required attestation (signature, subject
//     digest and repository), that the SBOM attestations hash to the digests
//     the provenance lists for them, and optionally the vulnerability
//     report's highest open severity and age. Every check is reported by
//     name in a [VerifyResult].
//
// Everything is passed as go-containerregistry and cosign values (v1.Image,
// v1.ImageIndex, oci.SignedEntity, name.Reference), never as paths.
//
// This package must not build, scan or read an OCI layout from disk (callers
// hand it images), must not read passwords from flags or the environment by
// itself (a [PassFunc] supplies them), and contacts no service that the
// caller did not ask for: keyed signing and offline verification touch only
// the registry given to Publish or Verify. It must not import cosign's
// cmd/... packages or pkg/signature, which pull in the CLI and the GitHub,
// GitLab and Kubernetes clients.
//
// KMS providers (awskms, gcpkms, azurekms, hashivault) add about 16 MB (11
// MB stripped) and 50 modules to the distill binary and are built in only with the build tag
// distill_kms; without it, a KMS URI is served by a sigstore KMS plugin
// (sigstore-kms-<scheme> on PATH) if there is one, and otherwise fails with
// an error that says how to get the provider.
package sign
