// Package toolchain resolves and fetches language toolchains that builder
// images carry. Today that is Go: a requested version such as "1.26" resolves
// to the newest patch release the module proxy serves (older patches carry
// known standard-library vulnerabilities), and the golang.org/toolchain module
// zip for it is downloaded through the go command, which checks it against the
// Go checksum database. The zip is hashed again here and, when a lockfile pins
// it, compared with the pinned go.sum hash. Lookup identifies a release by
// the go.sum hash the go command reports, without hashing the zip, for
// callers that may not need the zip at all (a cached image).
//
// It must not assemble images; internal/rootfs turns the zip into a layer.
package toolchain
