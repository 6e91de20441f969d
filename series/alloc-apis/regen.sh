#!/bin/bash
# Regenerate series/alloc-apis/vN/ on a new base commit.
#
#   regen.sh [--no-am] [--cover FILE] REPO BASE N...
#
# For each version N: check out BASE (a commit of REPO holding the kernel
# tree and kernel-overlay, as kser's `base import` makes it) on the branch
# alloc-apis-vN, apply vN/ with `git am`, and write vN/ again with
# `git format-patch --cover-letter -v N --base=BASE`.  Commit dates and the
# committer come from series.conf, so the output is byte-for-byte the same
# as before except for the base-commit: line.
#
# The cover letter's subject and text come from the existing cover letter
# (everything above its shortlog), or from FILE with --cover: the first
# line is the subject, then a blank line and the text.  --no-am takes the
# commits already on top of BASE at REPO's HEAD instead of applying vN/,
# which is how a new version is first exported.
#
# The cover letter gets the fixed Message-Id version.N.message-id from
# series.conf, which the next version's "Link to" line points at.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
conf=$here/series.conf
am=1
cover=

usage() {
	echo "usage: regen.sh [--no-am] [--cover FILE] REPO BASE N..." >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--no-am) am=; shift ;;
	--cover) [ $# -ge 2 ] || usage; cover=$2; shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || usage
repo=$1
base=$(git -C "$repo" rev-parse --verify "$2^{commit}")
shift 2

cfg() {
	git config -f "$conf" "$@"
}

author=$(cfg series.author)
export GIT_AUTHOR_NAME=${author% <*}
export GIT_AUTHOR_EMAIL=${author##*<}
GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL%>}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
export GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL

# The subject and text of a cover letter, in the form --cover takes.
cover_text() {
	awk '
		!hdr && /^Subject: / {
			sub(/^Subject: \[PATCH v[0-9]+ 0+\/[0-9]+\] /, "")
			print; print ""; next
		}
		!hdr && /^$/ { hdr = 1; next }
		hdr && /^[^ ].* \([0-9]+\):$/ { exit }
		hdr { print }
	' "$1" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

for n in "$@"; do
	dir=$here/v$n
	msgid=$(cfg "version.$n.message-id")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if [ -n "$cover" ]; then
		cp "$cover" "$tmp/cover"
	else
		cover_text "$dir/v$n-0000-cover-letter.patch" >"$tmp/cover"
	fi

	if [ -n "$am" ]; then
		git -C "$repo" checkout -q -f -B "alloc-apis-v$n" "$base"
		ls "$dir"/v"$n"-0*.patch | grep -v -- '-0000-cover-letter' |
			xargs git -C "$repo" am -q --committer-date-is-author-date
	fi
	branch=$(git -C "$repo" symbolic-ref --short HEAD)
	git -C "$repo" config "branch.$branch.description" "$(cat "$tmp/cover")"

	# The cover letter is dated with the committer date: the version's day.
	GIT_COMMITTER_DATE="$(cfg "version.$n.date")T10:00:00+01:00" \
	git -C "$repo" format-patch -q --zero-commit --no-signature \
		--cover-letter --cover-from-description=subject \
		-v "$n" --base="$base" -o "$tmp/out" "$base..$branch"
	sed -i "/^Subject: /a Message-Id: $msgid" \
		"$tmp/out/v$n-0000-cover-letter.patch"

	rm -rf "$dir"
	mv "$tmp/out" "$dir"
	rm -rf "$tmp"
	trap - EXIT
	echo "regen.sh: wrote $(ls "$dir" | wc -l) files to v$n/ on $base"
done
