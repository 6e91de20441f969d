#!/bin/bash
# kser diff versus git range-diff on a generated 500-patch series.
#
# A scratch repository gets 200 files and a 500-commit series on them;
# the second version is the same series rebased on a moved base, with
# one patch in five changed, one in twenty reworded, some dropped and
# some added. Both tools must print the same bytes before they are
# timed.
#
#   tools/bench/diff.sh [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bench=$top/build/bench
kser=$top/build/kser
runs=${1:-5}
repo=$bench/diff-repo
mkdir -p "$bench"
make -s -C "$top" build/kser >/dev/null
command -v hyperfine >/dev/null || { echo "hyperfine is missing" >&2; exit 1; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Bench Author" GIT_AUTHOR_EMAIL=author@example.org
export GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL=bench@example.org

if ! git -C "$repo" rev-parse -q --verify v2 >/dev/null 2>&1; then
	rm -rf "$repo"
	git init -q "$repo"
	python3 - "$repo" <<-\EOP
	import os, random, subprocess, sys
	repo = sys.argv[1]
	rnd = random.Random(42)
	def git(*args, env=None):
	    return subprocess.run(["git", "-C", repo, *args], check=True,
	                          capture_output=True, text=True, env=env).stdout
	files = [f"src/mod{i:03d}.c" for i in range(200)]
	text = {}
	os.makedirs(os.path.join(repo, "src"))
	for f in files:
	    lines = []
	    for fn in range(12):
	        lines += [f"static int fn_{fn}(int x)", "{"]
	        lines += [f"\tx += {rnd.randint(0, 999)};" for _ in range(8)]
	        lines += ["\treturn x;", "}", ""]
	    text[f] = lines
	    open(os.path.join(repo, f), "w").write("\n".join(lines) + "\n")
	t = [1763000000]
	def commit(msg):
	    t[0] += 60
	    env = dict(os.environ, GIT_AUTHOR_DATE=f"@{t[0]} +0000",
	               GIT_COMMITTER_DATE=f"@{t[0]} +0000")
	    git("add", "-A")
	    git("commit", "-q", "-m", msg, env=env)
	def write(f):
	    open(os.path.join(repo, f), "w").write("\n".join(text[f]) + "\n")
	commit("base")
	git("tag", "base")
	# The series: 500 patches, each changing a few lines of one or two files.
	patches = []
	for i in range(500):
	    fs = rnd.sample(files, rnd.choice([1, 1, 2]))
	    edits = [(f, rnd.randrange(len(text[f])), f"\tx ^= {rnd.randint(0, 99999)};")
	             for f in fs]
	    patches.append((f"mod: patch {i}: adjust {' and '.join(fs)}", edits))
	def apply(edits, tweak=False):
	    for f, at, line in edits:
	        text[f].insert(at, line + (" /* v2 */" if tweak else ""))
	        write(f)
	snapshot = {f: list(v) for f, v in text.items()}
	for msg, edits in patches:
	    apply(edits)
	    commit(msg + "\n\nSigned-off-by: Bench Author <author@example.org>")
	git("branch", "v1")
	# v2: a new base (a line added at the top of every tenth file) ...
	git("checkout", "-q", "--detach", "base")
	text = {f: list(v) for f, v in snapshot.items()}
	for f in files[::10]:
	    text[f].insert(0, "/* moved base */")
	    write(f)
	commit("moved base")
	git("tag", "base2")
	for i, (msg, edits) in enumerate(patches):
	    if i % 50 == 7:
	        continue                      # dropped
	    if i % 20 == 3:
	        msg = msg + " (reworded)"
	    apply(edits, tweak=(i % 5 == 1))  # changed
	    commit(msg + "\n\nSigned-off-by: Bench Author <author@example.org>")
	    if i % 100 == 42:
	        f = rnd.choice(files)
	        text[f].append(f"/* added after {i} */")
	        write(f)
	        commit(f"mod: an added patch after {i}")
	git("branch", "v2")
	git("gc", "-q")
	EOP
fi

echo "diff: $(git -C "$repo" rev-list --count base..v1) and" \
	"$(git -C "$repo" rev-list --count base2..v2) patches"
git -C "$repo" range-diff --no-color base..v1 base2..v2 >"$bench/diff.git"
"$kser" diff --repo "$repo" --no-color base..v1 base2..v2 >"$bench/diff.kser"
if ! cmp -s "$bench/diff.git" "$bench/diff.kser"; then
	echo "diff: outputs differ (see $bench/diff.git, $bench/diff.kser)" >&2
	exit 1
fi
echo "diff: identical output ($(wc -l <"$bench/diff.git") lines," \
	"$(grep -c '^ *[0-9-]*: .* ! ' "$bench/diff.git") changed pairs)"

hyperfine --runs "$runs" --warmup 1 --export-json "$bench/diff.json" \
	-n "kser diff" \
	"'$kser' diff --repo '$repo' --no-color base..v1 base2..v2" \
	-n "git range-diff" \
	"git -C '$repo' range-diff --no-color base..v1 base2..v2"
python3 - "$bench/diff.json" <<-\EOP
import json, sys
r = json.load(open(sys.argv[1]))["results"]
k, g = r[0], r[1]
print(f"diff: kser diff {k['mean']:.3f} s (±{k['stddev'] or 0:.3f}), "
      f"git range-diff {g['mean']:.3f} s (±{g['stddev'] or 0:.3f}): "
      f"kser is {g['mean'] / k['mean']:.1f}x faster")
EOP
