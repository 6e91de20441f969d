#!/bin/bash
test_description='kser diff prints what git range-diff prints

Every case makes two versions of a series as commits and runs git
range-diff and kser diff on them, with and without colour; the outputs
must be equal byte for byte. Then the same versions as mails and
directories, where patch numbers stand for commit IDs.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

# same_as_git ARGS...: kser diff ARGS and git range-diff ARGS agree.
same_as_git () {
	git -C repo range-diff --no-color "$@" >expect &&
	kser diff --repo repo --no-color "$@" >actual &&
	test_cmp expect actual &&
	git -C repo range-diff --color "$@" >expect.color &&
	kser diff --repo repo --color "$@" >actual.color &&
	test_cmp expect.color actual.color
}

# commit_file FILE CONTENT MESSAGE: write, add, commit (in repo).
commit_file () {
	printf "%s" "$2" >"repo/$1" &&
	git -C repo add "$1" &&
	test_tick &&
	git -C repo commit -q -m "$3"
}

test_expect_success 'setup: a base' '
	git init -q repo &&
	test_seq 1 50 >repo/numbers &&
	printf "int main(void)\n{\n\treturn 0;\n}\n\nstatic int helper(int x)\n{\n\treturn x + 1;\n}\n" >repo/prog.c &&
	printf "*.c diff=cpp\n" >repo/.gitattributes &&
	test_seq 100 160 >repo/long.txt &&
	git -C repo add . &&
	test_tick &&
	git -C repo commit -q -m base &&
	git -C repo tag base
'

test_expect_success 'unchanged, reworded and dropped patches' '
	git -C repo checkout -q -b a1 base &&
	sed -i "s/^5\$/five/" repo/numbers && git -C repo commit -q -am "numbers: five" &&
	sed -i "s/^25\$/twenty-five/" repo/numbers && git -C repo commit -q -am "numbers: twenty-five" &&
	sed -i "s/^45\$/forty-five/" repo/numbers && git -C repo commit -q -am "numbers: forty-five" &&
	git -C repo checkout -q -b a2 base &&
	git -C repo cherry-pick a1~2 >/dev/null &&
	git -C repo cherry-pick a1~1 >/dev/null &&
	git -C repo commit -q --amend -m "numbers: 25 in words" -m "A body now." &&
	same_as_git base..a1 base..a2
'

test_expect_success 'reordered, added and changed patches' '
	git -C repo checkout -q -b b1 base &&
	commit_file one.txt "one\n" "add one" &&
	commit_file two.txt "two\n" "add two" &&
	commit_file three.txt "three\n" "add three" &&
	git -C repo checkout -q -b b2 base &&
	commit_file three.txt "three\n" "add three" &&
	commit_file one.txt "one\n" "add one" &&
	commit_file two.txt "two, changed\n" "add two" &&
	commit_file four.txt "four\n" "add four" &&
	same_as_git base..b1 base..b2 &&
	same_as_git b1...b2 &&
	same_as_git base b1 b2
'

test_expect_success 'a patch split in two, two squashed into one' '
	git -C repo checkout -q -b c1 base &&
	sed -i -e "s/^2\$/two/" -e "s/^40\$/forty/" repo/numbers &&
	git -C repo commit -q -am "numbers: two and forty" &&
	sed -i "s/^110\$/a hundred and ten/" repo/long.txt &&
	git -C repo commit -q -am "long: 110" &&
	sed -i "s/^150\$/a hundred and fifty/" repo/long.txt &&
	git -C repo commit -q -am "long: 150" &&
	git -C repo checkout -q -b c2 base &&
	sed -i "s/^2\$/two/" repo/numbers && git -C repo commit -q -am "numbers: two" &&
	sed -i "s/^40\$/forty/" repo/numbers && git -C repo commit -q -am "numbers: forty" &&
	sed -i -e "s/^110\$/a hundred and ten/" -e "s/^150\$/a hundred and fifty/" repo/long.txt &&
	git -C repo commit -q -am "long: 110 and 150" &&
	same_as_git base..c1 base..c2 &&
	same_as_git --creation-factor=100 base..c1 base..c2 &&
	same_as_git --creation-factor=10 base..c1 base..c2
'

test_expect_success 'rebased only: a new base moves the context' '
	git -C repo checkout -q -b newbase base &&
	sed -i "1i zero" repo/numbers && git -C repo commit -q -am "numbers: zero" &&
	git -C repo checkout -q -b d1 base &&
	sed -i "s/^30\$/thirty/" repo/numbers && git -C repo commit -q -am "numbers: thirty" &&
	printf "\treturn 1;\n" >>repo/prog.c && git -C repo commit -q -am "prog: more" &&
	git -C repo checkout -q -b d2 d1 &&
	git -C repo rebase -q newbase &&
	same_as_git base..d1 newbase..d2
'

