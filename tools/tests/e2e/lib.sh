# Shared setup for kser's sharness tests: source it first.
#
# The sanitizer build of kser comes first in PATH. Fixtures are built by
# scripts here, never committed.

. /usr/share/sharness/sharness.sh

PATH=$(dirname "$KSER_BIN"):$PATH
export PATH

# Never let git or kser find the project's own repository above us.
GIT_CEILING_DIRECTORIES=$(dirname "$SHARNESS_TRASH_DIRECTORY")
export GIT_CEILING_DIRECTORIES

# Deterministic git, as in git's own test suite.
export GIT_AUTHOR_NAME="A U Thor" GIT_AUTHOR_EMAIL=author@example.com
export GIT_COMMITTER_NAME="C O Mitter" GIT_COMMITTER_EMAIL=committer@example.com
export GIT_AUTHOR_DATE="@1700000000 +0000"
export GIT_COMMITTER_DATE="@1700000000 +0000"
export GIT_CONFIG_NOSYSTEM=1
export TZ=UTC
git config --global user.name "$GIT_COMMITTER_NAME"
git config --global user.email "$GIT_COMMITTER_EMAIL"
git config --global init.defaultBranch main
git config --global advice.detachedHead false

# test_tick: advance the author and committer dates, as git's tests do.
test_tick () {
	if test -z "${test_tick_time+set}"
	then
		test_tick_time=1700000000
	else
		test_tick_time=$((test_tick_time + 60))
	fi
	GIT_COMMITTER_DATE="@$test_tick_time +0000"
	GIT_AUTHOR_DATE="@$test_tick_time +0000"
	export GIT_COMMITTER_DATE GIT_AUTHOR_DATE
}

# A repository state fingerprint: every ref and what it points at.
refs_of () {
	git -C "$1" for-each-ref --format='%(refname) %(objectname)' | sort
}

# Helpers git's test library has and Debian's sharness does not.
test_path_is_missing () {
	if test -e "$1" || test -L "$1"
	then
		echo "path exists unexpectedly: $1"
		return 1
	fi
}

test_path_is_file () {
	test -f "$1" || { echo "file $1 does not exist"; return 1; }
}

test_path_is_dir () {
	test -d "$1" || { echo "directory $1 does not exist"; return 1; }
}

test_line_count () {
	local n
	n=$(wc -l <"$3")
	case $1 in
	=) op=-eq ;; -lt|-le|-gt|-ge|-eq|-ne) op=$1 ;; *) op=$1 ;;
	esac
	test "$n" "$op" "$2" || {
		echo "test_line_count: $3 has $n lines, want $1 $2"
		cat "$3"
		return 1
	}
}

# git fsck --strict over every object of repository $1, reachable or not:
# every tree and commit kser writes must pass it. Shows what fsck says
# when it fails.
fsck_strict () {
	git -C "$1" fsck --strict --no-dangling --no-progress >fsck.out 2>&1 || {
		cat fsck.out
		return 1
	}
}
