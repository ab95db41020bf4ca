// Package baseimage wires the Debian archive client, the toolchain fetcher, the
// lockfile and the local image cache into a rootfs.Assembler, from settings a
// user gives (flags, environment, the machine's apt sources). The CLI and the
// pipeline both build base images through it, so mirror discovery, keyring
// choice, cache layout and lock handling exist once.
//
// It holds no assembly logic (internal/rootfs) and no archive logic
// (internal/debian).
package baseimage
