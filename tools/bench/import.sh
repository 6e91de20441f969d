#!/bin/bash
# kser base import versus the way it is done today (tar xf, then
# git add -f -A and git commit), on Debian's linux-source-6.12 tarball.
# Both must produce the same tree; the script prints the ratio.
#
#   tools/bench/import.sh [RUNS]
. "$(dirname "$0")/lib.sh"
runs=${1:-3}
work=$bench/import
rm -rf "$work" && mkdir -p "$work"

hyperfine --runs "$runs" --export-json "$work/result.json" \
	--prepare "rm -rf '$work/kser' '$work/git'" \
	-n "kser base import" \
	"'$kser' base import --repo '$work/kser' '$tarball_117'" \
	-n "tar+git add+commit" \
	"mkdir -p '$work/git' && cd '$work/git' && tar xf '$tarball_117' --strip-components=1 && git init -q && git add -f -A && git -c user.name=x -c user.email=y commit -q -m import"

# hyperfine's --prepare cleared both between runs: one more of each.
rm -rf "$work/kser" "$work/git"
"$kser" base import --repo "$work/kser" "$tarball_117" >/dev/null
mkdir -p "$work/git" && (cd "$work/git" && tar xf "$tarball_117" --strip-components=1 &&
	git init -q && git add -f -A && git -c user.name=x -c user.email=y commit -q -m import)
a=$(git -C "$work/kser" rev-parse 'v6.12.117^{tree}')
b=$(git -C "$work/git" rev-parse 'HEAD^{tree}')
if [ "$a" != "$b" ]; then
	echo "import: trees differ: kser $a, git $b" >&2
	exit 1
fi
echo "import: identical trees ($a)"
ratio import "$work/result.json"
