#!/bin/bash
test_description='kser verify: checks, cache, warnings, failures, interruption'
. "$KSER_TOP/tools/tests/e2e/lib.sh"
. "$KSER_TOP/tools/tests/e2e/minikernel.sh"

# The series settings: short timeouts so that hangs are quick to test.
cat >series.conf <<-\EOF
[series]
	kunitconfig = .kunitconfig
	checkpatch = --strict
[verify]
	buildTimeout = 20
	kunitTimeout = 5
EOF

verify () {
	kser verify --repo repo --series series.conf --jobs 2 "$@"
}

# Kills, by process group, what an orphaned build of ours left running
# (make's command line names our build directory), and waits for it to go.
kill_orphans () {
	own=$(ps -o pgid= $$ | tr -d " ")
	for i in $(test_seq 1 100); do
		pgids=$(ps -eo pgid=,args= | D="O=$vdir/" \
			awk 'index($0, ENVIRON["D"]) { print $1 }' | sort -u)
		test -n "$pgids" || return 0
		for g in $pgids; do
			test "$g" = "$own" || kill -KILL -- "-$g" 2>/dev/null
		done
		sleep 0.2
	done
	return 1
}

# The "sleep 60" of a slow build of ours still running (by its working
# directory: other test runs on the machine may have their own).
our_sleepers () {
	for p in $(pgrep -x sleep); do
		readlink "/proc/$p/cwd" 2>/dev/null
	done | grep -F "$vdir"
}

# kbuild, like make, cannot build in a path with spaces, and sharness's
# trash directory has one: builds go to a directory of their own.
vdir=$(mktemp -d /tmp/kser-t3000.XXXXXX)
trap 'rm -rf "$vdir" "$vdir"-*' EXIT

test_expect_success 'a verify directory with a space is refused, saying why' '
	git init -q spaced && make_minikernel spaced && commit_all spaced one &&
	echo x >>spaced/include.h && commit_all spaced two &&
	test_expect_code 2 kser verify --repo spaced HEAD~1..HEAD 2>err &&
	grep "kbuild cannot build in .* set kser.verifyDir" err
'

test_expect_success 'setup: a mini kernel and a three-patch series' '
	git init -q repo &&
	git -C repo config kser.verifyDir "$vdir" &&
	make_minikernel repo && commit_all repo "base" && git -C repo tag base &&
	printf "int c(void)\n{\n\treturn 3;\n}\n" >repo/lib/c.c &&
	commit_all repo "lib: add c" &&
	printf "/* a comment */\n" >>repo/lib/a.c &&
	commit_all repo "lib: comment a" &&
	printf "int d(void)\n{\n\treturn 4;\n}\n" >repo/lib/d.c &&
	commit_all repo "lib: add d" &&
	git -C repo tag good &&
	git -C repo status --porcelain >status-before &&
	refs_of repo | grep -v refs/kser >refs-before
'

test_expect_success 'every patch passes: table, exit 0, one row per patch' '
	verify base..good >out 2>err &&
	cat out &&
	grep "^   1  lib: add c  *ok  *[0-9.]*s  *ok  *[0-9.]*s  *ok  *[0-9.]*s" out &&
	grep "^   3  lib: add d" out &&
	grep "^base  base" out &&
	grep "^all passed: 10 checks ran, 0 from the cache" out
'

test_expect_success 'the user'"'"'s work tree, index and refs are untouched' '
	git -C repo status --porcelain >status-after &&
	test_cmp status-before status-after &&
	refs_of repo | grep -v refs/kser >refs-after &&
	test_cmp refs-before refs-after &&
	test_path_is_missing repo/build-default &&
	test_path_is_dir "$vdir/build-default" &&
	test_path_is_file "$vdir/src/lib/c.c"
'

test_expect_success 'results are stored in the repository under refs/kser/verify' '
	git -C repo for-each-ref refs/kser/verify >cache &&
	test_line_count = 10 cache
'

test_expect_success 'a second run answers from the cache and runs nothing' '
	verify base..good >out 2>err &&
	grep "^all passed: 0 checks ran, 10 from the cache" out &&
	grep "^   2  lib: comment a *ok  *cached  *ok  *cached  *ok  *cached" out
'

