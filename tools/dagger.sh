#!/usr/bin/env bash
# Build Dagger from its Go modules, for a Dagger engine that needs no container registry
# (test/services.sh starts it for the integration tests, `make dagger-engine` for you).
#
#   tools/dagger.sh build
#
# Writes $DISTILL_TOOLS/dagger/:
#   bin/dagger, bin/dagger-engine, bin/dagger-init, bin/codegen
#   cni/dnsname               the engine's CNI plugin (the others: containernetworking-plugins)
#   content/                  the Go SDK runtime image, an OCI layout: the engine's builtin
#                             content store (/usr/local/share/dagger/content in its namespace)
#   go-sdk-image.digest       its manifest digest, the engine's DAGGER_GO_SDK_MANIFEST_DIGEST
# once per version (DAGGER_VERSION, default v0.19.10): the stamp
# $DISTILL_TOOLS/stamp/dagger@<version> skips the build while these files are there.
#
# The Go SDK image is distill's own go builder flavour (Debian minbase, git, gcc, the host's
# Go release) plus a layer with codegen, a module cache prefilled for dagger.io/dagger and an
# empty build cache: what the engine expects of its golang image.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
: "${DISTILL_TOOLS:=${XDG_CACHE_HOME:-$HOME/.cache}/distill/tools}"
version=${DAGGER_VERSION:-v0.19.10}
out=$DISTILL_TOOLS/dagger
stamp=$DISTILL_TOOLS/stamp/dagger@$version
work=$out/.work

# go for dagger's modules: its go.mod needs -mod=mod (nested modules replaced by local
# paths), and the checksum database does not know the versions the module proxy serves
dgo() {
  GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/dagger/dagger,dagger.io/dagger" go "$@"
}

log() { echo "tools: $*"; }

built() {
  local f
  for f in bin/dagger bin/dagger-engine bin/dagger-init bin/codegen cni/dnsname; do
    [ -x "$out/$f" ] || return 1
  done
  [ -s "$out/go-sdk-image.digest" ] && [ -f "$out/content/blobs/sha256/$(cut -d: -f2 <"$out/go-sdk-image.digest")" ]
}

rmtree() { [ ! -e "$1" ] || { chmod -R u+w "$1" && rm -rf "$1"; }; } # module caches are read-only

# module directory in the Go module cache (downloaded when missing)
moddir() { dgo mod download -json "$1@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'; }

# engine/distconsts is a nested module that github.com/dagger/dagger replaces with
# ./engine/distconsts, and module zips leave nested modules out. This is its v0.19.10 copy.
distconsts() {
  mkdir -p "$1"
  printf 'module github.com/dagger/dagger/engine/distconsts\n\ngo 1.22\n' >"$1/go.mod"
  cat >"$1/consts.go" <<'EOF'
package distconsts

const (
	EngineContainerName   = "dagger-engine.dev"
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
)

const (
	RuncPath       = "/usr/local/bin/runc"
	DaggerInitPath = "/usr/local/bin/dagger-init"

	EngineDefaultStateDir = "/var/lib/dagger"

	EngineContainerBuiltinContentDir   = "/usr/local/share/dagger/content"
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

const (
	AlpineVersion = "3.22.1"
	AlpineImage   = "alpine:" + AlpineVersion

	GolangVersion = "1.25.5"
	GolangImage   = "golang:" + GolangVersion + "-alpine"

	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)

const OCIVersionAnnotation = "org.opencontainers.image.version"

const EngineCustomCACertsDir = "/usr/local/share/ca-certificates"
EOF
}

# source tree: github.com/dagger/dagger with dagger.io/dagger as ./sdk/go (go.mod replaces it)
src_tree() {
  local engine sdk
  engine=$(moddir github.com/dagger/dagger) && sdk=$(moddir dagger.io/dagger) ||
    { echo "tools/dagger.sh: downloading the dagger $version modules failed" >&2; exit 1; }
  cp -r "$engine" "$work/src" && chmod -R u+w "$work/src"
  rm -rf "$work/src/sdk/go"
  cp -r "$sdk" "$work/src/sdk/go" && chmod -R u+w "$work/src/sdk/go"
  [ -f "$work/src/engine/distconsts/consts.go" ] || distconsts "$work/src/engine/distconsts"
}

binaries() {
  local ld="-s -w -X github.com/dagger/dagger/engine.Version=$version -X github.com/dagger/dagger/engine.Tag=$version"
  mkdir -p "$work/bin"
  (cd "$work/src" && dgo build -trimpath -ldflags "$ld" -o "$work/bin/" ./cmd/dagger ./cmd/engine &&
    CGO_ENABLED=0 dgo build -trimpath -ldflags "$ld" -o "$work/bin/" ./cmd/init ./cmd/codegen ./cmd/dnsname)
  mv "$work/bin/engine" "$work/bin/dagger-engine"
  mv "$work/bin/init" "$work/bin/dagger-init"
}

# the Go SDK runtime image: distill's go flavour (with the host's Go release, which also
# built codegen) + codegen, /go/pkg/mod prefilled for the SDK, an empty /root/.cache/go-build
sdk_image() {
  local gover stage=$work/sdk-layer
  gover=$(go env GOVERSION)
  (cd "$repo" && go run ./cmd/distill base build go --go "${gover#go}" --lock "" --progress quiet \
    --output "oci:$work/content") >"$work/distill.log" 2>&1 ||
    { cat "$work/distill.log" >&2; echo "tools/dagger.sh: distill base build go failed" >&2; exit 1; }
  mkdir -p "$stage/usr/local/bin" "$stage/go/pkg/mod" "$stage/root/.cache/go-build"
  chmod 1777 "$stage/go" "$stage/go/pkg" # as in the go flavour: nonroot build stages share it
  chmod 0700 "$stage/root"
  cp "$work/bin/codegen" "$stage/usr/local/bin/"
  (cd "$work/src/sdk/go" && GOMODCACHE=$stage/go/pkg/mod \
    GOPROXY="file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY)" dgo mod download)
  rm -rf "$stage/go/pkg/mod/cache/vcs"
  # reproducible: same inputs, same digest
  tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/sdk-layer.tar" go root usr
  (cd "$repo" && go run ./tools/dagger/sdkimage -layout "$work/content" -layer "$work/sdk-layer.tar" \
    -ref "dagger-go-sdk:$version") >"$work/go-sdk-image.digest"
}

build() {
  if [ -f "$stamp" ] && built; then
    log "dagger $version already built"
    return
  fi
  log "building dagger $version and its Go SDK image (cold builds take minutes; the Go build cache is reused)"
  local start=$SECONDS
  rmtree "$work"
  mkdir -p "$work" "$(dirname "$stamp")"
  src_tree
  binaries
  log "dagger $version binaries built in $((SECONDS - start))s"
  sdk_image
  rmtree "$out/bin" && rmtree "$out/cni" && rmtree "$out/content"
  mkdir -p "$out/cni"
  mv "$work/bin/dnsname" "$out/cni/"
  mv "$work/bin" "$work/content" "$work/go-sdk-image.digest" "$out/"
  rmtree "$work"
  rm -f "$(dirname "$stamp")/dagger@"*
  touch "$stamp"
  log "dagger $version built in $((SECONDS - start))s (Go SDK image $(cat "$out/go-sdk-image.digest"), $(du -sh "$out/content" | cut -f1))"
}

case ${1:-} in
build) build ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
