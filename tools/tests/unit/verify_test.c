// SPDX-License-Identifier: GPL-2.0
/*
 * kser verify's parsers (KTAP, checkpatch.pl, gcc), the settings, its
 * checkout, and kser_verify() stopped by its callbacks.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "verify/kser_lib_verify.h"
#include "kser/settings.h"
#include "kser/util.h"
#include "kser/verify.h"
#include "kser/worktree.h"
#include "test_helpers.h"

static void ktap_kunit_output(void **state)
{
	static const char out[] =
		"[    0.000000] Linux version 6.12.117\n"
		"[    0.310000] KTAP version 1\n"
		"[    0.310001] 1..2\n"
		"[    0.310002]     KTAP version 1\n"
		"[    0.310003]     # Subtest: ctnr_vec\n"
		"[    0.310004]     # module: ctnr\n"
		"[    0.310005]     1..3\n"
		"[    0.310006]     ok 1 push_grows\n"
		"[    0.310007]     # extend: EXPECTATION FAILED at vec.c:12\n"
		"[    0.310007]     Expected len == 4, but\n"
		"[    0.310007]         len == 3 (0x3)\n"
		"[    0.310008]     not ok 2 extend_len # len was 3, want 4\n"
		"[    0.310009]         KTAP version 1\n"
		"[    0.310010]         # Subtest: params\n"
		"[    0.310011]         ok 1 small\n"
		"[    0.310012]         ok 2 large # SKIP no memory\n"
		"[    0.310013]     ok 3 params\n"
		"[    0.310014] # ctnr_vec: pass:2 fail:1 skip:0 total:3\n"
		"[    0.310015] not ok 1 ctnr_vec\n"
		"[    0.310016]     KTAP version 1\n"
		"[    0.310017]     # Subtest: ctnr_box\n"
		"[    0.310018]     1..1\n"
		"[    0.310019]     ok 1 new_zeroed\n"
		"[    0.310020] ok 2 ctnr_box\n"
		"[    0.320000] reboot: System halted\n";
	struct kser_ktap_result r;

	(void)state;
	assert_ok(kser_ktap_parse(&r, out, strlen(out)));
	assert_true(r.found);
	assert_false(r.crashed);
	assert_int_equal(r.root.nchildren, 2);
	assert_string_equal(r.root.children[0].name, "ctnr_vec");
	assert_int_equal(r.root.children[0].status, KSER_KTAP_FAIL);
	assert_int_equal(r.root.children[0].nchildren, 3);
	assert_string_equal(r.root.children[0].children[1].diagnostic,
			    "len was 3, want 4");
	/* What KUnit said of a case comes before its result. */
	assert_string_equal(r.root.children[0].children[1].log,
			    "# extend: EXPECTATION FAILED at vec.c:12\n"
			    "Expected len == 4, but\n"
			    "    len == 3 (0x3)\n");
	assert_null(r.root.children[0].children[2].log);
	assert_null(r.root.children[0].children[2].children[0].log);
	assert_int_equal(r.root.children[0].children[2].nchildren, 2);
	assert_int_equal(r.root.children[0].children[2].children[1].status,
			 KSER_KTAP_SKIP);
	assert_string_equal(r.root.children[1].name, "ctnr_box");
	/* Leaves: push_grows, extend_len, small, large, new_zeroed. */
	assert_int_equal(r.passed, 3);
	assert_int_equal(r.failed, 1);
	assert_int_equal(r.skipped, 1);
	kser_ktap_result_release(&r);
}

static void ktap_crash_mid_suite(void **state)
{
	static const char out[] =
		"KTAP version 1\n1..2\n"
		"    KTAP version 1\n    # Subtest: s1\n    1..3\n"
		"    ok 1 a\n"
		"BUG: kernel NULL pointer dereference, address: 0000\n"
		"Kernel panic - not syncing: Fatal exception\n";
	struct kser_ktap_result r;

	(void)state;
	assert_ok(kser_ktap_parse(&r, out, strlen(out)));
	assert_true(r.crashed);
	assert_non_null(strstr(r.crash_line, "BUG: kernel NULL pointer"));
	assert_int_equal(r.passed, 1);
	assert_true(r.missing >= 2);
	kser_ktap_result_release(&r);
}

static void ktap_missing_suites_and_none(void **state)
{
	static const char plan_only[] = "TAP version 14\n1..3\nok 1 x\n";
	struct kser_ktap_result r;

	(void)state;
	assert_ok(kser_ktap_parse(&r, plan_only, strlen(plan_only)));
	assert_true(r.crashed);
	assert_int_equal(r.root.nchildren, 3);
	assert_int_equal(r.root.children[2].status, KSER_KTAP_MISSING);
	kser_ktap_result_release(&r);
	assert_ok(kser_ktap_parse(&r, "no tap here\n", 12));
	assert_false(r.found);
	kser_ktap_result_release(&r);
}

/* Found by fuzzing: a plan of four billion made the parser allocate a
 * result for each missing test. */
static void ktap_absurd_plan(void **state)
{
	static const char out[] = "KTAP version 1\n1..4000000000\nok 1 a\n";
	struct kser_ktap_result r;

	(void)state;
	assert_ok(kser_ktap_parse(&r, out, strlen(out)));
	assert_true(r.crashed);
	assert_true(r.root.nchildren <= 17);
	kser_ktap_result_release(&r);
}

