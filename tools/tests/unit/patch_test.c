// SPDX-License-Identifier: GPL-2.0
/* The patch parser and the text/binary application of hunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/patch.h"
#include "patch/kser_lib_patch.h"
#include "test_helpers.h"

static struct kser_patch *parse(const char *text)
{
	struct kser_patch *p = NULL;

	assert_ok(kser_patch_parse(&p, text, strlen(text), 1));
	return p;
}

static void git_header_with_everything(void **state)
{
	struct kser_patch *p = parse(
		"commit message\n---\n stat | 1 +\n\n"
		"diff --git a/old name b/new name\n"
		"similarity index 90%\n"
		"rename from old name\n"
		"rename to new name\n"
		"index 1234567..89abcde 100644\n"
		"--- a/old name\n"
		"+++ b/new name\n"
		"@@ -1,2 +1,3 @@ func\n"
		" a\n"
		"+b\n"
		" c\n"
		"diff --git a/x b/x\n"
		"old mode 100644\n"
		"new mode 100755\n"
		"-- \n2.39.5\n");

	(void)state;
	assert_int_equal(p->nfiles, 2);
	assert_string_equal(p->files[0].old_path, "old name");
	assert_string_equal(p->files[0].new_path, "new name");
	assert_true(p->files[0].is_rename);
	assert_string_equal(p->files[0].old_id, "1234567");
	assert_string_equal(p->files[0].new_id, "89abcde");
	assert_int_equal(p->files[0].old_mode, 0100644);
	assert_int_equal(p->files[0].nhunks, 1);
	assert_int_equal(p->files[0].hunks[0].old_start, 1);
	assert_int_equal(p->files[0].hunks[0].new_count, 3);
	assert_int_equal(p->files[0].hunks[0].nlines, 3);
	assert_int_equal(p->files[0].hunks[0].leading, 1);
	assert_int_equal(p->files[0].hunks[0].trailing, 1);
	assert_int_equal(p->files[1].old_mode, 0100644);
	assert_int_equal(p->files[1].new_mode, 0100755);
	assert_int_equal(p->files[1].nhunks, 0);
	kser_patch_free(p);
}

static void quoted_names_and_dev_null(void **state)
{
	struct kser_patch *p = parse(
		"diff --git \"a/t\\303\\244b\\tx\" \"b/t\\303\\244b\\tx\"\n"
		"new file mode 100644\n"
		"index 0000000..e69de29\n"
		"--- /dev/null\n"
		"+++ \"b/t\\303\\244b\\tx\"\t\n"
		"@@ -0,0 +1 @@\n"
		"+x\n");

	(void)state;
	assert_true(p->files[0].is_new);
	assert_null(p->files[0].old_path);
	assert_string_equal(p->files[0].new_path, "t\xc3\xa4" "b\tx");
	assert_int_equal(p->files[0].new_mode, 0100644);
	kser_patch_free(p);
}

static void traditional_diff_with_timestamps(void **state)
{
	struct kser_patch *p = parse(
		"Index: lib/x.c\n"
		"===================================================\n"
		"--- a/lib/x.c\t2024-03-04 10:00:00.000 +0100\n"
		"+++ b/lib/x.c\t2024-03-04 10:00:01.000 +0100\n"
		"@@ -3 +3 @@\n"
		"-old\n"
		"+new\n"
		"--- /dev/null\t1970-01-01 00:00:00.000000000 +0000\n"
		"+++ b/lib/new.c\t2024-03-04 10:00:01.000 +0100\n"
		"@@ -0,0 +1 @@\n"
		"+born\n");

	(void)state;
	assert_int_equal(p->nfiles, 2);
	assert_string_equal(p->files[0].old_path, "lib/x.c");
	assert_string_equal(p->files[0].new_path, "lib/x.c");
	assert_int_equal(p->files[0].hunks[0].old_count, 1);
	assert_true(p->files[1].is_new);
	assert_string_equal(p->files[1].new_path, "lib/new.c");
	kser_patch_free(p);
}

static void no_newline_markers(void **state)
{
	struct kser_patch *p = parse(
		"diff --git a/f b/f\n"
		"--- a/f\n+++ b/f\n"
		"@@ -1 +1 @@\n"
		"-old\n"
		"\\ No newline at end of file\n"
		"+new\n"
		"\\ No newline at end of file\n");
	struct kser_buf out = KSER_BUF_INIT;

	(void)state;
	assert_true(p->files[0].hunks[0].lines[0].noeol);
	assert_true(p->files[0].hunks[0].lines[1].noeol);
	assert_ok(kser_apply_hunks(&out, "old", 3, &p->files[0], NULL));
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.ptr, "new", 3);
	/* "old\n" has a newline the patch says is not there. */
	assert_err(kser_apply_hunks(&out, "old\n", 4, &p->files[0], NULL),
		   KSER_ERR_APPLY, "newline at end of file differs");
	kser_buf_release(&out);
	kser_patch_free(p);
}

