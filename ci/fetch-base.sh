#!/bin/bash
# Prints the path of a kernel source tarball from Debian, fetching it if
# needed.
#
#   ci/fetch-base.sh linux-source-6.12=6.12.107-1~deb12u1
#
# The installed linux-source package is used when its version matches;
# any other version is downloaded with apt-get download into
# build/dl/<version>/ (kept between runs) and unpacked with dpkg-deb.
# When the archive no longer offers the version, the error names the
# versions it does offer.
set -euo pipefail

spec=${1:?usage: ci/fetch-base.sh PACKAGE=VERSION}
pkg=${spec%%=*}
ver=${spec#*=}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/build/dl/$ver
tarball=/usr/src/$pkg.tar.xz

installed=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
if [ "$installed" = "$ver" ] && [ -f "$tarball" ]; then
	echo "$tarball"
	exit 0
fi
if [ -f "$cache/$pkg.tar.xz" ]; then
	echo "$cache/$pkg.tar.xz"
	exit 0
fi

offered () {
	apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'
}
if ! offered | grep -qxF "$ver"; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq >&2 || true
fi
if ! offered | grep -qxF "$ver"; then
	echo "fetch-base: Debian no longer offers $pkg $ver;" \
		"available: $(offered | tr '\n' ' ')" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q "$pkg=$ver" >&2 2>/dev/null) || {
	echo "fetch-base: apt-get download $pkg=$ver failed" >&2
	exit 1
}
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
mkdir -p "$cache"
mv "$tmp/x/usr/src/$pkg.tar.xz" "$cache/$pkg.tar.xz.tmp"
mv "$cache/$pkg.tar.xz.tmp" "$cache/$pkg.tar.xz"
echo "$cache/$pkg.tar.xz"
