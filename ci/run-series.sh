#!/bin/bash
# The main job (make run), and the series part of make check.
#
#   ci/run-series.sh [--json FILE] [--all-versions] [--default-config]
#
# For every series under series/: import the base its newest version
# names, with the kernel overlay, into the work repository build/work/linux
# (deterministic, so the commit IDs are those in the cover letters); apply
# that version with kser apply; verify every patch with kser verify (build,
# KUnit on UML, checkpatch) in every configuration the version names
# ([version "N"] verify = ..., kser verify --version), print the table,
# then what changed since the version before (kser diff of the two
# directories). --all-versions does the same for every version, each on
# its own base; --default-config keeps to the default configuration (make
# check: a fresh machine's first run need not build the kernel in the
# others). Exits 1 if any check of any patch failed (a failure the
# configuration expects, FAIL*, does not count).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kser=$top/build/kser
repo=${KSER_WORK_REPO:-$top/build/work/linux}
json=
all=false
checks=()

while [ $# -gt 0 ]; do
	case $1 in
	--json) json=$2; shift 2 ;;
	--all-versions) all=true; shift ;;
	--default-config) checks=(--checks build,kunit,checkpatch); shift ;;
	*) echo "usage: run-series.sh [--json FILE] [--all-versions]" \
		"[--default-config]" >&2; exit 2 ;;
	esac
done

status=0
first=true
for conf in "$top"/series/*/series.conf; do
	dir=$(dirname "$conf")
	cfg () { git config -f "$conf" "$@"; }
	name=$(cfg series.name)
	versions=$(cfg --name-only --get-regexp '^version\..*\.base$' |
		sed 's/^version\.\(.*\)\.base$/\1/' | sort -n)
	all_versions=$versions
	$all || versions=$(echo "$versions" | tail -n 1)
	overlay=$top/$(cfg series.overlay)

	for v in $versions; do
		base=$(cfg "version.$v.base")
		pkg=$(cfg "base.$base.package")
		branch=$name-v$v
		echo "== $name v$v on $base ($pkg)"
		tarball=$("$top/ci/fetch-base.sh" "$pkg")
		"$kser" base import --repo "$repo" --overlay "$overlay" \
			--label "$base" --force "$tarball"
		"$kser" apply --repo "$repo" --onto "$base" --branch "$branch" \
			--force "$dir/v$v"
		out=()
		if [ -n "$json" ]; then
			# One JSON file per version; the first keeps the name.
			if $first; then out=(--json "$json")
			else out=(--json "$json.$name-v$v"); fi
		fi
		first=false
		"$kser" verify --repo "$repo" --series "$dir" --version "$v" \
			"${checks[@]}" "${out[@]}" "$base..$branch" || status=1
		echo "== $name v$v: branch $branch in $repo"
		# What changed since the version before, from the mails alone.
		prev=$(echo "$all_versions" | awk -v v="$v" '$1 + 0 < v + 0' | tail -n 1)
		if [ -n "$prev" ] && [ -d "$dir/v$prev" ]; then
			echo "== $name v$prev -> v$v (kser diff)"
			"$kser" diff --no-color "$dir/v$prev" "$dir/v$v" || status=1
		fi
	done
done
exit $status