test_expect_success 'a conflict resolved while rebasing' '
	git -C repo checkout -q -b up base &&
	sed -i "s/^10\$/ten (upstream)/" repo/numbers && git -C repo commit -q -am "numbers: upstream ten" &&
	git -C repo checkout -q -b e1 base &&
	sed -i "s/^10\$/ten/" repo/numbers && git -C repo commit -q -am "numbers: ten" &&
	sed -i "s/^12\$/twelve/" repo/numbers && git -C repo commit -q -am "numbers: twelve" &&
	git -C repo checkout -q -b e2 e1 &&
	test_must_fail git -C repo rebase -q up &&
	test_seq 1 50 | sed -e "s/^10\$/ten (both)/" >repo/numbers &&
	git -C repo add numbers &&
	GIT_EDITOR=true git -C repo rebase --continue &&
	same_as_git base..e1 up..e2
'

test_expect_success 'renames, with and without changes, and deletions' '
	git -C repo checkout -q -b f1 base &&
	git -C repo mv long.txt renamed.txt && git -C repo commit -q -m "rename long" &&
	git -C repo rm -q numbers && git -C repo commit -q -m "drop numbers" &&
	git -C repo checkout -q -b f2 base &&
	git -C repo mv long.txt moved/long.txt 2>/dev/null || { mkdir repo/moved && git -C repo mv long.txt moved/long.txt; } &&
	sed -i "s/^120\$/one-twenty/" repo/moved/long.txt &&
	git -C repo add moved && git -C repo commit -q -m "rename long" &&
	git -C repo rm -q numbers && git -C repo commit -q -m "drop numbers" &&
	same_as_git base..f1 base..f2
'

test_expect_success 'binary files, mode changes, no newline at the end' '
	git -C repo checkout -q -b g1 base &&
	printf "\000\001\002binary" >repo/blob.bin && git -C repo add blob.bin &&
	test_tick && git -C repo commit -q -m "add a binary" &&
	chmod +x repo/prog.c && git -C repo commit -q -am "prog: executable" &&
	printf "no newline" >repo/tail.txt && git -C repo add tail.txt &&
	test_tick && git -C repo commit -q -m "tail without newline" &&
	git -C repo checkout -q -b g2 base &&
	printf "\000\001\002binary, changed" >repo/blob.bin && git -C repo add blob.bin &&
	test_tick && git -C repo commit -q -m "add a binary" &&
	chmod +x repo/prog.c && sed -i "s/return 0/return 2/" repo/prog.c &&
	git -C repo commit -q -am "prog: executable" &&
	printf "no newline, still" >repo/tail.txt && git -C repo add tail.txt &&
	test_tick && git -C repo commit -q -m "tail without newline" &&
	same_as_git base..g1 base..g2
'

test_expect_success 'non-ASCII names and messages, tabs after wide characters' '
	git -C repo checkout -q -b h1 base &&
	commit_file "fichier é.txt" "été\n" "$(printf "add a file: é\n\n日本\tx\nab\tc\n\tindented")" &&
	commit_file "普通话.txt" "中文\n" "中文 subject" &&
	git -C repo checkout -q -b h2 base &&
	commit_file "fichier é.txt" "été, hiver\n" "$(printf "add a file: é\n\n日本\ty\nab\tc\n\tindented")" &&
	commit_file "普通话.txt" "中文\n" "中文 subject" &&
	same_as_git base..h1 base..h2
'

test_expect_success 'function names in hunk headers, notes, a mailmap' '
	git -C repo checkout -q -b i1 base &&
	sed -i "s/return x + 1/return x + 2/" repo/prog.c && git -C repo commit -q -am "prog: helper" &&
	git -C repo checkout -q -b i2 base &&
	sed -i "s/return x + 1/return x + 3/" repo/prog.c && git -C repo commit -q -am "prog: helper" &&
	git -C repo notes add -m "a note" i2 &&
	printf "New Name <new@example.com> <author@example.com>\n" >repo/.mailmap &&
	same_as_git base..i1 base..i2 &&
	rm repo/.mailmap &&
	git -C repo notes remove i2
'

test_expect_success 'an empty commit and a root commit' '
	git -C repo checkout -q -b j1 base &&
	test_tick && git -C repo commit -q --allow-empty -m "empty" &&
	git -C repo checkout -q -b j2 base &&
	test_tick && git -C repo commit -q --allow-empty -m "empty, reworded" &&
	same_as_git base..j1 base..j2 &&
	git -C repo checkout -q --orphan other &&
	test_tick && git -C repo commit -q -m "unrelated" &&
	same_as_git other..j1 other..j2
'

test_expect_success 'bad ranges are refused clearly' '
	test_expect_code 1 kser diff --repo repo nosuch..a1 base..a2 2>err &&
	grep "is not a commit" err &&
	test_expect_code 2 kser diff --repo repo a1 a2 2>err &&
	grep "not a commit range" err &&
	test_expect_code 2 kser diff --repo repo 2>err &&
	grep "nothing to compare" err
'

