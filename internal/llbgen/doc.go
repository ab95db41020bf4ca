// Package llbgen turns distill's stage graph into BuildKit LLB.
//
// Today it holds the bridge from distill's local image store to LLB: base
// images assembled by internal/rootfs live in an OCI layout that the client
// attaches to the solve as a content store, and FromStore makes an llb.State
// of one, with its image config (env, user, working directory) applied.
//
// It is pure: it builds llb.State values and must not talk to BuildKit,
// registries or the Debian archive.
package llbgen
