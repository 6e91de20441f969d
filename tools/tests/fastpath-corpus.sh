#!/bin/bash
# The build check's fast path against plain make, on the real kernel
# build: a corpus of patch shapes on top of the newest version of the
# alloc-apis series, each verified twice from the same starting point,
#
#   - in a clone of the work repository with the fast path on and the
#     paranoid mode (make after the fast path must find nothing to
#     rebuild), and
#   - in another clone with plain make only (--no-fast-path),
#
# one patch at a time. Both build in the work repository's state
# directory, each with a build of its own swapped in (renamed) for its
# turn: the commands kbuild records name the state directory's absolute
# path (kser's compiler wrapper), so a build moved elsewhere would be
# rebuilt whole. Both builds start as one copy of plain make's build of
# the series' tip. For each shape the results must be the same (build
# and KUnit status, warnings by fingerprint, every suite and case), the
# linked kernel the same byte for byte (less its build ID and debug
# sections), and the fast path taken exactly where it should be. Prints
# TAP; run.sh counts it in make check's series part.
#
#   tools/tests/fastpath-corpus.sh [REPO]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
kser=${KSER_RELEASE_BIN:-$top/build/kser}
repo=${1:-${KSER_WORK_REPO:-$top/build/work/linux}}
series=$top/series/alloc-apis
conf=$series/series.conf
work=$(dirname "$repo")
fast=$work/corpus-fast.git
plain=$work/corpus-plain.git
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

version=$(git config -f "$conf" --name-only --get-regexp '^version\..*\.base$' |
	sed 's/^version\.\(.*\)\.base$/\1/' | sort -n | tail -n 1)
name=$(git config -f "$conf" series.name)
tip=$(git -C "$repo" rev-parse -q --verify "refs/heads/$name-v$version") || {
	echo "fastpath-corpus: no branch $name-v$version in '$repo'" >&2
	exit 1
}
gitdir=$(git -C "$repo" rev-parse --absolute-git-dir)

# The shapes, one commit each, made in a scratch index (no checkout).
# Every shape's tree is one no shape before it had: a tree verified
# before would come from the cache, and prove nothing.
export GIT_INDEX_FILE=$tmp/index
export GIT_AUTHOR_NAME="Corpus Author" GIT_AUTHOR_EMAIL=corpus@example.org
export GIT_COMMITTER_NAME="Corpus Author" GIT_COMMITTER_EMAIL=corpus@example.org
export GIT_AUTHOR_DATE="@1763000000 +0000" GIT_COMMITTER_DATE="@1763000000 +0000"
g () { git -C "$repo" "$@"; }
g read-tree "$tip"
parent=$tip
commits=()
shapes=()
expect=()
put () {	# put PATH FILE
	local blob
	blob=$(g hash-object -w "$2") &&
	g update-index --add --cacheinfo "100644,$blob,$1"
}
drop () {	# drop PATH (update-index --force-remove wants a work tree)
	printf '0 %040d\t%s\n' 0 "$1" | g update-index --index-info
}
edit () {	# edit PATH SED-SCRIPT (or -a TEXT: append)
	g cat-file blob ":$1" >"$tmp/f" || exit 1
	if [ "$2" = -a ]; then printf '%s\n' "$3" >>"$tmp/f"
	else sed -i "$2" "$tmp/f"; fi
	put "$1" "$tmp/f"
}
shape () {	# shape NAME EXPECTED-PATH: commit what the index holds
	local tree c
	tree=$(g write-tree) &&
	c=$(g commit-tree "$tree" -p "$parent" -m "corpus: $1") || exit 1
	parent=$c
	commits+=("$c")
	shapes+=("$1")
	expect+=("$2")
}

