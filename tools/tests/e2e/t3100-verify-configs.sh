#!/bin/bash
test_description='kser verify: configurations beside series.conf, build-only, since,
versions, logs by key, KUnit expectations, ranges, the real checkpatch.pl'
. "$KSER_TOP/tools/tests/e2e/lib.sh"
. "$KSER_TOP/tools/tests/e2e/minikernel.sh"

vdir=$(mktemp -d /tmp/kser-t3100.XXXXXX)
trap 'rm -rf "$vdir" "$vdir"-*' EXIT

# The settings and the fragment live in series/, outside the tree.
write_conf () {
	cat >series/series.conf <<-EOF
	[series]
		kunitconfig = .kunitconfig
		checkpatch = --strict
	[verify]
		buildTimeout = 60
		kunitTimeout = 10
	[version "1"]
		base = base
	[version "2"]
		base = base
		verify = default frag
	[verify "frag"]
		kconfig = configs/frag.config
		kunit = false
		since = $1
	EOF
}

verify () {
	kser verify --repo repo --series series --jobs 2 "$@"
}

# JSON check: the field of the record of patch N, check C.
field () {
	python3 - "$1" "$2" "$3" "$4" <<-\EOP
	import json, sys
	r = json.load(open(sys.argv[1]))
	x = [x for x in r["records"]
	     if x["patch"] == int(sys.argv[2]) and x["check"] == sys.argv[3]][0]
	print(x.get(sys.argv[4]))
	EOP
}

test_expect_success 'setup: frag/ does not build at the base, its fix, and a patch' '
	git init -q repo &&
	git -C repo config kser.verifyDir "$vdir" &&
	make_minikernel repo && mkdir repo/frag &&
	printf "int f(void)\n{\n\treturn missing_thing;\n}\n" >repo/frag/f.c &&
	commit_all repo base && git -C repo tag base &&
	printf "int f(void)\n{\n\tint unused;\n\treturn 0;\n}\n" >repo/frag/f.c &&
	commit_all repo "frag: fix f" &&
	printf "int c(void)\n{\n\treturn 3;\n}\n" >repo/lib/c.c &&
	commit_all repo "lib: add c" && git -C repo tag good &&
	mkdir -p series/configs &&
	printf "CONFIG_FRAG=y\n" >series/configs/frag.config &&
	write_conf 1 &&
	test_must_fail git -C repo cat-file -e good:configs/frag.config
'

test_expect_success 'a fragment beside series.conf: its own build column, no KUnit one' '
	verify --json r.json base..good >out 2>err &&
	cat out &&
	head -n 1 out >h &&
	grep "build  *kunit  *checkpatch  *build:frag *$" h &&
	! grep "kunit:frag" h &&
	grep "^CONFIG_FRAG=y$" "$vdir/build-frag/.config" &&
	! grep CONFIG_FRAG "$vdir/build-default/.config" &&
	test_path_is_file "$vdir/build-frag/frag/f.o" &&
	test_path_is_missing "$vdir/build-default/frag/f.o" &&
	test_expect_code 2 verify --checks kunit:frag base..good 2>err &&
	grep "unknown check .kunit:frag." err
'

test_expect_success 'a base that does not build there is shown, and does not fail the run' '
	grep "^base  base  *ok  *[0-9.]*s  *-  *-  *FAIL\*" out &&
	grep "^   1  frag: fix f  *ok.*ok.*ok.*ok" out &&
	grep "^all passed" out &&
	grep "frag/f.c:3: .missing_thing. undeclared.*(expected)" out &&
	test "$(field r.json 0 build:frag status)" = fail &&
	test "$(field r.json 0 build:frag expected_failure)" = True &&
	test "$(field r.json 1 build:frag expected_failure)" = None
'

test_expect_success 'the first patch that builds is compared with no earlier build' '
	field r.json 1 build:frag summary >s &&
	grep "built, 1 warning, no earlier build to compare with" s &&
	field r.json 2 build:frag summary >s &&
	grep "built, 1 warning, none new" s
'

