#!/bin/bash
test_description='kser rebase makes the commits git rebase makes

Each case is rebased by git rebase (default backend) and by kser rebase
from the same commits onto the same base, with the same committer and
date: the commit IDs must be equal (same trees, messages, authorship).
Where git stops with a conflict, kser must stop at the same patch with
the same conflicted paths, the same index stages and the same files.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

export GIT_EDITOR=true

# The fixture: one base, and for each case a topic branch tN and a new
# base uN. Built twice, identically, so git and kser each get their own.
make_fixture () {
	git init -q "$1" && (
	cd "$1" &&
	test_seq 1 40 >num &&
	test_seq 101 140 >other &&
	printf "line %s\n" $(test_seq 1 30) >ren &&
	printf "row %s\n" $(test_seq 1 30) >upren &&
	printf "#!/bin/sh\necho hi\n# a\n# b\n# c\n# d\n" >script &&
	head -c 3000 /dev/zero | tr "\0" "b" >blob.bin && printf "\0" >>blob.bin &&
	echo gone >doomed && echo kept >delmod &&
	mkdir dir && echo x >dir/x &&
	git add . && git commit -q -m base && git tag base &&

	# 1: clean picks with context offsets and a new file
	git checkout -q -b t1 base &&
	sed -i "s/^30$/thirty/" num && git commit -q -a -m "num: thirty" &&
	echo new >newfile && git add newfile &&
	git commit -q -m "add newfile" -m "A body.

Signed-off-by: A U Thor <author@example.com>" &&
	git checkout -q -b u1 base &&
	{ printf "top %s\n" 1 2 3 4 5; cat num; } >n && mv n num &&
	git commit -q -a -m "up: five lines on top" &&

	# 2: a rename on the topic side, an edit on the upstream side
	git checkout -q -b t2 base &&
	git mv ren ren2 && sed -i "s/^line 25$/line twenty-five/" ren2 &&
	git commit -q -a -m "ren: move to ren2" &&
	git checkout -q -b u2 base &&
	sed -i "s/^line 2$/line two/" ren && git commit -q -a -m "up: ren line 2" &&

	# 3: a rename on the upstream side, an edit on the topic side
	git checkout -q -b t3 base &&
	sed -i "s/^row 20$/row twenty/" upren && git commit -q -a -m "upren: row 20" &&
	git checkout -q -b u3 base &&
	mkdir moved && git mv upren moved/upren && sed -i "s/^row 1$/row one/" moved/upren &&
	git commit -q -a -m "up: move upren" &&

	# 4: mode changes, both sides
	git checkout -q -b t4 base &&
	chmod 755 script && git commit -q -a -m "script: executable" &&
	printf "echo more\n" >>script && git commit -q -a -m "script: more" &&
	git checkout -q -b u4 base &&
	sed -i "s/hi/hello/" script && git commit -q -a -m "up: script says hello" &&

	# 5: deletions; a deleted file the upstream modified conflicts
	git checkout -q -b t5 base &&
	git rm -q doomed && git commit -q -m "remove doomed" &&
	git rm -q delmod && git commit -q -m "remove delmod" &&
	git checkout -q -b u5 base &&
	echo changed >delmod && git commit -q -a -m "up: change delmod" &&

	# 6: binary files: clean, then a binary conflict
	git checkout -q -b t6 base &&
	printf "\1more" >>blob.bin && git commit -q -a -m "blob: more" &&
	git checkout -q -b u6 base &&
	sed -i "s/^5$/five/" num && git commit -q -a -m "up: num five" &&
	git checkout -q -b u6c base &&
	printf "\2other" >>blob.bin && git commit -q -a -m "up: blob other" &&

	# 7: a patch already upstream, a patch that becomes empty
	git checkout -q -b t7 base &&
	sed -i "s/^110$/one-ten/" other && git commit -q -a -m "other: 110" &&
	sed -i "s/^20$/twenty/" num && git commit -q -a -m "num: twenty" &&
	sed -i "s/^120$/one-twenty/" other && git commit -q -a -m "other: 120" &&
	git checkout -q -b u7 base &&
	sed -i "s/^20$/twenty/" num && git commit -q -a -m "up: num twenty (the same patch)" &&
	sed -i "s/^110$/one-ten/;s/^130$/one-thirty/" other &&
	git commit -q -a -m "up: other 110 and 130" &&

	# 8: a real conflict, then more patches
	git checkout -q -b t8 base &&
	sed -i "s/^10$/ten (topic)/" num && git commit -q -a -m "num: ten" &&
	sed -i "s/^35$/thirty-five/" num && git commit -q -a -m "num: thirty-five" &&
	echo "x2" >>dir/x && git commit -q -a -m "dir/x: more" &&
	git checkout -q -b u8 base &&
	sed -i "s/^10$/ten (upstream)/" num && git commit -q -a -m "up: num ten" &&

	# 9: nothing to do
	git checkout -q -b t9 base &&
	echo nine >>other && git commit -q -a -m "other: nine" &&

	git checkout -q --detach base
	)
}