sync=lib/ctnr/sync.c
edit $sync -a "/* corpus: a comment */"
shape "one .c file" fast
edit include/kunit/test.h -a "/* corpus: a header included by many files */"
shape "a header included by many files" fast
edit drivers/gpu/drm/i915/i915_drv.h -a "/* corpus: a header no object includes */"
shape "a header included by none of the built objects" fast
edit $sync -a "void kser_corpus_warn(void);
void kser_corpus_warn(void)
{
	int kser_corpus_unused;
}"
shape "a patch that adds a warning" fast
edit $sync '/kser_corpus_/,$d'
edit $sync -a "/* corpus: the warning taken out */"
shape "the warning taken out again" fast
edit $sync -a "#error kser corpus: this patch breaks the build"
shape "a patch that breaks the build" fast
edit $sync '/#error kser corpus/d'
edit $sync -a "/* corpus: mended */"
shape "the build mended (after a failed build)" make
printf 'int kser_corpus_new;\n' >"$tmp/new.c"
put lib/ctnr/kser_corpus_new.c "$tmp/new.c"
shape "a new file (in a directory kbuild builds: its pass)" fast
drop lib/ctnr/kser_corpus_new.c
edit $sync -a "/* corpus: a file deleted */"
shape "a deleted file (its directory's pass)" fast
printf '/* corpus: a new header */\n' >"$tmp/new.h"
put include/linux/kser_corpus_new.h "$tmp/new.h"
shape "a new file outside every directory kbuild builds" make
doc=Documentation/dev-tools/kunit/faq.rst
blob=$(g rev-parse ":$doc")
drop "$doc"
g update-index --add --cacheinfo "100644,$blob,${doc%.rst}-corpus.rst"
shape "a rename" make
edit lib/ctnr/Makefile -a "ccflags-y += -DKSER_CORPUS=1"
shape "a Makefile change (its directory's pass)" fast
printf '#include <linux/module.h>\nint kser_corpus_obj(void);\nint kser_corpus_obj(void)\n{\n\treturn 1;\n}\n' >"$tmp/obj.c"
put lib/ctnr/kser_corpus_obj.c "$tmp/obj.c"
edit lib/ctnr/Makefile -a "obj-\$(CONFIG_CTNR) += kser_corpus_obj.o"
shape "a Makefile change that adds an object (its pass)" fast
edit lib/ctnr/ctnr.mk -a "ctnr_cflags += -DKSER_CORPUS_MK=1"
shape "an included .mk two directories read (both passes)" fast
edit lib/Makefile -a "# corpus: a parent directory's Makefile"
shape "a parent directory's Makefile (its pass, all of lib/)" fast
edit lib/ctnr/Makefile -a "always-y += kser_corpus_gen.h
filechk_kser_corpus_gen = echo '/* corpus: generated, 1 */'
\$(obj)/kser_corpus_gen.h: FORCE
	\$(call filechk,kser_corpus_gen)"
shape "a Makefile that generates a header (its pass)" fast
edit samples/ctnr/ctnr_sample.c -a "#include <../lib/ctnr/kser_corpus_gen.h>"
shape "another directory's source includes the generated header" fast
edit lib/ctnr/Makefile 's/generated, 1/generated, 2/'
shape "the pass makes the header anew: what includes it, recompiled" fast
edit arch/um/Makefile -a "# corpus: kbuild's top Makefile reads this one"
shape "an arch Makefile change" make
edit lib/Kconfig '/^config CTNR$/,/^config PARMAN/s/Selected by its users\./Selected by its users (corpus)./'
shape "a Kconfig change" make
edit lib/ctnr/.kunitconfig -a "# corpus: a .kunitconfig change"
shape "a .kunitconfig change" make
edit $sync -a "/* corpus: a comment again, after make */"
shape "one .c file again, after make" fast
unset GIT_INDEX_FILE
g update-ref refs/heads/kser-fastpath-corpus "$parent"

# The two clones: objects shared, results cache of their own.
rm -rf "$fast" "$plain"
git clone -q --bare --shared "$repo" "$fast" &&
git clone -q --bare --shared "$repo" "$plain" || exit 1
state=$gitdir/kser/verify
git -C "$fast" config kser.verifyDir "$state"
git -C "$plain" config kser.verifyDir "$state"

# Both start from plain make's build of the tip: the fast one in place,
# plain make's a copy aside ($state.plain), swapped in for its turns.
# A run cut off between the swaps left the fast build aside.
if [ ! -d "$state" ] && [ -d "$state.fast" ]; then
	mv "$state.fast" "$state" || exit 1
fi
rm -rf "$state.plain" "$state.fast"
"$kser" verify --repo "$plain" --series "$series" --checks build \
	--no-fast-path "$tip~1..$tip" >"$tmp/warm.log" 2>&1 || {
	echo "fastpath-corpus: plain make of the tip failed:" >&2
	tail -n 20 "$tmp/warm.log" >&2
	exit 1
}
cp -a "$state" "$state.plain" || exit 1
swap () {	# swap OUT IN: the build in place goes to $state.OUT
	mv "$state" "$state.$1" && mv "$state.$2" "$state"
}

kernel_of () {	# the kernel a state directory holds, less build ID and debug
	objcopy --remove-section=.note.gnu.build-id --strip-debug \
		"$1/build-default/linux" "$2" 2>/dev/null || : >"$2"
}