test_expect_success 'the fragment'"'"'s content is in the key, not its place' '
	printf "CONFIG_FRAG=y\nCONFIG_OTHER=y\n" >series/configs/frag.config &&
	verify --checks build,build:frag base..good >out 2>err &&
	grep "^   1  frag: fix f  *ok  *cached  *ok  *[0-9.]*s" out &&
	grep "^CONFIG_OTHER=y$" "$vdir/build-frag/.config" &&
	mkdir -p elsewhere && cp -r series/* elsewhere/ &&
	kser verify --repo repo --series elsewhere --checks build:frag base..good >out 2>err &&
	grep "^   1  frag: fix f  *ok  *cached" out &&
	printf "CONFIG_FRAG=y\n" >series/configs/frag.config
'

test_expect_success 'a missing fragment is an error before any work' '
	mv series/configs/frag.config frag.keep &&
	test_expect_code 1 verify base..good 2>err &&
	grep "cannot read the configuration fragment .*configs/frag.config" err &&
	mv frag.keep series/configs/frag.config
'

test_expect_success 'since: a patch before it may fail, one from it on may not' '
	git -C repo checkout -q -b late base &&
	printf "int c(void)\n{\n\treturn 3;\n}\n" >repo/lib/c.c &&
	commit_all repo "lib: add c first" &&
	printf "int f(void)\n{\n\treturn 0;\n}\n" >repo/frag/f.c &&
	commit_all repo "frag: fix f later" &&
	test_expect_code 1 verify --checks build:frag base..late >out 2>err &&
	grep "^   1  lib: add c first  *FAIL [0-9]" out &&
	grep "^FAILED" out &&
	write_conf 2 &&
	verify --checks build:frag --json l.json base..late >out 2>err &&
	cat out &&
	grep "^   1  lib: add c first  *FAIL\*" out &&
	grep "^   2  frag: fix f later  *ok" out &&
	grep "frag must pass from patch 2 on" out &&
	test "$(field l.json 1 build:frag expected_failure)" = True &&
	write_conf 1
'

test_expect_success '--version: the configurations a version names, or the default alone' '
	verify --version 1 base..good >out 2>err &&
	head -n 1 out >h && ! grep "build:frag" h && grep checkpatch h &&
	verify --version 2 base..good >out 2>err &&
	head -n 1 out >h && grep "build:frag" h &&
	test_expect_code 2 verify --version 3 base..good 2>err &&
	grep "have no \[version \"3\"\]" err &&
	test_expect_code 2 kser verify --repo repo --version 2 base..good 2>err &&
	grep "needs --series" err
'

test_expect_success 'a run does not write over the logs of another' '
	git -C repo checkout -q -b brokenA good &&
	printf "int x(void)\n{\n\treturn aaa_undefined;\n}\n" >repo/lib/x.c &&
	commit_all repo "lib: add x, broken" &&
	git -C repo checkout -q -b brokenB good &&
	printf "int y(void)\n{\n\treturn bbb_undefined;\n}\n" >repo/lib/y.c &&
	commit_all repo "lib: add y, broken" &&
	test_expect_code 1 verify --checks build good..brokenA >outA 2>err &&
	test_expect_code 1 verify --checks build good..brokenB >outB 2>err &&
	logA=$(sed -n "s/^    log: //p" outA) && logB=$(sed -n "s/^    log: //p" outB) &&
	test -n "$logA" && test "$logA" != "$logB" &&
	grep aaa_undefined "$logA" && ! grep bbb_undefined "$logA" &&
	grep bbb_undefined "$logB" &&
	case $logA in "$vdir"/logs/[0-9a-f]*.log) ;; *) false ;; esac
'

test_expect_success 'a failed KUnit case says what KUnit expected, and where' '
	git -C repo checkout -q -b kexpect good &&
	python3 - repo/ktap.txt <<-\EOP &&
	import sys
	p = sys.argv[1]
	t = open(p).read().replace(
	    "[    0.200005]     ok 1 mini_one\n",
	    "[    0.200005]     # mini_one: EXPECTATION FAILED at ../src/lib/a.c:4\n"
	    "[    0.200005]     Expected helper() == 2, but\n"
	    "[    0.200005]         helper() == 1 (0x1)\n"
	    "[    0.200005]     not ok 1 mini_one\n").replace(
	    "] ok 1 mini\n", "] not ok 1 mini\n")
	open(p, "w").write(t)
	EOP
	commit_all repo "mini: expect 2" &&
	test_expect_code 1 verify --checks kunit --json k.json good..kexpect >out 2>err &&
	grep "1 failed, 0 passed: mini.mini_one failed: Expected helper() == 2, but" out &&
	python3 - <<-\EOP
	import json
	r = json.load(open("k.json"))
	k = [x for x in r["records"] if x["patch"] == 1 and x["check"] == "kunit"][0]
	m = k["messages"]
	assert len(m) == 1, m
	assert m[0]["file"] == "lib/a.c" and m[0]["line"] == 4, m
	assert m[0]["text"] == ("mini.mini_one: Expected helper() == 2, but\n"
	                        "    helper() == 1 (0x1)"), m
	EOP
'

# Imported trees have commit dates out of order: an upstream dated after
# the series, whose commits the walk alone would take for the range's.
test_expect_success 'base..tip is what tip has and base lacks, whatever the dates' '
	git init -q skew && git -C skew config kser.verifyDir "$vdir-skew" &&
	make_minikernel skew && git -C skew add -A &&
	GIT_COMMITTER_DATE="@1800000000 +0000" git -C skew commit -q -m root &&
	echo "/* up */" >>skew/lib/a.c &&
	GIT_COMMITTER_DATE="@1800000060 +0000" git -C skew commit -q -a -m up &&
	git -C skew checkout -q -b topic &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		echo "/* $i */" >>skew/lib/b.c &&
		git -C skew commit -q -a -m "b: $i" || return 1
	done &&
	git -C skew checkout -q -b new HEAD~11 &&
	printf "int o(void)\n{\n\treturn 0;\n}\n" >skew/lib/o.c &&
	git -C skew add -A && git -C skew commit -q -m "lib: add o" &&
	git -C skew rev-list new >all && git -C skew rev-list topic >hidden &&
	grep -v -F -f hidden all >own && test_line_count = 1 own &&
	kser verify --repo skew --checks build --json s.json topic..new >out 2>err &&
	cat out &&
	grep "^base  root " out && grep "^   1  lib: add o " out &&
	! grep "^   2 " out
