#!/bin/bash
test_description='kser verify on a farm: a shared ccache (redis) and distcc, on loopback'
. "$KSER_TOP/tools/tests/e2e/lib.sh"
. "$KSER_TOP/tools/tests/e2e/minikernel.sh"

# The real daemons, on 127.0.0.1 only, on ports the system hands out;
# stopped at the end whatever happens (sharness's own EXIT trap follows).
tmp=$(mktemp -d /tmp/kser-t7000.XXXXXX)
daemons=$tmp/daemons
mkdir -p "$daemons" && chmod 755 "$tmp" "$daemons"
redis_pid= distccd_pid=

stop_redis () {
	test -n "$redis_pid" || return 0
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	redis_pid=
}

# distccd leads a process group of its own: its children go with it.
stop_distccd () {
	test -n "$distccd_pid" || return 0
	kill -TERM -- "-$distccd_pid" 2>/dev/null
	wait "$distccd_pid" 2>/dev/null
	distccd_pid=
}

trap 'code=$?; stop_redis; stop_distccd; rm -rf "$tmp"; (exit $code); die' EXIT

free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis () {
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
		{ echo "# redis-server or redis-cli is not installed (ci/deps.sh)"; return 1; }
	rport=$(free_port) || return 1
	redis-server --port "$rport" --bind 127.0.0.1 --save "" \
		--appendonly no --daemonize no --dir "$daemons" \
		--logfile "$daemons/redis.log" &
	redis_pid=$!
	for i in $(test_seq 1 100); do
		redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "# redis-server did not answer on 127.0.0.1:$rport:"
	sed "s/^/#   /" "$daemons/redis.log" 2>/dev/null
	stop_redis
	return 1
}

start_distccd () {
	command -v distccd >/dev/null && command -v distcc >/dev/null ||
		{ echo "# distcc or distccd is not installed (ci/deps.sh)"; return 1; }
	dport=$(free_port) || return 1
	# Run as root, distccd becomes the user distccd: the log is open to it.
	: >"$daemons/distccd.log" && chmod 666 "$daemons/distccd.log" ||
		return 1
	distccd --daemon --no-detach --listen 127.0.0.1 --allow 127.0.0.1 \
		--port "$dport" --jobs 2 --verbose \
		--log-file "$daemons/distccd.log" &
	distccd_pid=$!
	for i in $(test_seq 1 100); do
		grep -q "listening on 127.0.0.1:$dport" "$daemons/distccd.log" &&
			return 0
		sleep 0.1
	done
	echo "# distccd did not listen on 127.0.0.1:$dport:"
	sed "s/^/#   /" "$daemons/distccd.log"
	stop_distccd
	return 1
}

command -v ccache >/dev/null && test_set_prereq CCACHE ||
	echo "# ccache is not installed (ci/deps.sh): the farm tests are skipped"
start_redis && test_set_prereq REDIS
start_distccd && test_set_prereq DISTCCD

# Only a daemon that is not installed skips its tests: one that is and
# does not start is a failure.
test_expect_success 'the installed daemons start on 127.0.0.1' '
	{ ! command -v redis-server >/dev/null || test_have_prereq REDIS; } &&
	{ ! command -v distccd >/dev/null || test_have_prereq DISTCCD; }
'

# Each build starts from an empty local cache of its own, and ccache reads
# no configuration of the machine's.
: >ccache.conf
export CCACHE_CONFIGPATH=$PWD/ccache.conf
unset CCACHE_DIR CCACHE_REMOTE_STORAGE CCACHE_PREFIX DISTCC_HOSTS