static void checkpatch_messages(void **state)
{
	static const char out[] =
		"WARNING:COMMIT_LOG_LONG_LINE: Prefer a maximum 75 chars per "
		"line (possible unwrapped commit description?)\n"
		"#9: \nThis is a very long line...\n\n"
		"CHECK:PARENTHESIS_ALIGNMENT: Alignment should match open "
		"parenthesis\n"
		"#52: FILE: lib/ctnr/vec.c:120:\n+\tfoo(a,\n+\t\tb);\n\n"
		"ERROR:CODE_INDENT: code indent should use tabs where "
		"possible\n#60: FILE: include/linux/ctnr.h:7:\n+        x;\n\n"
		"total: 1 errors, 1 warnings, 1 checks, 140 lines checked\n";
	struct kser_diags d = { 0 };
	struct kser_checkpatch_totals t;

	(void)state;
	assert_ok(kser_checkpatch_parse(&d, &t, out, strlen(out)));
	assert_true(t.found);
	assert_int_equal(t.errors, 1);
	assert_int_equal(t.warnings, 1);
	assert_int_equal(t.checks, 1);
	assert_int_equal(t.lines, 140);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].level, "warning");
	assert_string_equal(d.v[0].type, "COMMIT_LOG_LONG_LINE");
	assert_null(d.v[0].file);
	assert_string_equal(d.v[1].level, "check");
	assert_string_equal(d.v[1].file, "lib/ctnr/vec.c");
	assert_int_equal(d.v[1].line, 120);
	assert_string_equal(d.v[2].type, "CODE_INDENT");
	assert_string_equal(d.v[2].file, "include/linux/ctnr.h");
	kser_diags_release(&d);
}

static void gcc_diagnostics(void **state)
{
	static const char out[] =
		"  CC      lib/ctnr/vec.o\n"
		"In file included from ../src/lib/ctnr/vec.c:3:\n"
		"../src/include/linux/ctnr.h:10:5: warning: unused variable "
		"'x' [-Wunused-variable]\n"
		"   10 |  int x;\n"
		"/abs/src/lib/ctnr/box.c:44:12: error: 'y' undeclared (first "
		"use in this function)\n"
		"lib/a.c:3:1: fatal error: nope.h: No such file or directory\n"
		"ld: lib/b.o: in function `f':\n"
		"b.c:(.text+0x5): undefined reference to `g'\n"
		"make[2]: *** [scripts/Makefile.build:229: lib/a.o] Error 1\n";
	struct kser_diags d = { 0 }, e = { 0 };

	(void)state;
	assert_ok(kser_gcc_parse(&d, out, strlen(out), "/abs/src", true));
	assert_int_equal(d.n, 4);
	assert_string_equal(d.v[0].level, "warning");
	assert_string_equal(d.v[0].file, "include/linux/ctnr.h");
	assert_int_equal(d.v[0].line, 10);
	assert_string_equal(d.v[0].type, "-Wunused-variable");
	assert_string_equal(d.v[0].text, "unused variable 'x'");
	assert_string_equal(d.v[1].file, "lib/ctnr/box.c");
	assert_string_equal(d.v[1].level, "error");
	assert_string_equal(d.v[2].text, "nope.h: No such file or directory");
	assert_string_equal(d.v[3].type, "link");
	assert_ok(kser_gcc_parse(&e, out, strlen(out), "/abs/src", false));
	assert_int_equal(e.n, 3);
	kser_diags_release(&d);
	kser_diags_release(&e);
}

/* Messages about no file: a patch's compiler flags can add them. */
static void gcc_diagnostics_of_no_file(void **state)
{
	static const char out[] =
		"cc1: warning: command-line option '-Wctor-dtor-privacy' is "
		"valid for C++/ObjC++ but not for C\n"
		"<command-line>: warning: \"X\" redefined [-Wbuiltin-macro-"
		"redefined]\n"
		"cc1: error: unrecognized command-line option '-Wfrob'\n"
		"lib/a.c: In function 'f':\n"
		"make[2]: *** [Makefile:3: lib/a.o] Error 1\n"
		"/bin/sh: 1: error: not a message\n";
	struct kser_diags d = { 0 };

	(void)state;
	assert_ok(kser_gcc_parse(&d, out, strlen(out), "/src", true));
	assert_int_equal(d.n, 3);
	assert_null(d.v[0].file);
	assert_string_equal(d.v[0].level, "warning");
	assert_string_equal(d.v[0].text, "command-line option "
			    "'-Wctor-dtor-privacy' is valid for C++/ObjC++ but "
			    "not for C");
	assert_string_equal(d.v[1].type, "-Wbuiltin-macro-redefined");
	assert_string_equal(d.v[1].text, "\"X\" redefined");
	assert_string_equal(d.v[2].level, "error");
	kser_diags_release(&d);
}

/*
 * The errors of a link and of modpost, as a kernel build prints them
 * (the alloc-apis base in its nokunit and modules configurations): each
 * names its symbol and, for ld, the source and function, or its line.
 */
