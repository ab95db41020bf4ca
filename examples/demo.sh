#!/usr/bin/env bash
# make demo: distill's main job on an example, on a machine that ran `make setup`.
#
# distill build examples/go-app: base images assembled from Debian packages,
# go mod download, go build and go test as separate containers on BuildKit
# (the local engine distill starts, or BUILDKIT_HOST), a distroless runtime,
# scans of the runtime and of the build stage (trivy, offline) held to the
# policy, SBOMs, exported as an OCI layout and a docker-loadable tar — and
# signed, attested and pushed to a registry on 127.0.0.1 that this script
# starts and stops, then checked with distill verify.
set -euo pipefail
cd "$(dirname "$0")/.."

distill=${DISTILL:-bin/distill}
out=out/demo
mkdir -p "$out"

# A throwaway registry on a free loopback port (go-containerregistry's, with
# the OCI referrers API); stopped, by its PID, when the script ends.
go build -o bin/demo-registry ./test/cmd/registry
bin/demo-registry -addr 127.0.0.1:0 2>"$out/registry.log" &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  reg=$(sed -n 's/.*serving on //p' "$out/registry.log")
  [ -n "$reg" ] && break
  sleep 0.1
done
[ -n "$reg" ] || { cat "$out/registry.log" >&2; exit 1; }

# A demo signing key (its password comes from the environment, never a flag).
export DISTILL_SIGN_PASSWORD=${DISTILL_SIGN_PASSWORD:-demo-only-password}
[ -f "$out/cosign.key" ] || "$distill" sign keygen --output-key-prefix "$out/cosign"

echo "== distill build examples/go-app"
"$distill" build examples/go-app \
  --progress "${PROGRESS:-plain}" \
  --lock "$out/distill.lock" \
  --scan-stage build \
  --report-dir "$out/reports" \
  --output "oci:$out/go-app" \
  --output "docker:$out/go-app.tar" \
  --push "$reg/demo/go-app:1.0" --sign --key "$out/cosign.key" --no-tlog

echo
echo "== distill verify $reg/demo/go-app:1.0"
"$distill" verify "$reg/demo/go-app:1.0" --key "$out/cosign.pub" --offline --max-severity MEDIUM

echo
echo "== done"
echo "runtime image: oci:$PWD/$out/go-app (OCI layout) and $PWD/$out/go-app.tar (docker load)"
echo "reports:       $PWD/$out/reports (summary.md, vulnerability reports, SARIF, CycloneDX and SPDX SBOMs)"
echo "signed:        the pushed image, its SBOMs, vulnerability report and SLSA provenance (key $PWD/$out/cosign.pub)"
echo "base packages: $PWD/$out/distill.lock"
echo "try:           distill build examples/go-app-failing   # a failing test stops the pipeline"
