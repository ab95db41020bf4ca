// Package scanrun collects a build's scan stages as the solver delivers them:
// each scan's trivy output becomes distill's report (held to the policy) and
// normalised SBOMs. The CLI (internal/runner) and the BuildKit frontend use it
// the same way, so a gate decides the same on both.
package scanrun
