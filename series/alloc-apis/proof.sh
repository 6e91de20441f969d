#!/bin/bash
# Re-runs the proof table of series/alloc-apis/README: that every test v4
# adds or rewrites fails when the property it guards is broken, and that
# v3's tests did not.
#
#   series/alloc-apis/proof.sh [--repo DIR] [--out DIR] [--expected FILE]
#                              [--no-cache] [NAME...]
#
# For each row of proof/expected (or FILE; only the NAMEs given), in order:
# apply proof/NAME.patch with kser apply onto proof/alloc-apis-vN, the tip
# of the version the row breaks, as branch proof/NAME of the work
# repository (build/work/linux, or --repo); run
#
#   kser verify --repo DIR --series series/alloc-apis --version N \
#       --checks kunit --json OUT/NAME.json proof/NAME~1..proof/NAME
#
# and check from the JSON that the cases the row names failed (or, for the
# v3 rows whose point is that v3's test did not catch the break, passed).
# A row vN-tip has no patch: the unbroken tip, where every case passes.
#
# proof/alloc-apis-vN is made first with kser apply of vN/ onto its base,
# by the series' author at version.N.date as ci/run-series.sh makes
# alloc-apis-vN, so it is the same commit and verify's cache knows its
# build.  A base the repository lacks is imported with kser base import
# (ci/fetch-base.sh finds the sources).  No branch but proof/* is created
# or moved.
#
# Prints TAP, one test per row, with what kser verify reported; exits 1 if
# a row does not hold.  Every row is a kernel build (incremental, through
# verify's fast path when it can, in verify's default build directory),
# so this is not part of make check.  When another kser verify holds the
# repository's lock, waits for it.  OUT (default build/proof/) keeps each
# row's JSON and output.  The results are verify's, from its cache when
# it has them (the line says so); --no-cache runs every row again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kser=$top/build/kser
repo=$top/build/work/linux
out=$top/build/proof
conf=$here/series.conf
expected=$here/proof/expected
lock_wait=${KSER_PROOF_LOCK_WAIT:-60}
nocache=()

usage () {
	echo "usage: proof.sh [--repo DIR] [--out DIR] [--expected FILE]" \
		"[--no-cache] [NAME...]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--repo) [ $# -ge 2 ] || usage; repo=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--expected) [ $# -ge 2 ] || usage; expected=$2; shift 2 ;;
	--no-cache) nocache=(--no-cache); shift ;;
	-*) usage ;;
	*) break ;;
	esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
cfg () { git config -f "$conf" "$@"; }

# The rows to run: NAME VERSION SPEC..., from the expected file.
rows=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$expected")
if [ $# -gt 0 ]; then
	want=$(printf '%s\n' "$@")
	for n in "$@"; do
		echo "$rows" | awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' ||
			{ echo "proof.sh: no row '$n' in $expected" >&2; exit 2; }
	done
	rows=$(echo "$rows" | awk -v w="$want" \
		'BEGIN { split(w, a, "\n"); for (i in a) k[a[i]] = 1 } $1 in k')
fi

author=$(cfg series.author)
as_author () {
	GIT_COMMITTER_NAME=${author% <*} \
	GIT_COMMITTER_EMAIL=$(echo "$author" | sed 's/.*<\(.*\)>.*/\1/') \
	GIT_COMMITTER_DATE=$1 "${@:2}"
}

# proof/alloc-apis-vN: vN/ applied onto its base, as make run applies it.
prepared=
prepare () {
	local v=$1 base pkg tarball
	case " $prepared " in *" $v "*) return 0 ;; esac
	base=$(cfg "version.$v.base")
	if ! git -C "$repo" rev-parse -q --verify "refs/tags/$base^{commit}" \
		>/dev/null; then
		pkg=$(cfg "base.$base.package")
		tarball=$("$top/ci/fetch-base.sh" "$pkg")
		"$kser" base import --repo "$repo" \
			--overlay "$top/$(cfg series.overlay)" --label "$base" \
			"$tarball" >"$out/base-$base.log" 2>&1 </dev/null ||
			{ cat "$out/base-$base.log" >&2; return 1; }
	fi
	as_author "$(cfg "version.$v.date")" \
		"$kser" apply --repo "$repo" --onto "$base" \
		--branch "proof/alloc-apis-v$v" --force "$here/v$v" \
		>"$out/alloc-apis-v$v.apply.log" 2>&1 </dev/null ||
		{ cat "$out/alloc-apis-v$v.apply.log" >&2; return 1; }
	prepared="$prepared $v"
}

# kser verify, again while another run holds the lock.
verify () {
	local log=$1 rc
	shift
	while :; do
		rc=0
		nice "$kser" verify "$@" >"$log" 2>&1 </dev/null || rc=$?
		if [ $rc -ne 0 ] &&
		   grep -q 'another kser verify is running' "$log"; then
			echo "# the verify lock is held; waiting ${lock_wait} s" >&2
			sleep "$lock_wait"
			continue
		fi
		return $rc
	done
}

