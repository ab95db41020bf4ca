#!/bin/bash
# gen.sh TRIVY DEBS
#
# Regenerates ../trivy/*.json: real trivy reports of small root filesystems,
# scanned offline against two databases built here with trivy-db's Go API
# (mkdb/):
#
#   govulndb  every Go module of golang.org/x/vulndb (pinned below), with the
#             severities the data gives (none: every finding is UNKNOWN);
#             no Debian data
#   fixtures  a handful of hand-written Debian and Go advisories (mkdb/main.go)
#
# and three root filesystems made from the .deb files in DEBS (only their
# control data is used, see mkroot.sh) and two Go programs built here:
#
#   runtime   status.d records of 8 packages (bash, libc6, zlib1g, tzdata, …)
#             and app/server (go1.26.8, golang.org/x/text v0.3.5)
#   static    status.d records of 5 packages and app/hello (go1.26.11, no deps)
#   build     a dpkg status file with 10 packages, src/bin/{server,hello},
#             an npm package (lodash) and a Python package (requests)
#
# TRIVY is a trivy v0.74.0 binary. It runs with every network feature off.
# Needs root: each root filesystem is bind-mounted at /target in a private
# mount namespace, so that the reports name /target and no path of this
# machine. Also needs dpkg-deb and the go command (modules and the go1.26.11
# toolchain come through the module proxy).
set -euo pipefail
trivy=$(realpath "$1")
debs=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../trivy" && pwd)
vulndb_version=v0.0.0-20261105234957-e22db6528018

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

vulndb=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
(cd "$here/mkdb" && go build -o "$work/mkdb" .)
"$work/mkdb" govulndb "$vulndb/data/osv" "$work/cache-govulndb/db"
"$work/mkdb" fixtures "$work/cache-fixtures/db"

(cd "$here/app" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags "-s -w" -o "$work/bin/server" .)
(cd "$here/hello" && CGO_ENABLED=0 GOTOOLCHAIN=go1.26.11 go build -trimpath -ldflags "-s -w" -o "$work/bin/hello" .)

r=$work/root
"$here/mkroot.sh" "$debs" "$r/runtime" statusd base-files netbase tzdata ca-certificates libc6 libssl3 zlib1g bash
install -D "$work/bin/server" "$r/runtime/app/server"
"$here/mkroot.sh" "$debs" "$r/static" statusd base-files netbase tzdata ca-certificates media-types
install -D "$work/bin/hello" "$r/static/app/hello"
"$here/mkroot.sh" "$debs" "$r/build" status base-files bash libc6 zlib1g tzdata git gcc-12-base libgcc-s1 nodejs ca-certificates
install -D "$work/bin/server" "$r/build/src/bin/server"
install -D "$work/bin/hello" "$r/build/src/bin/hello"
mkdir -p "$r/build/src/web/node_modules/lodash" "$r/build/usr/lib/python3/dist-packages/requests-2.25.1.dist-info"
echo '{"name":"lodash","version":"4.17.20","license":"MIT"}' >"$r/build/src/web/node_modules/lodash/package.json"
printf 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.1\nLicense: Apache 2.0\n\n' \
	>"$r/build/usr/lib/python3/dist-packages/requests-2.25.1.dist-info/METADATA"

scan() { # ROOT DB NAME
	unshare -m bash -c '
		set -e
		[ -d /target ] || mkdir /target
		mount --bind "$1" /target
		HOME=$5 exec "$2" rootfs --cache-dir "$3" --cache-backend memory \
			--skip-db-update --skip-java-db-update --offline-scan --skip-version-check --disable-telemetry \
			--scanners vuln --list-all-pkgs --quiet --format json -o "$4" /target
	' _ "$r/$1" "$trivy" "$work/cache-$2" "$out/$3.json" "$work/home"
}
scan runtime fixtures runtime-fixtures
scan runtime govulndb runtime-govulndb
scan static govulndb static-govulndb
scan build govulndb build-govulndb
