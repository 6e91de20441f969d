#!/bin/bash
test_description='kser apply: series logic, failures and hostile input'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

# Writes a mail. $1 file, $2 subject, $3 message-id, $4 in-reply-to (or
# ""), then the body on stdin.
mail () {
	{
		echo "From kser Mon Sep 17 00:00:00 2001"
		echo "From: ${FROM:-A U Thor <author@example.com>}"
		echo "Date: ${DATE:-Tue, 19 Nov 2024 10:00:00 +0100}"
		echo "Subject: $2"
		echo "Message-ID: <$3>"
		test -z "$4" || echo "In-Reply-To: <$4>"
		test -z "$4" || echo "References: <$4>"
		echo
		cat
	} >>"$1"
}

# The exact message of a commit.
commit_msg () {
	git -C "$1" cat-file commit "$2" | sed "1,/^\$/d"
}

test_expect_success 'setup: a repository and a three-patch series in two versions' '
	git init -q repo &&
	(cd repo && test_seq 1 30 >f && echo keep >g && git add f g &&
	 test_tick && git commit -q -m base && git tag base &&
	 for v in 1 2
	 do
		git checkout -q -b v$v base &&
		sed -i "s/^3$/three-v$v/" f && test_tick &&
		git commit -q -a -m "f: spell three" -m "Signed-off-by: A U Thor <author@example.com>" &&
		sed -i "s/^13$/thirteen-v$v/" f && test_tick &&
		git commit -q -a -m "f: spell thirteen" -m "Signed-off-by: A U Thor <author@example.com>" &&
		echo new >h && git add h && test_tick &&
		git commit -q -m "h: add" -m "Signed-off-by: A U Thor <author@example.com>" &&
		git format-patch -q -v$v --cover-letter --base=base \
			--thread -o ../v$v base.. || return 1
	 done) &&
	ls v1 v2 &&
	grep "^base-commit: " v2/v2-0000-cover-letter.patch
'

