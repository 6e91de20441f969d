#!/bin/bash
# kser verify versus the loop maintainers write today, on the alloc-apis
# series:
#
#   (a) kser verify with an empty result cache and a warm build directory
#   (b) git rebase --exec 'kunit.py run ... && checkpatch.pl -g HEAD' in a
#       checked-out tree with its own, equally warm, build directory
#       (checkpatch with --ignore FILE_PATH_CHANGES, the warning kser
#       verify accepts where MAINTAINERS covers the files)
#   (c) kser verify again: everything from the cache
#   (d) kser verify after amending one patch in the middle
#
# and prints the ratios, and for (a) each patch's build time, the path
# its build took (the fast path or plain make) and the share of each
# phase of the run: compile and link (the fast path's), make (plain
# make's walk, compiles and link together), boot (KUnit), checkpatch
# (which runs beside the rest) and kser's own bookkeeping (the rest of
# the run's time: planning, checkouts, diagnostics, the cache). Both
# sides build through ccache. Before (a), (a0) times the same run with
# plain make only (--no-fast-path), kser verify before the fast path;
# the loop's phases are read from kunit.py's own "Elapsed time" lines
# and checkpatch.pl timed alone. KSER_BENCH_BIN runs another kser binary
# (an older one, for a before-and-after); KSER_BENCH_REPO uses a work
# repository that has the base already (build/work/linux, say, so that
# its warm build directory is reused; the branch bench-vN is added).
# KSER_BENCH_NO_LOOP=1 leaves the loop out (its own cold build costs as
# much as kser's): (a0) against (a) only.
#
#   tools/bench/verify.sh [VERSION]
. "$(dirname "$0")/lib.sh"
kser=${KSER_BENCH_BIN:-$kser}
echo "verify: $("$kser" --version 2>/dev/null || echo "$kser"); load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
conf=$top/series/alloc-apis/series.conf
version=${1:-$(git config -f "$conf" --name-only --get-regexp '^version\..*\.base$' |
	sed 's/^version\.\(.*\)\.base$/\1/' | sort -n | tail -n 1)}
base=$(git config -f "$conf" "version.$version.base")
pkg=$(git config -f "$conf" "base.$base.package")
kunitconfig=$(git config -f "$conf" series.kunitconfig)
repo=${KSER_BENCH_REPO:-$bench/verify-repo}
loop=$bench/verify-loop
loop_build=$bench/verify-loop-build
branch=bench-v$version
time_of () { local s=$(date +%s.%N); "$@"; python3 -c "print(f'{$(date +%s.%N) - $s:.1f}')"; }

tarball=$("$top/ci/fetch-base.sh" "$pkg")
if ! git -C "$repo" rev-parse -q --verify "$branch" >/dev/null 2>&1; then
	if [ -z "${KSER_BENCH_REPO:-}" ]; then
		rm -rf "$repo"
		"$kser" base import --repo "$repo" --overlay "$top/kernel-overlay" \
			--label "$base" "$tarball" >/dev/null
	fi
	"$kser" apply --repo "$repo" --onto "$base" --branch "$branch" \
		"$top/series/alloc-apis/v$version" >/dev/null
fi
range=$base..$branch
n=$(git -C "$repo" rev-list --count "$range")
echo "verify: $n patches of alloc-apis v$version on $base"

drop_cache () {
	git -C "$repo" for-each-ref --format='delete %(refname)' refs/kser/verify |
		git -C "$repo" update-ref --stdin
}
# The loop builds and tests one configuration (the series' kunitconfig):
# kser verify does the same, the default configuration's checks alone
# (a version's other configurations, [version "N"] verify, are left out).
kv () { "$kser" verify --repo "$repo" --series "$top/series/alloc-apis" \
	--checks build,kunit,checkpatch "$@" >/dev/null 2>&1 || true; }

