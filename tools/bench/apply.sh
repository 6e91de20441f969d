#!/bin/bash
# kser apply versus git am, on a 30-patch series over the Linux 6.12 tree.
#
# The series is made of real stable changes: 60 files that differ between
# 6.12.107 and 6.12.117, two per patch, committed on 6.12.107 with git's
# plumbing. git am runs in a checked-out work tree, as a maintainer runs
# it; kser apply runs in memory. Both must end at the same commit.
#
#   tools/bench/apply.sh [RUNS]
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
repo=$bench/linux
series=$bench/apply-series

if ! git -C "$repo" rev-parse -q --verify bench-new >/dev/null 2>&1; then
	rm -rf "$repo"
	"$kser" base import --repo "$repo" --label bench-base "$tarball_107"
	"$kser" base import --repo "$repo" --label bench-new "$tarball_117"
fi

if [ ! -f "$series/done" ]; then
	rm -rf "$series" && mkdir -p "$series"
	export GIT_INDEX_FILE=$bench/apply.index
	git -C "$repo" read-tree bench-base
	# 60 changed .c files spread evenly over the whole list.
	git -C "$repo" diff --name-only --diff-filter=M bench-base bench-new \
		-- '*.c' >"$bench/changed"
	files=$(awk -v n="$(wc -l <"$bench/changed")" \
		'NR % int(n / 60) == 0 && c < 60 { print; c++ }' "$bench/changed")
	parent=$(git -C "$repo" rev-parse bench-base)
	n=0
	set -- $files
	while [ $# -ge 2 ]; do
		n=$((n + 1))
		for f in "$1" "$2"; do
			git -C "$repo" update-index --cacheinfo \
				"100644,$(git -C "$repo" rev-parse "bench-new:$f"),$f"
		done
		tree=$(git -C "$repo" write-tree)
		parent=$(GIT_AUTHOR_NAME="Stable Backporter" \
			GIT_AUTHOR_EMAIL=stable@example.org \
			GIT_AUTHOR_DATE="@$((1763000000 + n * 60)) +0000" \
			git -C "$repo" commit-tree "$tree" -p "$parent" \
			-m "${1%%/*}: backport $(basename "$1") and $(basename "$2")" \
			-m "Signed-off-by: Stable Backporter <stable@example.org>")
		shift 2
	done
	unset GIT_INDEX_FILE
	git -C "$repo" update-ref refs/heads/bench-series "$parent"
	git -C "$repo" format-patch -q -o "$series" bench-base..bench-series
	touch "$series/done"
fi
count=$(ls "$series"/*.patch | wc -l)
echo "apply: $count patches, $(cat "$series"/*.patch | wc -c) bytes"

# git am needs a work tree at the base: check it out once, untimed.
if ! git -C "$repo" rev-parse -q --verify HEAD >/dev/null ||
   [ "$(git -C "$repo" rev-parse HEAD)" != "$(git -C "$repo" rev-parse bench-base)" ]; then
	git -C "$repo" am --abort >/dev/null 2>&1 || true
	git -C "$repo" checkout -q -f --detach bench-base
fi

hyperfine --runs "$runs" --warmup 1 --export-json "$bench/apply.json" \
	--prepare "git -C '$repo' am --abort >/dev/null 2>&1; git -C '$repo' checkout -q -f --detach bench-base" \
	-n "kser apply" \
	"'$kser' apply --repo '$repo' --onto bench-base --branch bench-kser --force '$series'" \
	-n "git am" \
	"git -C '$repo' am -q '$series'/*.patch"

a=$(git -C "$repo" rev-parse bench-kser)
b=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" checkout -q -f --detach bench-base
if [ "$a" != "$b" ]; then
	echo "apply: results differ: kser $a, git am $b" >&2
	exit 1
fi
echo "apply: identical commits ($a)"
ratio apply "$bench/apply.json"
