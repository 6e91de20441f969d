#!/bin/bash
# kser export versus what a maintainer runs today for the alloc-apis
# series, version 3 with a range-diff against version 2:
#
#   (a) kser export: gate, get_maintainer.pl per patch, cover letter with
#       the range-diff, all the mails
#   (b) git format-patch --cover-letter --range-diff --base, then the
#       tree's get_maintainer.pl twice per patch (--nol, --nom), as b4 and
#       send-email's --to-cmd/--cc-cmd run it
#   (c) b4 (a branch enrolled with b4 prep, untimed): b4 prep
#       --auto-to-cc, then b4 send -o DIR
#
# Then what each produced, side by side. (b) and (c) run in a checked-out
# tree (checked out once, untimed); kser needs none. The patches must be
# the same in all three before anything is timed.
#
#   tools/bench/export.sh [RUNS]
. "$(dirname "$0")/lib.sh"
runs=${1:-3}
series=$top/series/alloc-apis
repo=$bench/export-repo
tree=$bench/export-tree
out=$bench/export-out
export GIT_COMMITTER_NAME="Ada Lindqvist"
export GIT_COMMITTER_EMAIL=ada.lindqvist@example.org
export GIT_CONFIG_GLOBAL=$bench/export-gitconfig
git config --file "$GIT_CONFIG_GLOBAL" user.name "$GIT_COMMITTER_NAME"
git config --file "$GIT_CONFIG_GLOBAL" user.email "$GIT_COMMITTER_EMAIL"
git config --file "$GIT_CONFIG_GLOBAL" sendemail.smtpServer localhost
# kser's abbreviation (git's default grows with the repository's objects).
git config --file "$GIT_CONFIG_GLOBAL" core.abbrev 12
gm_flags="--nogit --nogit-fallback --nogit-chief-penguins --norolestats"

if ! git -C "$repo" rev-parse -q --verify bench-v3 >/dev/null 2>&1; then
	rm -rf "$repo"
	for v in 2 3; do
		base=$(git config -f "$series/series.conf" "version.$v.base")
		GIT_COMMITTER_DATE=$(git config -f "$series/series.conf" "version.$v.date")
		export GIT_COMMITTER_DATE
		"$kser" base import --repo "$repo" --overlay "$top/kernel-overlay" \
			--label "$base" --force \
			"$(test "$base" = v6.12.107 && echo "$tarball_107" || echo "$tarball_117")" >/dev/null
		"$kser" apply --repo "$repo" --onto "$base" --branch bench-v$v \
			--force "$series/v$v" >/dev/null
	done
fi
# The gate needs verify's results; make run's, if there, are the same
# (they are keyed by content). Whatever is missing is verified, untimed.
if [ -d "$top/build/work/linux" ]; then
	git -C "$repo" fetch -q "$top/build/work/linux" \
		'refs/kser/verify/*:refs/kser/verify/*' 2>/dev/null || true
fi
echo "export: verifying v3 (untimed; from the cache when make run ran)"
nice "$kser" verify --repo "$repo" --series "$series" --version 3 --jobs 2 \
	v6.12.117..bench-v3 | tail -n 1
if [ ! -d "$tree" ]; then
	git -C "$repo" worktree add -q --detach "$tree" bench-v3
fi
# b4 keeps its cover letter in a commit of its own: a branch of its own.
if ! git -C "$tree" rev-parse -q --verify b4-v3 >/dev/null; then
	git -C "$repo" branch -q -f b4-v3 bench-v3
	git -C "$tree" checkout -q b4-v3
	git -C "$repo" config branch.bench-v3.description |
		sed '/^---$/,$d' >"$bench/export-cover"
	(cd "$tree" && HOME=$bench b4 prep -e v6.12.117 &&
	 HOME=$bench EDITOR="cp $bench/export-cover" b4 prep --edit-cover &&
	 HOME=$bench b4 prep --force-revision 3) >/dev/null 2>&1
fi
git -C "$tree" checkout -q b4-v3

mkdir -p "$out"
kser_cmd="rm -rf '$out/kser' && '$kser' export --repo '$repo' --series '$series' --prev v6.12.107..bench-v2 -o '$out/kser' bench-v3 >/dev/null"
git_cmd="rm -rf '$out/git' && git -C '$repo' format-patch -q --cover-letter -v3 --range-diff=v6.12.107..bench-v2 --base=v6.12.117 -o '$out/git' v6.12.117..bench-v3 && cd '$tree' && for p in '$out'/git/v3-000[1-9]* '$out'/git/v3-001*; do perl scripts/get_maintainer.pl $gm_flags --nol \"\$p\" >\"\$p.to\" && perl scripts/get_maintainer.pl $gm_flags --nom \"\$p\" >\"\$p.cc\" || exit 1; done"
b4_cmd="rm -rf '$out/b4' && cd '$tree' && HOME='$bench' b4 prep --auto-to-cc >/dev/null 2>&1 && HOME='$bench' b4 send --no-sign -o '$out/b4' >/dev/null 2>&1"

