#!/usr/bin/env bash
# make demo: distill's main job on an example, on a machine that ran `make setup`.
#
# distill build examples/go-app: base images assembled from Debian packages,
# go mod download, go build and go test as separate containers on BuildKit
# (the local engine distill starts, or BUILDKIT_HOST), a distroless runtime,
# scans of the runtime and of the build stage (trivy, offline) held to the
# policy, SBOMs, exported as an OCI layout and a docker-loadable tar.
set -euo pipefail
cd "$(dirname "$0")/.."

distill=${DISTILL:-bin/distill}
out=out/demo
mkdir -p "$out"

echo "== distill build examples/go-app"
"$distill" build examples/go-app \
  --progress "${PROGRESS:-plain}" \
  --lock "$out/distill.lock" \
  --scan-stage build \
  --report-dir "$out/reports" \
  --output "oci:$out/go-app" \
  --output "docker:$out/go-app.tar"

echo
echo "== done"
echo "runtime image: oci:$PWD/$out/go-app (OCI layout) and $PWD/$out/go-app.tar (docker load)"
echo "reports:       $PWD/$out/reports (summary.md, vulnerability reports, SARIF, CycloneDX and SPDX SBOMs)"
echo "base packages: $PWD/$out/distill.lock"
echo "try:           distill build examples/go-app-failing   # a failing test stops the pipeline"
