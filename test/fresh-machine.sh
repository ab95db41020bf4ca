#!/usr/bin/env bash
# test/fresh-machine.sh — the README's first command on a brand-new machine.
#
#   test/fresh-machine.sh [--cold] DIR [MAKE_ARGS...]     (default MAKE_ARGS: demo)
#
# Builds a new Debian 12 machine in DIR and runs `make MAKE_ARGS` there twice, as a
# new user would (and then again), writing DIR/run1.log and DIR/run2.log.
#
# The machine: a Debian bookworm minbase root filesystem made by debootstrap from the
# host's apt mirror, plus make; this machine's Go (its GOROOT bind-mounted read-only at
# the same path, and its `go env` file: proxy and toolchain settings), CA bundle, apt
# sources and resolver configuration — what a new machine of this kind starts with —
# and a clean clone of this checkout's HEAD at /root/distill. Nothing else: no
# buildkitd, runc, trivy or distill caches. Go's module and build caches are the host's,
# bind-mounted, unless --cold: they make the tool builds minutes shorter and change no
# step (a --cold run takes ~25 minutes more on 2 cores).
#
# It runs in its own mount and PID namespaces under chroot, sharing the host's network
# (buildkitd's containers use host networking): every process it starts ends when the
# run ends, and its mounts vanish with the namespace. Needs root, debootstrap, unshare.
#
# Environment: DISTILL_DEBIAN_MIRROR (default: the host's apt sources), DISTILL_FRESH_CACHE
# (where the minbase tarball is cached, default ~/.cache/distill/fresh-machine; rebuilt
# weekly).
set -euo pipefail

cold=0
if [ "${1:-}" = --cold ]; then cold=1; shift; fi
[ $# -ge 1 ] || { sed -n '2,6p' "$0" >&2; exit 2; }
dir=$1; shift
[ $# -gt 0 ] || set -- demo
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
suite=bookworm

die() { echo "fresh-machine: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (chroot, mount and PID namespaces)"
for c in debootstrap unshare chroot git; do command -v $c >/dev/null || die "$c not found (apt-get install debootstrap util-linux git)"; done

# The Debian mirror of the host's apt sources (deb822 URIs: or one-line deb), the first
# that serves $suite.
mirror() {
  if [ -n "${DISTILL_DEBIAN_MIRROR:-}" ]; then echo "$DISTILL_DEBIAN_MIRROR"; return; fi
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$suite" '
      function found() { return uri != "" && suites ~ ("(^| )" s "( |$)") }
      /^[[:space:]]*$/ { if (found()) { print uri; uri = "" } uri = ""; suites = ""; next }
      /^URIs:/ { uri = $2 } /^Suites:/ { $1 = ""; suites = $0 }
      END { if (found()) print uri }' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v s="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++; if ($(i+1) == s) print $i }'
}
url=$(mirror | head -1)
[ -n "$url" ] || die "no Debian mirror for $suite in the apt sources: set DISTILL_DEBIAN_MIRROR"

# A minbase Debian, cached as a tarball for a week (it is pristine Debian: what is
# tested is everything that happens after it).
cache=${DISTILL_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/distill/fresh-machine}
tarball=$cache/$suite-minbase-$(printf '%s' "$url make" | sha256sum | cut -c1-12).tar
mkdir -p "$cache"
if [ -z "$(find "$tarball" -mtime -7 2>/dev/null)" ]; then
  echo "fresh-machine: debootstrap --variant=minbase $suite (cached in $cache)"
  tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
  debootstrap --variant=minbase --include=make "$suite" "$tmp" "$url" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; rm -rf "$tmp"; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*_Packages
  tar -C "$tmp" --numeric-owner -cf "$tarball.new" . && mv "$tarball.new" "$tarball"
  rm -rf "$tmp"
fi

root=$dir/rootfs
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xf "$tarball"
chmod 755 "$root" # the tarball's "." is debootstrap's mktemp directory (0700)

# This machine's configuration: apt sources, resolver, CA bundle, Go.
rm -f "$root/etc/apt/sources.list"
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/"
cp -L /etc/resolv.conf /etc/hosts "$root/etc/"
mkdir -p "$root/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
goroot=$(go env GOROOT)
mkdir -p "$root$goroot" "$root/root/.config/go" "$root/root/go/pkg/mod" "$root/root/.cache/go-build"
goenv=$(go env GOENV)
[ -f "$goenv" ] && cp "$goenv" "$root/root/.config/go/env"

git clone -q --no-hardlinks "$repo" "$root/root/distill"

binds="mount --bind $goroot $root$goroot && mount -o remount,bind,ro $root$goroot"
if [ $cold = 0 ]; then
  binds+=" && mount --bind $(go env GOMODCACHE) $root/root/go/pkg/mod && mount --bind $(go env GOCACHE) $root/root/.cache/go-build"
fi

run() {
  local log=$1; shift
  local start=$SECONDS rc=0
  # The root is a mount point of its own, as on a machine: runc makes / a slave mount.
  unshare --mount --pid --fork --propagation private -- bash -euc "
    mount --bind $root $root
    mount -t proc proc $root/proc
    mount --rbind /sys $root/sys
    mount --rbind /dev $root/dev
    mount -t tmpfs tmpfs $root/run
    mount -t tmpfs tmpfs $root/tmp
    $binds
    exec chroot $root /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=$goroot/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      bash -c 'cd /root/distill && make $*'
  " >"$log" 2>&1 || rc=$?
  echo "fresh-machine: make $* exited $rc after $((SECONDS - start))s (log: $log)"
  return $rc
}

run "$dir/run1.log" "$@"
run "$dir/run2.log" "$@"