static void gcc_link_and_modpost_errors(void **state)
{
	static const char out[] =
		"  MODPOST Module.symvers\n"
		"ERROR: modpost: \"__ctnr_realloc\" "
		"[lib/ctnr/allocator_kunit.ko] undefined!\n"
		"WARNING: modpost: missing MODULE_DESCRIPTION() in "
		"lib/x.o\n"
		"make[3]: *** [/w/src/scripts/Makefile.modpost:145: "
		"Module.symvers] Error 1\n"
		"  LD      .tmp_vmlinux1\n"
		"/usr/bin/ld: samples/ctnr/ctnr_sample.o: in function "
		"`prime_work_drop':\n"
		"ctnr_sample.c:(.text+0x2): undefined reference to "
		"`kalloc_locked_vec_put'\n"
		"/usr/bin/ld: samples/ctnr/ctnr_sample.o: in function "
		"`ctnr_sample_init':\n"
		"ctnr_sample.c:(.init.text+0x1d): undefined reference to "
		"`ctnr_global'\n"
		"/usr/bin/ld: ctnr_sample.c:(.init.text+0x74): undefined "
		"reference to `ctnr_box_try_new'\n"
		"x86_64-linux-gnu-ld: /w/src/lib/a.c:42: multiple definition "
		"of `a'; lib/b.o:/w/src/lib/b.c:7: first defined here\n"
		"   12 |  f(); /* : undefined reference to x */\n"
		"collect2: error: ld returned 1 exit status\n";
	struct kser_diags d = { 0 };

	(void)state;
	assert_ok(kser_gcc_parse(&d, out, strlen(out), "/w/src", false));
	assert_int_equal(d.n, 6);
	assert_string_equal(d.v[0].level, "error");
	assert_string_equal(d.v[0].type, "modpost");
	assert_null(d.v[0].file);
	assert_string_equal(d.v[0].text, "modpost: \"__ctnr_realloc\" "
			    "[lib/ctnr/allocator_kunit.ko] undefined!");
	assert_string_equal(d.v[1].type, "link");
	assert_string_equal(d.v[1].file, "samples/ctnr/ctnr_sample.c");
	assert_int_equal(d.v[1].line, 0);
	assert_string_equal(d.v[1].text, "undefined reference to "
			    "`kalloc_locked_vec_put' (in function "
			    "`prime_work_drop')");
	assert_string_equal(d.v[2].text, "undefined reference to "
			    "`ctnr_global' (in function `ctnr_sample_init')");
	assert_string_equal(d.v[3].file, "samples/ctnr/ctnr_sample.c");
	assert_string_equal(d.v[3].text, "undefined reference to "
			    "`ctnr_box_try_new' (in function "
			    "`ctnr_sample_init')");
	assert_string_equal(d.v[4].file, "lib/a.c");
	assert_int_equal(d.v[4].line, 42);
	assert_true(!strncmp(d.v[4].text, "multiple definition of `a'", 26));
	assert_string_equal(d.v[5].text, "ld returned 1 exit status");
	kser_diags_release(&d);
	/* With warnings, modpost's are kept as warnings. */
	assert_ok(kser_gcc_parse(&d, out, strlen(out), "/w/src", true));
	assert_int_equal(d.n, 7);
	assert_string_equal(d.v[1].level, "warning");
	assert_string_equal(d.v[1].type, "modpost");
	kser_diags_release(&d);
}

/* Found by fuzzing: "file:12" at the very end of an unterminated buffer
 * was read past its end. */
static void gcc_line_at_buffer_end(void **state)
{
	char *buf = malloc(9);
	struct kser_diags d = { 0 };

	(void)state;
	memcpy(buf, "x.c:12:3:", 9);
	assert_ok(kser_gcc_parse(&d, buf, 9, "/src", true));
	assert_int_equal(d.n, 0);
	memcpy(buf, "lib/y:123", 9);
	assert_ok(kser_gcc_parse(&d, buf, 9, "/src", true));
	assert_int_equal(d.n, 0);
	free(buf);
}

/* Found by fuzzing: "WARNING" without its colon at the end of an
 * unterminated buffer was compared past its end. */
static void checkpatch_cut_line(void **state)
{
	char *buf = malloc(7);
	struct kser_diags d = { 0 };
	struct kser_checkpatch_totals t;

	(void)state;
	memcpy(buf, "WARNING", 7);
	assert_ok(kser_checkpatch_parse(&d, &t, buf, 7));
	assert_int_equal(d.n, 0);
	assert_false(t.found);
	free(buf);
}

static void fingerprints_ignore_line_numbers(void **state)
{
	char dir[] = "/tmp/kser-fp-XXXXXX";
	struct kser_diags a = { 0 }, b = { 0 };
	char path[128];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.c", dir);
	f = fopen(path, "w");
	fputs("int f(void)\n{\n\tint   unused;\n\treturn 0;\n}\n"
	      "/* pad */\n\n\tint  unused;\n", f);
	fclose(f);
	assert_ok(kser_diags_add(&a, "warning", "-Wunused-variable", "x.c",
				 3, "unused variable 'unused'"));
	assert_ok(kser_diags_add(&b, "warning", "-Wunused-variable", "x.c",
				 8, "unused variable 'unused'"));
	assert_ok(kser_diags_fingerprint(&a, dir));
	assert_ok(kser_diags_fingerprint(&b, dir));
	/* Same file, message and (whitespace-normalised) source line. */
	assert_string_equal(a.v[0].fingerprint, b.v[0].fingerprint);
	assert_non_null(strstr(a.v[0].fingerprint, "int unused;"));
	kser_diags_release(&a);
	kser_diags_release(&b);
	kser_remove_tree(dir, NULL, NULL);
}

