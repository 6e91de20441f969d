#!/bin/bash
# The main job (make run): for every series under series/, import the base
# its newest version names, with the kernel overlay, into the work
# repository build/work/linux, and apply that version with kser.
#
# Settings come from series/<name>/series.conf (git-config syntax).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kser=$top/build/kser
repo=${KSER_WORK_REPO:-$top/build/work/linux}

for conf in "$top"/series/*/series.conf; do
	dir=$(dirname "$conf")
	cfg () { git config -f "$conf" "$@"; }
	name=$(cfg series.name)
	newest=$(cfg --name-only --get-regexp '^version\..*\.base$' |
		sed 's/^version\.\(.*\)\.base$/\1/' | sort -n | tail -n 1)
	base=$(cfg "version.$newest.base")
	pkg=$(cfg "base.$base.package")
	overlay=$top/$(cfg series.overlay)

	echo "== $name v$newest on $base ($pkg)"
	tarball=$("$top/ci/fetch-base.sh" "$pkg")
	"$kser" base import --repo "$repo" --overlay "$overlay" --label "$base" \
		--force "$tarball"
	"$kser" apply --repo "$repo" --onto "$base" --branch "$name-v$newest" \
		--force "$dir/v$newest"
	echo "== $name v$newest is branch $name-v$newest in $repo"
	echo "   git -C $repo log --oneline $base..$name-v$newest"
done