'

# The kernel's own checkpatch.pl, on a tree that looks like a kernel's.
checkpatch_src=
if test -n "${KSER_CHECKPATCH_DIR:-}" && test -f "$KSER_CHECKPATCH_DIR/checkpatch.pl"; then
	checkpatch_src=$KSER_CHECKPATCH_DIR
elif test -r /usr/src/linux-source-6.12.tar.xz; then
	mkdir -p cpsrc &&
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C cpsrc --strip-components=2 \
		--wildcards "*/scripts/checkpatch.pl" "*/scripts/spelling.txt" \
		"*/scripts/const_structs.checkpatch" 2>/dev/null &&
	test -f cpsrc/checkpatch.pl && checkpatch_src=$PWD/cpsrc
fi
test -n "$checkpatch_src" && test_set_prereq CHECKPATCH

test_expect_success CHECKPATCH 'setup: a kernel-like tree with the real checkpatch.pl' '
	git init -q real && git -C real config kser.verifyDir "$vdir-real" &&
	make_minikernel real &&
	cp "$checkpatch_src"/checkpatch.pl "$checkpatch_src"/spelling.txt \
		"$checkpatch_src"/const_structs.checkpatch real/scripts/ &&
	for d in Documentation arch include drivers fs init ipc kernel; do
		mkdir -p real/$d && touch real/$d/.keep || return 1
	done &&
	touch real/COPYING real/CREDITS real/Kbuild real/README &&
	printf "MINI LIBRARY\nM:\tA U Thor <author@example.com>\nS:\tMaintained\nF:\tlib/\n" \
		>real/MAINTAINERS &&
	commit_all real "lib: the mini library" && git -C real tag base &&
	printf "// SPDX-License-Identifier: GPL-2.0\n#include \"include.h\"\nint helper(void)\n{\n\treturn 2;\n}\n" \
		>real/lib/a.c &&
	git -C real add -A && test_tick &&
	git -C real commit -q -F - <<-EOF &&
	lib: make helper() return 2

	The helper returned 1 since the mini library was added.

	Fixes: $(git -C real rev-parse --short=12 base) ("lib: the mini library")
	Signed-off-by: A U Thor <author@example.com>
	EOF
	git -C real tag fixes
'

test_expect_success CHECKPATCH 'a Fixes: tag names a commit of the user'"'"'s repository' '
	kser verify --repo real --checks checkpatch base..fixes >out 2>err &&
	cat out &&
	grep "^   1  lib: make helper() return 2  *ok" out &&
	# Where checkpatch.pl finds no repository, the same patch warns.
	git -C real format-patch -1 --stdout fixes >fixes.patch &&
	mkdir -p nogit && cp -r real/scripts nogit/ &&
	(cd nogit && perl scripts/checkpatch.pl --strict --show-types \
		--no-tree ../fixes.patch >../nogit.out; true) &&
	grep "UNKNOWN_COMMIT_ID" nogit.out
'

test_expect_success CHECKPATCH 'a new file an F: entry covers needs no MAINTAINERS change' '
	git -C real checkout -q -b newfile fixes &&
	printf "// SPDX-License-Identifier: GPL-2.0\nint n(void)\n{\n\treturn 4;\n}\n" >real/lib/n.c &&
	git -C real add -A && test_tick &&
	git -C real commit -q -m "lib: add n" -m "A function that returns 4." \
		-m "Signed-off-by: A U Thor <author@example.com>" &&
	git -C real tag n1 &&
	kser verify --repo real --checks checkpatch --json n.json fixes..n1 >out 2>err &&
	cat out &&
	grep "^   1  lib: add n  *ok" out &&
	python3 - <<-\EOP &&
	import json
	r = json.load(open("n.json"))
	d = r["records"][0]["details"]
	assert d["warnings"] == 0, d
	assert d["accepted"][0]["type"] == "FILE_PATH_CHANGES", d
	EOP
	mkdir -p real/other &&
	printf "// SPDX-License-Identifier: GPL-2.0\nint o(void)\n{\n\treturn 5;\n}\n" >real/other/o.c &&
	git -C real add -A && test_tick &&
	git -C real commit -q -m "other: add o" -m "A function that returns 5." \
		-m "Signed-off-by: A U Thor <author@example.com>" &&
	test_expect_code 1 kser verify --repo real --checks checkpatch n1..HEAD >out 2>err &&
	grep "FILE_PATH_CHANGES" out
'

test_done
