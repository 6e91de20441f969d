#!/bin/bash
test_description='kser verify: which path a build takes and why, its settings, the paranoid mode,
checkpatch at the start of the run

The fast path itself needs a real kbuild tree (tools/tests/fastpath-corpus.sh
runs it on the kernel); the mini kernel has no .cmd files, so here every
build is plain make, and what is checked is that the log and the record say
so, and why, and that the settings and options are read.'
. "$KSER_TOP/tools/tests/e2e/lib.sh"
. "$KSER_TOP/tools/tests/e2e/minikernel.sh"

vdir=$(mktemp -d /tmp/kser-t3200.XXXXXX)
trap 'rm -rf "$vdir" "$vdir"-*' EXIT

write_conf () {
	cat >series.conf <<-EOF
	[series]
		kunitconfig = .kunitconfig
		checkpatch = --strict
	[verify]
		buildTimeout = 60
		kunitTimeout = 10
	$1
	EOF
}

verify () {
	kser verify --repo repo --series series.conf --jobs 2 "$@"
}

# The field of the build record's details of patch N.
detail () {
	python3 - "$1" "$2" "$3" <<-\EOP
	import json, sys
	r = json.load(open(sys.argv[1]))
	x = [x for x in r["records"]
	     if x["patch"] == int(sys.argv[2]) and x["check"] == "build"][0]
	v = x["details"].get(sys.argv[3])
	print(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v)
	EOP
}

# The status of patch N's checkpatch check.
status_of () {
	python3 - "$1" "$2" <<-\EOP
	import json, sys
	r = json.load(open(sys.argv[1]))
	print([x for x in r["records"] if x["patch"] == int(sys.argv[2])
	       and x["check"] == "checkpatch"][0]["status"])
	EOP
}

test_expect_success 'setup: a mini kernel and two patches' '
	git init -q repo &&
	git -C repo config kser.verifyDir "$vdir" &&
	make_minikernel repo && commit_all repo base && git -C repo tag base &&
	printf "/* a comment */\n" >>repo/lib/a.c &&
	commit_all repo "lib: comment a" &&
	printf "/* another */\n" >>repo/lib/b.c &&
	commit_all repo "lib: comment b" && git -C repo tag good &&
	write_conf ""
'

