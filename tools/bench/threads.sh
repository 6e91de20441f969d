#!/bin/bash
# kser apply on long threads: a 3-patch series with thousands of replies
# (chained, as long lore threads are), side by side with b4 am on the same
# mbox (b4 only up to 8000 replies: it needs minutes beyond). kser's time
# grows linearly with the number of replies.
#
#   tools/bench/threads.sh [REPLIES...]     (default: 2000 8000 32000)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bench=$top/build/bench/threads
kser=$top/build/kser
make -s -C "$top" build/kser >/dev/null
rm -rf "$bench" && mkdir -p "$bench" && cd "$bench"
export GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL=bench@example.org
export GIT_AUTHOR_NAME="Bench Author" GIT_AUTHOR_EMAIL=author@example.org
export GIT_COMMITTER_DATE="@1763000000 +0000" GIT_AUTHOR_DATE="@1763000000 +0000"
export GIT_CONFIG_NOSYSTEM=1

git init -q repo
(cd repo && seq 1 30 >f && git add f && git commit -q -m base && git tag base &&
 for i in 3 13 23; do
	sed -i "s/^$i\$/line $i/" f && git commit -q -a -m "f: spell $i"
 done &&
 git format-patch -q --cover-letter --thread -o ../series base..)

for n in ${@:-2000 8000 32000}; do
	python3 - "$n" series/*.patch >"thread-$n.mbox" <<-\EOP
	import re, sys
	n, paths = int(sys.argv[1]), sys.argv[2:]
	mails = [open(p).read() for p in paths]
	sys.stdout.write("".join(mails))
	ids = [re.search(r"^Message-I[dD]: <(.*)>", m, re.M).group(1) for m in mails]
	for i in range(n):
	    parent = ids[1 + i % 3] if i < 3 else f"r{i - 3}@bench"
	    sys.stdout.write(
	        f"From bench Mon Sep 17 00:00:00 2001\nFrom: R{i} <r{i}@example.org>\n"
	        f"Subject: Re: [PATCH {1 + i % 3}/3] f\nMessage-ID: <r{i}@bench>\n"
	        f"In-Reply-To: <{parent}>\nReferences: <{ids[0]}> <{parent}>\n\n"
	        f"> quoted\nLooks good.\n\n"
	        + (f"Reviewed-by: R{i} <r{i}@example.org>\n" if i % 50 == 0 else "") + "\n")
	EOP
	start=$(date +%s.%N)
	"$kser" apply --repo repo --onto base --branch "t$n" "thread-$n.mbox" >/dev/null
	end=$(date +%s.%N)
	line="$n replies: kser $(echo "$end - $start" | bc) s"
	if command -v b4 >/dev/null && [ "$n" -le 8000 ]; then
		mkdir -p "b4-$n"
		start=$(date +%s.%N)
		b4 -q am -o "b4-$n" -m "thread-$n.mbox" >/dev/null 2>&1
		end=$(date +%s.%N)
		line="$line, b4 am $(echo "$end - $start" | bc) s"
	fi
	echo "$line"
done