# Does the row hold?  Prints the diagnostic lines; exits 1 if not.
judge () {
	/usr/bin/python3 - "$@" <<'EOF'
import json, os, sys

path, specs = sys.argv[1], sys.argv[2:]
want = {"fail": [], "pass": [], "rest": None}
for s in specs:
    k, _, v = s.partition("=")
    if k == "rest":
        want["rest"] = v
    elif v != "-":
        want[k] = v.split(",")

with open(path) as f:
    doc = json.load(f)
recs = [r for r in doc["records"] if not r.get("base")]
last = max(r["patch"] for r in recs)
build = next((r for r in recs if r["patch"] == last and r["check"] == "build"), None)
kunit = next((r for r in recs if r["patch"] == last and r["check"] == "kunit"), None)
ok = True
if build and build["status"] != "pass":
    print(f"build: {build['status']}: {build.get('summary')}")
if not kunit or kunit["status"] not in ("pass", "fail"):
    print("kunit: %s: %s" % (kunit and kunit["status"], kunit and kunit.get("summary")))
    sys.exit(1)
d = kunit.get("details") or {}
cases = {}
for s in d.get("suites", []):
    for c in s.get("cases", []):
        cases[s["name"] + "." + c["name"]] = c
line = "kunit: %d failed, %d passed" % (d.get("failed", 0), d.get("passed", 0))
for k in ("skipped", "missing"):
    if d.get(k):
        line += ", %d %s" % (d[k], k)
if d.get("crashed"):
    line += ", crashed"
if kunit.get("cached"):
    line += " (cached)"
print(line)

def first(c, at=None):
    for e in c.get("expectations") or []:
        if at is None or (os.path.basename(e.get("file") or "") == at[0]
                          and e.get("line") == at[1]):
            return e
    return None

named = set()
for spec in want["fail"]:
    name, _, at = spec.partition("@")
    named.add(name)
    c = cases.get(name)
    if not c:
        print(f"{name}: not run")
        ok = False
        continue
    if c["status"] != "fail":
        print(f"{name}: {c['status']}, not failed")
        ok = False
        continue
    if at:
        f, _, n = at.rpartition(":")
        e = first(c, (f, int(n)))
        if not e:
            lines = ", ".join("%s:%s" % (os.path.basename(x.get("file") or "?"),
                                         x.get("line"))
                              for x in c.get("expectations") or [])
            print(f"{name}: failed, but not at {at} (at {lines or 'no line'})")
            ok = False
            continue
    else:
        e = first(c)
    # "Expected A == B, but" and the value KUnit found.
    text = " ".join(x.strip() for x in e["text"].splitlines()[:2]) if e else ""
    if len(text) > 200:
        text = text[:197] + "..."
    where = "%s:%s: " % (os.path.basename(e.get("file") or "?"), e.get("line")) if e else ""
    print(f"{name} failed: {where}{text}".rstrip())
for name in want["pass"]:
    c = cases.get(name)
    st = c["status"] if c else "not run"
    print(f"{name}: {st}" + ("" if st == "pass" else ", not passed"))
    ok = ok and st == "pass"
if want["rest"] == "pass":
    bad = sorted(n for n, c in cases.items()
                 if n not in named and c["status"] != "pass")
    for n in bad:
        print(f"{n}: {cases[n]['status']}, and only the cases named may fail")
    ok = ok and not bad and not d.get("crashed") and not d.get("missing")
sys.exit(0 if ok else 1)
EOF
}

n=$(echo "$rows" | grep -c .)
echo "1..$n"
i=0
held=0
start=$SECONDS
while read -r name v spec <&3; do
	i=$((i + 1))
	t0=$SECONDS
	diag=$out/$name.txt
	: >"$diag"
	if ! prepare "$v" 2>>"$diag"; then
		echo "not ok $i - $name (v$v): cannot make proof/alloc-apis-v$v"
		sed 's/^/# /' "$diag"
		continue
	fi
	branch=proof/alloc-apis-v$v
	if [ "$name" != "v$v-tip" ]; then
		branch=proof/$name
		if ! as_author "$(cfg "version.$v.date")" \
			"$kser" apply --repo "$repo" --onto "proof/alloc-apis-v$v" \
			--branch "$branch" --force "$here/proof/$name.patch" \
			>"$out/$name.apply.log" 2>&1 </dev/null; then
			echo "not ok $i - $name (v$v): the patch does not apply"
			sed 's/^/# /' "$out/$name.apply.log"
			continue
		fi
	fi
	rm -f "$out/$name.json"
	rc=0
	verify "$out/$name.verify.log" --repo "$repo" --series "$here" \
		--version "$v" --checks kunit "${nocache[@]}" \
		--json "$out/$name.json" \
		"$branch~1..$branch" || rc=$?
	if [ ! -s "$out/$name.json" ] || [ $rc -gt 1 ]; then
		echo "not ok $i - $name (v$v): kser verify exited $rc"
		tail -n 20 "$out/$name.verify.log" | sed 's/^/# /'
		continue
	fi
	# shellcheck disable=SC2086 # the spec is words
	if judge "$out/$name.json" $spec >"$diag"; then
		echo "ok $i - $name (v$v, $((SECONDS - t0)) s)"
		held=$((held + 1))
	else
		echo "not ok $i - $name (v$v, $((SECONDS - t0)) s)"
	fi
	sed 's/^/# /' "$diag"
done 3<<<"$rows"
echo "# $held of $n rows held ($((SECONDS - start)) s; branches proof/* in $repo)"
[ "$held" -eq "$n" ]
