#!/bin/bash
test_description='kser export: verified mails, as git format-patch and b4 write them

A mini kernel with the real checkpatch.pl and get_maintainer.pl of the
installed Linux sources, a two-version series verified with kser verify,
exported with kser export; then the round trips: git format-patch byte
for byte, git am to the same commits, b4 am, checkpatch, kser diff.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"
. "$KSER_TOP/tools/tests/e2e/minikernel.sh"

# kbuild cannot build in sharness's trash directory (it has a space).
vdir=$(mktemp -d /tmp/kser-t6100.XXXXXX)
trap 'rm -rf "$vdir"' EXIT

# The kernel's own scripts, from Debian's linux-source.
tarball=/usr/src/linux-source-6.12.tar.xz
if test -f "$tarball" &&
   tar -xJf "$tarball" -C "$vdir" --wildcards '*/scripts/checkpatch.pl' \
	'*/scripts/get_maintainer.pl' '*/scripts/spelling.txt' \
	'*/scripts/const_structs.checkpatch' 2>/dev/null
then
	kscripts=$(echo "$vdir"/*/scripts)
	test_set_prereq KSCRIPTS
fi

sender="A U Thor <author@example.com>"
cat >series.conf <<-\EOF
[series]
	name = mini
	kunitconfig = .kunitconfig
	checkpatch = --strict
	change-id = 20231114-mini-0123456789ab
[mail]
	from = A U Thor <author@example.com>
	to = Series Person <series@example.org>
	cc = other-list@lists.example.org
	signature = kser test
EOF

export_v () {
	kser export --repo repo --series series.conf "$@"
}

# Commits what changed in repo, by $1 <$2>, with subject $3 and body $4.
commit_by () {
	git -C repo add -A && test_tick &&
	GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" \
	git -C repo commit -q -m "$3" -m "$4" -m "Signed-off-by: $1 <$2>"
}

joerg="Jörg Müller"

test_expect_success KSCRIPTS 'setup: a mini kernel with the kernel'"'"'s scripts' '
	git init -q repo &&
	git -C repo config kser.verifyDir "$vdir/verify" &&
	make_minikernel repo &&
	cp "$kscripts"/checkpatch.pl "$kscripts"/get_maintainer.pl \
		"$kscripts"/spelling.txt "$kscripts"/const_structs.checkpatch \
		repo/scripts/ &&
	for d in Documentation arch drivers fs init ipc kernel include
	do
		mkdir -p repo/$d && echo "$d" >repo/$d/README || return 1
	done &&
	for f in COPYING CREDITS Kbuild README
	do
		echo "$f" >repo/$f || return 1
	done &&
	printf "%s\n" "MINI LIBRARY" "M:	Mia Maintainer <mia@example.org>" \
		"R:	Rolf Reviewer <rolf@example.net>" \
		"L:	mini@lists.example.org" "S:	Maintained" "F:	lib/" "" \
		"THE REST" "M:	Linus Torvalds <torvalds@linux-foundation.org>" \
		"L:	linux-kernel@vger.kernel.org" "S:	Buried alive" \
		"F:	*" "F:	*/" >repo/MAINTAINERS &&
	commit_all repo base && git -C repo tag base
'

test_expect_success KSCRIPTS 'setup: v1 and v2 of a series, one patch by a non-ASCII name' '
	git -C repo checkout -q -b mini-v1 base &&
	sed -i "s/return 1;/return 2;/" repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: make helper return two" \
		"Its callers expect two." &&
	sed -i "s/return helper();/return helper() + 2;/" repo/lib/b.c &&
	commit_by "$joerg" joerg@example.de "lib: let b() add to the helper" \
		"b() wants more than the helper gives." &&

	git -C repo checkout -q -b mini-v2 base &&
	sed -i "s/return 1;/return 2;/" repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: make helper return two" \
		"Its callers expect two." &&
	sed -i "s/return helper();/return helper() + 1;/" repo/lib/b.c &&
	commit_by "$joerg" joerg@example.de "lib: let b() add to the helper" \
		"b() wants one more than the helper gives." &&
	printf "int b(void);\n" >>repo/include.h &&
	commit_by "A U Thor" author@example.com \
		"include: declare b() for the callers that are to come, in the shared header" \
		"Declare it where helper() is declared." &&
	git -C repo mv lib/b.c lib/bee.c &&
	sed -i "s/return helper() + 1;/return helper() + 1; \/* bee *\//" repo/lib/bee.c &&
	printf "%s\n" "" "MINI BEE" "M:	Bea Keeper <bea@example.org>" \
		"S:	Maintained" "F:	lib/bee.c" >>repo/MAINTAINERS &&
	commit_by "A U Thor" author@example.com "lib: rename b.c to bee.c" \
		"It is the bee function now, and Bea keeps it." &&
	git -C repo rev-list base..mini-v2 >v2-commits &&
	test_line_count = 4 v2-commits
'

test_expect_success KSCRIPTS 'an unverified series is refused, each patch named with what it lacks' '
	test_expect_code 1 export_v -o out base..mini-v2 2>err &&
	test_path_is_missing out &&
	grep "4 of 4 patches have not passed kser verify" err &&
	base=$(git -C repo rev-parse --short=12 base) &&
	tip=$(git -C repo rev-parse --short=12 mini-v2) &&
	grep "verify them (kser verify --series series.conf $base..$tip)" err &&
	for i in 1 2 3 4
	do
		grep "^  $i/4 [0-9a-f]\{12\} .*: build not verified; kunit not verified; checkpatch not verified$" err ||
		return 1
	done
'

test_expect_success KSCRIPTS 'kser verify fills the cache (with the real checkpatch.pl)' '
	kser verify --repo repo --series series.conf --jobs 2 base..mini-v1 >out &&
	grep "^all passed" out &&
	kser verify --repo repo --series series.conf --jobs 2 base..mini-v2 >out &&
	grep "^all passed" out
'

test_expect_success KSCRIPTS 'a cached build whose reference build is not cached is not verified' '
	kser verify --repo repo --series series.conf --json v.json \
		base..mini-v2 >out &&
	key=$(python3 -c "import json, sys
print(*[r[\"key\"] for r in json.load(open(sys.argv[1]))[\"records\"]
        if r[\"base\"] and r[\"check\"] == \"build\"])" v.json) &&
	test -n "$key" &&
	saved=$(git -C repo rev-parse refs/kser/verify/$key) &&
	test_when_finished "git -C repo update-ref refs/kser/verify/$key $saved" &&
	git -C repo update-ref -d refs/kser/verify/$key &&
	test_expect_code 1 export_v -o out-gate base..mini-v2 2>err &&
	test_path_is_missing out-gate &&
	grep "1 of 4 patches have not passed kser verify" err &&
	grep "^  1/4 [0-9a-f]\{12\} lib: make helper return two: build not verified" err &&
	! grep "^  [234]/4" err
'

test_expect_success KSCRIPTS 'a base that fails to build, as kser verify allows, does not stop the gate' '
	git -C repo checkout -q -b broken base &&
	echo "this does not compile" >>repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: break the build" "On purpose." &&
	git -C repo checkout -q -b mini-mend broken &&
	sed -i "\$d" repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: mend the build" \
		"The line before would not compile." &&
	kser verify --repo repo --series series.conf --jobs 2 broken..mini-mend \
		>out 2>&1 &&
	grep "^all passed" out &&
	grep "^\[0/1\] build: fail" out &&
	printf "Mend\n\nMends the build.\n" >cover-mend &&
	export_v --no-auto-cc --cover cover-mend -o out-mend broken..mini-mend 2>err &&
	test_path_is_file out-mend/v1-0001-lib-mend-the-build.patch &&
	git -C repo checkout -q mini-v2
'

test_expect_success KSCRIPTS 'v1, then v2: a cover letter and one file per patch, named as git names them' '
	printf "Mini series\n\nMakes helper() return two.\n" >cover-v1 &&
	export_v -v 1 --cover cover-v1 -o v1 base..mini-v1 >out &&
	printf "Mini series\n\nMakes helper() return two, and more.\n\nChanges in v2:\n- Let b() add one only.\n" >cover-v2 &&
	export_v -v 2 --cover cover-v2 -o v2 base..mini-v2 >out 2>err &&
	cat err &&
	git -C repo -c core.abbrev=12 format-patch -q --cover-letter -v2 -o ../git-v2 base..mini-v2 &&
	ls git-v2 >want && ls v2 >got && test_cmp want got &&
	sed "s|^v2/||" out >printed && test_cmp want printed
'

# The mail without the headers kser adds (Message-Id, threading; To and
# Cc are taken out by the caller) and with git's folded Subject unfolded:
# kser does not fold it (b4 0.12 cannot read a folded Subject).
comparable () {
	sed -e "/^Message-Id: /d" -e "/^In-Reply-To: /d" -e "/^References: /d" "$1" |
	awk 'BEGIN { h = 1 }
		h && /^ / && last ~ /^Subject: / { last = last $0; next }
		h && /^ / { last = last "\n" $0; next }
		{ if (NR > 1) print last; last = $0 }
		h && /^$/ { h = 0 }
		END { print last }' | sed "s/^\(Subject: .*\)  */\1 /"
}

test_expect_success KSCRIPTS 'each patch is git format-patch'"'"'s, to the byte, but for the headers kser adds' '
	git -C repo -c core.abbrev=12 format-patch -q -v2 --from="$sender" --signature="kser test" \
		-o ../gp base..mini-v2 &&
	for f in v2/v2-000[1-9]-*
	do
		b=$(basename $f) &&
		comparable gp/$b >want &&
		comparable $f | sed "/^To: /,/^$/{/^$/!d}" >got &&
		test_cmp want got || return 1
	done
'

test_expect_success KSCRIPTS 'the non-ASCII author: RFC 2047 in no header, the in-body From as git writes it' '
	f=$(ls v2/v2-0002-*) &&
	grep "^From: A U Thor <author@example.com>$" $f &&
	sed -n "/^$/,\$p" $f | sed -n 2p >inbody &&
	echo "From: $joerg <joerg@example.de>" >want &&
	test_cmp want inbody &&
	grep "^Content-Type: text/plain; charset=UTF-8$" $f
'

test_expect_success KSCRIPTS 'shallow threading: every patch answers the cover letter' '
	id=$(sed -n "s/^Message-Id: //p" v2/v2-0000-cover-letter.patch) &&
	for f in v2/v2-000[1-9]-*
	do
		grep "^In-Reply-To: $id$" $f && grep "^References: $id$" $f ||
		return 1
	done &&
	sed -n "s/^Message-Id: //p" v2/* | sort -u >ids &&
	test_line_count = 5 ids
'

test_expect_success KSCRIPTS 'Message-Ids come from the change-id, the version and the number' '
	sed -n "s/^Message-Id: //p" v2/* >ids &&
	grep "^<20231114-mini-v2-0-[0-9a-f]\{8\}@example.com>$" ids &&
	grep "^<20231114-mini-v2-4-[0-9a-f]\{8\}@example.com>$" ids &&
	grep "^X-Change-ID: 20231114-mini-0123456789ab$" v2/v2-0000-cover-letter.patch
'

test_expect_success KSCRIPTS 'the same export twice is the same bytes' '
	export_v -v 2 --cover cover-v2 -o again base..mini-v2 >/dev/null &&
	diff -r v2 again
'

test_expect_success KSCRIPTS 'recipients: get_maintainer.pl people to To, lists to Cc, as b4 splits them' '
	sed -n "/^To: /,/^$/p" v2/v2-0001-* >rcpt &&
	cat >want <<-\EOF &&
	To: Series Person <series@example.org>,
	    Mia Maintainer <mia@example.org>,
	    Rolf Reviewer <rolf@example.net>
	Cc: other-list@lists.example.org,
	    mini@lists.example.org,
	    linux-kernel@vger.kernel.org

	EOF
	test_cmp want rcpt &&
	sed -n "/^To: /,/^$/p" v2/v2-0003-* >rcpt &&
	cat >want <<-\EOF &&
	To: Series Person <series@example.org>
	Cc: other-list@lists.example.org,
	    linux-kernel@vger.kernel.org

	EOF
	test_cmp want rcpt &&
	grep "^    Bea Keeper <bea@example.org>" v2/v2-0004-* &&
	! grep -i torvalds v2/* &&
	sed -n "/^To: /,/^$/p" v2/* >all-rcpt &&
	! grep "author@example.com" all-rcpt
'

test_expect_success KSCRIPTS 'the cover letter goes to everyone, each once' '
	sed -n "/^To: /,/^X-Change-ID: /p" v2/v2-0000-cover-letter.patch >rcpt &&
	cat >want <<-\EOF &&
	To: Series Person <series@example.org>,
	    Mia Maintainer <mia@example.org>,
	    Rolf Reviewer <rolf@example.net>,
	    Bea Keeper <bea@example.org>
	Cc: other-list@lists.example.org,
	    mini@lists.example.org,
	    linux-kernel@vger.kernel.org
	X-Change-ID: 20231114-mini-0123456789ab
	EOF
	test_cmp want rcpt
'

test_expect_success KSCRIPTS '--to, --cc and --no-auto-cc' '
	export_v -v 2 --cover cover-v2 --no-auto-cc --to "New One <new@example.org>" \
		--cc series@example.org --cc "Late <late@example.org>" --stdout \
		base..mini-v2 >mbox &&
	sed -n "/^To: /,/^$/p" mbox | grep -v "^X-" | LC_ALL=C sort -u >rcpt &&
	cat >want <<-\EOF &&

	    Late <late@example.org>
	    New One <new@example.org>
	Cc: other-list@lists.example.org,
	To: Series Person <series@example.org>,
	EOF
	test_cmp want rcpt &&
	! grep "Mia" mbox
'

test_expect_success KSCRIPTS 'the cover letter: b4'"'"'s layout, the range-diff against v1, b4'"'"'s trailers' '
	c=v2/v2-0000-cover-letter.patch &&
	v1id=$(sed -n "s/^Message-Id: <\(.*\)>$/\1/p" v1/v1-0000-cover-letter.patch) &&
	sed -n "/^$/,\$p" $c | sed 1d >body &&
	sed -n "1,/^---$/p" body >top &&
	cat >want <<-EOF &&
	Makes helper() return two, and more.

	Changes in v2:
	- Let b() add one only.
	- Link to v1: https://lore.kernel.org/r/$v1id

	---
	EOF
	test_cmp want top &&
	grep -n "^A U Thor (3):$\|^$joerg (1):$\|^ 4 files changed\|^Range-diff against v1:$\|^base-commit: \|^change-id: \|^-- $" body |
		cut -d: -f2- >order &&
	cat >want <<-EOF &&
	A U Thor (3):
	$joerg (1):
	 4 files changed, 8 insertions(+), 2 deletions(-)
	Range-diff against v1:
	base-commit: $(git -C repo rev-parse base)
	change-id: 20231114-mini-0123456789ab
	-- 
	EOF
	test_cmp want order &&
	sed -n "/^[A-Z].* ([0-9]*):$/,/^ [0-9]* files changed/p" body >got &&
	sed -n "/^[A-Z].* ([0-9]*):$/,/^ [0-9]* files changed/p" \
		git-v2/v2-0000-cover-letter.patch >want &&
	test_cmp want got
'

test_expect_success KSCRIPTS 'with --prev REV the range-diff is git format-patch --range-diff'"'"'s' '
	export_v -v 2 --cover cover-v2 --prev mini-v1 --stdout base..mini-v2 >mbox &&
	sed -n "/^Range-diff against v1:$/,/^base-commit: /p" mbox | sed "\$d" | sed "\$d" >got &&
	# git 2.39 compares with creation factor 60 here; later versions
	# with 999 (range-diff.h: CREATION_FACTOR_FOR_THE_SAME_SERIES), as
	# kser does.
	git -C repo -c core.abbrev=12 format-patch --stdout --cover-letter -v2 --range-diff=mini-v1 \
		--creation-factor=999 base..mini-v2 >git.mbox &&
	sed -n "/^Range-diff against v1:$/,/^-- $/p" git.mbox | sed "\$d" >want &&
	test_cmp want got &&
	grep "^1:  [0-9a-f]* = 1:  [0-9a-f]* lib: make helper return two$" got &&
	grep "^-:  -\{12\} > 3:  " got &&
	grep "^2:  [0-9a-f]* ! 4:  [0-9a-f]* lib: let b() add to the helper$" got
'

test_expect_success KSCRIPTS '--creation-factor and version.N.creation-factor are git range-diff'"'"'s' '
	export_v -v 2 --cover cover-v2 --prev mini-v1 --creation-factor 1 \
		--stdout base..mini-v2 >mbox &&
	sed -n "/^Range-diff against v1:$/,/^base-commit: /p" mbox | sed "\$d" | sed "\$d" >got &&
	git -C repo -c core.abbrev=12 format-patch --stdout --cover-letter -v2 --range-diff=mini-v1 \
		--creation-factor=1 base..mini-v2 >git.mbox &&
	sed -n "/^Range-diff against v1:$/,/^-- $/p" git.mbox | sed "\$d" >want &&
	test_cmp want got &&
	# At 1%, the reworked patch is no longer paired with its v1.
	grep "^2:  [0-9a-f]* < -:  -\{12\} lib: let b() add to the helper$" got &&
	cp series.conf cf.conf &&
	git config -f cf.conf version.2.creation-factor 1 &&
	kser export --repo repo --series cf.conf -v 2 --cover cover-v2 \
		--prev mini-v1 --stdout base..mini-v2 >mbox2 &&
	test_cmp mbox mbox2 &&
	git config -f cf.conf version.2.creation-factor 0 &&
	test_expect_code 1 kser export --repo repo --series cf.conf -v 2 \
		--cover cover-v2 --prev mini-v1 --stdout base..mini-v2 \
		>/dev/null 2>err &&
	grep "version.2.creation-factor .0. is not a percentage" err &&
	test_expect_code 2 export_v -v 2 --creation-factor 0 --stdout \
		base..mini-v2 >/dev/null 2>err &&
	grep "bad creation factor" err
'

test_expect_success KSCRIPTS 'git am of the export onto the base makes the same commits' '
	git clone -q repo am &&
	git -C am checkout -q base &&
	git -C am am -q --committer-date-is-author-date "$PWD"/v2/v2-000[1-9]-* &&
	git -C am rev-parse HEAD >got &&
	git -C repo rev-parse mini-v2 >want &&
	test_cmp want got
'

test_expect_success KSCRIPTS 'b4 am finds the series, its version, every patch and the base, without a warning' '
	cat v2/* >series.mbox &&
	mkdir b4out &&
	(cd repo && HOME="$PWD/.." GIT_CONFIG_COUNT=2 \
		GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0=Tester \
		GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=t@example.org \
		b4 am -m ../series.mbox -o ../b4out) >b4.log 2>&1 &&
	cat b4.log &&
	grep "^Total patches: 4$" b4.log &&
	grep "Base: using specified base-commit $(git -C repo rev-parse base)" b4.log &&
	! grep -i "warning\|error\|not known\|missing" b4.log &&
	ls b4out/v2_*.mbx &&
	grep -c "^Subject: \[PATCH v2 [1-4]/4\]" b4out/v2_*.mbx >n &&
	echo 4 >want && test_cmp want n
'

test_expect_success KSCRIPTS 'the tree'"'"'s checkpatch.pl --strict accepts every patch file' '
	for f in v2/v2-000[1-9]-*
	do
		(cd repo && perl scripts/checkpatch.pl --strict "../$f") >cp.log ||
		{ cat cp.log; return 1; }
	done
'

test_expect_success KSCRIPTS 'kser diff between the branch and the export pairs every patch with =' '
	kser diff --repo repo -s base..mini-v2 v2 >pairs &&
	cat pairs &&
	test_line_count = 4 pairs &&
	! grep -v "^[1-4]:  [0-9a-f]* = [1-4]:  v2-000[1-4] " pairs
'

test_expect_success KSCRIPTS 'the previous version defaults to vN-1/ beside the settings' '
	export_v -v 2 --cover cover-v2 --stdout base..mini-v2 >mbox &&
	grep "^Range-diff against v1:$" mbox &&
	grep "^ *1:  v1-0001 = 1:  [0-9a-f]* lib: make helper return two$" mbox
'

test_expect_success KSCRIPTS 'an unverified patch is exported with --force only, and the cover says so' '
	git -C repo checkout -q -b mini-more mini-v2 &&
	echo "/* more */" >>repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: one more comment" "For the record." &&
	test_expect_code 1 export_v -v 2 --cover cover-v2 -o forced base..mini-more 2>err &&
	grep "^  5/5 [0-9a-f]* lib: one more comment: build not verified; kunit not verified; checkpatch not verified$" err &&
	! grep "^  [1-4]/5" err &&
	test_path_is_missing forced &&
	export_v -v 2 --cover cover-v2 --force -o forced base..mini-more 2>err &&
	grep "have not passed kser verify" err &&
	c=forced/v2-0000-cover-letter.patch &&
	grep "^X-Kser-Unverified: " $c &&
	sed -n "/^---$/,/^A U Thor/p" $c >marked &&
	grep "^NOT VERIFIED: exported with kser export --force" marked &&
	grep "^  5/5 .*lib: one more comment: build not verified" marked
'

test_expect_success KSCRIPTS 'above its version'"'"'s base: prerequisite-patch-id lines as git format-patch --base writes them' '
	git -C repo checkout -q -b prereq base &&
	echo "/* first */" >>repo/lib/b.c &&
	commit_by "A U Thor" author@example.com "lib: a first prerequisite" "Needed." &&
	echo "/* second */" >>repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: a second prerequisite" "Needed too." &&
	git -C repo checkout -q -b mini-pre prereq &&
	sed -i "s/return 1;/return 2;/" repo/lib/a.c &&
	commit_by "A U Thor" author@example.com "lib: make helper return two" \
		"Its callers expect two." &&
	mkdir pre && cp series.conf pre/series.conf &&
	git config -f pre/series.conf version.3.base base &&
	kser export --repo repo --series pre -v 3 --cover cover-v2 --force \
		--no-auto-cc -o pre/out prereq..mini-pre 2>err &&
	git -C repo format-patch -q --cover-letter --base=base -o "$PWD/pre/git" \
		prereq..mini-pre &&
	sed -n "/^base-commit:/,/^-- $/p" pre/git/0000-cover-letter.patch |
		grep -v "^-- $" >expect &&
	test_line_count = 3 expect &&
	{
		sed -n 1p expect &&
		echo "change-id: 20231114-mini-0123456789ab" &&
		sed -n "2,\$p" expect
	} >expect.b4 &&
	sed -n "/^base-commit:/,/^-- $/p" pre/out/v3-0000-cover-letter.patch |
		grep -v "^-- $" >actual &&
	test_cmp expect.b4 actual &&
	git -C repo show prereq~1 | git patch-id --stable | cut -d" " -f1 >oldest &&
	sed -n 2p expect | grep "^prerequisite-patch-id: $(cat oldest)$"
'

test_expect_success KSCRIPTS 'control characters from users are refused, never written into headers' '
	test_expect_code 1 export_v -v 2 --cover cover-v2 --no-auto-cc \
		--to "$(printf "Evil\r\nBcc: victim@example.org") <e@example.org>" \
		--stdout base..mini-v2 >out 2>err &&
	grep "control character" err && test_must_be_empty out &&
	test_expect_code 1 export_v -v 2 --cover cover-v2 --no-auto-cc \
		--cc "not an address" --stdout base..mini-v2 >out 2>err &&
	grep "not an address" err &&
	printf "Evil\033]0;title\007\n\ntext\n" >cover-bad &&
	test_expect_code 1 export_v -v 2 --cover cover-bad --no-auto-cc \
		--stdout base..mini-v2 >out 2>err &&
	grep "subject holds a control character" err &&
	cp series.conf bad.conf &&
	git config -f bad.conf --add mail.cc "x@example.org
Bcc: victim@example.org" &&
	test_expect_code 1 kser export --repo repo --series bad.conf -v 2 \
		--cover cover-v2 --no-auto-cc --stdout base..mini-v2 >out 2>err &&
	grep "series settings.*control character" err &&
	test_must_be_empty out
'

test_expect_success KSCRIPTS 'an author name with a control character is refused' '
	git -C repo checkout -q -b mini-bad mini-v2 &&
	echo "/* bad */" >>repo/lib/a.c &&
	git -C repo add -A &&
	GIT_AUTHOR_NAME="$(printf "Bad\001Name")" git -C repo commit -q -m "lib: bad" &&
	test_expect_code 1 export_v -v 2 --cover cover-v2 --force --stdout \
		base..mini-bad >out 2>err &&
	grep "patch 5 .*: the author holds a control character" err
'

test_expect_success KSCRIPTS 'a range with a merge is refused' '
	git -C repo checkout -q -b side base &&
	echo side >repo/side.txt && commit_all repo side &&
	git -C repo checkout -q -b merged mini-v2 &&
	git -C repo merge -q --no-edit side &&
	test_expect_code 1 export_v --force --stdout base..merged 2>err &&
	grep "is a merge: a series is linear" err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 kser export &&
	test_expect_code 2 kser export -o a --stdout x..y &&
	test_expect_code 2 kser export -v 0 x..y &&
	kser help export >help && grep "^usage: kser export" help
'

test_done
