#!/bin/bash
test_description='kser base import and apply on the real series and Linux 6.12

Imports Debian'"'"'s 6.12.107 sources with the kernel overlay, checks that the
commit is the one the cover letters name (the import is deterministic), and
applies the series with the review replies, and v4 on 6.12.118.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

series=$KSER_TOP/series/alloc-apis

test_expect_success 'setup: import 6.12.107 with the overlay' '
	tarball=$("$KSER_TOP/ci/fetch-base.sh" linux-source-6.12=6.12.107-1~deb12u1) &&
	kser base import --repo r --overlay "$KSER_TOP/kernel-overlay" "$tarball" >out &&
	tail -n 1 out >id
'

test_expect_success 'the import is the commit the v1 and v2 cover letters name' '
	sed -n "s/^base-commit: //p" "$series/v1/v1-0000-cover-letter.patch" >expect &&
	test_cmp expect id &&
	sed -n "s/^base-commit: //p" "$series/v2/v2-0000-cover-letter.patch" >expect &&
	test_cmp expect id
'

test_expect_success 'v1 applies onto its base-commit, found by itself' '
	kser apply --repo r "$series/v1" >out &&
	grep "^base: base-commit $(cut -c1-12 id)" out &&
	grep "^\[10/10\] " out
'

# The Reviewed-by lines of a commit message or patch, sorted.
reviews () {
	grep -E "^(Reviewed|Acked|Tested)-by: " | sort
}

test_expect_success 'v1 with the review replies: each patch gets what v2 carries' '
	kser apply --repo r --branch v1-reviewed "$series/v1" "$series/replies" >out &&
	grep "trailers from" out &&
	for i in $(test_seq 1 10)
	do
		git -C r log -1 --format=%B "v1-reviewed~$((10 - i))" | reviews >got &&
		reviews <"$series"/v2/v2-$(printf %04d $i)-*.patch >want &&
		test_cmp want got || return 1
	done
'

test_expect_success 'a thread of v1, v2 and the replies: v2 is applied' '
	cat "$series"/v1/*.patch "$series"/v2/*.patch "$series"/replies/*.eml >thread.mbox &&
	kser apply --repo r --branch thread thread.mbox >out &&
	grep "^series: \"Allocation APIs\" v2, 10 patches" out &&
	kser apply --repo r --branch v2-alone "$series/v2" >/dev/null &&
	git -C r diff --quiet v2-alone thread
'

test_expect_success 'v3 was rebased: on 6.12.107 its MAINTAINERS hunks sit a line off' '
	kser apply --repo r --onto v6.12.107 --branch v3-here "$series/v3" >out &&
	grep -A1 "^\[1/10\]" out >first &&
	grep "note: .MAINTAINERS.: hunk #1 applied at offset -1" first
'

test_expect_success 'v4 applies onto the 6.12.118 import its cover letter names' '
	base=$(git config -f "$series/series.conf" version.4.base) &&
	pkg=$(git config -f "$series/series.conf" "base.$base.package") &&
	tarball=$("$KSER_TOP/ci/fetch-base.sh" "$pkg") &&
	kser base import --repo r --overlay "$KSER_TOP/kernel-overlay" \
		--label "$base" "$tarball" >out &&
	tail -n 1 out >id118 &&
	sed -n "s/^base-commit: //p" "$series/v4/v4-0000-cover-letter.patch" >expect &&
	test_cmp expect id118 &&
	kser apply --repo r --branch v4 "$series/v4" >out &&
	grep "^base: base-commit $(cut -c1-12 id118)" out &&
	grep "^\[15/15\] " out &&
	test "$(git -C r rev-parse v4~15)" = "$(cat id118)"
'

test_expect_success 'git fsck --strict over the import and every apply above' '
	fsck_strict r
'

test_done
