#!/bin/bash
# Runs every test of kser and ends with one line "N passed, N failed".
#
#   tools/tests/run.sh CHECKDIR UNIT_BINARY...
#
# CHECKDIR holds the sanitizer build of kser (CHECKDIR/kser), which the
# end-to-end tests run. Each unit binary prints TAP (cmocka); each
# tools/tests/e2e/t*.sh is a sharness script and prints TAP too.
# KSER_TESTS=t0100 limits the end-to-end tests and the fuzz targets
# (fuzz-mail...) to names matching it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
chk=$(cd "$1" && pwd)
shift

passed=0
failed=0
failures=()

count() {
	local name=$1 log=$2 status=$3
	local ok notok
	ok=$(grep -c '^ok ' "$log")
	notok=$(grep -c '^not ok ' "$log")
	passed=$((passed + ok))
	failed=$((failed + notok))
	if [ "$notok" -gt 0 ]; then
		failures+=("$name")
		grep '^not ok ' "$log" | sed "s|^|  $name: |"
	elif [ "$status" -ne 0 ]; then
		# A crash or sanitizer report outside any test case.
		failed=$((failed + 1))
		failures+=("$name")
		echo "  $name: exited with status $status"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
}

logdir=$chk/logs
rm -rf "$logdir"
mkdir -p "$logdir"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "unit tests:"
for bin in "$@"; do
	name=$(basename "$bin")
	log=$logdir/$name.log
	CMOCKA_MESSAGE_OUTPUT=TAP "$bin" >"$log" 2>&1
	status=$?
	count "$name" "$log" "$status"
	printf '  %-28s %s\n' "$name" "$(grep -c '^ok ' "$log") ok"
done

echo "end-to-end tests:"
e2e=$chk/e2e
mkdir -p "$e2e"
export KSER_TOP=$top
export KSER_BIN=$chk/kser
export KSER_RELEASE_BIN=$top/build/kser
for t in "$top"/tools/tests/e2e/t[0-9]*.sh; do
	name=$(basename "$t" .sh)
	case $name in *${KSER_TESTS:-}*) ;; *) continue ;; esac
	log=$logdir/$name.log
	(cd "$e2e" && SHARNESS_TEST_DIRECTORY=$e2e \
		SHARNESS_BUILD_DIRECTORY=$chk bash "$t" -v) >"$log" 2>&1
	status=$?
	count "$name" "$log" "$status"
	printf '  %-28s %s\n' "$name" "$(grep -c '^ok ' "$log") ok"
done

# The fuzz targets (in KSER_FUZZ, default build/fuzz), each for
# FUZZ_SECONDS, each one a test. make check sets KSER_FUZZ_SKIP to why
# they are not there when clang cannot build them.
if [ "${FUZZ_TARGETS:-}" = none ]; then
	echo "fuzz targets: left out (FUZZ_TARGETS=none)"
elif [ -n "${KSER_FUZZ_SKIP:-}" ]; then
	echo "fuzz targets: skipped ($KSER_FUZZ_SKIP)"
else
	fuzz=${KSER_FUZZ:-$top/build/fuzz}
	targets=${FUZZ_TARGETS:-$(cd "$top/tools/tests/fuzz" &&
		ls *_fuzz.c | sed 's/_fuzz\.c$//')}
	echo "fuzz targets (${FUZZ_SECONDS:-20} s each):"
	for t in $targets; do
		name=fuzz-$t
		case $name in *${KSER_TESTS:-}*) ;; *) continue ;; esac
		if [ ! -x "$fuzz/${t}_fuzz" ]; then
			printf '  %-28s %s\n' "$name" "not built (make fuzz-bins)"
			continue
		fi
		log=$logdir/$name.log
		"$top/tools/tests/fuzz/run.sh" "$fuzz" "$t" \
			"${FUZZ_SECONDS:-20}" >"$log" 2>&1
		status=$?
		count "$name" "$log" "$status"
		printf '  %-28s %s\n' "$name" \
			"$(sed -n 's/^ok 1 - [^:]*: \([0-9]* runs\).*/\1/p' "$log")"
	done
fi

# The series: every check of every patch of the newest version in the
# default configuration, each one a test (make run checks the others).
# KSER_SKIP_SERIES=1 leaves it out (for quick runs by hand).
if [ -z "${KSER_SKIP_SERIES:-}" ] && [ -z "${KSER_TESTS:-}" ]; then
	echo "series (kser verify of the newest version of each series):"
	rm -f "$chk"/series.json*
	# All of it goes to the log; its headers and kser verify's progress
	# lines come to the terminal as they come, so that the first run's
	# kernel build (minutes) is not silence.
	"$top/ci/run-series.sh" --default-config --json "$chk/series.json" 2>&1 |
		tee "$logdir/series.log" |
		grep --line-buffered '^== \|^\[[0-9]*/[0-9]*\] ' |
		sed -u 's/^/    /'
	status=${PIPESTATUS[0]}
	sed -n '/^ *# *patch/,/^$/p' "$logdir/series.log" | sed 's/^/  /'
	if ls "$chk"/series.json* >/dev/null 2>&1; then
		counts=$(python3 - "$chk"/series.json* <<-\EOP
		import json, sys
		ok = bad = 0
		for p in sys.argv[1:]:
		    for r in json.load(open(p))["records"]:
		        # A failure the configuration expects (FAIL*) holds.
		        if r["status"] == "pass" or r.get("expected_failure"):
		            ok += 1
		        else:
		            bad += 1
		            print(f"  not ok: patch {r['patch']} {r['check']}: "
		                  f"{r['summary']}", file=sys.stderr)
		print(ok, bad)
		EOP
		)
		passed=$((passed + ${counts% *}))
		failed=$((failed + ${counts#* }))
		[ "${counts#* }" -eq 0 ] || failures+=(series)
	fi
	# Each version's export against its committed directory: one test.
	ok=$(grep -c '^== .*: export: .* is what kser export writes$' \
		"$logdir/series.log")
	bad=$(grep -c '^== .*: export: .* is not what kser export writes:$' \
		"$logdir/series.log")
	passed=$((passed + ok))
	failed=$((failed + bad))
	[ "$bad" -eq 0 ] || failures+=(series-export)
	if [ $status -ne 0 ] && ! grep -q '^all passed\|^FAILED' "$logdir/series.log"; then
		failed=$((failed + 1))
		failures+=(series)
		tail -n 20 "$logdir/series.log" | sed 's/^/    /'
	fi
	# The build check's fast path against plain make, shape by shape, on
	# the work repository the alloc-apis series left (paranoid mode on).
	if [ -f "$top/series/alloc-apis/series.conf" ]; then
		echo "fast path corpus (tools/tests/fastpath-corpus.sh):"
		"$top/tools/tests/fastpath-corpus.sh" \
			>"$logdir/fastpath-corpus.log" 2>&1
		status=$?
		count fastpath-corpus "$logdir/fastpath-corpus.log" "$status"
		printf '  %-28s %s\n' fastpath-corpus \
			"$(grep -c '^ok ' "$logdir/fastpath-corpus.log") ok"
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in $logdir)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
