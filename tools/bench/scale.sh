#!/bin/bash
# kser verify beyond one machine, on the alloc-apis series, with the real
# daemons on loopback (127.0.0.1, ports the system hands out):
#
#   (a) repository A: the series verified (build, KUnit) cold: an empty
#       local ccache, an empty redis as ccache's remote storage
#   (b) repository B, cloned to another path, its own empty local cache:
#       the same series, served from the redis A filled
#   (c) repository C, another path again, empty caches (redis flushed),
#       every compile sent through distcc to a distccd on 127.0.0.1
#
# and prints the ratios (a)/(b) and (c)/(a), and the figures docs/scale.md
# models a farm from: objects per patch, seconds per object, the fixed
# cost of a patch's build (make's traversal, link, modpost), the KUnit
# boot, and (d) the share of a compile that preprocessing is, which
# distcc leaves on the submitting machine. Every build runs nice'd, at -j2 (one 2-core machine: (c) shows
# distcc's overhead, not a speed-up). The figures go to
# build/bench/scale/figures.json too.
#
#   tools/bench/scale.sh [VERSION]
#
# SCALE_REUSE=1 keeps the figures of runs already made (build/bench/scale/
# NAME.json) and makes only the others; SCALE_DISTCC_BUILD=0 leaves (c)
# out, (d) measuring distcc object by object instead. SCALE_B_PATCHES=N
# verifies only the first N patches in (b); SCALE_REDIS_PORT=PORT uses a
# redis-server already running on 127.0.0.1 (with SCALE_REUSE: the one
# (a) filled) instead of starting one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$top/build/bench/scale
kser=$top/build/kser
"$top/ci/deps.sh" --kernel
make -s -C "$top" build/kser >/dev/null
export GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL=bench@example.org
export GIT_COMMITTER_DATE="@1763000000 +0000"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

conf=$top/series/alloc-apis/series.conf
version=${1:-$(git config -f "$conf" --name-only --get-regexp '^version\..*\.base$' |
	sed 's/^version\.\(.*\)\.base$/\1/' | sort -n | tail -n 1)}
base=$(git config -f "$conf" "version.$version.base")
pkg=$(git config -f "$conf" "base.$base.package")
branch=bench-v$version
jobs=2

reuse=${SCALE_REUSE:-0}
distcc_build=${SCALE_DISTCC_BUILD:-1}
[ "$reuse" = 1 ] || rm -rf "$work/ccache-"* "$work/"*.json
rm -rf "$work/daemons"
mkdir -p "$work/daemons" && chmod 755 "$work" "$work/daemons"
: >"$work/ccache.conf"
export CCACHE_CONFIGPATH=$work/ccache.conf
unset CCACHE_DIR CCACHE_REMOTE_STORAGE CCACHE_PREFIX DISTCC_HOSTS