# Once, to compare what they make.
for c in "$kser_cmd" "$git_cmd" "$b4_cmd"; do
	bash -c "$c" || { echo "export: failed: $c" >&2; exit 1; }
done
python3 - "$out" <<-\EOP
import email, glob, os, re, sys
out = sys.argv[1]
def mails(d, pat):
    return [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(out, d, pat)))]
def body_patch(raw):
    # The message and diff: from the first blank line, signature cut.
    t = raw.decode("utf-8", "replace")
    b = t.split("\n\n", 1)[1]
    return b.split("\n-- \n", 1)[0].rstrip("\n")
k = mails("kser", "*.patch"); g = mails("git", "*.patch"); b = mails("b4", "*.eml")
same_kg = all(body_patch(x) == body_patch(y) for x, y in zip(k[1:], g[1:]))
same_kb = all(body_patch(x) == body_patch(y) for x, y in zip(k[1:], b[1:]))
def hdr(raw, name):
    m = email.message_from_bytes(raw)
    return " " + " ".join(m.get_all(name) or [])
def count(s):
    return len(re.findall(r"[\w.+-]+@[\w.-]+", s))
def has(raw, s):
    return "yes" if s.encode() in raw else "no"
def row(name, ms, cover_to, patch_rcpt):
    c = ms[0]
    print(f"  {name:<30} {len(ms):>5}  {has(c, 'Range-diff'):>10}  "
          f"{has(c, 'base-commit:'):>11}  {has(c, 'change-id:'):>9}  "
          f"{cover_to:>9}  {patch_rcpt:>12}")
print("export: what each produced for alloc-apis v3")
print(f"  {'':<30} {'mails':>5}  {'range-diff':>10}  {'base-commit':>11}  "
      f"{'change-id':>9}  {'cover To+Cc':>9}  {'patch To+Cc':>12}")
gm = [open(p).read() for p in sorted(glob.glob(os.path.join(out, "git", "*.to")) +
                                      glob.glob(os.path.join(out, "git", "*.cc")))]
row("kser export", k, str(count(hdr(k[0], "To") + hdr(k[0], "Cc"))),
    "/".join(str(count(hdr(m, "To") + hdr(m, "Cc"))) for m in k[1:4]) + "/...")
naddr = len(set(re.findall(r"[\w.+-]+@[\w.-]+", "".join(gm))))
row("git format-patch (+ gm.pl)", g, "0", f"0 (gm.pl: {naddr})")
row("b4 prep + send -o", b, str(count(hdr(b[0], "To") + hdr(b[0], "Cc"))),
    "/".join(str(count(hdr(m, "To") + hdr(m, "Cc"))) for m in b[1:4]) + "/...")
print(f"  patches identical to git format-patch's (message and diff): "
      f"kser {'yes' if same_kg else 'NO'}, b4 {'yes' if same_kb else 'no'}")
if not same_kg:
    sys.exit(1)
EOP
# Twice the same bytes?
bash -c "$kser_cmd" && cp -r "$out/kser" "$out/kser.1" && bash -c "$kser_cmd" &&
	if diff -r -q "$out/kser" "$out/kser.1" >/dev/null; then
		echo "export: kser export twice: the same bytes"
	else
		echo "export: kser export twice: different bytes" >&2; exit 1
	fi
rm -rf "$out/kser.1"
bash -c "$b4_cmd" && cp -r "$out/b4" "$out/b4.1" && sleep 1 && bash -c "$b4_cmd" &&
	echo "export: b4 send -o twice: $(diff -r "$out/b4" "$out/b4.1" | grep -c '^[<>] \(Date\|Message-Id\|X-B4\)') header lines differ (dates, Message-Ids)"
rm -rf "$out/b4.1"

hyperfine --runs "$runs" --export-json "$bench/export.json" \
	-n "kser export" "$kser_cmd" \
	-n "git format-patch + get_maintainer.pl" "$git_cmd" \
	-n "b4 prep --auto-to-cc + b4 send -o" "$b4_cmd"
python3 - "$bench/export.json" <<-\EOP
import json, sys
r = json.load(open(sys.argv[1]))["results"]
names = ["kser export", "git format-patch + get_maintainer.pl",
         "b4 prep --auto-to-cc + send -o"]
k = r[0]
for name, o in zip(names[1:], r[1:]):
    ratio = o['mean'] / k['mean']
    verdict = (f"kser is {ratio:.2f}x faster" if ratio >= 1 else
               f"kser takes {1 / ratio:.2f}x as long")
    print(f"export: kser export {k['mean']:.2f} s (±{k['stddev'] or 0:.2f}), "
          f"{name} {o['mean']:.2f} s (±{o['stddev'] or 0:.2f}): "
          f"other/kser = {ratio:.2f}, {verdict}")
EOP