test_expect_success '--json: one record per patch and check, with the documented fields' '
	verify --json r.json --junit r.xml base..good >out &&
	python3 - <<-\EOP
	import json
	r = json.load(open("r.json"))
	assert r["kser_verify"] == 1 and r["passed"] is True
	assert r["checks"] == ["build", "kunit", "checkpatch"]
	recs = r["records"]
	assert len(recs) == 10, len(recs)
	for x in recs:
	    for k in ("patch", "commit", "subject", "check", "status",
	              "duration", "cached", "summary", "messages", "log"):
	        assert k in x, (k, x)
	k = [x for x in recs if x["check"] == "kunit" and x["patch"] == 1][0]
	assert k["details"]["passed"] == 1 and k["details"]["skipped"] == 1
	assert k["details"]["suites"][0]["name"] == "mini"
	EOP
	grep "<testsuite name=\"kser verify\" tests=\"10\" failures=\"0\"" r.xml &&
	grep -c "<testcase " r.xml >n && echo 10 >expect && test_cmp expect n
'

test_expect_success 'amending a patch in the middle reruns only from there' '
	git -C repo checkout -q -b amend good~1 &&
	printf "/* another comment */\n" >>repo/lib/a.c &&
	git -C repo add -A && test_tick &&
	git -C repo commit -q --amend --no-edit &&
	git -C repo cherry-pick good >/dev/null &&
	verify base..amend >out 2>err &&
	grep "^   1  lib: add c  *ok  *cached  *ok  *cached  *ok  *cached" out &&
	grep "^   2  lib: comment a  *ok  *[0-9.]*s  *ok  *[0-9.]*s  *ok  *[0-9.]*s" out &&
	grep "^   3  lib: add d  *ok  *[0-9.]*s  *ok  *[0-9.]*s  *ok  *cached" out &&
	grep "^all passed: 5 checks ran, 5 from the cache" out
'

test_expect_success 'a patch that adds a warning fails its build, by fingerprint' '
	git -C repo checkout -q -b warn good &&
	printf "int e(void)\n{\n\tint unused;\n\treturn 5;\n}\n" >repo/lib/e.c &&
	commit_all repo "lib: add e with a warning" &&
	test_expect_code 1 verify base..warn >out 2>err &&
	grep "^   4  lib: add e with a warning  *FAIL" out &&
	grep "new warning: lib/e.c:3: unused variable .unused." out
'

test_expect_success 'a warning that only moves is not new' '
	{ printf "/* moved down */\n\n"; cat repo/lib/e.c; } >e && mv e repo/lib/e.c &&
	commit_all repo "lib: move the warning down" &&
	test_expect_code 1 verify base..warn >out 2>err &&
	grep "^   5  lib: move the warning down  *ok" out &&
	{ verify --json w.json base..warn >/dev/null 2>&1; true; } &&
	python3 - <<-\EOP
	import json
	r = json.load(open("w.json"))
	b = [x for x in r["records"] if x["patch"] == 5 and x["check"] == "build"][0]
	assert b["status"] == "pass", b
	assert len(b["details"]["warnings"]) == 1, b
	assert b["details"]["new_warnings"] == [], b
	EOP
'

test_expect_success 'fixing one warning and adding another is still a new warning' '
	sed -i "s/int unused;/int unused2 = 0; (void)unused2;/" repo/lib/e.c &&
	printf "int f(void)\n{\n\tint also_unused;\n\treturn 6;\n}\n" >repo/lib/f.c &&
	commit_all repo "lib: swap one warning for another" &&
	test_expect_code 1 verify base..warn >out 2>err &&
	grep "^   6  lib: swap one warning for another  *FAIL" out &&
	grep "new warning: lib/f.c:3: unused variable .also_unused." out
'

test_expect_success 'a build error: file:line: message, and KUnit is skipped' '
	git -C repo checkout -q -b broken good &&
	printf "int g(void)\n{\n\treturn undefined_thing;\n}\n" >repo/lib/g.c &&
	commit_all repo "lib: add g, broken" &&
	test_expect_code 1 verify base..broken >out 2>err &&
	grep "^   4  lib: add g, broken  *FAIL  *[0-9.]*s  *skipped  *ok" out &&
	grep "lib/g.c:3: .undefined_thing. undeclared" out &&
	grep "log: $vdir/logs/[0-9a-f]\{40\}\.log" out
'

test_expect_success 'a failing KUnit case is named' '
	git -C repo checkout -q -b kfail good &&
	sed -i "s/    ok 1 mini_one/    not ok 1 mini_one # expected 2, got 3/;s/^\(.*\)ok 1 mini$/\1not ok 1 mini/" repo/ktap.txt &&
	commit_all repo "mini: break a test" &&
	test_expect_code 1 verify base..kfail >out 2>err &&
	grep "^   4  mini: break a test  *ok  *[0-9.]*s  *FAIL" out &&
	grep "1 failed, 0 passed: mini.mini_one failed (expected 2, got 3)" out
