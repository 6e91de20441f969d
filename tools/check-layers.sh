#!/bin/bash
# The layering rule of the library (docs/layers.md): a file includes the
# headers of its own layer and of the layers below it, never of one
# above; a folder's private header (tools/lib/<layer>/kser_lib_<layer>.h)
# is for the files of that folder; a public header includes no private
# one; and no source file of the library is over 800 lines.
#
#   tools/check-layers.sh [TOP]
#
# TOP is the top of a kser tree (default: the one this script is in). It
# reads tools/lib/ and tools/include/kser/, prints nothing and exits 0
# when the rule holds, and otherwise prints one line per wrong include
# (or file it cannot place, or source file too long), naming the file
# and the include (or its length), and exits 1. make check runs it.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2

# The layers, bottom to top.
layers=(core odb patch import mail series am rebase verify export)

declare -A rank
for i in "${!layers[@]}"; do
	rank[${layers[$i]}]=$i
done

status=0
complain() {
	echo "check-layers: $*" >&2
	status=1
}

# The layer of module NAME: the folder of tools/lib/<layer>/NAME.c; empty
# when there is none.
module_layer() {
	local f
	for f in tools/lib/*/"$1".c; do
		if [ -e "$f" ]; then
			f=${f#tools/lib/}
			echo "${f%%/*}"
			return
		fi
	done
}

# The layer of a file of tools/lib/<layer>/ or tools/include/kser/; empty
# for a file of tools/lib/ outside the folders, which has none.
file_layer() {
	local f=$1 name
	case $f in
	tools/lib/*/*)
		f=${f#tools/lib/}
		echo "${f%%/*}"
		;;
	tools/include/kser/*)
		name=${f#tools/include/kser/}
		module_layer "${name%.h}"
		;;
	esac
}

# Every folder is a layer, with at most one header, its private one.
for d in tools/lib/*/; do
	d=${d%/}
	folder=${d#tools/lib/}
	if [ -z "${rank[$folder]:-}" ]; then
		complain "$d/: '$folder' is not a layer (docs/layers.md)"
		continue
	fi
	for h in "$d"/*.h; do
		[ -e "$h" ] || continue
		[ "$h" = "$d/kser_lib_$folder.h" ] ||
			complain "$h: a folder has one private header," \
				"$d/kser_lib_$folder.h"
	done
done

# Nothing of the library outside the folders.
while IFS= read -r file; do
	complain "$file: the library is in folders by layer: move it into" \
		"tools/lib/<layer>/ (docs/layers.md)"
done < <(find tools/lib -mindepth 1 -maxdepth 1 ! -type d | LC_ALL=C sort)

# No source file of the library over 800 lines (headers may be).
max_lines=800
while IFS= read -r file; do
	n=$(wc -l <"$file")
	[ "$n" -le "$max_lines" ] ||
		complain "$file: $n lines, over the $max_lines a source file" \
			"of the library may have: split it (docs/layers.md)"
done < <(find tools/lib -name '*.c' | LC_ALL=C sort)

while IFS= read -r file; do
	layer=$(file_layer "$file")
	if [ -z "$layer" ]; then
		complain "$file: no module of that name in tools/lib/<layer>/:" \
			"a public header is named after its module (docs/layers.md)"
		continue
	fi
	folder=
	case $file in
	tools/lib/*/*)
		folder=${file#tools/lib/}
		folder=${folder%%/*}
		;;
	esac
	while IFS= read -r inc; do
		what= to=
		case $inc in
		kser/*.h)
			if [ ! -e "tools/include/$inc" ]; then
				complain "$file: includes '$inc', which is not there"
				continue
			fi
			name=${inc#kser/}
			to=$(module_layer "${name%.h}")
			what="'$inc'"
			;;
		*/kser_lib_*.h | kser_lib_*.h)
			case $file in tools/include/*)
				complain "$file: a public header includes the" \
					"private '$inc'"
				continue
				;;
			esac
			if [ -n "$folder" ] && [ -e "tools/lib/$folder/$inc" ]; then
				inc="$folder/$inc"
			fi
			if [ -e "tools/lib/$inc" ] && [[ $inc == */* ]]; then
				owner=${inc%%/*}
				if [ "$owner" != "$folder" ]; then
					complain "$file: includes '$inc', which is" \
						"private to tools/lib/$owner/"
					continue
				fi
				to=$owner
			elif [ -e "tools/lib/$inc" ]; then
				name=${inc%.h}
				to=$(module_layer "${name#kser_lib_}")
			else
				complain "$file: includes '$inc', which is not there"
				continue
			fi
			what="'$inc'"
			;;
		*.inc)
			# A generated table, for the files of its own folder.
			if [ -z "$folder" ] || [ "$inc" != "${inc##*/}" ] ||
				[ ! -e "tools/lib/$folder/$inc" ]; then
				complain "$file: includes '$inc', which is no" \
					"table of its own folder"
			fi
			continue
			;;
		*)
			complain "$file: includes '$inc', which is no header" \
				"of the library's (use <...> for others)"
			continue
			;;
		esac
		if [ -z "$to" ]; then
			complain "$file: includes $what, which has no layer:" \
				"no module of that name in tools/lib/<layer>/"
			continue
		fi
		if [ "${rank[$to]}" -gt "${rank[$layer]}" ]; then
			complain "$file: includes $what, of layer $to, above" \
				"its own layer $layer: a file includes its own" \
				"layer and the layers below only (docs/layers.md)"
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find tools/lib/*/ tools/include/kser -name '*.[ch]' -o -name '*.inc' |
	LC_ALL=C sort)

exit $status
