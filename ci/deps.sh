#!/bin/sh
# Install every Debian package kser needs, idempotently: quiet and quick
# when everything is already present.
#
#   ci/deps.sh            build and test dependencies (ccache, redis-server
#                         and distcc: t7000 starts the daemons on loopback)
#   ci/deps.sh --kernel   also the kernel sources and kernel-build tools
set -eu

pkgs="gcc make pkg-config git
libgit2-dev libgmime-3.0-dev libglib2.0-dev libarchive-dev libjansson-dev
liblzma-dev zlib1g-dev libssl-dev libdeflate-dev libcurl4-openssl-dev
libcmocka-dev sharness perl python3 python3-aiosmtpd xz-utils time
clang libclang-rt-14-dev ccache redis-server distcc"
kernel_pkgs="linux-source-6.12 flex bison bc libelf-dev libssl-dev
b4 hyperfine python3-ply python3-git"

want=$pkgs
for arg in "$@"; do
	case $arg in
	--kernel) want="$want $kernel_pkgs" ;;
	*) echo "deps.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done

missing=
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || s=
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or a package is not
# known yet; apt-get update is the slow part.
if ! apt-cache show $missing >/dev/null 2>&1; then
	$sudo apt-get update -qq >&2
fi
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
