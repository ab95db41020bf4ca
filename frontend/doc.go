// Package frontend is distill's BuildKit frontend: `# syntax=<distill
// frontend image>` at the top of a distill.yaml or of an ordinary Dockerfile
// runs the whole pipeline inside buildkitd, under buildctl or docker buildx.
//
// A distill.yaml is compiled like the CLI compiles it (plan → llbgen →
// solver), with the base flavours, the scanner and the vulnerability
// database taken from the catalog baked into the frontend image (see
// internal/catalog) instead of being assembled on the client. A Dockerfile
// is built by BuildKit's own Dockerfile frontend, in process; distill then
// scans the result and named stages, holds them to the policy, and attaches
// its SBOMs, vulnerability report and provenance as in-toto attestations.
package frontend
