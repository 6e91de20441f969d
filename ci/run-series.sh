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
# ([version "N"] verify = ..., kser verify --version), print the table;
# then export it with kser export and check that the result is the
# committed vN/, byte for byte, and show what changed since the version
# before (kser diff of the two directories). The commits are made by the
# series' author at the version's date, so their IDs, which the mails
# name, are the same on every machine. --all-versions does the same for
# every version, each on its own base; --default-config keeps to the
# default configuration (make check: a fresh machine's first run need not
# build the kernel in the others; the export, whose gate wants every
# configuration, is then checked only for versions that name none).
# Exits 1 if any check of any patch failed (a failure the configuration
# expects, FAIL*, does not count) or an export differs.
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
		exported=true
		"$kser" verify --repo "$repo" --series "$dir" --version "$v" \
			"${checks[@]}" "${out[@]}" "$base..$branch" ||
			{ status=1; exported=false; }
		echo "== $name v$v: branch $branch in $repo"
		# Under --default-config the gate lacks the other configurations.
		if [ ${#checks[@]} -gt 0 ] && cfg "version.$v.verify" >/dev/null; then
			exported=false
		fi
		# vN/ is what kser export writes (it refuses what failed).
		if $exported; then
			tmp=$(mktemp -d)
			if "$kser" export --repo "$repo" --series "$dir" \
				-v "$v" -o "$tmp/v$v" "$branch" >/dev/null &&
			   diff -r "$dir/v$v" "$tmp/v$v" >"$tmp/diff"; then
				echo "== $name v$v: export: v$v/ is what kser export writes"
			else
				echo "== $name v$v: export: v$v/ is not what kser export writes:"
				cat "$tmp/diff"
				status=1
			fi
			rm -rf "$tmp"
		fi
		# What changed since the version before, from the mails alone.
		prev=$(echo "$all_versions" | awk -v v="$v" '$1 + 0 < v + 0' | tail -n 1)
		if [ -n "$prev" ] && [ -d "$dir/v$prev" ]; then
			echo "== $name v$prev -> v$v (kser diff)"
			"$kser" diff --no-color "$dir/v$prev" "$dir/v$v" || status=1
		fi
	done
done
exit $status