# kser rebases BRANCH of repo k, git of repo g; the tips must be equal.
same_as_git_rebase () {
	local onto=$1 up=$2 br=$3 &&
	git -C g checkout -q --detach base &&
	git -C g rebase -q ${REBASE_OPTS:-} --onto "$onto" "$up" "$br" >git.out 2>&1 &&
	git -C g rev-parse "$br" >expect &&
	kser rebase --repo k ${REBASE_OPTS:-} --onto "$onto" --upstream "$up" "$br" >out &&
	cat out &&
	tail -n 1 out >actual &&
	test_cmp expect actual &&
	git -C k rev-parse "$br" >actual &&
	test_cmp expect actual &&
	git -C k fsck --strict --no-dangling
}

# git stops with a conflict: kser must stop at the same patch, with the
# same conflicted paths, index stages and files; both are left stopped.
same_stop_as_git () {
	local onto=$1 up=$2 br=$3 &&
	git -C g checkout -q --detach base &&
	test_must_fail git -C g rebase --onto "$onto" "$up" "$br" >git.out 2>&1 &&
	sed -n "s/^Could not apply \([0-9a-f]*\)\.\.\. .*/\1/p" git.out >expect.stop &&
	git -C g ls-files -s >expect.index &&
	git -C g status --porcelain >expect.status &&
	git -C k checkout -q --detach base &&
	test_expect_code 1 kser rebase --repo k --onto "$onto" --upstream "$up" "$br" >out &&
	cat out &&
	sed -n "s/^stopped at patch .* (\([0-9a-f]\{7\}\)[0-9a-f]*): conflict in$/\1/p" out >actual.stop &&
	test_cmp expect.stop actual.stop &&
	git -C k ls-files -s >actual.index &&
	test_cmp expect.index actual.index &&
	git -C k status --porcelain >actual.status &&
	test_cmp expect.status actual.status &&
	for f in $(git -C g diff --name-only --diff-filter=U); do
		test_cmp "g/$f" "k/$f" || return 1
	done
}

test_expect_success 'setup: the same fixture twice' '
	make_fixture g && make_fixture k &&
	refs_of g >g.refs && refs_of k >k.refs && test_cmp g.refs k.refs
'

test_expect_success 'clean picks across context offsets' '
	same_as_git_rebase u1 base t1 &&
	grep "^\[2/2\] .* add newfile$" out
'

test_expect_success 'the branch reflog and the old tip are kept' '
	git -C k reflog -1 --format=%gs t1 >msg &&
	grep "^rebase (finish): refs/heads/t1 onto $(git -C k rev-parse u1)$" msg &&
	git -C k rev-parse refs/kser/rebase/t1/orig >orig &&
	git -C k rev-parse t1@{1} >old &&
	test_cmp old orig &&
	git -C k rev-parse HEAD >head && git -C k rev-parse base >expect &&
	test_cmp expect head
'

test_expect_success 'a rename on the topic side follows the upstream edit' '
	same_as_git_rebase u2 base t2 &&
	git -C k show t2:ren2 >ren2 && grep "^line two$" ren2 &&
	grep "^line twenty-five$" ren2
'

test_expect_success 'an edit on the topic side follows an upstream rename' '
	same_as_git_rebase u3 base t3 &&
	git -C k show t3:moved/upren >f && grep "^row twenty$" f &&
	grep "^row one$" f
'

test_expect_success 'mode changes' '
	same_as_git_rebase u4 base t4 &&
	git -C k ls-tree t4 script >mode && grep "^100755 " mode
'

test_expect_success 'binary files, clean' '
	same_as_git_rebase u6 base t6