test_expect_success 'a build directory never built: plain make, saying why' '
	verify --json out.json base..good >out 2>err &&
	test "$(detail out.json 0 path)" = make &&
	detail out.json 0 path_why >why0 &&
	grep "not known to be completely built" why0 &&
	grep "^kser verify: build: plain make: .*not known to be completely built" \
		"$(python3 -c "import json; print([r for r in json.load(open(\"out.json\"))[\"records\"] if r[\"patch\"] == 0 and r[\"check\"] == \"build\"][0][\"log\"])")"
'

test_expect_success 'a complete build is stamped, with the tree and the make options' '
	test_path_is_file "$vdir/build-default/.kser-built" &&
	grep "^tree $(git -C repo rev-parse good^{tree})$" \
		"$vdir/build-default/.kser-built" &&
	grep "^arg " "$vdir/build-default/.kser-built"
'

test_expect_success 'a stamped build directory that is not kbuild'"'"'s: plain make, saying why' '
	test "$(detail out.json 1 path)" = make &&
	detail out.json 1 path_why >why1 &&
	grep "include/config/auto.conf" why1 &&
	test "$(detail out.json 2 path)" = make
'

test_expect_success 'the record has the phases, make'"'"'s time under make' '
	detail out.json 1 phases >phases &&
	grep "\"compile\": 0.0" phases &&
	grep "\"link\": 0.0" phases &&
	python3 -c "import json,sys; p = json.load(open(\"phases\")); sys.exit(0 if p[\"make\"] > 0 else 1)"
'

test_expect_success '--no-fast-path: plain make, because the fast path is off' '
	verify --no-cache --no-fast-path --json off.json base..good >out 2>err &&
	test "$(detail off.json 1 path_why)" = "the fast path is off" &&
	test "$(detail off.json 2 path_why)" = "the fast path is off"
'

test_expect_success 'verify.fastPath = false: the same' '
	write_conf "	fastPath = false" &&
	verify --no-cache --json off2.json base..good >out 2>err &&
	test "$(detail off2.json 1 path_why)" = "the fast path is off" &&
	write_conf "	fastPath = true" &&
	verify --no-cache --json on.json base..good >out 2>err &&
	test "$(detail on.json 1 path_why)" != "the fast path is off"
'

test_expect_success 'a verify.fastPath or verify.paranoid that is no boolean is refused' '
	write_conf "	fastPath = sometimes" &&
	test_expect_code 1 verify base..good >out 2>err &&
	grep "bad verify.fastpath in the series settings" err &&
	write_conf "	paranoid = sometimes" &&
	test_expect_code 1 verify base..good >out 2>err &&
	grep "bad verify.paranoid in the series settings" err &&
	write_conf ""
'

test_expect_success '--paranoid and verify.paranoid: plain make builds have no make after them' '
	verify --no-cache --paranoid --json par.json base..good >out 2>err &&
	test "$(detail par.json 1 path)" = make &&
	! ls "$vdir"/logs/*.paranoid 2>/dev/null &&
	write_conf "	paranoid = true" &&
	verify --no-cache --json par2.json base..good >out 2>err &&
	test "$(detail par2.json 1 path)" = make &&
	write_conf ""
'

test_expect_success 'a failed build takes the stamp away' '
	printf "int broken(void) { return x; }\n" >repo/lib/c.c &&
	commit_all repo "lib: break" && git -C repo tag broken &&
	test_expect_code 1 verify --json bad.json good..broken >out 2>err &&
	test "$(detail bad.json 1 path)" = make &&
	test_path_is_missing "$vdir/build-default/.kser-built"
'

# checkpatch.pl keeps the CamelCase names of the headers in a cache in
# its working directory, named by the user's HEAD (GIT_DIR), not by the
# tree it checks: this one does the same, with include.h as the headers.
write_camel_checkpatch () {
	cat >"$1/scripts/checkpatch.pl" <<-\EOF
	#!/usr/bin/perl
	my $head = `git rev-parse --short HEAD`;
	chomp $head;
	my $cache = ".checkpatch-camelcase.git.$head";
	my %known;
	if (open(my $c, "<", $cache)) {
		while (<$c>) { chomp; $known{$_} = 1; }
	} else {
		open(my $h, "<", "include.h") or die "no include.h";
		while (<$h>) { $known{$1} = 1 while /\b([A-Z][a-z]+[A-Z]\w*)/g; }
		open(my $o, ">", $cache) or die "cannot write $cache";
		print $o "$_\n" for sort keys %known;
	}
	my $file = $ARGV[-1];
	open(my $fh, "<", $file) or die "cannot open $file";
	my ($cur, $n, $k, $lines) = ("", 0, 0, 0);
	while (<$fh>) {
		$lines++;
		$cur = $1 if /^\+\+\+ b\/(.*)/;
		$n = $1 - 1 if /^@@ -\d+(?:,\d+)? \+(\d+)/;
		$n++ if /^[ +]/;
		next unless /^\+[^+]/;
		for my $w (/\b([A-Z][a-z]+[A-Z]\w*)/g) {
			next if $known{$w};
			$k++;
			print "CHECK:CAMELCASE: Avoid CamelCase: <$w>\n";
			print "#$lines: FILE: $cur:$n:\n$_\n";
		}
	}
	print "total: 0 errors, 0 warnings, $k checks, $lines lines checked\n";
	exit($k ? 1 : 0);
	EOF
	chmod +x "$1/scripts/checkpatch.pl"
}

test_expect_success 'checkpatch of a patch is not answered from the cache of another row' '
	git init -q camel &&
	git -C camel config kser.verifyDir "$vdir-camel" &&
	make_minikernel camel && write_camel_checkpatch camel &&
	commit_all camel base && git -C camel tag base &&
	printf "/* uses FooBar */\n" >camel/lib/c.c &&
	commit_all camel "lib: use FooBar" &&
	printf "/* FooBar */\n" >>camel/include.h &&
	printf "/* uses FooBar too */\n" >camel/lib/d.c &&
	commit_all camel "lib: declare FooBar" && git -C camel tag good &&
	test_expect_code 1 kser verify --repo camel --series series.conf \
		--checks checkpatch --json camel.json base..good >out 2>err &&
	status_of camel.json 1 >s1 && echo fail >want1 && test_cmp want1 s1 &&
	status_of camel.json 2 >s2 && echo pass >want2 && test_cmp want2 s2
'

test_done
