// Package sbom turns the SBOMs that trivy writes for a stage's root filesystem
// into distill's SBOMs, and checks them against what distill built.
//
// Trivy's CycloneDX and SPDX documents are complete as scans go, but they are
// not reproducible: every run gets a random serialNumber, random UUID bom-refs
// for components without a unique purl (the OS, each application, the stdlib
// of every Go binary when there are several) and a random SPDX
// documentNamespace, plus the wall-clock time in every timestamp. They also
// lack what only distill knows: the SHA-256 of each Debian package's .deb and
// the image layer that installed it. CycloneDX and SPDX normalise trivy's
// output: identifiers derived from content, sorted lists, SOURCE_DATE_EPOCH as
// the only time, the image as the described component, .deb hashes and layers
// on every Debian package. Everything trivy needs to scan the document again
// (`trivy sbom`) is kept: the OS component, purls with their distro qualifiers,
// the aquasecurity:trivy:* properties (SrcName, SrcVersion, PkgType, Type,
// Class) and trivy in the tools list.
//
// CheckComplete and CheckFiles compare an SBOM with distill's own record: the
// packages distill installed (no package missing, no Debian package that
// distill did not install) and the files the image holds (every file listed in
// a package's dpkg md5sums is present, and every such package is named).
//
// The package works on bytes and go-containerregistry images only. It must not
// run trivy, talk to a registry or the Debian archive, or read the clock.
package sbom