# The mini kernel built as kbuild builds with O=: in the build directory,
# the sources named by absolute paths, kbuild's own -fmacro-prefix-map and
# the KCFLAGS kser sets. A source with GATE_BUILD waits for the file
# $KSER_T7000_GATE, so that a test can stop a daemon mid-build.
make_kbuild_like () {
	make_minikernel "$1" &&
	cat >"$1/Makefile" <<-\EOF &&
	.RECIPEPREFIX := >
	O ?= .
	SRCS := $(sort $(wildcard lib/*.c))
	OBJS := $(SRCS:%.c=$(O)/%.o)
	all: $(O)/linux
	$(O)/%.o: %.c include.h
	>@mkdir -p $(dir $@)
	>@echo "  CC      $*.o"
	>@if grep -q GATE_BUILD $<; then for i in $$(seq 1 1800); do test -e "$$KSER_T7000_GATE" && break; sleep 0.1; done; fi
	>cd $(O) && $(CC) -Wall $(KCFLAGS) -fmacro-prefix-map=$(CURDIR)/= -I$(CURDIR) -c $(CURDIR)/$< -o $*.o
	$(O)/linux: $(OBJS) ktap.txt
	>@cp ktap.txt $(O)/ktap.txt
	>@printf '#!/bin/sh\ncat "$$(dirname "$$0")/ktap.txt"\n' >$@
	>@chmod +x $@
	.PHONY: all
	EOF
	printf "const char *where(void)\n{\n\treturn __FILE__;\n}\n" >"$1/lib/where.c" &&
	for f in c d e f; do
		printf "int %s(void)\n{\n\treturn 0;\n}\n" "$f" >"$1/lib/$f.c" || return 1
	done
}

# farm JSON PATCH KEY.KEY...: a figure of the patch's build; a key names a
# host in a list of hosts.
farm () {
	python3 - "$@" <<-\EOP
	import json, sys
	path, patch, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(".", 2)
	r = json.load(open(path))
	x = [x for x in r["records"] if x["patch"] == patch and x["check"] == "build"][0]["farm"]
	for k in keys:
	    if isinstance(x, list):
	        x = ([h for h in x if h["host"] == k] or [{"jobs": 0, "count": 0}])[0]
	        x = x.get("jobs", x.get("count"))
	    else:
	        x = x[k]
	print(str(x).lower() if isinstance(x, bool) else x)
	EOP
}

# log_of JSON PATCH: the log of the patch's build.
log_of () {
	python3 - "$@" <<-\EOP
	import json, sys
	r = json.load(open(sys.argv[1]))
	print([x for x in r["records"] if x["patch"] == int(sys.argv[2]) and x["check"] == "build"][0]["log"])
	EOP
}

cat >series.conf <<-\EOF
[series]
	kunitconfig = .kunitconfig
[verify]
	buildTimeout = 120
EOF

verify () {
	kser verify --series series.conf --jobs 2 "$@"
}

test_expect_success 'setup: one series in two repositories' '
	git init -q a &&
	make_kbuild_like a && commit_all a base && git -C a tag base &&
	printf "int g(void)\n{\n\treturn 7;\n}\n" >a/lib/g.c &&
	commit_all a "lib: add g" && git -C a tag tip &&
	git clone -q a "$tmp/elsewhere/b" &&
	git -C a config kser.verifyDir "$tmp/a" &&
	git -C "$tmp/elsewhere/b" config kser.verifyDir "$tmp/deeper/path/b" &&
	test "$(git -C a rev-parse tip^{tree})" = \
	     "$(git -C "$tmp/elsewhere/b" rev-parse tip^{tree})"
'

test_expect_success CCACHE,REDIS 'the first repository fills the remote cache' '
	git -C a config verify.ccacheRemote "redis://127.0.0.1:$rport" &&
	CCACHE_DIR=$PWD/cache-a verify --repo a --json a.json --junit a.xml \
		--checks build base..tip >out 2>err &&
	cat out &&
	test "$(farm a.json 0 ccache.misses)" = 7 &&
	test "$(farm a.json 0 ccache.remote_hits)" = 0 &&
	test "$(farm a.json 0 ccache.remote)" = "redis://127.0.0.1:$rport" &&
	test "$(farm a.json 1 ccache.misses)" = 1 &&
	test "$(redis-cli -p "$rport" dbsize)" -gt 0 &&
	grep "^base  build: make -j2; ccache: 7 misses, 0 remote hits, 0 local hits$" out &&
	grep "^kser: farm: make -j2; ccache: 7 misses" "$(log_of a.json 0)"
'

test_expect_success CCACHE,REDIS 'the second, elsewhere, with an empty local cache, is served from it' '
	b=$tmp/elsewhere/b &&
	git -C "$b" config verify.ccacheRemote "redis://127.0.0.1:$rport" &&
	CCACHE_DIR=$PWD/cache-b verify --repo "$b" --json b.json --junit b.xml \
		--checks build base..tip >out 2>err &&
	cat out &&
	test "$(farm b.json 0 ccache.remote_hits)" = 7 &&
	test "$(farm b.json 0 ccache.misses)" = 0 &&
	test "$(farm b.json 0 ccache.local_hits)" = 0 &&
	test "$(farm b.json 1 ccache.remote_hits)" = 1 &&
	test "$(farm b.json 0 cached)" = false &&
	grep "^base  build: make -j2; ccache: 0 misses, 7 remote hits, 0 local hits$" out &&
	grep "<property name=\"farm.ccache.remote_hits\" value=\"7\"/>" b.xml &&
	grep "<system-out>make -j2; ccache: 0 misses, 7 remote hits" b.xml
'

test_expect_success CCACHE,REDIS '__FILE__ is the path in the tree, as kbuild means it' '
	for d in "$tmp/a" "$tmp/deeper/path/b"; do
		strings "$d/build-default/lib/where.o" >s &&
		grep -x "lib/where.c" s &&
		! grep -e "\.\./src" -e "$tmp" s || return 1
	done
'

test_expect_success CCACHE,REDIS 'a cached build shows the figures of the run that built it' '
	CCACHE_DIR=$PWD/cache-b verify --repo "$tmp/elsewhere/b" --json c.json \
		--junit c.xml --checks build base..tip >out 2>err &&
	grep "^base  build: cached; when built: make -j2; ccache: 0 misses, 7 remote hits" out &&
	test "$(farm c.json 0 cached)" = true &&
	test "$(farm c.json 0 ccache.remote_hits)" = 7 &&
	grep "<property name=\"farm.cached\" value=\"true\"/>" c.xml &&
	grep "<system-out>cached; when built: make -j2" c.xml
'

test_expect_success CCACHE,REDIS 'what the remote cache served is what a plain compile makes' '
	b=$tmp/deeper/path/b/build-default &&
	mkdir served &&
	cp "$b"/lib/*.o served/ &&
	rm "$b"/lib/*.o &&
	CCACHE_DISABLE=1 verify --repo "$tmp/elsewhere/b" --no-cache \
		--checks build base..tip >out 2>err &&
	for o in served/*.o; do
		cmp "$o" "$b/lib/$(basename "$o")" || return 1
	done
'

test_expect_success CCACHE,REDIS 'the figures are no part of the key' '
	python3 - a.json b.json <<-\EOP
	import json, sys
	a, b = (json.load(open(p))["records"] for p in sys.argv[1:])
	assert [x["key"] for x in a] == [x["key"] for x in b], (a, b)
	EOP
'

test_expect_success CCACHE,DISTCCD 'distcc from the series settings: the daemon compiles the jobs' '
	git init -q d && make_kbuild_like d && commit_all d base &&
	printf "int h(void)\n{\n\treturn 8;\n}\n" >d/lib/h.c && commit_all d "lib: add h" &&
	git -C d config kser.verifyDir "$tmp/d" &&
	{ cat series.conf; printf "\tdistccHosts = 127.0.0.1:%s/2\n" "$dport"; } >distcc.conf &&
	n0=$(grep COMPILE_OK "$daemons/distccd.log" | wc -l) &&
	CCACHE_DIR=$PWD/cache-d kser verify --repo d --series distcc.conf \
		--jobs 2 --json d.json --junit d.xml --checks build \
		HEAD~1..HEAD >out 2>err &&
	cat out &&
	n1=$(grep COMPILE_OK "$daemons/distccd.log" | wc -l) &&
	test $((n1 - n0)) = 8 &&
	test "$(farm d.json 0 distcc.jobs.127.0.0.1:$dport/2)" = 7 &&
	test "$(farm d.json 1 distcc.jobs.127.0.0.1:$dport/2)" = 1 &&
	test "$(farm d.json 0 distcc.local)" = 0 &&
	test "$(farm d.json 0 distcc.fallbacks)" = 0 &&
	test "$(farm d.json 0 distcc.slots)" = 2 &&
	grep "^base  build: make -j2; ccache: 7 misses, 0 remote hits, 0 local hits; distcc: 7 jobs on 127.0.0.1:$dport/2$" out &&
	grep "<property name=\"farm.distcc.jobs.127.0.0.1:$dport/2\" value=\"7\"/>" d.xml
'

test_expect_success CCACHE,DISTCCD 'a warning compiled on the daemon is the build'"'"'s warning' '
	printf "int w(void)\n{\n\tint unused;\n\treturn 0;\n}\n" >d/lib/w.c &&
	commit_all d "lib: add w with a warning" &&
	test_expect_code 1 env "CCACHE_DIR=$PWD/cache-d" kser verify --repo d \
		--series distcc.conf --jobs 2 --json w.json --checks build \
		HEAD~1..HEAD >out 2>err &&
	grep "^   1  lib: add w with a warning  *FAIL" out &&
	grep "new warning: lib/w.c:3: unused variable .unused." out &&
	test "$(farm w.json 1 distcc.jobs.127.0.0.1:$dport/2)" = 1 &&
	! grep distcc "$tmp/d/build-default/lib/w.o.kser-diag"
'

test_expect_success CCACHE,DISTCCD 'distccd stopped mid-build: the build finishes here and says so' '
	git init -q e && make_kbuild_like e &&
	printf "/* GATE_BUILD */\nint m(void)\n{\n\treturn 0;\n}\n" >e/lib/m.c &&
	for f in n p q; do
		printf "int %s(void)\n{\n\treturn 0;\n}\n" "$f" >"e/lib/$f.c" || return 1
	done &&
	commit_all e base && echo x >>e/ktap.txt && commit_all e two &&
	git -C e config kser.verifyDir "$tmp/e" &&
	git -C e config verify.distccHosts "127.0.0.1:$dport/2" &&
	gate=$PWD/gate-e && rm -f "$gate" status &&
	{ (KSER_T7000_GATE=$gate CCACHE_DIR=$PWD/cache-e kser verify --repo e \
		--series series.conf --jobs 1 --json e.json --checks build \
		HEAD~1..HEAD >out 2>err; echo $? >status) & } &&
	for i in $(test_seq 1 1200); do
		cat "$tmp/e/logs/"*.log 2>/dev/null | grep -q "CC      lib/m.o" && break
		sleep 0.1
	done &&
	cat "$tmp/e/logs/"*.log | grep -q "CC      lib/m.o" &&
	stop_distccd &&
	touch "$gate" &&
	for i in $(test_seq 1 1200); do test -s status && break; sleep 0.1; done &&
	cat out &&
	echo 0 >expect && test_cmp expect status &&
	grep "^base  base  *ok" out &&
	test "$(farm e.json 0 distcc.jobs.127.0.0.1:$dport/2)" = 6 &&
	test "$(farm e.json 0 distcc.local)" = 5 &&
	test "$(farm e.json 0 distcc.fallbacks)" -ge 1 &&
	test "$(farm e.json 0 distcc.failures.127.0.0.1:$dport/2)" -ge 1 &&
	grep "^base  build: .*distcc: 6 jobs on 127.0.0.1:$dport/2, 5 here; 127.0.0.1:$dport/2 failed (.*127.0.0.1:$dport.*refused), its jobs compiled here$" out
'

test_expect_success CCACHE,REDIS 'redis stopped mid-build: the build finishes and says so' '
	git -C e config --unset verify.distccHosts &&
	git -C e config verify.ccacheRemote "redis://127.0.0.1:$rport" &&
	git -C e config kser.verifyDir "$tmp/e2" &&
	gate=$PWD/gate-e2 && rm -f "$gate" status &&
	{ (KSER_T7000_GATE=$gate CCACHE_DIR=$PWD/cache-e2 kser verify --repo e \
		--series series.conf --jobs 1 --json r.json --checks build --no-cache \
		HEAD~1..HEAD >out 2>err; echo $? >status) & } &&
	for i in $(test_seq 1 1200); do
		cat "$tmp/e2/logs/"*.log 2>/dev/null | grep -q "CC      lib/m.o" && break
		sleep 0.1
	done &&
	cat "$tmp/e2/logs/"*.log | grep -q "CC      lib/m.o" &&
	stop_redis &&
	touch "$gate" &&
	for i in $(test_seq 1 1200); do test -s status && break; sleep 0.1; done &&
	cat out &&
	echo 0 >expect && test_cmp expect status &&
	test "$(farm r.json 0 ccache.calls)" = 11 &&
	test "$(farm r.json 0 ccache.remote_errors)" -ge 1 &&
	test "$(farm r.json 0 ccache.remote_errors)" = "$(farm r.json 0 ccache.misses)" &&
	grep "^base  build: .*; the remote cache redis://127.0.0.1:$rport failed [0-9]* times" out
'

test_expect_success CCACHE 'a remote ccache cannot take is refused, without its credentials' '
	git init -q f && make_kbuild_like f && commit_all f base &&
	echo x >>f/ktap.txt && commit_all f two &&
	git -C f config kser.verifyDir "$tmp/f" &&
	git -C f config verify.ccacheRemote "ftp://user:s3cret@host/x" &&
	test_expect_code 1 verify --repo f HEAD~1..HEAD >out 2>err &&
	grep "bad verify.ccacheRemote .ftp://host/x.: ccache" err &&
	! grep s3cret err out
'

test_expect_success CCACHE 'a host list distcc cannot take is refused' '
	git -C f config --unset verify.ccacheRemote &&
	git -C f config verify.distccHosts "127.0.0.1/x" &&
	test_expect_code 1 verify --repo f HEAD~1..HEAD >out 2>err &&
	grep "bad host .127.0.0.1/x. in verify.distccHosts" err
'

test_expect_success CCACHE 'an empty git config value turns the series setting off' '
	git -C f config verify.distccHosts "" &&
	{ cat series.conf; printf "\tdistccHosts = 127.0.0.1/x\n"; } >off.conf &&
	kser verify --repo f --series off.conf --jobs 2 --checks build \
		--json off.json HEAD~1..HEAD >out 2>err &&
	python3 - <<-\EOP
	import json
	r = json.load(open("off.json"))
	assert all("distcc" not in x["farm"] for x in r["records"]), r
	EOP
'

test_done