'

test_expect_success 'a patch already upstream is dropped when it becomes empty' '
	same_as_git_rebase u7 base t7 &&
	grep "^dropping $(git -C k rev-parse t7@{1}~1) num: twenty -- patch contents already upstream$" out
'

test_expect_success 'a patch with the patch-id of an upstream commit is left out' '
	git -C k branch t7b t7@{1} && git -C g branch t7b t7@{1} &&
	git -C g checkout -q --detach base &&
	git -C g rebase -q u7 t7b &&
	git -C g rev-parse t7b >expect &&
	kser rebase --repo k --onto u7 --upstream u7 t7b >out &&
	cat out &&
	grep "^dropping .* num: twenty -- already upstream (same patch-id)$" out &&
	tail -n 1 out >actual && test_cmp expect actual
'

test_expect_success '--empty=keep keeps the emptied patch' '
	git -C k branch t7k t7b && git -C g branch t7k t7b &&
	REBASE_OPTS=--empty=keep same_as_git_rebase u7 base t7k
'

test_expect_success 'patch-ids: unchanged patches say so, changed ones too' '
	kser rebase --repo k --onto u6 --upstream base t9 >out &&
	grep "^\[1/1\] [0-9a-f]* other: nine$" out &&
	git -C k show t9 | git patch-id --stable >new &&
	git -C k show t9@{1} | git patch-id --stable >old &&
	test "$(cut -d" " -f1 new)" = "$(cut -d" " -f1 old)"
'

test_expect_success 'up to date: nothing moves' '
	git -C k rev-parse t9 >before &&
	kser rebase --repo k --onto u6 --upstream u6 t9 >out &&
	grep "is up to date" out &&
	git -C k rev-parse t9 >after && test_cmp before after
'

test_expect_success 'a deletion of a file upstream changed stops, as git does' '
	same_stop_as_git u5 base t5 &&
	grep "CONFLICT (modify/delete): delmod deleted in" out
'

test_expect_success '--skip drops the patch, as git rebase --skip' '
	git -C g rebase --skip >/dev/null 2>&1 &&
	kser rebase --repo k --skip >out &&
	git -C g rev-parse t5 >expect &&
	tail -n 1 out >actual && test_cmp expect actual &&
	git -C k status --porcelain >st && test_must_be_empty st
'

test_expect_success 'a binary conflict stops with ours in the work tree' '
	same_stop_as_git u6c base t6 &&
	git -C g rebase --abort && kser rebase --repo k --abort
'

test_expect_success 'a real conflict, resolved the same way, gives the same commits' '
	same_stop_as_git u8 base t8 &&
	grep "CONFLICT (content): Merge conflict in num" out &&
	grep "^<<<<<<< HEAD$" k/num &&
	test_expect_code 1 kser rebase --repo k --continue 2>err &&
	grep "is not resolved yet" err &&
	for r in g k; do
		sed -i "/^<<<<<<<\|^=======\|^>>>>>>>/d;/^ten (upstream)$/d" $r/num &&
		git -C $r add num || return 1
	done &&
	git -C g rebase --continue >/dev/null 2>&1 &&
	kser rebase --repo k --continue >out &&
	cat out &&
	git -C g rev-parse t8 >expect &&
	tail -n 1 out >actual && test_cmp expect actual &&
	git -C k fsck --strict --no-dangling
'

test_expect_success '--continue refuses conflict markers left in a file' '
	git -C k branch -f t8m t8@{1} &&
	test_expect_code 1 kser rebase --repo k --onto u8 --upstream base t8m &&
	git -C k add num &&
	test_expect_code 1 kser rebase --repo k --continue 2>err &&
	grep "still has conflict markers" err &&
	kser rebase --repo k --abort
'

test_expect_success '--abort restores branch, HEAD, index and work tree' '
	refs_of k >before.refs &&
	git -C k rev-parse HEAD >before.head &&
	test_expect_code 1 kser rebase --repo k --onto u8 --upstream base t8m &&
	test_must_fail git -C k symbolic-ref -q HEAD &&
	kser rebase --repo k --abort >out &&
	grep "aborted" out &&
	refs_of k >after.refs && test_cmp before.refs after.refs &&
	git -C k rev-parse HEAD >after.head && test_cmp before.head after.head &&
	git -C k status --porcelain >st && test_must_be_empty st &&
	test_expect_code 1 kser rebase --repo k --abort 2>err &&
	grep "no kser rebase in progress" err
