// Package llbgen compiles distill's stage graph (internal/plan) into BuildKit
// LLB: one llb.State per stage and platform, the runtime image of each
// target platform with its image config, and the states whose success the
// pipeline requires (tests).
//
// It is pure: base images come in through the Bases interface (the CLI gives
// them from distill's local image store, the frontend from a registry), and
// Generate only builds llb.State values. It must not talk to BuildKit,
// registries or the Debian archive, and must not read the clock.
package llbgen