redis_pid= distccd_pid=
stop () {
	[ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
	[ -z "$distccd_pid" ] || kill -TERM -- "-$distccd_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop EXIT
free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rport=${SCALE_REDIS_PORT:-}
if [ -z "$rport" ]; then
	rport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$work/daemons" --logfile "$work/daemons/redis.log" &
	redis_pid=$!
fi
dport=$(free_port)
: >"$work/daemons/distccd.log" && chmod 666 "$work/daemons/distccd.log"
setsid nice distccd --daemon --no-detach --listen 127.0.0.1 --allow 127.0.0.1 \
	--port "$dport" --jobs "$jobs" --log-file "$work/daemons/distccd.log" &
distccd_pid=$!
for i in $(seq 1 100); do
	redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG &&
		grep -q "listening on 127.0.0.1:$dport" "$work/daemons/distccd.log" 2>/dev/null &&
		break
	sleep 0.1
done
redis-cli -p "$rport" ping | grep -q PONG
echo "scale: redis-server on 127.0.0.1:$rport, distccd on 127.0.0.1:$dport"
echo "scale: load average: $(cut -d" " -f1-3 /proc/loadavg)"

# Repository A: the base imported and the series applied; B and C cloned
# from it to other paths, each with a state directory of its own.
a=$work/a/linux b=$work/elsewhere/b/linux c=$work/third/place/c/linux
if ! git -C "$a" rev-parse -q --verify "$branch" >/dev/null 2>&1; then
	tarball=$("$top/ci/fetch-base.sh" "$pkg")
	rm -rf "$a"
	"$kser" base import --repo "$a" --overlay "$top/kernel-overlay" \
		--label "$base" "$tarball" >/dev/null
	"$kser" apply --repo "$a" --onto "$base" --branch "$branch" \
		"$top/series/alloc-apis/v$version" >/dev/null
fi
for r in "$b" "$c"; do
	[ "$reuse" != 1 ] || [ ! -d "$r" ] || continue
	rm -rf "$(dirname "$r")"
	git clone -q --no-checkout "$a" "$r"
	git -C "$r" branch -q -f "$branch" "origin/$branch"
	git -C "$r" tag -f "$base" "origin/$branch~$(git -C "$a" rev-list --count "$base..$branch")" >/dev/null
done
range=$base..$branch
n=$(git -C "$a" rev-list --count "$range")
echo "scale: $n patches of alloc-apis v$version on $base"

# run NAME REPO CHECKS [RANGE]: verify the range from empty caches,
# kser's own results dropped too, so that every build runs.
run () {
	local name=$1 repo=$2 checks=$3 range=${4:-$range} s
	if [ "$reuse" = 1 ] && [ -s "$work/$name.json" ]; then
		echo "scale: ($name) kept from an earlier run"
		return
	fi
	rm -rf "$work/verify-$name" "$work/ccache-$name"
	git -C "$repo" config kser.verifyDir "$work/verify-$name"
	git -C "$repo" for-each-ref --format='delete %(refname)' refs/kser/verify |
		git -C "$repo" update-ref --stdin
	s=$(date +%s.%N)
	CCACHE_DIR=$work/ccache-$name nice "$kser" verify --repo "$repo" \
		--series "$top/series/alloc-apis" --version "$version" \
		--checks "$checks" --jobs "$jobs" --json "$work/$name.json" \
		"$range" >"$work/$name.out" 2>&1 || true
	python3 -c "print(f'scale: ($name) {$(date +%s.%N) - $s:.1f} s')"
	sed -n '/^builds:/,/^$/p' "$work/$name.out" | head -n 4
}

git -C "$a" config verify.ccacheRemote "redis://127.0.0.1:$rport"
run a "$a" build,kunit
echo "scale: redis holds $(redis-cli -p "$rport" dbsize) keys"
[ "$reuse" != 1 ] || [ -s "$work/b.json" ] || [ "$(redis-cli -p "$rport" dbsize)" != 0 ] ||
	{ echo "scale: (b) needs the redis (a) filled: run without SCALE_REUSE" >&2; exit 1; }

git -C "$b" config verify.ccacheRemote "redis://127.0.0.1:$rport"
nb=${SCALE_B_PATCHES:-$n}
run b "$b" build "$base..$branch~$((n - nb))"

n0=$(grep -c COMPILE_OK "$work/daemons/distccd.log" || true)
if [ "$distcc_build" = 1 ]; then
	redis-cli -p "$rport" flushall >/dev/null
	git -C "$c" config verify.ccacheRemote "redis://127.0.0.1:$rport"
	git -C "$c" config verify.distccHosts "127.0.0.1:$dport/$jobs"
	run c "$c" build
else
	rm -f "$work/c.json"
fi
n1=$(grep -c COMPILE_OK "$work/daemons/distccd.log" || true)
echo "scale: distccd compiled $((n1 - n0)) jobs"

# (d) What distcc leaves here: preprocessing. A sample of (a)'s kernel
# objects, each preprocessed and compiled once, alone, with the command
# kbuild saved for it (without kser-cc, ccache and the dependency file).
python3 - "$work/verify-a/build-default" "$work/sample.json" "127.0.0.1:$dport/$jobs" "$work/daemons" <<-\EOP
import glob, json, os, re, subprocess, sys, time
bdir, out, host, daemons = sys.argv[1:5]
cmds = []
for f in sorted(glob.glob(f"{bdir}/**/.*.o.cmd", recursive=True)):
    line = open(f, errors="replace").readline()
    m = re.match(r"savedcmd_(\S+) := \S*/kser-cc ccache (gcc .* -c -o (\S+) (\S+\.c))$", line.strip())
    # A source a later patch removed leaves its .cmd behind.
    if m and not m.group(1).startswith("scripts/") and \
            os.path.exists(os.path.join(bdir, m.group(4))):
        cmds.append(m.group(2))
step = max(1, len(cmds) // 15)
sample = cmds[::step][:15]
os.makedirs(f"{daemons}/distcc-dir", exist_ok=True)
env = dict(os.environ, DISTCC_HOSTS=host, DISTCC_LOG=f"{daemons}/distcc-sample.log",
           DISTCC_DIR=f"{daemons}/distcc-dir", DISTCC_FALLBACK="0")
def timed(cmd, env=None):
    s = time.monotonic()
    subprocess.run(cmd, shell=True, cwd=bdir, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - s
cpp = cc = dcc = 0.0
for c in sample:
    c = re.sub(r"-Wp,-MMD,\S+ ", "", c)
    obj = " -c -o /tmp/kser-scale-sample.o "
    cpp += timed(re.sub(r" -c -o \S+ ", " -E -o /dev/null ", c))
    cc += timed(re.sub(r" -c -o \S+ ", obj, c))
    dcc += timed("distcc " + re.sub(r" -c -o \S+ ", obj, c), env)
log = open(f"{daemons}/distcc-sample.log", errors="replace").read()
remote = log.count(f" on {host} completed ok")
n = len(sample)
json.dump({"objects": n, "of": len(cmds), "cpp_s": cpp / n, "cc_s": cc / n,
           "distcc_s": dcc / n, "distcc_remote": remote}, open(out, "w"))
print(f"scale: (d) {n} of {len(cmds)} kernel objects one at a time: preprocess {cpp / n:.3f} s, "
      f"compile (preprocessing included) {cc / n:.3f} s, through distcc to {host} {dcc / n:.3f} s "
      f"({remote} compiled there) per object; preprocessing, {cpp / cc:.0%} of a compile, stays here")
EOP
rm -f /tmp/kser-scale-sample.o

python3 - "$work" "$jobs" "$((n1 - n0))" <<-\EOP
import json, os, sys
work, jobs, daemon_jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sample = json.load(open(f"{work}/sample.json"))
runs = {k: json.load(open(f"{work}/{k}.json"))["records"] for k in "abc"
        if os.path.exists(f"{work}/{k}.json")}

def rec(run, patch, check):
    return [x for x in runs[run] if x["patch"] == patch and x["check"] == check][0]

def fig(run, patch):
    x = rec(run, patch, "build")
    return x["duration"], x.get("farm", {}).get("ccache", {}), x.get("farm", {}).get("distcc", {})

for run in runs:
    bad = [f'{x["patch"]}/{x["check"]}: {x["status"]}' for x in runs[run] if x["status"] != "pass"]
    if bad:
        print(f"scale: ({run}) not all passed: {', '.join(bad)}")

ta, ca, _ = fig("a", 0)
tb, cb, _ = fig("b", 0)
tc, cc, dc = fig("c", 0) if "c" in runs else (None, {}, {})
print(f"scale: base build, cold (a): {ta:.1f} s; {ca['misses']} objects compiled")
print(f"scale: base build, another repository at another path, from redis (b): {tb:.1f} s; "
      f"{cb['remote_hits']} remote hits, {cb['misses']} misses "
      f"({cb['remote_hits'] / max(1, cb['remote_hits'] + cb['misses']):.1%} served)")
print(f"scale: (a)/(b) = {ta / tb:.1f}x")
sent = dc.get("sent", 0)
if tc is not None:
    print(f"scale: base build, cold, through distcc to 127.0.0.1 (c): {tc:.1f} s; {sent} jobs sent, "
          f"{dc.get('local', 0)} compiled here, {dc.get('fallbacks', 0)} fallbacks; (c)/(a) = {tc / ta:.2f}")
print(f"scale: one object through distcc to 127.0.0.1 / compiled here (d): "
      f"{sample['distcc_s'] / sample['cc_s']:.2f}")

# Per patch, cold (a): objects compiled, build seconds, KUnit seconds. A
# least-squares line build = fixed + per_object * objects.
pts = []
for p in sorted({x["patch"] for x in runs["a"] if x["patch"] > 0}):
    t, c, _ = fig("a", p)
    k = rec("a", p, "kunit")["duration"]
    if not [x for x in runs["b"] if x["patch"] == p]:
        pts.append((p, c["misses"], t, k, None, None))
        print(f"scale: patch {p:2}: {c['misses']:3} objects, build {t:6.1f} s, KUnit {k:5.1f} s")
        continue
    tbp, cbp, _ = fig("b", p)
    pts.append((p, c["misses"], t, k, tbp, cbp.get("remote_hits", 0)))
    print(f"scale: patch {p:2}: {c['misses']:3} objects, build {t:6.1f} s, KUnit {k:5.1f} s; "
          f"from redis (b): build {tbp:6.1f} s, {cbp.get('remote_hits', 0)} remote hits")
xs = [q[1] for q in pts]; ys = [q[2] for q in pts]
mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
sxx = sum((x - mx) ** 2 for x in xs)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
fixed = my - slope * mx
kunit = [q[3] for q in pts]
fixed_b = [q[4] for q in pts if q[4] is not None]
fixed_b = sum(fixed_b) / len(fixed_b)
per_obj_cpu = ta * jobs / max(1, ca["misses"])
print(f"scale: objects per patch: mean {mx:.1f}, max {max(xs)}")
print(f"scale: a patch's build = {fixed:.1f} s + {slope:.2f} s per object (-j{jobs}, least squares over {len(pts)} patches)")
print(f"scale: a patch's build from redis: {fixed_b:.1f} s on average (the fixed cost, compiles served)")
print(f"scale: compile, base: {per_obj_cpu:.2f} CPU-seconds per object ({ta:.0f} s x {jobs} jobs / {ca['misses']})")
print(f"scale: KUnit (UML boot and the suites): mean {sum(kunit) / len(kunit):.1f} s")
json.dump({
    "jobs": jobs,
    "base_cold_s": ta, "base_objects": ca["misses"], "base_calls": ca["calls"],
    "base_remote_s": tb, "base_remote_hits": cb["remote_hits"], "base_remote_misses": cb["misses"],
    "base_distcc_s": tc, "distcc_sent": sent, "distcc_local": dc.get("local", 0),
    "distcc_fallbacks": dc.get("fallbacks", 0), "daemon_jobs": daemon_jobs,
    "patch_fixed_s": fixed, "patch_per_object_s": slope, "patch_fixed_remote_s": fixed_b,
    "per_object_cpu_s": per_obj_cpu, "sample": sample, "kunit_mean_s": sum(kunit) / len(kunit),
    "patches": [{"patch": q[0], "objects": q[1], "build_s": q[2], "kunit_s": q[3],
                 "build_remote_s": q[4], "remote_hits": q[5]} for q in pts],
}, open(f"{work}/figures.json", "w"), indent=1)
EOP

echo "scale: load average now: $(cut -d" " -f1-3 /proc/loadavg)"
# SCALE_QUIET_BASE=SECONDS: a quiet machine's cold base build, to scale a
# loaded run's times by; without it the times are this run's.
echo "scale: the model (docs/scale.md)${SCALE_QUIET_BASE:+, times scaled to a quiet machine}:"
python3 "$top/tools/bench/scale-model.py" "$work/figures.json" \
	${SCALE_QUIET_BASE:-$(python3 -c "import json; print(json.load(open('$work/figures.json'))['base_cold_s'])")}
