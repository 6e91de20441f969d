#!/bin/bash
# Runs one fuzz target for a bounded time and says how it went, in TAP.
#
#   tools/tests/fuzz/run.sh FUZZDIR TARGET SECONDS
#
# FUZZDIR holds the target (FUZZDIR/TARGET_fuzz, built by make). It
# starts from the corpus in the tree (tools/tests/fuzz/corpus/TARGET/,
# only read) and what earlier runs found (FUZZDIR/corpus/TARGET/, where
# new inputs go), with TARGET.dict beside the sources if there is one.
# SECONDS 0 runs the corpus once and stops. A crash, a leak, undefined
# behaviour, an input slower than 10 s or over 2 GB of memory is a
# failure, printed as "not ok" with the reproducer's path (under
# FUZZDIR/artifacts/); rerun the target on that path to see it again.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
fuzzdir=$(cd "$1" && pwd) target=$2 seconds=$3
bin=$fuzzdir/${target}_fuzz
src=$top/tools/tests/fuzz
work=$fuzzdir/corpus/$target
artifacts=$fuzzdir/artifacts
mkdir -p "$work" "$artifacts" "$src/corpus/$target"

# Tar headers are 512 bytes and an archive ends with two more blocks.
case $target in
tarball) max_len=65536 ;;
*) max_len=16384 ;;
esac
args=(-max_len=$max_len -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="$artifacts/$target-")
if [ "$seconds" -gt 0 ]; then
	args+=(-max_total_time="$seconds")
else
	args+=(-runs=0)
fi
[ -e "$src/$target.dict" ] && args+=(-dict="$src/$target.dict")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "1..1"
"$bin" "${args[@]}" "$work" "$src/corpus/$target" >"$log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" |
	tail -n 1)
if [ $status -eq 0 ]; then
	echo "ok 1 - fuzz-$target: ${runs:-0} runs in ${secs:-$seconds} s," \
	     "corpus $(ls "$work" | wc -l) + $(ls "$src/corpus/$target" |
		wc -l) inputs"
	exit 0
fi
# What libFuzzer wrote the failing input to, and what went wrong: a
# target's own check says "fuzz: ...", else the sanitizer's summary.
repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
what=$(grep -m 1 '^[a-z_]*fuzz: ' "$log" | sed 's/^[a-z_]*fuzz: //')
[ -n "$what" ] ||
	what=$(sed -n 's/^SUMMARY: //p' "$log" | head -n 1 |
		sed 's| [^ ]*/[^ ]*:[0-9].*||; s/\.$//')
echo "not ok 1 - fuzz-$target: ${what:-exited with status $status}," \
     "reproducer '${repro:-none written}'"
echo "# after ${runs:-0} runs; rerun: $bin '${repro:-}'"
sed -n '/^==[0-9]*==ERROR\|runtime error\|^[a-z_]*fuzz: \|ERROR: libFuzzer/,$p' \
	"$log" | head -n 40 | sed 's/^/# /'
exit 1
