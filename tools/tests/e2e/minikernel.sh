# A miniature kernel tree for kser verify's tests: the same interfaces
# (make ARCH=um O=DIR CC=..., tools/testing/kunit/kunit.py config,
# scripts/checkpatch.pl, a "linux" binary that prints KTAP) at a tiny cost.
# The C sources are compiled for real, through kser's compiler wrapper,
# so warnings and errors are gcc's own.
#
#   make_minikernel DIR

make_minikernel () {
	mkdir -p "$1/lib" "$1/scripts" "$1/tools/testing/kunit" &&
	cat >"$1/Makefile" <<-\EOF &&
	# Mini kernel: every lib/*.c is an object; "linux" prints ktap.txt.
	.RECIPEPREFIX := >
	O ?= .
	SRCS := $(sort $(wildcard lib/*.c))
	# A configuration with CONFIG_FRAG=y builds frag/ too.
	-include $(O)/.config
	ifeq ($(CONFIG_FRAG),y)
	SRCS += $(sort $(wildcard frag/*.c))
	endif
	OBJS := $(SRCS:%.c=$(O)/%.o)
	all: $(O)/linux
	$(O)/%.o: %.c include.h
	>@mkdir -p $(dir $@)
	>@echo "  CC      $@"
	>@if grep -q SLOW_BUILD $<; then sleep 60; fi
	>@if grep -q PAUSE_BUILD $<; then sleep 1; fi
	>@if grep -q PAUSE5_BUILD $<; then sleep 5; fi
	>@if grep -q NEEDS_MISSING_TOOL $<; then kser-t3000-no-such-tool; fi
	>@if grep -q DISK_FULL $<; then echo "cc1: fatal error: error writing to /tmp/cc.s: No space left on device" >&2; exit 1; fi
	>$(CC) -Wall -I. -c $< -o $@
	$(O)/linux: $(OBJS) ktap.txt
	>@cp ktap.txt $(O)/ktap.txt
	>@printf '#!/bin/sh\nd=$$(dirname "$$0")\nif grep -q HANG "$$d/ktap.txt"; then sleep 60; fi\nif grep -q OOM_KILLED "$$d/ktap.txt"; then kill -KILL $$$$; fi\ncat "$$d/ktap.txt"\n' >$@
	>@chmod +x $@
	.PHONY: all
	EOF
	printf "int helper(void);\n" >"$1/include.h" &&
	printf "#include \"include.h\"\nint helper(void)\n{\n\treturn 1;\n}\n" >"$1/lib/a.c" &&
	printf "#include \"include.h\"\nint b(void)\n{\n\treturn helper();\n}\n" >"$1/lib/b.c" &&
	cat >"$1/ktap.txt" <<-\EOF &&
	[    0.100000] Linux version 9.9.9 (kser@kser)
	[    0.200000] KTAP version 1
	[    0.200001] 1..1
	[    0.200002]     KTAP version 1
	[    0.200003]     # Subtest: mini
	[    0.200004]     1..2
	[    0.200005]     ok 1 mini_one
	[    0.200006]     ok 2 mini_two # SKIP not today
	[    0.200007] ok 1 mini
	EOF
	printf "CONFIG_KUNIT=y\nCONFIG_MINI_KUNIT_TEST=y\n" >"$1/.kunitconfig" &&
	cat >"$1/tools/testing/kunit/kunit.py" <<-\EOF &&
	#!/usr/bin/env python3
	# Stands in for kunit.py config: .config from the kunitconfig.
	import os, sys
	args = dict(a.split("=", 1) for a in sys.argv[2:] if a.startswith("--"))
	assert sys.argv[1] == "config", sys.argv
	os.makedirs(args["--build_dir"], exist_ok=True)
	with open(args["--kunitconfig"]) as f, \
	     open(os.path.join(args["--build_dir"], ".config"), "w") as o:
	    o.write(f.read())
	print("Generating .config ...")
	EOF
	cat >"$1/scripts/checkpatch.pl" <<-\EOF &&
	#!/usr/bin/perl
	# Stands in for checkpatch.pl: lines adding BADSTYLE are warnings.
	my $file = $ARGV[-1];
	open(my $fh, "<", $file) or die "cannot open $file";
	my ($cur, $n, $w, $lines) = ("", 0, 0, 0);
	while (<$fh>) {
		$lines++;
		$cur = $1 if /^\+\+\+ b\/(.*)/;
		$n = $1 - 1 if /^@@ -\d+(?:,\d+)? \+(\d+)/;
		$n++ if /^[ +]/;
		if (/^\+.*BADSTYLE/) {
			$w++;
			print "WARNING:BAD_STYLE: do not write BADSTYLE\n";
			print "#$lines: FILE: $cur:$n:\n$_\n";
		}
	}
	print "total: 0 errors, $w warnings, 0 checks, $lines lines checked\n";
	exit($w ? 1 : 0);
	EOF
	chmod +x "$1/scripts/checkpatch.pl" "$1/tools/testing/kunit/kunit.py"
}

# Commits the tree in $1 (a git repository) with message $2.
commit_all () {
	git -C "$1" add -A && test_tick && git -C "$1" commit -q -m "$2" \
		-m "Signed-off-by: A U Thor <author@example.com>"
}