# Warm both build directories: kser's (all patches), and the loop's.
echo "verify: warming the build directories (untimed)"
kv "$range"
noloop=${KSER_BENCH_NO_LOOP:-}
if [ -z "$noloop" ]; then
	if [ ! -d "$loop" ]; then
		git -C "$repo" worktree add -q --detach "$loop" "$branch"
	fi
	git -C "$loop" checkout -q --detach "$branch"
	(cd "$loop" && python3 tools/testing/kunit/kunit.py run --kunitconfig="$kunitconfig" \
		--build_dir="$loop_build" --make_options "CC=ccache gcc" --jobs "$(nproc)" >/dev/null 2>&1) || true
fi

drop_cache
a0=$(time_of kv --no-fast-path --json "$bench/verify-a0.json" "$range")
echo "verify: (a0) kser verify --no-fast-path (plain make), empty cache, warm build: $a0 s"

drop_cache
a=$(time_of kv --json "$bench/verify-a.json" "$range")
echo "verify: (a) kser verify (fast path), empty cache, warm build: $a s"

rm -f "$bench/verify-loop-kunit.log" "$bench/verify-loop-cp.log"
loop_cmd="python3 tools/testing/kunit/kunit.py run --kunitconfig=$kunitconfig --build_dir=$loop_build --make_options 'CC=ccache gcc' --jobs $(nproc) >>$bench/verify-loop-kunit.log && s=\$(date +%s%N) && perl scripts/checkpatch.pl --strict --ignore FILE_PATH_CHANGES -q -g HEAD >/dev/null && echo \$(( \$(date +%s%N) - s )) >>$bench/verify-loop-cp.log"
the_loop () {
	git -C "$loop" checkout -q --detach "$branch"
	git -C "$loop" -c user.name=b -c user.email=b@x rebase -q --force-rebase \
		--exec "$loop_cmd" "$base" >"$bench/verify-loop.log" 2>&1 ||
		{ echo "the loop failed; see $bench/verify-loop.log" >&2; exit 1; }
}
if [ -z "$noloop" ]; then
	b=$(time_of the_loop)
	git -C "$loop" rebase --abort >/dev/null 2>&1 || true
	echo "verify: (b) git rebase --exec kunit.py run + checkpatch.pl: $b s"
else
	b=0
	echo "verify: (b) the loop left out (KSER_BENCH_NO_LOOP)"
fi

c=$(time_of kv "$range")
echo "verify: (c) kser verify again, cached: $c s"

# (d): amend the middle patch (a comment in a file it touches), rebase the rest.
mid=$(( (n + 1) / 2 ))
git -C "$repo" checkout -q -f --detach "$branch~$((n - mid))"
# A file it touches that no later patch touches, or else the first one,
# amended below its first line: the rest then applies.
later=$(git -C "$repo" diff --name-only HEAD "$branch")
file=$( { git -C "$repo" diff --name-only HEAD~ HEAD -- '*.c' | grep -vxF "$later" || true;
	git -C "$repo" diff --name-only HEAD~ HEAD -- '*.c'; } | head -n 1)
sed -i '1a /* amended for the benchmark */' "$repo/$file"
git -C "$repo" -c user.name=b -c user.email=b@x commit -q -a --amend --no-edit
if git -C "$repo" -c user.name=b -c user.email=b@x cherry-pick "$branch~$((n - mid))..$branch" >/dev/null 2>&1; then
	git -C "$repo" branch -q -f "$branch-amended" HEAD
	git -C "$repo" checkout -q -f --detach "$base"
	d=$(time_of kv "$base..$branch-amended")
else
	git -C "$repo" cherry-pick --abort >/dev/null 2>&1 || true
	git -C "$repo" checkout -q -f --detach "$base"
	echo "verify: (d) left out: the rest of the series does not apply over the amended '$file'"
	d=0
fi
echo "verify: (d) kser verify after amending patch $mid of $n: $d s"

