#!/usr/bin/env bash
# make demo: distill's main job on an example, on a machine that ran `make setup`.
#
# 1. assemble the Go builder and the static runtime from Debian packages;
# 2. build examples/base-images with them on a real BuildKit (the local engine
#    distill starts, or BUILDKIT_HOST), run its smoke stage, export the runtime;
# 3. print where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."

distill=${DISTILL:-bin/distill}
: "${DISTILL_TOOLS:=${XDG_CACHE_HOME:-$HOME/.cache}/distill/tools}"
buildctl=$DISTILL_TOOLS/bin/buildctl
out=out/demo
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }
digest() { grep -o '"digest": *"sha256:[0-9a-f]*"' "$1/index.json" | head -n1 | grep -o 'sha256:[0-9a-f]*'; }

step "assembling base images from Debian packages (cached after the first run)"
"$distill" base build go --lock "$out/distill.lock" --output "oci:$out/go"
"$distill" base build static --lock "$out/distill.lock" --output "oci:$out/static"

if [ -z "${BUILDKIT_HOST:-}" ]; then
  step "starting the local BuildKit engine"
  if ! "$distill" engine status --addr >/dev/null 2>&1; then
    "$distill" engine start
    trap '"$distill" engine stop' EXIT
  fi
  BUILDKIT_HOST=$("$distill" engine status --addr)
  export BUILDKIT_HOST
fi

build() {
  "$buildctl" build --progress "${PROGRESS:-plain}" --frontend dockerfile.v0 \
    --local context=examples/base-images --local dockerfile=examples/base-images \
    --oci-layout go="$out/go" --oci-layout static="$out/static" \
    --opt "context:distill/go=oci-layout://go@$(digest "$out/go")" \
    --opt "context:distill/static=oci-layout://static@$(digest "$out/static")" \
    "$@"
}

step "building examples/base-images on BuildKit and running its smoke stage"
log=$out/build.log
if ! build --opt target=smoke >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -o 'hello from.*' "$log" | head -n1

step "exporting the runtime image"
build --opt target=runtime --output "type=oci,dest=$out/hello.tar,name=distill/examples/hello:latest" 2>/dev/null

step "done"
echo "base images:   oci:$PWD/$out/static  oci:$PWD/$out/go"
echo "runtime image: $PWD/$out/hello.tar (OCI layout tar; $(du -h "$out/hello.tar" | cut -f1))"
echo "lockfile:      $PWD/$out/distill.lock"