'

test_expect_success 'a checked-out branch ends as after git rebase' '
	git -C k branch tc t1@{1} && git -C g branch tc t1@{1} &&
	git -C k checkout -q tc && git -C g checkout -q tc &&
	git -C g rebase -q --onto u1 base &&
	kser rebase --repo k --onto u1 --upstream base >out &&
	git -C g rev-parse HEAD >expect && git -C k rev-parse HEAD >actual &&
	test_cmp expect actual &&
	git -C k symbolic-ref HEAD >ref && echo refs/heads/tc >expect &&
	test_cmp expect ref &&
	git -C g ls-files -s >expect && git -C k ls-files -s >actual &&
	test_cmp expect actual &&
	git -C g status --porcelain >expect && git -C k status --porcelain >actual &&
	test_cmp expect actual && test_must_be_empty actual &&
	test_cmp g/num k/num && test_cmp g/newfile k/newfile
'

test_expect_success 'a dirty work tree is refused, as git refuses it' '
	git -C k branch -f tc t1@{1} 2>/dev/null || git -C k reset -q --hard t1@{1} &&
	echo dirt >>k/other &&
	git -C k rev-parse tc >before &&
	test_expect_code 2 kser rebase --repo k --onto u1 --upstream base 2>err &&
	grep "has changes to .other." err &&
	git -C k rev-parse tc >after && test_cmp before after &&
	git -C k checkout -q other && git -C k checkout -q --detach base
'

test_expect_success 'a conflict in a checked-out branch, resolved to nothing' '
	git -C k branch t8c t8@{1} && git -C g branch t8c t8@{1} &&
	git -C k checkout -q t8c && git -C g checkout -q t8c &&
	test_must_fail git -C g rebase --onto u8 base >/dev/null 2>&1 &&
	test_expect_code 1 kser rebase --repo k --onto u8 --upstream base &&
	for r in g k; do
		sed -i "/^<<<<<<<\|^=======\|^>>>>>>>/d;/^ten (topic)$/d" $r/num &&
		git -C $r add num || return 1
	done &&
	git -C g rebase --continue >/dev/null 2>&1 &&
	kser rebase --repo k --continue &&
	git -C g rev-parse HEAD >expect && git -C k rev-parse HEAD >actual &&
	test_cmp expect actual &&
	git -C k symbolic-ref HEAD >ref && echo refs/heads/t8c >expect &&
	test_cmp expect ref &&
	git -C g ls-files -s >expect && git -C k ls-files -s >actual &&
	test_cmp expect actual &&
	git -C k status --porcelain >st && test_must_be_empty st &&
	git -C k checkout -q --detach base
'

test_expect_success 'a bare repository resolves in a work tree kser names' '
	git clone -q --bare k bare.git &&
	test_expect_code 1 kser rebase --repo bare.git --onto u8 --upstream base t8m >out &&
	grep "made a work tree for the resolution" out &&
	wt=$(sed -n "/made a work tree/{n;s/^ *//;p}" out) &&
	test -d "$wt" && grep "^<<<<<<< HEAD$" "$wt/num" &&
	git -C "$wt" status --porcelain >st && grep "^UU num$" st &&
	sed -i "/^<<<<<<<\|^=======\|^>>>>>>>/d;/^ten (upstream)$/d" "$wt/num" &&
	git -C "$wt" add num &&
	kser rebase --repo bare.git --continue >out &&
	test_path_is_missing "$wt" &&
	git -C bare.git rev-parse t8m >actual && git -C k rev-parse t8 >expect &&
	test_cmp expect actual &&
	git -C bare.git fsck --strict --no-dangling
'

test_expect_success 'a second rebase while one is stopped is refused' '
	test_expect_code 1 kser rebase --repo k --onto u8 --upstream base t8m &&
	test_expect_code 1 kser rebase --repo k --onto u1 --upstream base t1 2>err &&
	grep "already in progress" err &&
	kser rebase --repo k --abort
'

test_expect_success 'no upstream: the base kser apply recorded, or an error' '
	test_expect_code 2 kser rebase --repo k --onto u1 t9 2>err &&
	grep "use --upstream REV" err &&
	git -C k config branch.t9.kserbase "$(git -C k rev-parse base)" &&
	git -C k branch -f t9 t9@{1} &&
	kser rebase --repo k --onto u1 t9 >out &&
	grep "^\[1/1\]" out