python3 - "$a0" "$a" "$b" "$c" "$d" "$n" "$mid" "$bench" <<-\EOP
import json, re, sys
a0, a, b, c, d = map(float, sys.argv[1:6])
n, mid, bench = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]

def report(label, total, path):
    try:
        recs = json.load(open(path))["records"]
    except (OSError, ValueError):
        return
    ph = dict(compile=0.0, link=0.0, make=0.0, plan=0.0, boot=0.0,
              checkpatch=0.0)
    print(f"verify: {label} per patch:  build (path)     kunit   checkpatch")
    rows = {}
    for r in recs:
        rows.setdefault(r["patch"], {})[r["check"]] = r
    for p in sorted(rows):
        x = rows[p]
        bd = x.get("build", {})
        det = bd.get("details", {})
        phases = det.get("phases", {})
        for k in ("compile", "link", "make", "plan"):
            ph[k] += phases.get(k, 0.0)
        if not phases:
            ph["make"] += bd.get("duration", 0.0)
        kd = x.get("kunit", {}).get("duration", 0.0) or 0.0
        cd = x.get("checkpatch", {}).get("duration", 0.0) or 0.0
        ph["boot"] += kd
        ph["checkpatch"] += cd
        path = det.get("path", "make")
        print(f"verify:   {'base' if p == 0 else p:>4}  "
              f"{bd.get('duration', 0.0):6.1f} s ({path:4})  {kd:5.1f} s  "
              f"{cd:5.1f} s"
              + (f"   [{det.get('path_why', '')[:60]}]"
                 if path != "fast" else ""))
    on_path = ph["compile"] + ph["link"] + ph["make"] + ph["plan"] + ph["boot"]
    ph["bookkeeping"] = max(total - on_path, 0.0)
    print(f"verify: {label} phases, share of the run's {total:.1f} s:")
    for k in ("plan", "compile", "link", "make", "boot", "checkpatch",
              "bookkeeping"):
        note = " (beside the rest)" if k == "checkpatch" else ""
        print(f"verify:   {k:12} {ph[k]:6.1f} s  {100 * ph[k] / total:5.1f} %{note}")

report("(a0)", a0, f"{bench}/verify-a0.json")
report("(a)", a, f"{bench}/verify-a.json")
def loop_report(b):
    # The loop: kunit.py's own split, and checkpatch.pl alone.
    try:
        text = open(f"{bench}/verify-loop-kunit.log").read()
    except OSError:
        text = ""
    tot = dict(configuring=0.0, building=0.0, running=0.0)
    for m in re.finditer(r"Elapsed time: [\d.]+s total, ([\d.]+)s configuring, "
                         r"([\d.]+)s building, ([\d.]+)s running", text):
        for k, v in zip(("configuring", "building", "running"), m.groups()):
            tot[k] += float(v)
    try:
        cp = sum(int(x) for x in open(f"{bench}/verify-loop-cp.log")) / 1e9
    except (OSError, ValueError):
        cp = 0.0
    tot["checkpatch"] = cp
    tot["rebase and the rest"] = max(b - sum(tot.values()), 0.0)
    print(f"verify: (b) phases, share of the loop's {b:.1f} s:")
    for k, v in tot.items():
        print(f"verify:   {k:20} {v:6.1f} s  {100 * v / b:5.1f} %")
    print(f"verify: (b)/(a0) = {b / a0:.2f}: kser verify with plain make is {b / a0:.1f}x faster than the loop")
    print(f"verify: (b)/(a) = {b / a:.2f}: kser verify is {b / a:.1f}x faster than the loop (goal: 4x)")

if b:
    loop_report(b)
print(f"verify: (a0)/(a) = {a0 / a:.2f}: the fast path against plain make")
print(f"verify: (c) = {c:.2f} s cached (goal: under 1 s)")
print(f"verify: (d)/(a) = {d / a:.2f}; patches {mid}..{n} are {(n - mid + 1) / n:.2f} of the series")
EOP
