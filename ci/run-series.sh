#!/bin/bash
# The main job (make run), and the series part of make check.
#
#   ci/run-series.sh [--json FILE] [--all-versions]
#
# For every series under series/: import the base its newest version
# names, with the kernel overlay, into the work repository build/work/linux
# (deterministic, so the commit IDs are those in the cover letters); apply
# that version with kser apply; verify every patch with kser verify (build,
# KUnit on UML, checkpatch), and print the table; then export it with kser
# export and check that the result is the committed vN/, byte for byte.
# The commits are made by the series' author at the version's date, so
# their IDs, which the mails name, are the same on every machine.
# --all-versions does the same for every version, each on its own base.
# Exits 1 if any check of any patch failed or an export differs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kser=$top/build/kser
repo=${KSER_WORK_REPO:-$top/build/work/linux}
json=
all=false

while [ $# -gt 0 ]; do
	case $1 in
	--json) json=$2; shift 2 ;;
	--all-versions) all=true; shift ;;
	*) echo "usage: run-series.sh [--json FILE] [--all-versions]" >&2; exit 2 ;;
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
		author=$(cfg series.author || true)
		GIT_COMMITTER_NAME=${author% <*} \
		GIT_COMMITTER_EMAIL=$(echo "$author" | sed 's/.*<\(.*\)>.*/\1/') \
		GIT_COMMITTER_DATE=$(cfg "version.$v.date" || true) \
		"$kser" apply --repo "$repo" --onto "$base" --branch "$branch" \
			--force "$dir/v$v"
		out=()
		if [ -n "$json" ]; then
			# One JSON file per version; the first keeps the name.
			if $first; then out=(--json "$json")
			else out=(--json "$json.$name-v$v"); fi
		fi
		first=false
		verified=true
		"$kser" verify --repo "$repo" --series "$dir" "${out[@]}" \
			"$base..$branch" || { status=1; verified=false; }
		echo "== $name v$v: branch $branch in $repo"
		# vN/ is what kser export writes (it refuses what failed).
		if $verified; then
			tmp=$(mktemp -d)
			if "$kser" export --repo "$repo" --series "$dir" \
				-o "$tmp/v$v" "$branch" >/dev/null &&
			   diff -r "$dir/v$v" "$tmp/v$v" >"$tmp/diff"; then
				echo "== $name v$v: export: v$v/ is what kser export writes"
			else
				echo "== $name v$v: export: v$v/ is not what kser export writes:"
				cat "$tmp/diff"
				status=1
			fi
			rm -rf "$tmp"
		fi
	done
done
exit $status
