# Shared by the benchmarks: paths, tools, and a ratio printer.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=$top/build/bench
kser=$top/build/kser
mkdir -p "$bench"
"$top/ci/deps.sh" --kernel
make -s -C "$top" build/kser >/dev/null
command -v hyperfine >/dev/null || { echo "hyperfine is missing" >&2; exit 1; }

tarball_107=$("$top/ci/fetch-base.sh" linux-source-6.12=6.12.107-1~deb12u1)
tarball_117=$("$top/ci/fetch-base.sh" linux-source-6.12=6.12.117-1~deb12u1)

# Identical commits need identical identities and dates on both sides.
export GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL=bench@example.org
export GIT_COMMITTER_DATE="@1763000000 +0000"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# ratio NAME JSON: "NAME: kser X s, other Y s, Y/X = Z"
ratio () {
	python3 - "$@" <<-\EOP
	import json, sys
	name, path = sys.argv[1], sys.argv[2]
	r = json.load(open(path))["results"]
	k, o = r[0], r[1]
	print(f"{name}: {k['command'].split()[0]} {k['mean']:.3f} s "
	      f"(±{k['stddev'] or 0:.3f}), {o['command'].split()[0]} "
	      f"{o['mean']:.3f} s (±{o['stddev'] or 0:.3f}): "
	      f"kser is {o['mean'] / k['mean']:.1f}x faster")
	EOP
}
