#!/usr/bin/env bash
# Build pinned tools from their Go modules into $DISTILL_TOOLS/bin.
#
#   tools/build.sh buildkit trivy cosign
#
# A tool is skipped when $DISTILL_TOOLS/stamp/<tool>@<version> exists and its binaries are
# present, so the script is cheap to run on every `make` invocation. Versions come from
# the environment (the Makefile passes them) and must match tools/<tool>/go.mod.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${DISTILL_TOOLS:=${XDG_CACHE_HOME:-$HOME/.cache}/distill/tools}"
bin=$DISTILL_TOOLS/bin
stamps=$DISTILL_TOOLS/stamp
mkdir -p "$bin" "$stamps"

# module version pinned in tools/<dir>/go.mod
pinned() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }

# installed name of a BINARIES entry: PKG installs as basename(PKG), PKG:NAME as NAME
binname() { case $1 in *:*) echo "${1#*:}" ;; *) basename "$1" ;; esac; }

# build NAME MODULE "BINARIES" "LDFLAGS" [ENV=VALUE...]  (@VERSION@ in LDFLAGS is the pinned version)
build() {
  local name=$1 module=$2 bins=$3 ldflags=$4; shift 4
  local version; version=$(pinned "$name" "$module")
  local stamp=$stamps/$name@$version missing=0
  for b in $bins; do [ -x "$bin/$(binname "$b")" ] || missing=1; done
  if [ -f "$stamp" ] && [ $missing = 0 ]; then
    echo "tools: $name $version already built"
    return
  fi
  echo "tools: building $name $version (cold builds take minutes; the Go build cache is reused)"
  local start=$SECONDS pkgs=()
  for b in $bins; do pkgs+=("$module/${b%%:*}"); done
  (cd "$here/$name" && env "$@" go build -trimpath -ldflags "-s -w $(echo "$ldflags" | sed -e "s/@VERSION@/$version/g" -e "s/@VERSION_NOV@/${version#v}/g")" -o "$bin/" "${pkgs[@]}")
  for b in $bins; do
    case $b in *:*) mv -f "$bin/$(basename "${b%%:*}")" "$bin/${b#*:}" ;; esac
  done
  rm -f "$stamps/$name@"*
  touch "$stamp"
  echo "tools: $name $version built in $((SECONDS - start))s"
}

for tool in "$@"; do
  case $tool in
  buildkit)
    build buildkit github.com/moby/buildkit "cmd/buildkitd cmd/buildctl" \
      "-X github.com/moby/buildkit/version.Version=@VERSION@" ;;
  trivy)
    build trivy github.com/aquasecurity/trivy "cmd/trivy" \
      "-X github.com/aquasecurity/trivy/pkg/version/app.ver=@VERSION_NOV@" CGO_ENABLED=0 GOEXPERIMENT=jsonv2 ;;
  cosign)
    build cosign github.com/sigstore/cosign/v2 "cmd/cosign" \
      "-X sigs.k8s.io/release-utils/version.gitVersion=@VERSION@" CGO_ENABLED=0 ;;
  buildx)
    # installed under its docker CLI plugin name: put $DISTILL_TOOLS/bin/docker-buildx in
    # $DOCKER_CONFIG/cli-plugins/ (ldflags as in buildx's own Dockerfile, minus the git revision)
    build buildx github.com/docker/buildx "cmd/buildx:docker-buildx" \
      "-X github.com/docker/buildx/version.Version=@VERSION@ -X github.com/docker/buildx/version.Package=github.com/docker/buildx" CGO_ENABLED=0 ;;
  dagger)
    # not a tool directive: the module zip lacks a nested module its go.mod replaces (tools/dagger.sh)
    "$here/dagger.sh" build ;;
  *) echo "tools/build.sh: unknown tool $tool" >&2; exit 2 ;;
  esac
done
