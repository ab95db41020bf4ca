// Package rootfs assembles reproducible OCI images from Debian packages: the
// distroless-style runtime flavours (static, base, cc, python3, nodejs and their
// :debug variants) and the builder images (Debian minbase plus a toolchain or
// language packages: go, node, python).
//
// It owns the filesystem an image ships: which files from which package, the
// merged-/usr layout, /etc/passwd and /etc/group with root and nonroot (65532),
// the generated CA bundle, dpkg status.d records that scanners read, and the
// normalisation that makes two builds byte-identical (sorted tar entries,
// SOURCE_DATE_EPOCH timestamps, numeric owners, no hidden clock).
//
// Work is done only when its result can change: an unlocked build reads the
// Packages indexes only when a layer's resolution is not cached for the
// archive's current state (debian.Client.IndexID), and a toolchain zip is
// fetched and hashed only when an image that contains it is assembled; the
// image cache key needs only the toolchain's version and go.sum hash.
//
// It must not talk to the Debian archive itself (internal/debian does), run
// BuildKit, or know about pipelines; its output is a go-containerregistry
// v1.Image that callers write to an OCI layout, push, or hand to BuildKit as a
// stage base.
package rootfs