test_expect_success 'setup: a thread mbox with both versions and replies' '
	cat v1/*.patch v2/*.patch >thread.mbox &&
	id1=$(sed -n "s/^Message-Id: <\(.*\)>/\1/p" v2/v2-0001-*.patch) &&
	id0=$(sed -n "s/^Message-Id: <\(.*\)>/\1/p" v2/v2-0000-*.patch) &&
	mail thread.mbox "Re: [PATCH v2 1/3] f: spell three" r1@x "$id1" <<-\EOF &&
	> +three
	> Reviewed-by: Quoted Reviewer <quoted@example.org>

	Looks right.

	Reviewed-by: Rita Reviewer <rita@example.org>
	Tested-by: Tess Tester <tess@example.org>
	Acked-by: not a person
	EOF
	mail thread.mbox "Re: [PATCH v2 0/3] cover" r2@x "$id0" <<-\EOF &&
	For the whole series:

	Acked-by: Maint Ainer <maint@example.org>

	-- 
	Reviewed-by: In Signature <sig@example.org>
	EOF
	mail thread.mbox "Re: Re: [PATCH v2 1/3] f: spell three" r3@x r1@x <<-\EOF
	Nested reply, still about 1/3.

	Tested-by: Deep Tester <deep@example.org>
	EOF
'

test_expect_success 'the highest version is applied, with trailers from replies' '
	kser apply --repo repo --onto base thread.mbox >out &&
	grep "^series: \".*\" v2, 3 patches, with cover letter, .* trailers from 3 replies" out &&
	grep "^\[1/3\] [0-9a-f]* f: spell three" out &&
	grep "^\[3/3\] [0-9a-f]* h: add" out &&
	commit_msg repo $(tail -n 1 out)~2 >msg1 &&
	cat >expect <<-\EOF &&
	f: spell three

	Signed-off-by: A U Thor <author@example.com>
	Reviewed-by: Rita Reviewer <rita@example.org>
	Tested-by: Tess Tester <tess@example.org>
	Acked-by: Maint Ainer <maint@example.org>
	Tested-by: Deep Tester <deep@example.org>
	EOF
	test_cmp expect msg1 &&
	commit_msg repo $(tail -n 1 out) >msg3 &&
	grep "^Acked-by: Maint Ainer" msg3 &&
	! grep "Rita" msg3 && ! grep "Quoted" msg3 && ! grep "In Signature" msg3 &&
	fsck_strict repo
'

test_expect_success 'the content is v2, the branch is named after the cover letter' '
	git -C repo show subject-here-v2:f >f &&
	grep three-v2 f && grep thirteen-v2 f &&
	git -C repo diff --quiet v2 subject-here-v2
'

test_expect_success 'the cover letter is kept as the branch description' '
	git -C repo config branch.subject-here-v2.description >desc &&
	head -n 1 desc >first &&
	echo "*** SUBJECT HERE ***" >expect && test_cmp expect first &&
	git -C repo config branch.subject-here-v2.kserversion >v &&
	echo 2 >expect && test_cmp expect v
'

test_expect_success '-v picks an older version' '
	kser apply --repo repo --onto base -v 1 thread.mbox >out &&
	git -C repo show subject-here-v1:f >f && grep three-v1 f &&
	! grep "trailers from" out &&
	fsck_strict repo
'

test_expect_success 'a version that is not there is an error naming those that are' '
	test_expect_code 1 kser apply --repo repo --onto base -v 7 thread.mbox 2>err &&
	grep "no v7 of the series (it has v1, v2)" err
'

test_expect_success 'the base-commit of the cover letter is used when present' '
	git -C repo checkout -q v1 &&
	kser apply --repo repo --branch from-base v2 >out &&
	grep "^base: base-commit" out &&
	git -C repo rev-parse from-base~3 base >two &&
	test "$(sed -n 1p two)" = "$(sed -n 2p two)"
'

test_expect_success 'an existing branch is not moved without --force' '
	refs_of repo >before &&
	test_expect_code 1 kser apply --repo repo --onto base thread.mbox 2>err &&
	grep "branch .subject-here-v2. already exists" err &&
	refs_of repo >after && test_cmp before after &&
	kser apply --repo repo --onto base --force thread.mbox &&
	fsck_strict repo
'

test_expect_success 'an incomplete series is refused, naming what is missing' '
	mkdir partial && cp v2/v2-0000-*.patch v2/v2-0002-*.patch partial/ &&
	refs_of repo >before &&
	test_expect_code 1 kser apply --repo repo --onto base partial 2>err &&
	grep "v2 of the series is incomplete: missing 1/3, 3/3" err &&
	refs_of repo >after && test_cmp before after
'

test_expect_success 'a patch that does not apply: nothing changes, the message is precise' '
	git -C repo checkout -q -b moved base &&
	(cd repo && sed -i "s/^10$/ten/" f && test_tick && git commit -q -a -m moved) &&
	refs_of repo >before &&
	git -C repo count-objects -v | grep "^count" >objs-before &&
	test_expect_code 1 kser apply --repo repo --onto moved --branch nope v2 2>err &&
	cat err &&
	grep "^kser: patch 2/3 .f: spell thirteen.: .f.: hunk #1 (@@ -10,7 +10,7 @@ three-v2) does not apply: line 10 is .ten., the patch expects .10." err &&
	refs_of repo >after && test_cmp before after &&
	git -C repo status --porcelain >st && test_must_be_empty st
'

test_expect_success '-3 merges what does not apply exactly, and says so' '
	kser apply --repo repo --onto moved --branch merged -3 v2 >out &&
	grep "applied with a three-way merge" out &&
	git -C repo show merged:f >f &&
	grep "^ten$" f && grep thirteen-v2 f &&
	fsck_strict repo
'

test_expect_success '-3 with a real conflict fails cleanly' '
	git -C repo checkout -q -b clash base &&
	(cd repo && sed -i "s/^13$/XIII/" f && test_tick && git commit -q -a -m clash) &&
	refs_of repo >before &&
	test_expect_code 1 kser apply --repo repo --onto clash --branch c2 -3 v2 2>err &&
	grep "three-way merge of .f. left conflicts" err &&
	refs_of repo >after && test_cmp before after
'

test_expect_success 'a quilt directory, ordered by its series file' '
	mkdir -p q/patches &&
	git -C repo diff base v1~2 >q/patches/one.diff &&
	{ echo "Describe the second change."; echo; git -C repo diff v1~2 v1~1; } >q/patches/two.patch &&
	printf "# comment\none.diff\ntwo.patch -p1\n" >q/patches/series &&
	kser apply --repo repo --onto base --branch quilt q >out &&
	grep "^\[1/2\] [0-9a-f]* one.diff" out &&
	grep "^\[2/2\] [0-9a-f]* two" out &&
	git -C repo diff --quiet v1~1 quilt &&
	commit_msg repo quilt >msg &&
	printf "two\n\nDescribe the second change.\n" >expect && test_cmp expect msg &&
	fsck_strict repo
'

test_expect_success 'a quilt series naming a path outside it is refused' '
	mkdir -p q2 && echo "../../etc/passwd" >q2/series &&
	test_expect_code 1 kser apply --repo repo --onto base q2 2>err &&
	grep "leaves the quilt directory" err
'

hostile_patch () {
	cat >"$1" <<-EOF
	From: Mallory <mallory@example.org>
	Subject: [PATCH] innocent
	Date: Tue, 19 Nov 2024 10:00:00 +0100

	---
	diff --git a/$2 b/$2
	new file mode 100644
	--- /dev/null
	+++ b/$2
	@@ -0,0 +1 @@
	+owned
	EOF
}

# rename from/to names carry no a/ b/ prefix: nothing is stripped.
hostile_rename () {
	cat >"$1" <<-EOF
	From: Mallory <mallory@example.org>
	Subject: [PATCH] innocent rename
	Date: Tue, 19 Nov 2024 10:00:00 +0100

	---
	diff --git a/g b/g
	similarity index 100%
	rename from g
	rename to $2
	EOF
}

for p in "../escape" "a/../../escape" ".git/hooks/pre-commit" "sub/.GIT/config"
do
	test_expect_success "a diff creating '$p' is refused" "
		hostile_patch h.patch '$p' &&
		refs_of repo >before &&
		test_expect_code 1 kser apply --repo repo --onto base --branch h h.patch 2>err &&
		cat err &&
		grep 'unsafe path' err &&
		refs_of repo >after && test_cmp before after &&
		test_path_is_missing escape && test_path_is_missing ../escape &&
		fsck_strict repo
	"
done

test_expect_success 'a path 50,000 directories deep is refused, as deeper than git reads' '
	deep=$(printf "d/%.0s" $(test_seq 1 50000))f &&
	hostile_patch deep.patch "$deep" &&
	refs_of repo >before &&
	test_expect_code 1 kser apply --repo repo --onto base --branch deep deep.patch 2>err &&
	cut -c 1-300 err &&
	grep "^kser: patch 1/1 .innocent.: unsafe path .d/d/d/.*\.\.\..: more than 2048 levels$" err &&
	refs_of repo >after && test_cmp before after
'

test_expect_success 'a path 2048 directories deep, the limit, is fine' '
	deep=$(printf "d/%.0s" $(test_seq 1 2047))f &&
	hostile_patch deep.patch "$deep" &&
	kser apply --repo repo --onto base --branch deep deep.patch &&
	git -C repo ls-tree -r --name-only deep >ls &&
	grep -x "$deep" ls &&
	fsck_strict repo
'

for p in "../escape" "/etc/escape" ".git/config"
do
	test_expect_success "a rename to '$p' is refused" "
		hostile_rename h.patch '$p' &&
		refs_of repo >before &&
		test_expect_code 1 kser apply --repo repo --onto base --branch h h.patch 2>err &&
		cat err &&
		grep 'unsafe path\|absolute path' err &&
		refs_of repo >after && test_cmp before after
	"
done

test_expect_success 'a double slash after the prefix stays inside the tree, as in git' '
	hostile_patch dbl.patch /etc/inside &&
	kser apply --repo repo --onto base --branch dbl dbl.patch &&
	git -C repo show dbl:etc/inside >c && echo owned >expect && test_cmp expect c &&
	test_path_is_missing /etc/inside &&
	fsck_strict repo
'

test_expect_success 'a diff writing through a symlink is refused' '
	git -C repo checkout -q -b withlink base &&
	(cd repo && ln -s /tmp link && git add link && test_tick && git commit -q -m link) &&
	hostile_patch s.patch link/evil &&
	test_expect_code 1 kser apply --repo repo --onto withlink --branch s s.patch 2>err &&
	grep "beyond a symbolic link" err &&
	test_path_is_missing /tmp/evil
'

test_expect_success 'garbage and truncated mails get clear errors' '
	printf "\x00\x01garbage\n" >garbage &&
	test_expect_code 1 kser apply --repo repo --onto base garbage 2>err &&
	grep "not a mail" err &&
	sed "s/^Subject: \[PATCH v2 1\/3\]/Subject: [PATCH]/;/^+three-v2/q" v2/v2-0001-*.patch >trunc.patch &&
	test_expect_code 1 kser apply --repo repo --onto base trunc.patch 2>err &&
	grep "corrupt patch at line [0-9]*: hunk ends early" err &&
	printf "From: nobody\nSubject: [PATCH] x\n\n---\ndiff --git a/f b/f\n" >noauthor &&
	git -C repo diff base v1~2 | sed 1d >>noauthor &&
	test_expect_code 1 kser apply --repo repo --onto base noauthor 2>err &&
	grep "no valid author address" err &&
	printf "From: x@y\nSubject: [PATCH] hi\n\nno diff here\n" >nodiff &&
	test_expect_code 1 kser apply --repo repo --onto base nodiff 2>err &&
	grep "the input holds no patches" err
'

test_expect_success 'a binary patch for the wrong preimage is refused' '
	git -C repo checkout -q -b bin base &&
	(cd repo && head -c 3000 /dev/urandom >b.bin && git add b.bin && test_tick &&
	 git commit -q -m "add bin" && git tag binbase &&
	 printf "x" >>b.bin && test_tick && git commit -q -a -m "grow bin" &&
	 git format-patch -q -1 -o ../bin) &&
	(cd repo && git checkout -q -b bin2 base && head -c 3000 /dev/urandom >b.bin &&
	 git add b.bin && test_tick && git commit -q -m other) &&
	test_expect_code 1 kser apply --repo repo --onto bin2 --branch b bin/*.patch 2>err &&
	grep "does not match the current contents" err
'

test_expect_success '--force never moves a branch checked out in a worktree' '
	git -C repo checkout -q subject-here-v2 &&
	refs_of repo >before &&
	test_expect_code 1 kser apply --repo repo --onto base --force thread.mbox 2>err &&
	cat err &&
	grep "cannot force update the branch .subject-here-v2. checked out at .$(cd repo && pwd)." err &&
	refs_of repo >after && test_cmp before after &&
	git -C repo status --porcelain >st && test_must_be_empty st &&
	git -C repo checkout -q --detach &&
	git -C repo worktree add -q ../linked subject-here-v1 &&
	test_expect_code 1 kser apply --repo repo --onto base --force -v 1 thread.mbox 2>err &&
	grep "cannot force update the branch .subject-here-v1. checked out at .$(pwd)/linked." err &&
	test_expect_code 1 kser apply --repo linked --onto base --force -v 1 thread.mbox 2>err &&
	grep "checked out at .$(pwd)/linked." err &&
	refs_of repo >after && test_cmp before after &&
	git -C repo worktree remove linked &&
	test_must_fail git -C repo rebase -q --exec false subject-here-v1~1 subject-here-v1 &&
	test_expect_code 1 kser apply --repo repo --onto base --force -v 1 thread.mbox 2>err &&
	grep "cannot force update the branch .subject-here-v1. checked out at" err &&
	git -C repo rebase --abort &&
	git -C repo checkout -q --detach &&
	kser apply --repo repo --onto base --force -v 1 thread.mbox
'

test_expect_success '--force never moves a branch of a worktree whose directory is gone, as git' '
	git -C repo worktree add -q ../gone subject-here-v1 &&
	rm -rf gone &&
	test_must_fail git -C repo branch -f subject-here-v1 base 2>giterr &&
	grep "$(pwd)/gone" giterr &&
	refs_of repo >before &&
	test_expect_code 1 kser apply --repo repo --onto base --force -v 1 thread.mbox 2>err &&
	cat err &&
	grep "cannot force update the branch .subject-here-v1. checked out at .$(pwd)/gone.$" err &&
	refs_of repo >after && test_cmp before after &&
	git -C repo worktree prune &&
	kser apply --repo repo --onto base --force -v 1 thread.mbox
'

test_expect_success 'a patch sent twice: the first is applied, as b4 does, and the output says so' '
	cp thread.mbox twice.mbox &&
	sed "s/^Subject: \[PATCH v2 1\/3\] f: spell three/Subject: [PATCH v2 1\/3] f: spell three, resent/" \
		v2/v2-0001-*.patch | sed "s/^Message-Id: <\(.*\)>/Message-Id: <again-\1>/" >>twice.mbox &&
	kser apply --repo repo --onto base --branch twice twice.mbox >out &&
	grep "^note: patch 1/3 appears more than once: using .twice.mbox. mail [0-9]*, ignoring .twice.mbox. mail [0-9]*" out &&
	grep "^\[1/3\] [0-9a-f]* f: spell three$" out
'

test_expect_success 'SIGINT during one long patch: kser stops at once and leaves no branch' '
	# 30,000 new files: seconds of work in one patch even on a quiet
	# machine (4,000 took 0.3 s, and the signal came after the end).
	mkdir -p huge &&
	awk "BEGIN {
		print \"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\"
		print \"From: A U Thor <author@example.com>\"
		print \"Date: Thu, 7 Apr 2005 15:13:13 -0700\"
		print \"Subject: [PATCH] add many files\n\n---\"
		for (i = 0; i < 30000; i++)
			printf \"diff --git a/many/f%d b/many/f%d\nnew file mode 100644\n--- /dev/null\n+++ b/many/f%d\n@@ -0,0 +1 @@\n+line %d\n\", i, i, i, i
		print \"-- \n2.39.5\n\"
	}" >huge/0001-add-many-files.patch &&
	refs_of repo >before &&
	{ kser apply --repo repo --onto base --branch huge-applied huge/*.patch >out 2>err & } &&
	pid=$! &&
	sleep 1 && kill -INT $pid &&
	n=0 && while kill -0 $pid 2>/dev/null && test $n -lt 200; do sleep 0.1; n=$((n + 1)); done &&
	if kill -0 $pid 2>/dev/null; then kill -9 $pid; echo "still running 20 s after SIGINT"; false; fi &&
	{ wait $pid; rc=$?; } &&
	cat err && echo "exit $rc" &&
	test $rc -ne 0 && grep "interrupted" err &&
	refs_of repo >after && test_cmp before after
'

test_expect_success 'git fsck --strict: every object kser wrote above passes' '
	fsck_strict repo
'

test_done