static void malformed_patches(void **state)
{
	static const char *const bad[] = {
		"no diff at all\n",
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n",
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n?x\n",
		"diff --git a/f b/f\nold mode 100644\nnew mode 100999\n",
		"diff --git a/f b/f\nindex zz\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n",
		"diff --git a/f b/f\nGIT binary patch\nliteral 5\n!!!!!\n\n",
		"diff --git \"a/unterminated b/x\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kser_patch *p = NULL;
		const struct kser_error *e = kser_patch_parse(&p, bad[i],
							      strlen(bad[i]),
							      1);

		if (!e)
			fail_msg("accepted bad patch %zu", i);
		assert_null(p);
		assert_int_equal(e->code, KSER_ERR_BAD_INPUT);
	}
}

static const char twenty[] =
	"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";

static void offsets_and_search_order(void **state)
{
	struct kser_patch *p = parse(
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
		"@@ -9,3 +9,3 @@\n 9\n-10\n+ten\n 11\n");
	struct kser_buf out = KSER_BUF_INIT, notes = KSER_BUF_INIT;
	char shifted[256];

	(void)state;
	assert_ok(kser_apply_hunks(&out, twenty, strlen(twenty), &p->files[0],
				   &notes));
	assert_non_null(strstr(out.ptr, "\n9\nten\n11\n"));
	assert_int_equal(notes.len, 0);
	snprintf(shifted, sizeof(shifted), "a\nb\n%s", twenty);
	assert_ok(kser_apply_hunks(&out, shifted, strlen(shifted),
				   &p->files[0], &notes));
	assert_non_null(strstr(out.ptr, "\n9\nten\n11\n"));
	assert_non_null(strstr(notes.ptr, "hunk #1 applied at offset +2"));
	kser_buf_release(&out);
	kser_buf_release(&notes);
	kser_patch_free(p);
}

static void anchored_hunks_do_not_float(void **state)
{
	/* Old start 1 must match at the top; no trailing context: bottom. */
	struct kser_patch *top = parse(
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
		"@@ -1,3 +1,3 @@\n-1\n+one\n 2\n 3\n");
	struct kser_patch *bottom = parse(
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
		"@@ -18,3 +18,4 @@\n 18\n 19\n 20\n+21\n");
	struct kser_buf out = KSER_BUF_INIT;
	char shifted[256];

	(void)state;
	snprintf(shifted, sizeof(shifted), "0\n%s", twenty);
	assert_err(kser_apply_hunks(&out, shifted, strlen(shifted),
				    &top->files[0], NULL),
		   KSER_ERR_APPLY, "its context is at line 2, but a hunk "
		   "starting at line 1 must apply at the start");
	snprintf(shifted, sizeof(shifted), "%sextra\n", twenty);
	assert_err(kser_apply_hunks(&out, shifted, strlen(shifted),
				    &bottom->files[0], NULL),
		   KSER_ERR_APPLY, "its context is at line 18, but a hunk "
		   "without trailing context must apply at the end");
	assert_ok(kser_apply_hunks(&out, twenty, strlen(twenty),
				   &bottom->files[0], NULL));
	assert_string_equal(out.ptr + out.len - 6, "20\n21\n");
	kser_buf_release(&out);
	kser_patch_free(top);
	kser_patch_free(bottom);
}

