#!/bin/bash
test_description='the layering rule of the library (docs/layers.md)'
. "$KSER_TOP/tools/tests/e2e/lib.sh"

check_layers () {
	"$KSER_TOP/tools/check-layers.sh" "$@"
}

# A copy of the library's tree, to plant wrong includes in.
fresh_copy () {
	rm -rf copy &&
	mkdir -p copy/tools &&
	cp -r "$KSER_TOP/tools/lib" "$KSER_TOP/tools/include" copy/tools/
}

test_expect_success 'the tree keeps the rule' '
	check_layers "$KSER_TOP" 2>err &&
	test_must_be_empty err
'

test_expect_success 'a copy of it does too' '
	fresh_copy &&
	check_layers copy 2>err &&
	test_must_be_empty err
'

test_expect_success 'an include that points up fails, naming the file and the include' '
	fresh_copy &&
	echo "#include \"kser/verify.h\"" >>copy/tools/lib/core/buf.c &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/core/buf.c: includes '\''kser/verify.h'\'', of layer verify, above its own layer core" err &&
	test_line_count = 1 err
'

test_expect_success 'an include down the layers passes, from a folder too' '
	fresh_copy &&
	echo "#include \"kser/rebase.h\"" >>copy/tools/lib/verify/ktap.c &&
	echo "#include \"kser/buf.h\"" >>copy/tools/lib/rebase/rebase.c &&
	check_layers copy 2>err &&
	test_must_be_empty err
'

test_expect_success 'one up from a folder fails, naming the file and the include' '
	fresh_copy &&
	printf "#include \"kser/buf.h\"\n#include \"kser/verify.h\"\n" \
		>copy/tools/lib/odb/tree.c &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/odb/tree.c: includes '\''kser/verify.h'\'', of layer verify, above its own layer odb" err &&
	test_line_count = 1 err
'

test_expect_success 'a folder'\''s private header is for that folder alone' '
	fresh_copy &&
	echo "#include \"verify/kser_lib_verify.h\"" >>copy/tools/lib/rebase/rebase.c &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/rebase/rebase.c: includes '\''verify/kser_lib_verify.h'\'', which is private to tools/lib/verify/" err
'

test_expect_success 'a public header includes no private one' '
	fresh_copy &&
	echo "#include \"mail/kser_lib_mail.h\"" >>copy/tools/include/kser/util.h &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/include/kser/util.h: a public header includes the private '\''mail/kser_lib_mail.h'\''" err
'

test_expect_success 'no file of the library is outside the folders' '
	fresh_copy &&
	echo "int x;" >copy/tools/lib/newthing.c &&
	echo "int x;" >copy/tools/lib/kser_lib_newthing.h &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/newthing.c: the library is in folders by layer" err &&
	grep "^check-layers: tools/lib/kser_lib_newthing.h: the library is in folders by layer" err &&
	test_line_count = 2 err
'

test_expect_success 'a public header is named after a module of a folder' '
	fresh_copy &&
	echo "int x;" >copy/tools/include/kser/nomodule.h &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/include/kser/nomodule.h: no module of that name" err
'

test_expect_success 'a generated table is for the files of its own folder' '
	fresh_copy &&
	echo "#include \"width_table.inc\"" >>copy/tools/lib/series/series.c &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/series/series.c: includes .width_table.inc., which is no table of its own folder" err
'

test_expect_success 'a folder is a layer, with one private header' '
	fresh_copy &&
	mkdir copy/tools/lib/misc &&
	echo "int y;" >copy/tools/lib/misc/y.c &&
	echo "int z;" >copy/tools/lib/verify/extra.h &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/misc/: .misc. is not a layer" err &&
	grep "^check-layers: tools/lib/verify/extra.h: a folder has one private header" err
'

# A file of n lines (C comments).
lines_of_c () {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) print "/* " i " */" }'
}

test_expect_success 'a source file over 800 lines fails, naming it and its length' '
	fresh_copy &&
	lines_of_c 801 >copy/tools/lib/core/long.c &&
	test_expect_code 1 check_layers copy 2>err &&
	grep "^check-layers: tools/lib/core/long.c: 801 lines, over the 800 a source file of the library may have" err &&
	test_line_count = 1 err
'

test_expect_success 'one of 800 lines passes, and a header may be longer' '
	fresh_copy &&
	lines_of_c 800 >copy/tools/lib/core/long.c &&
	lines_of_c 900 >>copy/tools/lib/verify/kser_lib_verify.h &&
	lines_of_c 900 >>copy/tools/include/kser/buf.h &&
	check_layers copy 2>err &&
	test_must_be_empty err
'

test_done