'

test_expect_success 'a kernel crash is reported with the line that says so' '
	git -C repo checkout -q -b crash good &&
	python3 - repo/ktap.txt <<-\EOP &&
	import sys
	p = sys.argv[1]
	lines = open(p).read().splitlines()[:7]
	lines.append("[    0.3] Kernel panic - not syncing: Segfault with no mm")
	open(p, "w").write("\n".join(lines) + "\n")
	EOP
	commit_all repo "mini: crash" &&
	test_expect_code 1 verify base..crash >out 2>err &&
	grep "crash: .*Kernel panic - not syncing" out
'

test_expect_success 'a kernel that hangs is stopped by the timeout' '
	git -C repo checkout -q -b hang good &&
	echo HANG >>repo/ktap.txt && commit_all repo "mini: hang" &&
	test_expect_code 1 verify --checks build,kunit base..hang >out 2>err &&
	grep "^   4  mini: hang  *ok  *[0-9.]*s  *TIME" out &&
	grep "did not finish within 5 s" out
'

test_expect_success 'a checkpatch finding fails the patch and names type, file and line' '
	git -C repo checkout -q -b style good &&
	printf "int h(void)\n{\n\treturn 8; /* BADSTYLE */\n}\n" >repo/lib/h.c &&
	commit_all repo "lib: add h" &&
	test_expect_code 1 verify base..style >out 2>err &&
	grep "0 errors, 1 warnings, 0 checks: BAD_STYLE lib/h.c:3: do not write BADSTYLE" out
'

test_expect_success '--checks runs only what it names; unknown names are usage errors' '
	verify --checks checkpatch base..good >out 2>err &&
	head -n 1 out >h && grep "checkpatch" h && ! grep "build" h &&
	test_expect_code 2 verify --checks build,frobnicate base..good 2>err &&
	grep "unknown check .frobnicate." err
'

test_expect_success '--no-cache runs everything again' '
	verify --no-cache base..good >out 2>err &&
	grep "^all passed: 10 checks ran, 0 from the cache" out
'

test_expect_success 'a second configuration from the settings adds its own columns' '
	git -C repo checkout -q -b second good &&
	printf "CONFIG_KUNIT=y\n" >repo/second.kunitconfig &&
	commit_all repo "add a second configuration" &&
	printf "int q(void)\n{\n\treturn 9;\n}\n" >repo/lib/q.c &&
	commit_all repo "lib: add q" &&
	{ cat series.conf; printf "[verify \"lean\"]\n\tkunitconfig = second.kunitconfig\n"; } >two.conf &&
	kser verify --repo repo --series two.conf second~1..second >out 2>err &&
	head -n 1 out >h &&
	grep "build  *kunit  *checkpatch  *build:lean  *kunit:lean" h &&
	grep "^   1  lib: add q  *ok.*ok.*ok.*ok.*ok" out &&
	test_path_is_dir "$vdir/build-lean" &&
	grep "^CONFIG_KUNIT=y$" "$vdir/build-lean/.config" &&
	! grep MINI "$vdir/build-lean/.config"
'

test_expect_success 'a configuration whose kunitconfig a commit lacks is an error there' '
	test_expect_code 1 kser verify --repo repo --series two.conf good..second >out 2>err &&
	grep "the commit has no kunitconfig .second.kunitconfig." out
'

