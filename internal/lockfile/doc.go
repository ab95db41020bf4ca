// Package lockfile reads and writes distill.lock: the exact inputs a build
// resolved (Debian packages with version and SHA256, toolchain module sums),
// so that `--locked` rebuilds byte-identical images without resolving anew.
//
// The file is JSON with sorted keys and no timestamps, so that resolving the
// same inputs twice writes the same bytes. It records archive-relative paths
// and which archive (debian or security) a package came from, never a mirror
// host: the mirror is a property of the machine, not of the build.
//
// It must not fetch anything; callers verify what they download against it.
package lockfile