static void patched_lines_are_not_matched_again(void **state)
{
	/* The second hunk's context is only findable inside the first's
	 * result; git refuses that. */
	struct kser_patch *p = parse(
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
		"@@ -5,3 +5,4 @@\n 5\n+x\n 6\n 7\n"
		"@@ -5,3 +6,4 @@\n 5\n+x\n 6\n 7\n");
	struct kser_buf out = KSER_BUF_INIT;

	(void)state;
	assert_err(kser_apply_hunks(&out, twenty, strlen(twenty),
				    &p->files[0], NULL),
		   KSER_ERR_APPLY, "hunk #2");
	kser_buf_release(&out);
	kser_patch_free(p);
}

static void failure_names_the_line(void **state)
{
	struct kser_patch *p = parse(
		"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
		"@@ -9,3 +9,3 @@ context\n 9\n-10\n+ten\n 11\n");
	struct kser_buf out = KSER_BUF_INIT;
	char changed[] = "1\n2\n3\n4\n5\n6\n7\n8\n9\nTEN\n11\n12\n";

	(void)state;
	assert_err(kser_apply_hunks(&out, changed, strlen(changed),
				    &p->files[0], NULL),
		   KSER_ERR_APPLY,
		   "hunk #1 (@@ -9,3 +9,3 @@ context) does not apply: "
		   "line 10 is 'TEN', the patch expects '10'");
	kser_buf_release(&out);
	kser_patch_free(p);
}

static void delta_copy_and_insert(void **state)
{
	/* base "0123456789", result "345" + "xy" + "0123456789". */
	static const unsigned char delta[] = {
		10, 15,
		0x91, 3, 3,		/* copy offset 3, size 3 */
		2, 'x', 'y',		/* insert 2 */
		0x90, 10,		/* copy offset 0, size 10 */
	};
	static const unsigned char corrupt[] = { 10, 5, 0x91, 8, 5 };
	struct kser_buf out = KSER_BUF_INIT;

	(void)state;
	assert_ok(kser_apply_delta(&out, (const unsigned char *)"0123456789",
				   10, delta, sizeof(delta)));
	assert_int_equal(out.len, 15);
	assert_memory_equal(out.ptr, "345xy0123456789", 15);
	assert_err(kser_apply_delta(&out, (const unsigned char *)"0123456789",
				    10, corrupt, sizeof(corrupt)),
		   KSER_ERR_BAD_INPUT, "corrupt binary delta");
	assert_err(kser_apply_delta(&out, (const unsigned char *)"012", 3,
				    delta, sizeof(delta)),
		   KSER_ERR_APPLY, "expects a 10-byte preimage");
	kser_buf_release(&out);
}

/* Found by fuzzing: a name with a NUL byte made strndup() allocate less
 * than the parser then read. */
static void nul_in_file_name(void **state)
{
	static const char text[] =
		"diff --git a/f b/f\n--- a/f\n+++ b/x\0yz\n@@ -1 +1 @@\n-a\n+b\n";
	struct kser_patch *p = NULL;

	(void)state;
	assert_err(kser_patch_parse(&p, text, sizeof(text) - 1, 1),
		   KSER_ERR_BAD_INPUT, "NUL byte");
	assert_null(p);
}

/*
 * "@@ -0,0 +0,0 @@" then "\ No newline at end of file" made the parser mark
 * the line before the first one of an empty hunk. git apply calls a hunk
 * that neither adds nor removes corrupt.
 */