/*
 * Some file systems (XFS without ftype, many network and FUSE ones) never
 * fill in d_type: readdir() here can make every entry DT_UNKNOWN, to test
 * the code that walks directories on such a file system.
 */
static bool readdir_hides_types;

struct dirent *readdir(DIR *d)
{
	static struct dirent *(*real)(DIR *);
	struct dirent *de;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "readdir");
	de = real(d);
	if (de && readdir_hides_types)
		de->d_type = DT_UNKNOWN;
	return de;
}

static void write_text(const char *dir, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A build directory as kbuild and kser-cc leave it. */
static void make_build_dir(char *dir)
{
	char path[256];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lib", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/lib/deep", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_text(dir, "top.o.kser-diag", "top.c:1:1: warning: a\n");
	write_text(dir, "lib/b.o.kser-diag", "lib/b.c:2:1: warning: b\n");
	write_text(dir, "lib/deep/c.o.kser-diag",
		   "lib/deep/c.c:3:1: warning: c\n");
	write_text(dir, "lib/deep/c.o", "not a record\n");
	/* kbuild's link back to the source tree is not followed. */
	snprintf(path, sizeof(path), "%s/source", dir);
	assert_int_equal(symlink("lib", path), 0);
}

static const struct kser_error *append_record(const char *object,
					      const char *text, size_t len,
					      void *arg)
{
	kser_buf_printf(arg, "%s: ", object);
	kser_buf_put(arg, text, len);
	return kser_buf_check(arg);
}

static void diag_collect_walks_the_build_dir(void **state)
{
	char dir[] = "/tmp/kser-diag-XXXXXX";
	struct kser_buf all = KSER_BUF_INIT;
	int hide;

	(void)state;
	make_build_dir(dir);
	for (hide = 0; hide < 2; hide++) {
		readdir_hides_types = hide;
		kser_buf_clear(&all);
		assert_ok(kser_diag_collect(dir, append_record, &all, NULL, NULL));
		/* Every record once, in the order of the names. */
		assert_string_equal(kser_buf_cstr(&all),
				    "lib/b.o: lib/b.c:2:1: warning: b\n"
				    "lib/deep/c.o: lib/deep/c.c:3:1: "
				    "warning: c\n"
				    "top.o: top.c:1:1: warning: a\n");
	}
	readdir_hides_types = false;
	kser_buf_release(&all);
	kser_remove_tree(dir, NULL, NULL);
}

/* A record that cannot be read would lose its warnings: an error. */
static void diag_collect_unreadable_record(void **state)
{
	char dir[] = "/tmp/kser-diag-XXXXXX";
	struct kser_buf all = KSER_BUF_INIT;
	char path[256];

	(void)state;
	make_build_dir(dir);
	snprintf(path, sizeof(path), "%s/lib/deep/d.o.kser-diag", dir);
	assert_int_equal(symlink("nowhere", path), 0);
	assert_err(kser_diag_collect(dir, append_record, &all, NULL, NULL),
		   KSER_ERR_BAD_INPUT, "d.o.kser-diag' is not a regular file");
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_err(kser_diag_collect(dir, append_record, &all, NULL, NULL),
		   KSER_ERR_BAD_INPUT, "d.o.kser-diag' is not a regular file");
	unlink(path);
	assert_err(kser_diag_collect("/nonexistent/kser-build",
				     append_record, &all, NULL, NULL),
		   KSER_ERR_ERRNO, "cannot read the build directory "
		   "'/nonexistent/kser-build'");
	kser_buf_release(&all);
	kser_remove_tree(dir, NULL, NULL);
}

#define WT_DIRS 10
#define WT_FILES 100	/* per directory */

/* A tree of WT_DIRS directories of WT_FILES files saying "<tag> <n>". */
static void make_tree(git_repository *repo, const char *tag, git_oid *out)
{
	git_treebuilder *top, *sub;
	git_oid blob, tree;
	char name[32], text[64];
	int d, f;

	assert_int_equal(git_treebuilder_new(&top, repo, NULL), 0);
	for (d = 0; d < WT_DIRS; d++) {
		assert_int_equal(git_treebuilder_new(&sub, repo, NULL), 0);
		for (f = 0; f < WT_FILES; f++) {
			snprintf(text, sizeof(text), "%s %d\n", tag,
				 d * WT_FILES + f);
			assert_int_equal(git_blob_create_from_buffer(
				&blob, repo, text, strlen(text)), 0);
			snprintf(name, sizeof(name), "f%03d", f);
			assert_int_equal(git_treebuilder_insert(
				NULL, sub, name, &blob, GIT_FILEMODE_BLOB), 0);
		}
		assert_int_equal(git_treebuilder_write(&tree, sub), 0);
		git_treebuilder_free(sub);
		snprintf(name, sizeof(name), "d%d", d);
		assert_int_equal(git_treebuilder_insert(NULL, top, name, &tree,
							GIT_FILEMODE_TREE), 0);
	}
	assert_int_equal(git_treebuilder_write(out, top), 0);
	git_treebuilder_free(top);
}

/* Does the checkout hold every file of the tree tagged tag? */
static void assert_checkout(const char *dir, const char *tag)
{
	struct kser_buf b = KSER_BUF_INIT;
	char path[256], want[64];
	int d, f;

	for (d = 0; d < WT_DIRS; d++)
		for (f = 0; f < WT_FILES; f++) {
			snprintf(path, sizeof(path), "%s/d%d/f%03d", dir, d, f);
			snprintf(want, sizeof(want), "%s %d\n", tag,
				 d * WT_FILES + f);
			assert_ok(kser_read_file(&b, path));
			assert_string_equal(kser_buf_cstr(&b), want);
		}
	kser_buf_release(&b);
}

static void assert_state(const char *state_path, const char *word)
{
	struct kser_buf b = KSER_BUF_INIT;

	assert_ok(kser_read_file(&b, state_path));
	assert_true(!strncmp(kser_buf_cstr(&b), word, strlen(word)));
	kser_buf_release(&b);
}

struct interrupter {
	size_t at, calls, last_done, total;
	bool pressed;		/* Ctrl-C, as the CLI's flag would say */
};

/* Plays the user pressing Ctrl-C once `at` files are written. */
static const struct kser_error *interrupt_at(size_t done, size_t total,
					     void *arg)
{
	struct interrupter *x = arg;

	x->calls++;
	x->last_done = done;
	x->total = total;
	if (done >= x->at)
		x->pressed = true;
	return NULL;
}

/* The cancel callback, reading what interrupt_at() pressed. */
static const struct kser_error *pressed(void *arg)
{
	struct interrupter *x = arg;

	return x->pressed ? kser_error_cancelled(false) : NULL;
}

/*
 * An interruption stops a move within a file, whether it writes the
 * directory anew or only what changed, and the next move (here by a new
 * kser, which finds "moving" in the state file) writes it anew.
 */
static void worktree_move_interrupted(void **state)
{
	char dir[] = "/tmp/kser-wt-XXXXXX";
	char src[128], state_path[160];
	struct kser_worktree *wt;
	struct interrupter x = { 150, 0, 0, 0, false };
	git_repository *repo;
	git_oid a, b;
	size_t written;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	make_tree(repo, "A", &a);
	make_tree(repo, "B", &b);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(state_path, sizeof(state_path), "%s/src.state", dir);
	assert_ok(kser_worktree_open(&wt, repo, src));

	/* Writing it anew. */
	assert_err(kser_worktree_move(wt, &a, &written, interrupt_at, &x,
				      pressed, &x),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_true(written >= 150 && written < 200);
	assert_null(kser_worktree_tree(wt));
	assert_state(state_path, "moving ");
	x.pressed = false;
	assert_ok(kser_worktree_move(wt, &a, &written, NULL, NULL, pressed,
				     &x));
	assert_int_equal(written, WT_DIRS * WT_FILES);
	assert_checkout(src, "A");
	assert_state(state_path, "tree ");

	/* Only what changed: every file. */
	x.calls = 0;
	assert_err(kser_worktree_move(wt, &b, &written, interrupt_at, &x,
				      pressed, &x),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_true(written >= 150 && written < 200);
	assert_int_equal(x.total, WT_DIRS * WT_FILES);
	assert_state(state_path, "moving ");
	kser_worktree_free(wt);
	x.pressed = false;
	assert_ok(kser_worktree_open(&wt, repo, src));
	assert_null(kser_worktree_tree(wt));
	assert_ok(kser_worktree_move(wt, &b, &written, NULL, NULL, NULL,
				     NULL));
	assert_checkout(src, "B");
	assert_state(state_path, "tree ");
	assert_true(git_oid_equal(kser_worktree_tree(wt), &b));

	/* Interrupted before it starts: nothing is touched. */
	x.pressed = true;
	assert_err(kser_worktree_move(wt, &a, &written, NULL, NULL, pressed,
				      &x),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_int_equal(written, 0);
	assert_checkout(src, "B");
	assert_state(state_path, "tree ");

	assert_ok(kser_worktree_move(wt, &a, &written, NULL, NULL, NULL,
				     NULL));
	assert_checkout(src, "A");

	kser_worktree_free(wt);
	git_repository_free(repo);
	kser_remove_tree(dir, NULL, NULL);
}

static void settings_from_git_config(void **state)
{
	char dir[] = "/tmp/kser-set-XXXXXX";
	char path[128];
	struct kser_settings s;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/series.conf", dir);
	f = fopen(path, "w");
	fputs("[series]\n\tname = alloc-apis\n\tkunitconfig = lib/x/.kunitconfig\n"
	      "\tcheckpatch = --strict --max-line-length=100\n"
	      "[verify \"nofork\"]\n\tkunitconfig = lib/x/nofork.kunitconfig\n"
	      "[verify]\n\tkunitTimeout = 42\n", f);
	fclose(f);
	assert_ok(kser_settings_load(&s, dir));
	assert_string_equal(s.name, "alloc-apis");
	assert_string_equal(s.checkpatch, "--strict --max-line-length=100");
	assert_int_equal(s.nconfigs, 2);
	assert_string_equal(s.configs[0].kunitconfig, "lib/x/.kunitconfig");
	assert_string_equal(s.configs[1].name, "nofork");
	assert_string_equal(s.configs[1].arch, "um");
	assert_int_equal(s.kunit_timeout, 42);
	assert_int_equal(s.build_timeout, 3600);
	kser_settings_release(&s);
	assert_err(kser_settings_load(&s, "/nonexistent/series.conf"),
		   KSER_ERR_ERRNO, "cannot read the series settings");
	kser_remove_tree(dir, NULL, NULL);
}

/*
 * Further configurations: an in-tree kunitconfig or a fragment beside
 * series.conf (read then, whatever the cwd), build-only ones, since, and
 * the versions that name their configurations.
 */
static void settings_of_configurations(void **state)
{
	char dir[] = "/tmp/kser-set-XXXXXX";
	char path[160];
	struct kser_settings s;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/configs", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_text(dir, "configs/modules.config", "CONFIG_MODULES=y\n");
	snprintf(path, sizeof(path), "%s/series.conf", dir);
	f = fopen(path, "w");
	fputs("[series]\n\tkunitconfig = lib/x/.kunitconfig\n"
	      "[version \"1\"]\n\tbase = b1\n"
	      "[version \"4\"]\n\tbase = b2\n"
	      "\tverify = default modules, lean\n"
	      "[verify \"modules\"]\n\tkconfig = configs/modules.config\n"
	      "\tkunit = false\n\tsince = 2\n"
	      "[verify \"lean\"]\n\tkunitconfig = lean.kunitconfig\n"
	      "[verify \"default\"]\n\tsince = 0\n", f);
	fclose(f);
	assert_ok(kser_settings_load(&s, path));
	assert_int_equal(s.nconfigs, 3);
	assert_string_equal(s.configs[0].kunitconfig, "lib/x/.kunitconfig");
	assert_int_equal(s.configs[0].since, 0);
	assert_true(s.configs[0].kunit);
	assert_string_equal(s.configs[1].name, "modules");
	assert_null(s.configs[1].kunitconfig);
	assert_non_null(strstr(s.configs[1].kconfig,
			       "/configs/modules.config"));
	assert_int_equal(s.configs[1].kconfig[0], '/');
	assert_string_equal(s.configs[1].kconfig_text, "CONFIG_MODULES=y\n");
	assert_false(s.configs[1].kunit);
	assert_int_equal(s.configs[1].since, 2);
	assert_int_equal(s.configs[2].since, 1);
	assert_true(s.configs[2].kunit);
	/* No --version: all; v1 names none: the default alone. */
	assert_true(kser_settings_version_has(&s, NULL, 1));
	assert_true(kser_settings_version_has(&s, "1", 0));
	assert_false(kser_settings_version_has(&s, "1", 1));
	assert_false(kser_settings_version_has(&s, "1", 2));
	assert_true(kser_settings_version_has(&s, "4", 1));
	assert_true(kser_settings_version_has(&s, "4", 2));
	assert_non_null(kser_settings_version(&s, "1"));
	assert_null(kser_settings_version(&s, "9"));
	kser_settings_release(&s);

	f = fopen(path, "w");
	fputs("[verify \"m\"]\n\tkconfig = configs/none.config\n", f);
	fclose(f);
	assert_err(kser_settings_load(&s, path), KSER_ERR_BAD_INPUT,
		   "cannot read the configuration fragment");
	f = fopen(path, "w");
	fputs("[verify \"m\"]\n\tarch = um\n", f);
	fclose(f);
	assert_err(kser_settings_load(&s, path), KSER_ERR_BAD_INPUT,
		   "[verify \"m\"] needs one of kunitconfig");
	f = fopen(path, "w");
	fputs("[verify \"m\"]\n\tkunitconfig = a\n\tkunit = maybe\n", f);
	fclose(f);
	assert_err(kser_settings_load(&s, path), KSER_ERR_BAD_INPUT,
		   "bad kunit 'maybe'");
	f = fopen(path, "w");
	fputs("[verify \"m\"]\n\tkunitconfig = a\n\tsince = -1\n", f);
	fclose(f);
	assert_err(kser_settings_load(&s, path), KSER_ERR_BAD_INPUT,
		   "bad since '-1'");
	f = fopen(path, "w");
	fputs("[version \"2\"]\n\tverify = default nokunit\n", f);
	fclose(f);
	assert_err(kser_settings_load(&s, path), KSER_ERR_BAD_INPUT,
		   "[version \"2\"] verify names 'nokunit'");
	kser_remove_tree(dir, NULL, NULL);
}

static bool dir_lib_ctnr(const char *pattern, void *arg)
{
	(void)arg;
	return !strcmp(pattern, "lib/ctnr") || !strcmp(pattern, "lib/ctnr/");
}

/* MAINTAINERS' F: and X: entries, matched as get_maintainer.pl does. */
static void maintainers_cover_files(void **state)
{
	static const char m[] =
		"Descriptions of section entries and preferred order\n"
		"\tF: *Files* and directories wildcard patterns.\n"
		"\n"
		"CONTAINERS\n"
		"M:\tA U Thor <a@example.org>\n"
		"F:\tlib/ctnr/\n"
		"X:\tlib/ctnr/upstream/\n"
		"\n"
		"CTNR SAMPLE\n"
		"F:\tsamples/ctnr/*.c\n"
		"F:\tinclude/linux/ctnr?.h\n"
		"\n"
		"NO DIRECTORY SLASH\n"
		"F:\tlib/ctnr\n"
		"F:\tDocumentation/ctnr.rst\r\n";

	(void)state;
	assert_true(verify_maintainers_cover(m, "lib/ctnr/vec.c", NULL, NULL));
	assert_true(verify_maintainers_cover(m, "lib/ctnr/kalloc/box.c", NULL,
					     NULL));
	/* X: excludes from its section; another section may cover. */
	assert_false(verify_maintainers_cover(m, "lib/ctnr/upstream/a.c",
					      NULL, NULL));
	assert_true(verify_maintainers_cover(m, "lib/ctnr/upstream/a.c",
					     dir_lib_ctnr, NULL));
	assert_true(verify_maintainers_cover(m, "samples/ctnr/s.c", NULL,
					     NULL));
	assert_false(verify_maintainers_cover(m, "samples/ctnr/x/s.c", NULL,
					      NULL));
	assert_false(verify_maintainers_cover(m, "samples/ctnr/Makefile",
					      NULL, NULL));
	assert_true(verify_maintainers_cover(m, "include/linux/ctnr2.h", NULL,
					     NULL));
	assert_true(verify_maintainers_cover(m, "Documentation/ctnr.rst",
					     NULL, NULL));
	assert_false(verify_maintainers_cover(m, "lib/other.c", NULL, NULL));
	assert_false(verify_maintainers_cover(m, "lib/ctnrx/a.c", NULL, NULL));
	assert_false(verify_maintainers_cover("", "lib/a.c", NULL, NULL));
}

/* --- kser_verify() itself, with a checkpatch.pl that finds nothing ----- */

struct range {
	char dir[32];
	char state[64];
	char spec[2 * GIT_OID_HEXSZ + 3];
	git_repository *repo;
};

/* A commit of a tree holding scripts/checkpatch.pl and a.txt = text. */
static void commit_text(git_repository *repo, const char *text,
			git_commit *parent, git_oid *out)
{
	/* The second patch's check takes a while: a stop finds it running. */
	static const char checkpatch[] =
		"open(my $f, '<', $ARGV[-1]) or die;\n"
		"sleep 2 if grep { /^Subject: .*two$/ } <$f>;\n"
		"print \"total: 0 errors, 0 warnings, 0 checks, "
		"1 lines checked\\n\";\n";
	git_treebuilder *top, *scripts;
	git_signature *sig;
	git_oid blob, tree;
	git_tree *t;

	assert_int_equal(git_treebuilder_new(&scripts, repo, NULL), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, checkpatch,
						     strlen(checkpatch)), 0);
	assert_int_equal(git_treebuilder_insert(NULL, scripts, "checkpatch.pl",
						&blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree, scripts), 0);
	git_treebuilder_free(scripts);
	assert_int_equal(git_treebuilder_new(&top, repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, top, "scripts", &tree,
						GIT_FILEMODE_TREE), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text,
						     strlen(text)), 0);
	assert_int_equal(git_treebuilder_insert(NULL, top, "a.txt", &blob,
						GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree, top), 0);
	git_treebuilder_free(top);
	assert_int_equal(git_tree_lookup(&t, repo, &tree), 0);
	assert_int_equal(git_signature_new(&sig, "A U Thor", "a@example.org",
					   1700000000, 0), 0);
	assert_int_equal(git_commit_create_v(out, repo, NULL, sig, sig, NULL,
					     text, t, parent ? 1 : 0, parent),
			 0);
	git_signature_free(sig);
	git_tree_free(t);
}

/* base..tip: a base and two patches, and a state directory for them. */
static void make_range(struct range *r)
{
	git_oid base, one, two;
	git_commit *c;

	strcpy(r->dir, "/tmp/kser-vr-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->state, sizeof(r->state), "%s/state", r->dir);
	assert_int_equal(git_repository_init(&r->repo, r->dir, 1), 0);
	commit_text(r->repo, "base\n", NULL, &base);
	assert_int_equal(git_commit_lookup(&c, r->repo, &base), 0);
	commit_text(r->repo, "one\n", c, &one);
	git_commit_free(c);
	assert_int_equal(git_commit_lookup(&c, r->repo, &one), 0);
	commit_text(r->repo, "two\n", c, &two);
	git_commit_free(c);
	git_oid_tostr(r->spec, GIT_OID_HEXSZ + 1, &base);
	strcat(r->spec, "..");
	git_oid_tostr(r->spec + strlen(r->spec), GIT_OID_HEXSZ + 1, &two);
}

static void free_range(struct range *r)
{
	git_repository_free(r->repo);
	kser_remove_tree(r->dir, NULL, NULL);
}

struct caller {
	enum kser_verify_event stop_at;	/* the event that stops the run */
	bool stop;			/* it came: cancel_cb says stop */
	const struct kser_error *event_error;	/* or the event says it */
	size_t done;			/* CHECK_DONE events */
	size_t at_done;			/* stop at this one (0: the first) */
};

static const struct kser_error *on_event(enum kser_verify_event ev,
					 const struct kser_verify_report *r,
					 size_t row, size_t check,
					 const char *note, void *arg)
{
	struct caller *x = arg;

	(void)r;
	(void)row;
	(void)check;
	(void)note;
	if (ev == KSER_VERIFY_EVENT_CHECK_DONE)
		x->done++;
	if (ev != x->stop_at || x->done < x->at_done)
		return NULL;
	x->stop = true;
	return x->event_error;
}

static const struct kser_error *on_cancel(void *arg)
{
	struct caller *x = arg;

	return x->stop && !x->event_error ? kser_error_cancelled(false) : NULL;
}

static const struct kser_error *run(struct range *r, struct caller *x,
				    struct kser_verify_report *rep)
{
	struct kser_verify_options o = KSER_VERIFY_OPTIONS_INIT;

	o.checks = "checkpatch";
	o.state_dir = r->state;
	o.event = on_event;
	o.event_arg = x;
	o.cancel_cb = on_cancel;
	o.cancel_arg = x;
	return kser_verify(rep, r->repo, r->spec, &o);
}

/* An error of the event callback stops the run, and is what it returns. */
static void verify_stopped_by_its_event_callback(void **state)
{
	struct caller x = { KSER_VERIFY_EVENT_START, false, NULL, 0, 0 };
	struct kser_verify_report rep;
	struct range r;

	(void)state;
	make_range(&r);
	x.event_error = kser_error_fmt(KSER_ERR_GENERIC, "the screen is gone");
	assert_err(run(&r, &x, &rep), KSER_ERR_GENERIC, "the screen is gone");
	assert_int_equal(rep.nrows, 3);
	assert_int_equal(rep.ran, 0);
	assert_int_equal(rep.rows[1].results[0].status, KSER_VERIFY_PENDING);
	assert_false(rep.passed);
	kser_verify_report_release(&rep);
	free_range(&r);
}

/* And so it does after the last check: nothing more ran, but it said so. */
static void verify_stopped_by_its_last_event(void **state)
{
	struct caller x = { KSER_VERIFY_EVENT_CHECK_DONE, false, NULL, 0, 2 };
	struct kser_verify_report rep;
	struct range r;

	(void)state;
	make_range(&r);
	x.event_error = kser_error_fmt(KSER_ERR_GENERIC, "the screen is gone");
	assert_err(run(&r, &x, &rep), KSER_ERR_GENERIC, "the screen is gone");
	assert_int_equal(rep.ran, 2);
	assert_int_equal(rep.rows[2].results[0].status, KSER_VERIFY_PASS);
	assert_false(rep.passed);
	kser_verify_report_release(&rep);
	free_range(&r);
}

/*
 * The cancel callback stops it after the first check: what finished
 * stands and is cached; the second, which checkpatch's pool had started
 * beside it, is stopped, said to be done and left not run; the next run
 * answers the first from the cache and runs the rest.
 */
static void verify_stopped_by_its_cancel_callback(void **state)
{
	struct caller x = { KSER_VERIFY_EVENT_CHECK_DONE, false, NULL, 0, 0 };
	struct caller none = { KSER_VERIFY_EVENT_NOTE, false, NULL, 0, 0 };
	struct kser_verify_report rep;
	struct range r;

	(void)state;
	make_range(&r);
	assert_err(run(&r, &x, &rep), KSER_ERR_CANCELLED, "interrupted");
	assert_int_equal(x.done, 2);
	assert_int_equal(rep.ran, 1);
	assert_int_equal(rep.rows[1].results[0].status, KSER_VERIFY_PASS);
	assert_int_equal(rep.rows[2].results[0].status, KSER_VERIFY_PENDING);
	kser_verify_report_release(&rep);

	assert_ok(run(&r, &none, &rep));
	assert_true(rep.passed);
	assert_int_equal(rep.from_cache, 1);
	assert_int_equal(rep.ran, 1);
	assert_true(rep.rows[1].results[0].cached);
	assert_string_equal(rep.rows[2].results[0].summary,
			    "clean: 1 lines checked");
	kser_verify_report_release(&rep);
	free_range(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ktap_kunit_output),
		cmocka_unit_test(ktap_crash_mid_suite),
		cmocka_unit_test(ktap_missing_suites_and_none),
		cmocka_unit_test(ktap_absurd_plan),
		cmocka_unit_test(checkpatch_messages),
		cmocka_unit_test(gcc_diagnostics),
		cmocka_unit_test(gcc_diagnostics_of_no_file),
		cmocka_unit_test(gcc_line_at_buffer_end),
		cmocka_unit_test(gcc_link_and_modpost_errors),
		cmocka_unit_test(checkpatch_cut_line),
		cmocka_unit_test(fingerprints_ignore_line_numbers),
		cmocka_unit_test(diag_collect_walks_the_build_dir),
		cmocka_unit_test(diag_collect_unreadable_record),
		cmocka_unit_test(worktree_move_interrupted),
		cmocka_unit_test(settings_from_git_config),
		cmocka_unit_test(settings_of_configurations),
		cmocka_unit_test(maintainers_cover_files),
		cmocka_unit_test(verify_stopped_by_its_event_callback),
		cmocka_unit_test(verify_stopped_by_its_last_event),
		cmocka_unit_test(verify_stopped_by_its_cancel_callback),
	};
	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
