#!/bin/bash
test_description='kser: commands, help and exit codes'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

test_expect_success 'help lists the commands' '
	kser help >out &&
	grep "^  base " out &&
	grep "^  apply " out
'

test_expect_success 'help CMD and CMD --help print the same text' '
	kser help apply >a &&
	kser apply --help >b &&
	test_cmp a b &&
	grep "^usage: kser apply" a &&
	kser help base >c &&
	grep "^usage: kser base import" c
'

test_expect_success 'an unknown command is a usage error (2)' '
	test_expect_code 2 kser frobnicate 2>err &&
	grep "not a kser command" err
'

test_expect_success 'an unknown option is a usage error (2)' '
	test_expect_code 2 kser apply --no-such-option x 2>err &&
	grep "^kser: " err &&
	grep "usage: kser apply" err
'

test_expect_success 'apply without input is a usage error' '
	test_expect_code 2 kser apply 2>err &&
	grep "no INPUT given" err
'

test_expect_success 'no command prints usage and exits 2' '
	test_expect_code 2 kser 2>err &&
	grep "^usage: kser" err
'

test_expect_success '--version names kser and libgit2' '
	kser --version >out &&
	grep "^kser .* (libgit2 1\." out
'

test_expect_success 'apply outside a repository fails with 1 and says why' '
	mkdir norepo && echo x >norepo/m &&
	(cd norepo && GIT_CEILING_DIRECTORIES=$(pwd)/.. &&
	 export GIT_CEILING_DIRECTORIES &&
	 test_expect_code 1 kser apply m 2>../err) &&
	grep "^kser: not a git repository" err
'

test_done