test_expect_success 'on a terminal, a live line shows the patch, check and time' '
	git -C repo checkout -q -b pause good &&
	printf "/* PAUSE_BUILD */\nint p(void)\n{\n\treturn 0;\n}\n" >repo/lib/p.c &&
	commit_all repo "lib: add p, with a pause" &&
	script -qec "$KSER_BIN verify --repo repo --series series.conf --checks build base..pause" tty.out >/dev/null &&
	grep -a "\[4/4\] build lib: add p, with a pause  0:0" tty.out &&
	grep -a "$(printf "\r\033\\[K")" tty.out
'

test_expect_success 'a range that is not linear is refused before any work' '
	git -C repo checkout -q -b side base &&
	printf "x\n" >repo/side.txt && commit_all repo side &&
	git -C repo checkout -q good &&
	git -C repo merge -q --no-edit side &&
	git -C repo tag merged &&
	test_expect_code 1 verify base..merged 2>err &&
	grep "the range is not linear: [0-9a-f]* is a merge" err
'

test_expect_success 'a tree without checkpatch.pl or kunit is refused before any work' '
	git init -q notkernel && git -C notkernel config kser.verifyDir "$vdir-nk" &&
	echo x >notkernel/f && commit_all notkernel one &&
	echo y >notkernel/f && commit_all notkernel two &&
	test_expect_code 1 kser verify --repo notkernel HEAD~1..HEAD 2>err &&
	grep "has no scripts/checkpatch.pl: not a kernel tree" err
'

test_expect_success 'missing build tools are named before any work' '
	mkdir -p nobin &&
	for t in make gcc ld bison bc perl python3 git; do
		ln -sf "$(command -v $t)" nobin/$t || return 1
	done &&
	test_expect_code 1 env PATH="$PWD/nobin" "$KSER_BIN" verify --repo repo \
		--series series.conf base..good 2>err &&
	grep "missing tools: flex" err
'

test_expect_success 'a build that hangs is stopped by the timeout' '
	git -C repo checkout -q -b slow good &&
	printf "/* SLOW_BUILD */\nint s(void)\n{\n\treturn 0;\n}\n" >repo/lib/s.c &&
	commit_all repo "lib: add s, slowly" &&
	sed "s/buildTimeout = 20/buildTimeout = 2/" series.conf >fast.conf &&
	test_expect_code 1 kser verify --repo repo --series fast.conf base..slow >out 2>err &&
	grep "^   4  lib: add s, slowly  *TIME" out
'

test_expect_success 'a timeout is not cached: with more time the build runs again' '
	git -C repo checkout -q -b pause5 good &&
	printf "/* PAUSE5_BUILD */\nint p5(void)\n{\n\treturn 0;\n}\n" >repo/lib/p5.c &&
	commit_all repo "lib: add p5, taking 5 s" &&
	sed "s/buildTimeout = 20/buildTimeout = 1/" series.conf >short.conf &&
	test_expect_code 1 kser verify --repo repo --series short.conf \
		--checks build base..pause5 >out 2>err &&
	grep "^   4  lib: add p5, taking 5 s  *TIME  *[0-9.]*s" out &&
	verify --checks build base..pause5 >out 2>err &&
	grep "^   4  lib: add p5, taking 5 s  *ok  *[0-9.]*s" out
'

test_expect_success 'a kernel that hangs is not cached either' '
	git -C repo checkout -q hang &&
	test_expect_code 1 verify --checks build,kunit base..hang >out 2>err &&
	grep "^   4  mini: hang  *ok  *[0-9.]*s  *TIME  *[0-9.]*s" out
'

test_expect_success 'a tool the machine lacks is an error of the machine, never cached' '
	git -C repo checkout -q -b notool good &&
	printf "/* NEEDS_MISSING_TOOL */\nint t(void)\n{\n\treturn 0;\n}\n" >repo/lib/t.c &&
	commit_all repo "lib: add t, which needs a tool" &&
	test_expect_code 1 verify --checks build base..notool >out 2>err &&
	grep "^   4  lib: add t, which needs a tool  *ERR  *[0-9.]*s" out &&
	grep "kser-t3000-no-such-tool: not found" out &&
	test_expect_code 1 verify --checks build base..notool >out 2>err &&
	grep "^   4  lib: add t, which needs a tool  *ERR  *[0-9.]*s" out
'

test_expect_success 'a full disk is an error of the machine, never cached' '
	git -C repo checkout -q -b diskfull good &&
	printf "/* DISK_FULL */\nint df(void)\n{\n\treturn 0;\n}\n" >repo/lib/df.c &&
	commit_all repo "lib: add df, on a full disk" &&
	test_expect_code 1 verify --checks build base..diskfull >out 2>err &&
	grep "^   4  lib: add df, on a full disk  *ERR  *[0-9.]*s" out &&
	grep "No space left on device" out &&
	test_expect_code 1 verify --checks build base..diskfull >out 2>err &&
	grep "^   4  lib: add df, on a full disk  *ERR  *[0-9.]*s" out
'

test_expect_success 'a kernel killed from outside (the OOM killer) is an error, never cached' '
	git -C repo checkout -q -b oom good &&
	echo OOM_KILLED >>repo/ktap.txt && commit_all repo "mini: killed" &&
	test_expect_code 1 verify --checks kunit base..oom >out 2>err &&
	grep "^   4  mini: killed  *ok  *[0-9.]*s  *ERR  *[0-9.]*s" out &&
	grep "killed by signal 9" out &&
	test_expect_code 1 verify --checks kunit base..oom >out 2>err &&
	grep "^   4  mini: killed  *ok  *[0-9.]*s  *ERR  *[0-9.]*s" out
'

test_expect_success 'kser-cc: a record it cannot write or remove is its error' '
	mkdir -p cc && ln -sf "$KSER_BIN" cc/kser-cc &&
	printf "int w(void)\n{\n\tint unused;\n\treturn 0;\n}\n" >cc/w.c &&
	mkdir cc/w.o.kser-diag &&
	test_must_fail cc/kser-cc gcc -Wall -c cc/w.c -o cc/w.o 2>err &&
	grep "^kser-cc: error: cannot record the diagnostics of .cc/w.o." err &&
	test_path_is_missing cc/w.o &&
	printf "int v(void)\n{\n\treturn 0;\n}\n" >cc/v.c &&
	mkdir cc/v.o.kser-diag && touch cc/v.o.kser-diag/x &&
	test_must_fail cc/kser-cc gcc -Wall -c cc/v.c -o cc/v.o 2>err &&
	grep "^kser-cc: error: cannot remove the stale .cc/v.o.kser-diag." err &&
	rm -rf cc/w.o.kser-diag cc/v.o.kser-diag &&
	cc/kser-cc gcc -Wall -c cc/w.c -o cc/w.o 2>err &&
	grep "unused variable" cc/w.o.kser-diag &&
	test_path_is_file cc/w.o
'

test_expect_success 'warnings kser-cc cannot record make the build an error, not a pass' '
	git -C repo checkout -q -b unrecorded good &&
	printf "int u(void)\n{\n\tint unused;\n\treturn 0;\n}\n" >repo/lib/u.c &&
	commit_all repo "lib: add u with a warning, unrecorded" &&
	mkdir -p "$vdir/build-default/lib/u.o.kser-diag" &&
	test_when_finished "rm -rf \"$vdir/build-default/lib/u.o.kser-diag\"" &&
	test_expect_code 1 verify --checks build base..unrecorded >out 2>err &&
	grep "^   4  lib: add u with a warning, unrecorded  *ERR" out &&
	grep "kser-cc: error: cannot record" out
'

test_expect_success 'a warning on a line that is not UTF-8 is new all the same' '
	git -C repo checkout -q -b latin1 good &&
	printf "int l(void)\n{\n\tint unused; /* gr\374\337e */\n\treturn 0;\n}\n" >repo/lib/l.c &&
	commit_all repo "lib: add l with a warning in Latin-1" &&
	test_expect_code 1 verify --checks build --json l.json base..latin1 >out 2>err &&
	grep "^   4  lib: add l with a warning in Latin-1  *FAIL" out &&
	grep "new warning: lib/l.c:3: unused variable .unused." out &&
	python3 - <<-\EOP
	import json
	r = json.load(open("l.json"))
	b = [x for x in r["records"] if x["patch"] == 4][0]
	w = b["details"]["new_warnings"]
	assert len(w) == 1 and "gr\\xfc\\xdfe" in w[0]["fingerprint"], w
	EOP
'

test_expect_success 'a warning about no file (a compiler flag) is new all the same' '
	git -C repo checkout -q -b ccflag good &&
	sed -i "s/ -Wall -I\. / -Wall -Wctor-dtor-privacy -I. /" repo/Makefile &&
	grep -e -Wctor-dtor-privacy repo/Makefile &&
	printf "int n(void)\n{\n\treturn 0;\n}\n" >repo/lib/n.c &&
	commit_all repo "lib: add n, with a flag for C++" &&
	test_expect_code 1 verify --checks build base..ccflag >out 2>err &&
	grep "^   4  lib: add n, with a flag for C++  *FAIL" out &&
	grep "new warning: lib/n.c: command-line option .-Wctor-dtor-privacy. is valid for C++" out
'

test_expect_success 'and it goes stale with its file, as the others do' '
	git -C repo checkout -q -b afterflag good &&
	printf "int z(void)\n{\n\treturn 0;\n}\n" >repo/lib/z.c &&
	commit_all repo "lib: add z" &&
	verify --checks build base..afterflag >out 2>err &&
	grep "^   4  lib: add z  *ok" out
'

test_expect_success 'off a terminal, a line says what builds at least every interval' '
	git -C repo checkout -q -b pause6 good &&
	printf "/* PAUSE5_BUILD */\nint p6(void)\n{\n\treturn 0;\n}\n" >repo/lib/p6.c &&
	commit_all repo "lib: add p6, taking 5 s" &&
	KSER_PROGRESS_INTERVAL=1 verify --checks build base..pause6 >out 2>err &&
	cat err &&
	grep "^\[4/4\] build .lib: add p6, taking 5 s.: running for 0:0[1-9]" err
'

test_expect_success 'make check shows the series'"'"' progress as it comes' '
	mkdir -p fake/tools/tests/e2e fake/ci fakechk &&
	cp "$KSER_TOP/tools/tests/run.sh" fake/tools/tests/ &&
	echo "echo ok 1 - fake" >fake/tools/tests/e2e/t0000-fake.sh &&
	cat >fake/ci/run-series.sh <<-\EOF &&
	#!/bin/bash
	# A series run that waits, after a progress line, until the test
	# has seen that line relayed.
	echo "== fake v1 on base"
	echo "[0/1] build: running" >&2
	echo "[0/1] build \"base\": running for 0:30" >&2
	for i in $(seq 1 150); do test -e go && break; sleep 0.2; done
	test -e go && echo streamed >streamed
	while [ "$1" != --json ]; do shift; done
	cat >"$2" <<-JSON
	{"records": [{"status": "pass", "patch": 1, "check": "build",
	              "summary": ""}]}
	JSON
	printf "   #  patch  build\n   1  one    ok   1.0s\n\nall passed: 1 checks ran\n"
	EOF
	chmod +x fake/ci/run-series.sh &&
	(cd fake && env -u KSER_TESTS -u KSER_SKIP_SERIES \
		tools/tests/run.sh ../fakechk >../relay.out 2>&1; echo $? >../relay.status) &
	for i in $(test_seq 1 150); do
		grep -q "^    \[0/1\] build \"base\": running for 0:30" relay.out && break
		sleep 0.2
	done &&
	touch fake/go &&
	for i in $(test_seq 1 150); do test -s relay.status && break; sleep 0.2; done &&
	cat relay.out &&
	test_path_is_file fake/streamed &&
	grep "^    == fake v1 on base" relay.out &&
	grep "^     1  one    ok   1.0s" relay.out &&
	tail -n 1 relay.out >last && echo "2 passed, 0 failed" >expect &&
	test_cmp expect last &&
	echo 0 >expect && test_cmp expect relay.status
'

test_expect_success 'an interrupted verify keeps what finished and leaves the repository alone' '
	git -C repo checkout -q slow &&
	git -C repo status --porcelain >st1 &&
	refs_of repo | grep -v refs/kser >r1 &&
	git -C repo for-each-ref refs/kser >c1 &&
	(kser verify --repo repo --series series.conf --no-cache base..slow \
		>out 2>err & echo $! >pid) &&
	for i in $(test_seq 1 100); do
		grep -q "^\[4/4\] build: running" err && break; sleep 0.2
	done &&
	grep -q "^\[4/4\] build: running" err &&
	kill -INT $(cat pid) &&
	for i in $(test_seq 1 100); do
		kill -0 $(cat pid) 2>/dev/null || break; sleep 0.2
	done &&
	! kill -0 $(cat pid) 2>/dev/null &&
	grep "^kser: interrupted" err &&
	grep "^   3  lib: add d  *ok  *[0-9.]*s" out &&
	git -C repo status --porcelain >st2 && test_cmp st1 st2 &&
	refs_of repo | grep -v refs/kser >r2 && test_cmp r1 r2 &&
	! our_sleepers &&
	verify --checks build base..good >out2 2>err2 &&
	grep "^all passed: 0 checks ran" out2
'

test_expect_success 'kser killed outright: its orphaned build keeps the lock' '
	(kser verify --repo repo --series series.conf --no-cache --checks build \
		base..slow >out 2>err & echo $! >pid) &&
	for i in $(test_seq 1 300); do
		grep -q "^\[4/4\] build: running" err && break; sleep 0.2
	done &&
	grep -q "^\[4/4\] build: running" err &&
	kill -KILL $(cat pid) &&
	test_expect_code 1 kser verify --repo repo --series series.conf base..good 2>err2 &&
	grep "another kser verify is running" err2 &&
	kill_orphans &&
	verify --checks build base..good >out3 2>err3 &&
	grep "^all passed" out3
'

test_done