'

# Imported trees have commit dates out of order; libgit2's revision walk
# then let the upstream's own commits through, and a patch the branch
# reapplies was taken for one already upstream.
test_expect_success 'upstream commits dated after the branch are not upstream of it' '
	for r in g2 k2; do
		git init -q $r &&
		test_seq 1 20 >$r/f && git -C $r add f &&
		GIT_COMMITTER_DATE="@1800000000 +0000" git -C $r commit -q -m root &&
		echo L >>$r/f &&
		GIT_COMMITTER_DATE="@1800000060 +0000" git -C $r commit -q -a -m "add L" &&
		git -C $r tag up &&
		git -C $r checkout -q -b topic &&
		git -C $r revert --no-edit HEAD >/dev/null &&
		for i in 1 2 3 4 5 6 7 8; do
			echo $i >>$r/g && git -C $r add g &&
			git -C $r commit -q -m "g: $i" || return 1
		done &&
		echo L >>$r/f && git -C $r commit -q -a -m "add L again" &&
		git -C $r checkout -q -b new up~1 &&
		echo other >$r/o && git -C $r add o && git -C $r commit -q -m other &&
		git -C $r checkout -q --detach up || return 1
	done &&
	git -C g2 rebase -q --onto new up topic &&
	git -C g2 rev-parse topic >expect &&
	kser rebase --repo k2 --onto new --upstream up topic >out &&
	cat out && grep "^\[10/10\] .* add L again" out &&
	tail -n 1 out >actual && test_cmp expect actual
'

# The crash test: kser kills itself at its Nth crash point (a hook only
# the test build has); whatever N, the branch is at its old tip or its
# new one, the repository is sound, and --abort (or --continue) works.
test_expect_success 'kill -9 at every point: never half a rebase' '
	git -C k checkout -q --detach base &&
	git -C k branch -f tk t8@{1} &&
	old=$(git -C k rev-parse tk) &&
	n=1 && while test $n -le 30; do
		KSER_TEST_CRASH_AT=$n kser rebase --repo k --onto u8 --upstream base tk >/dev/null 2>&1
		tip=$(git -C k rev-parse tk) &&
		test "$tip" = "$old" || { echo "moved at $n"; return 1; }
		git -C k fsck --strict --no-dangling >/dev/null 2>&1 || { echo "fsck at $n"; return 1; }
		if kser rebase --repo k --abort >/dev/null 2>&1; then :; fi
		test "$(git -C k rev-parse tk)" = "$old" || return 1
		git -C k status --porcelain >st && test_must_be_empty st || return 1
		test "$(git -C k rev-parse HEAD)" = "$(git -C k rev-parse base)" || return 1
		n=$((n + 1))
	done
'

test_expect_success 'kill -9 while finishing a checked-out rebase' '
	git -C k branch -f tf t1@{1} && git -C k checkout -q tf &&
	old=$(git -C k rev-parse tf) &&
	n=1 && while test $n -le 12; do
		KSER_TEST_CRASH_AT=$n kser rebase --repo k --onto u1 --upstream base >/dev/null 2>&1
		status=$?
		tip=$(git -C k rev-parse tf) &&
		git -C k fsck --strict --no-dangling >/dev/null 2>&1 || return 1
		if test $status = 0; then
			test "$tip" != "$old" || return 1
		else
			kser rebase --repo k --abort >/dev/null 2>&1
			test "$(git -C k rev-parse tf)" = "$old" || { echo "at $n"; return 1; }
		fi
		git -C k status --porcelain >st && test_must_be_empty st || { echo "dirty at $n"; cat st; return 1; }
		git -C k reset -q --hard "$old" &&
		n=$((n + 1))
	done &&
	git -C k checkout -q --detach base
'

test_expect_success 'usage errors' '
	test_expect_code 2 kser rebase --repo k &&
	test_expect_code 2 kser rebase --repo k --continue --abort &&
	test_expect_code 2 kser rebase --repo k --onto u1 --empty=maybe t1 &&
	test_expect_code 1 kser rebase --repo k --onto nosuch --upstream base t1 &&
	kser help rebase >help && grep "^usage: kser rebase" help
'

test_done
