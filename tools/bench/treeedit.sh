#!/bin/bash
# kser's tree edits (tools/lib/odb/treeedit.c) against libgit2's
# git_tree_create_updated(), which issue 8 asked to replace them by: the
# same edits of a kernel-sized tree written by both in memory, and the
# edits kser's callers make that libgit2 refuses (build/bench/treeedit.c).
#
#   tools/bench/treeedit.sh [FILES [DIRS [ROUNDS]]]   (72000 30 200)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top" build/bench/treeedit >/dev/null
exec "$top/build/bench/treeedit" "${1:-72000}" "${2:-30}" "${3:-200}"