cmp_json () {	# cmp_json FAST PLAIN EXPECTED: empty when they agree
	/usr/bin/python3 - "$@" <<-\EOP
	import json, sys
	fast, plain, want = sys.argv[1:4]
	def load(p):
	    recs = {r["check"]: r for r in json.load(open(p))["records"]
	            if r["patch"] == 1}
	    return recs
	f, p = load(fast), load(plain)
	bad = []
	for check in ("build", "kunit"):
	    if check not in f or check not in p:
	        bad.append(f"no {check} result")
	        continue
	    if f[check].get("cached") or p[check].get("cached"):
	        bad.append(f"{check} came from the cache: the shape's tree "
	                   f"was verified before")
	    if f[check]["status"] != p[check]["status"]:
	        bad.append(f"{check}: {f[check]['status']} against make's "
	                   f"{p[check]['status']} ({f[check]['summary']})")
	fb, pb = f.get("build", {}).get("details", {}), p.get("build", {}).get("details", {})
	fw = sorted(w["fingerprint"] for w in fb.get("warnings", []))
	pw = sorted(w["fingerprint"] for w in pb.get("warnings", []))
	if fw != pw:
	    bad.append(f"warnings differ: {len(fw)} against make's {len(pw)}")
	fn = sorted(w.get("fingerprint") for w in fb.get("new_warnings", []))
	pn = sorted(w.get("fingerprint") for w in pb.get("new_warnings", []))
	if fn != pn:
	    bad.append("new warnings differ")
	fe = [e.get("file") for e in fb.get("errors", [])]
	pe = [e.get("file") for e in pb.get("errors", [])]
	if sorted(set(fe)) != sorted(set(pe)):
	    bad.append(f"errors in {fe} against make's {pe}")
	fk, pk = f.get("kunit", {}).get("details", {}), p.get("kunit", {}).get("details", {})
	for k in ("passed", "failed", "skipped", "missing", "crashed", "suites"):
	    if fk.get(k) != pk.get(k):
	        bad.append(f"kunit {k} differs")
	path = fb.get("path")
	if path != want:
	    bad.append(f"the build took the {path} path, not the {want} one "
	               f"({fb.get('path_why')})")
	if pb.get("path") != "make":
	    bad.append("make's side did not build with make")
	print("; ".join(bad))
	EOP
}

times_of () {	# times_of FAST PLAIN: the build's phases, as TAP comments
	/usr/bin/python3 - "$@" <<-\EOP 2>/dev/null
	import json, sys
	def build(p):
	    return [r for r in json.load(open(p))["records"]
	            if r["patch"] == 1 and r["check"] == "build"][0]
	f, p = build(sys.argv[1]), build(sys.argv[2])
	fp = f["details"].get("phases", {})
	pp = p["details"].get("phases", {})
	print(f"# build: {f['details'].get('path')} {f['duration']:.1f} s "
	      f"(plan {fp.get('plan', 0):.1f}, compile {fp.get('compile', 0):.1f}, "
	      f"link {fp.get('link', 0):.1f}, make {fp.get('make', 0):.1f}; "
	      f"with the paranoid make after it); plain make {p['duration']:.1f} s "
	      f"(make {pp.get('make', 0):.1f})")
	print(f"# why: {f['details'].get('path_why', '')[:150]}")
	EOP
}

prev=$tip
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	range=$prev..$c
	"$kser" verify --repo "$fast" --series "$series" --checks build,kunit \
		--paranoid --json "$tmp/fast.json" "$range" >"$tmp/fast.log" 2>&1
	kernel_of "$state" "$tmp/fast.kernel"
	swap fast plain || exit 1
	"$kser" verify --repo "$plain" --series "$series" --checks build,kunit \
		--no-fast-path --json "$tmp/plain.json" "$range" >"$tmp/plain.log" 2>&1
	kernel_of "$state" "$tmp/plain.kernel"
	swap plain fast || exit 1
	prev=$c
	what="${shapes[$i]} (${expect[$i]})"
	if [ ! -s "$tmp/fast.json" ] || [ ! -s "$tmp/plain.json" ]; then
		not_ok "$what: kser verify did not report"
		tail -n 20 "$tmp/fast.log" "$tmp/plain.log" | sed 's/^/# /'
		continue
	fi
	why=$(cmp_json "$tmp/fast.json" "$tmp/plain.json" "${expect[$i]}")
	if [ -z "$why" ] && ! cmp -s "$tmp/fast.kernel" "$tmp/plain.kernel"; then
		why="the kernels differ"
	fi
	if [ -z "$why" ] && [ ! -s "$tmp/fast.kernel" ]; then
		why="no kernel was built"
	fi
	times_of "$tmp/fast.json" "$tmp/plain.json"
	if [ -n "$why" ]; then
		not_ok "$what: $why"
		sed -n '/^   #  patch/,$p' "$tmp/fast.log" | sed 's/^/# fast: /'
	else
		ok "$what: the same result and kernel as make"
	fi
	rm -f "$tmp/fast.json" "$tmp/plain.json"
done
echo "1..$n"
[ "$failed" -eq 0 ]
