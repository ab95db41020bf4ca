#!/bin/bash
# mkroot.sh DEBS DIR statusd|status PKG...
#
# Writes the package metadata of a Debian root filesystem to DIR: the control
# paragraph of each package's .deb in DEBS (a directory of .deb files) as a
# dpkg status record, one file per package in var/lib/dpkg/status.d (as
# distroless and distill's runtime images have it) or all in
# var/lib/dpkg/status (as a builder image has it), plus base-files'
# os-release and debian_version. No package contents are installed: trivy
# needs only the metadata.
set -euo pipefail
debs=$1 dir=$2 mode=$3
shift 3
mkdir -p "$dir/var/lib/dpkg"
for p in "$@"; do
	f=
	for d in "$debs"/*.deb; do
		if [ "$(dpkg-deb -f "$d" Package)" = "$p" ]; then f=$d; break; fi
	done
	[ -n "$f" ] || { echo "no .deb for $p in $debs" >&2; exit 1; }
	ctl=$(dpkg-deb -f "$f" | awk 'NR==1{print; print "Status: install ok installed"; next} {print}')
	if [ "$mode" = statusd ]; then
		mkdir -p "$dir/var/lib/dpkg/status.d"
		printf '%s\n' "$ctl" >"$dir/var/lib/dpkg/status.d/$p"
	else
		printf '%s\n\n' "$ctl" >>"$dir/var/lib/dpkg/status"
	fi
	if [ "$p" = base-files ]; then
		t=$(mktemp -d)
		dpkg-deb -x "$f" "$t"
		mkdir -p "$dir/etc" "$dir/usr/lib"
		cp "$t/usr/lib/os-release" "$dir/usr/lib/os-release"
		ln -sf ../usr/lib/os-release "$dir/etc/os-release"
		cp "$t/etc/debian_version" "$dir/etc/debian_version"
		rm -rf "$t"
	fi
done