static void empty_hunks_are_corrupt(void **state)
{
	static const char *const bad[] = {
		"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n"
		"@@ -0,0 +0,0 @@\n\\ No newline at end of file\n",
		"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n"
		"@@ -0,0 +0,0 @@\n",
		"--- a/a.txt\n+++ b/a.txt\n"
		"@@ -1,0 +1,0 @@\n\\ No newline at end of file\n",
		"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n"
		"@@ -1 +1 @@\n one\n\\ No newline at end of file\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kser_patch *p = NULL;

		assert_err(kser_patch_parse(&p, bad[i], strlen(bad[i]), 1),
			   KSER_ERR_BAD_INPUT, "hunk changes nothing");
		assert_null(p);
	}
}

/*
 * git apply takes a NUL in a hunk line as content (git am makes a blob
 * holding it), and refuses one in the lines it parses: modes, names and
 * hunk headers. The parser reads exactly len bytes.
 */
static void nul_bytes_as_git_apply_reads_them(void **state)
{
	static const char content[] =
		"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n"
		"@@ -1,3 +1,4 @@\n one\n+T\0O\n two\n three\n";
#define WITH_LEN(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *text;
		size_t len;
	} bad[] = {
		WITH_LEN("diff --git a/b b/b\nnew file mode 100644\0x\n"
			 "--- /dev/null\n+++ b/b\n@@ -0,0 +1 @@\n+x\n"),
		WITH_LEN("diff --git a/a b/a\nold mode 100644\n"
			 "new mode 100755\0\n"),
		WITH_LEN("diff --git a/a\0z b/a\0z\nold mode 100644\n"
			 "new mode 100755\n"),
		WITH_LEN("diff --git a/a b/a\n--- a/a\n+++ b/a\n"
			 "@@ -1,3\0 +1,4 @@\n one\n+T\n two\n three\n"),
	};
#undef WITH_LEN
	struct kser_patch *p = NULL;
	struct kser_buf out = KSER_BUF_INIT;
	char *copy;
	size_t i;

	(void)state;
	/* On the heap, with no NUL after it, so ASan sees any overread. */
	copy = malloc(sizeof(content) - 1);
	memcpy(copy, content, sizeof(content) - 1);
	assert_ok(kser_patch_parse(&p, copy, sizeof(content) - 1, 1));
	free(copy);
	assert_int_equal(p->files[0].hunks[0].lines[1].len, 3);
	assert_ok(kser_apply_hunks(&out, "one\ntwo\nthree\n", 14, &p->files[0],
				   NULL));
	assert_int_equal(out.len, 18);
	assert_memory_equal(out.ptr, "one\nT\0O\ntwo\nthree\n", 18);
	kser_buf_release(&out);
	kser_patch_free(p);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		copy = malloc(bad[i].len);
		memcpy(copy, bad[i].text, bad[i].len);
		if (!kser_patch_parse(&p, copy, bad[i].len, 1))
			fail_msg("accepted a NUL in patch %zu", i);
		assert_null(p);
		free(copy);
	}
}

static void unquote(void **state)
{
	char out[32];
	size_t used;

	(void)state;
	assert_int_equal(kser_unquote_c("a\\tb\\\"c\\\\\"rest", 15, out,
					&used), 6);
	assert_memory_equal(out, "a\tb\"c\\", 6);
	assert_int_equal(used, 10);
	assert_int_equal(kser_unquote_c("\\400\"", 5, out, &used), -1);
	assert_int_equal(kser_unquote_c("abc", 3, out, &used), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(git_header_with_everything),
		cmocka_unit_test(quoted_names_and_dev_null),
		cmocka_unit_test(traditional_diff_with_timestamps),
		cmocka_unit_test(no_newline_markers),
		cmocka_unit_test(malformed_patches),
		cmocka_unit_test(offsets_and_search_order),
		cmocka_unit_test(anchored_hunks_do_not_float),
		cmocka_unit_test(patched_lines_are_not_matched_again),
		cmocka_unit_test(failure_names_the_line),
		cmocka_unit_test(delta_copy_and_insert),
		cmocka_unit_test(nul_in_file_name),
		cmocka_unit_test(empty_hunks_are_corrupt),
		cmocka_unit_test(nul_bytes_as_git_apply_reads_them),
		cmocka_unit_test(unquote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
