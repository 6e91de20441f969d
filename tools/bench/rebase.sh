#!/bin/bash
# kser rebase versus git rebase, moving series from Linux 6.12.107 to
# 6.12.117 (both with the kernel overlay; the base move touches some
# 5,190 files):
#
#   - the alloc-apis v2 series, applied on 6.12.107 with kser apply;
#   - 24 small edits spread over lib/, mm/, fs/ and drivers/, one file a
#     patch, made with git's plumbing on 6.12.107.
#
# git rebase runs with the branch checked out (it needs a work tree);
# kser rebase runs on a branch that is not checked out. Both must end
# at the same commits (same committer and date) before a ratio is shown.
#
#   tools/bench/rebase.sh [RUNS]
. "$(dirname "$0")/lib.sh"
runs=${1:-3}
repo=$bench/rebase-linux

if ! git -C "$repo" rev-parse -q --verify v6.12.117 >/dev/null 2>&1; then
	rm -rf "$repo"
	"$kser" base import --repo "$repo" --overlay "$top/kernel-overlay" \
		"$tarball_107"
	"$kser" base import --repo "$repo" --overlay "$top/kernel-overlay" \
		"$tarball_117"
fi
old=$(git -C "$repo" rev-parse v6.12.107)
new=$(git -C "$repo" rev-parse v6.12.117)
echo "rebase: the base move touches" \
	"$(git -C "$repo" diff --name-only "$old" "$new" | wc -l) files"

if ! git -C "$repo" rev-parse -q --verify bench-alloc >/dev/null; then
	"$kser" apply --repo "$repo" --onto v6.12.107 --branch bench-alloc \
		"$top/series/alloc-apis/v2" >/dev/null
fi

# 24 edits: files of lib/, mm/, fs/ and drivers/ that the base move does
# not touch, a comment added in the middle of each.
if ! git -C "$repo" rev-parse -q --verify bench-spread >/dev/null; then
	export GIT_INDEX_FILE=$bench/rebase.index
	git -C "$repo" read-tree "$old"
	git -C "$repo" diff --name-only "$old" "$new" >"$bench/moved"
	parent=$old
	n=0
	for dir in lib mm fs drivers; do
		git -C "$repo" ls-tree -r --name-only "$old" -- "$dir/" |
			grep '\.c$' | grep -vxF -f "$bench/moved" |
			awk 'NR % 31 == 1 && c++ < 6' >"$bench/pick"
		while read -r f; do
			n=$((n + 1))
			git -C "$repo" show "$old:$f" >"$bench/file"
			lines=$(wc -l <"$bench/file")
			awk -v at=$((lines / 2)) -v n=$n '
				{ print }
				NR == at && !done { print "/* kser rebase bench: edit " n " */"; done = 1 }
			' "$bench/file" >"$bench/file.new"
			blob=$(git -C "$repo" hash-object -w "$bench/file.new")
			git -C "$repo" update-index --cacheinfo "100644,$blob,$f"
			tree=$(git -C "$repo" write-tree)
			parent=$(GIT_AUTHOR_NAME="Spread Editor" \
				GIT_AUTHOR_EMAIL=spread@example.org \
				GIT_AUTHOR_DATE="@$((1763000000 + n * 60)) +0000" \
				git -C "$repo" commit-tree "$tree" -p "$parent" \
				-m "${f%%/*}: mark $(basename "$f")" \
				-m "Signed-off-by: Spread Editor <spread@example.org>")
		done <"$bench/pick"
	done
	unset GIT_INDEX_FILE
	git -C "$repo" update-ref refs/heads/bench-spread "$parent"
fi

bench_one () {
	local name=$1 branch=$2 orig k g
	orig=$(git -C "$repo" rev-parse "$branch")
	echo "rebase $name: $(git -C "$repo" rev-list --count "$old..$orig") patches," \
		"$(git -C "$repo" diff --name-only "$old" "$orig" | wc -l) files"
	git -C "$repo" checkout -q -f -B "git-$branch" "$orig"
	hyperfine --runs "$runs" --warmup 1 \
		--export-json "$bench/rebase-$name.json" \
		--prepare "git -C '$repo' rebase --abort >/dev/null 2>&1; \
			git -C '$repo' update-ref refs/heads/kser-$branch $orig; \
			git -C '$repo' checkout -q -f -B git-$branch $orig" \
		-n "kser rebase" \
		"'$kser' rebase --repo '$repo' --onto v6.12.117 --upstream v6.12.107 kser-$branch" \
		-n "git rebase" \
		"git -C '$repo' rebase -q --onto v6.12.117 v6.12.107"
	# hyperfine's --prepare resets both branches before every command:
	# one more run of each, for the comparison.
	git -C "$repo" update-ref "refs/heads/kser-$branch" "$orig"
	"$kser" rebase --repo "$repo" --onto v6.12.117 --upstream v6.12.107 \
		"kser-$branch" >/dev/null
	git -C "$repo" checkout -q -f -B "git-$branch" "$orig"
	git -C "$repo" rebase -q --onto v6.12.117 v6.12.107
	k=$(git -C "$repo" rev-parse "kser-$branch")
	g=$(git -C "$repo" rev-parse HEAD)
	if [ "$k" != "$g" ] || [ "$k" = "$orig" ]; then
		echo "rebase $name: results differ: kser $k, git rebase $g" >&2
		exit 1
	fi
	echo "rebase $name: identical commits ($k)"
	ratio "rebase $name" "$bench/rebase-$name.json"
}

bench_one alloc-apis bench-alloc
bench_one spread bench-spread
git -C "$repo" checkout -q -f --detach v6.12.107