# Mails: the same commits as format-patch files must compare equal.
test_expect_success 'mails of the same commits compare equal' '
	git -C repo format-patch -q -o "$PWD/b1" base..b1 &&
	git -C repo format-patch -q -o "$PWD/b1again" base..b1 &&
	kser diff --no-color b1 b1again >out &&
	cat >expect <<-\EOF &&
	1:  v1-0001 = 1:  v1-0001 add one
	2:  v1-0002 = 2:  v1-0002 add two
	3:  v1-0003 = 3:  v1-0003 add three
	EOF
	test_cmp expect out &&
	kser diff --no-color --repo repo base..b1 b1 >out &&
	grep -c " = " out >count &&
	echo 3 >expect &&
	test_cmp expect count
'

test_expect_success 'mails: the output is git range-diff with patch numbers for IDs' '
	git -C repo format-patch -q -v1 -o "$PWD/m1" base..c1 &&
	git -C repo format-patch -q -v2 -o "$PWD/m2" base..c2 &&
	git -C repo range-diff --no-color base..c1 base..c2 >git.out &&
	kser diff --no-color m1 m2 >out &&
	# Replace the commit IDs by the numbers kser gives mails.
	c1=$(git -C repo rev-list --reverse base..c1 | cut -c1-7) &&
	c2=$(git -C repo rev-list --reverse base..c2 | cut -c1-7) &&
	sed_args= && n=0 &&
	for c in $c1; do n=$((n + 1)); sed_args="$sed_args -e s/$c/v1-000$n/"; done &&
	n=0 &&
	for c in $c2; do n=$((n + 1)); sed_args="$sed_args -e s/$c/v2-000$n/"; done &&
	sed $sed_args git.out >expect &&
	test_cmp expect out
'

test_expect_success 'a thread with two versions, one patch lost' '
	cat m1/*.patch m2/*.patch >thread.mbox &&
	kser diff --no-color thread.mbox >out &&
	kser diff --no-color m1 m2 >expect &&
	test_cmp expect out &&
	rm m2/v2-0002-*.patch &&
	kser diff --no-color m1 m2 >out 2>err &&
	grep "warning: v2 is missing patch 2/3" err &&
	grep "v2-0003" out &&
	test_expect_code 1 kser apply --repo repo --onto base m2 2>err &&
	grep incomplete err
'

test_expect_success 'a quilt directory against a format-patch directory' '
	mkdir -p quilt &&
	for f in b1/*.patch; do cp "$f" quilt/; basename "$f" >>quilt/series; done &&
	kser diff --no-color quilt b1 >out &&
	test_line_count = 3 out &&
	grep -c " = " out >count && echo 3 >expect && test_cmp expect count
'

test_expect_success '--json and --stat' '
	kser diff --repo repo --json base..c1 base..c2 >out.json &&
	python3 -c "
import json, sys
d = json.load(open(\"out.json\"))
st = [p[\"status\"] for p in d[\"pairs\"]]
assert d[\"old\"][\"patches\"] == 3 and d[\"new\"][\"patches\"] == 3, d
assert all(s in \"=!<>\" for s in st), st
assert any(p[\"diff\"] for p in d[\"pairs\"] if p[\"status\"] == \"!\")
" &&
	kser diff --repo repo --stat base..c1 base..c2 >out &&
	git -C repo range-diff --no-color -s base..c1 base..c2 >expect &&
	test_line_count = $(wc -l <expect) out &&
	kser diff --repo repo -s base..c1 base..c2 >out &&
	test_cmp expect out
'

# Imported trees have commit dates out of order. With an upstream dated
# after the branch and more branch commits than the walk's slop, git's
# and libgit2's walks both let the root, which both sides reach, into
# topic..new; the commit graph says it is not in the range, and kser
# diff agrees with git range-diff given the range without it.
test_expect_success 'a range whose upstream is dated after it holds only its own commits' '
	git init -q skew &&
	test_seq 1 20 >skew/f && git -C skew add f &&
	GIT_COMMITTER_DATE="@1800000000 +0000" git -C skew commit -q -m root &&
	echo L >>skew/f &&
	GIT_COMMITTER_DATE="@1800000060 +0000" git -C skew commit -q -a -m "add L" &&
	git -C skew checkout -q -b topic &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		echo $i >>skew/g && git -C skew add g &&
		git -C skew commit -q -m "g: $i" || return 1
	done &&
	git -C skew checkout -q -b new HEAD~11 &&
	echo other >skew/o && git -C skew add o && git -C skew commit -q -m other &&
	git -C skew checkout -q -b new2 HEAD~1 &&
	echo other2 >skew/o && git -C skew add o && git -C skew commit -q -m other &&
	git -C skew rev-list new >all && git -C skew rev-list topic >hidden &&
	grep -v -F -f hidden all >own && test_line_count = 1 own &&
	git -C skew range-diff --no-color new~1..new new2~1..new2 >expect &&
	kser diff --repo skew --no-color topic..new topic..new2 >actual &&
	test_cmp expect actual &&
	kser diff --repo skew --no-color topic...new >actual &&
	grep -v " root$" actual >/dev/null && ! grep " root$" actual
'

test_done
