// SPDX-License-Identifier: GPL-2.0
/* The small modules everything stands on: buffers, errors, paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/hash.h"
#include "kser/path.h"
#include "kser/util.h"
#include "test_helpers.h"

static void buf_grows_and_stays_terminated(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;
	int i;

	(void)state;
	assert_string_equal(kser_buf_cstr(&b), "");
	for (i = 0; i < 1000; i++)
		kser_buf_printf(&b, "%d,", i);
	assert_null(kser_buf_check(&b));
	assert_int_equal(b.ptr[b.len], '\0');
	assert_true(strncmp(b.ptr, "0,1,2,", 6) == 0);
	assert_int_equal(strlen(b.ptr), b.len);
	kser_buf_truncate(&b, 3);
	assert_string_equal(b.ptr, "0,1");
	kser_buf_puts(&b, "  \n\t");
	kser_buf_rtrim(&b);
	assert_string_equal(b.ptr, "0,1");
	kser_buf_release(&b);
}

static void buf_detach_hands_over(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;
	char *s;

	(void)state;
	s = kser_buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
	kser_buf_put(&b, "ab\0cd", 5);
	assert_int_equal(b.len, 5);
	s = kser_buf_detach(&b);
	assert_memory_equal(s, "ab\0cd", 5);
	assert_null(b.ptr);
	assert_int_equal(b.len, 0);
	free(s);
}

static void buf_oom_is_sticky(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;

	(void)state;
	kser_buf_puts(&b, "x");
	kser_buf_grow(&b, SIZE_MAX - 1);
	assert_true(b.oom);
	kser_buf_puts(&b, "more");
	assert_string_equal(b.ptr, "x");
	assert_non_null(kser_buf_check(&b));
	assert_int_equal(kser_buf_check(&b)->code, KSER_ERR_NOMEM);
	assert_null(kser_buf_detach(&b));
}

static void error_wrap_and_ring(void **state)
{
	const struct kser_error *e, *w;
	int i;

	(void)state;
	e = kser_error_fmt(KSER_ERR_APPLY, "hunk #%d failed", 2);
	w = kser_error_wrap(e, "patch %d/%d", 3, 10);
	assert_int_equal(w->code, KSER_ERR_APPLY);
	assert_string_equal(w->msg, "patch 3/10: hunk #2 failed");
	assert_null(kser_error_wrap(NULL, "x"));
	/* Wrapping an error over and over reuses slots safely. */
	for (i = 0; i < 20; i++)
		w = kser_error_wrap(w, "l%d", i);
	assert_true(strstr(w->msg, "l19: l18: ") == w->msg);
	errno = ENOENT;
	e = kser_error_errno("cannot open '%s'", "x");
	assert_int_equal(e->code, KSER_ERR_ERRNO);
	assert_int_equal(e->errno_value, ENOENT);
	assert_string_equal(e->msg, "cannot open 'x': No such file or directory");
}

static void error_long_messages_are_cut(void **state)
{
	char big[10000];
	const struct kser_error *e;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e = kser_error_fmt(KSER_ERR_GENERIC, "%s", big);
	assert_true(strlen(e->msg) < sizeof(big));
	assert_string_equal(e->msg + strlen(e->msg) - 3, "...");
}

static void path_check_refuses_what_git_would(void **state)
{
	static const char *const bad[] = {
		"", "/etc/passwd", "..", "../x", "a/../b", "a/..", ".git",
		".git/config", "a/.git/x", "a/.GIT/x", "a//b", "a/./b", "./a",
		"a/",
		/* What NTFS reads as ".git": 8.3 names, trailing dots and
		 * spaces, alternate data streams, backslashes. */
		"git~1/x", "GIT~1/config", ".git./x", ".git /x", ".git. . /x",
		".git::$INDEX_ALLOCATION/x", "a\\.git/x", "x\\.git\\y",
		"a/git~1",
		/* What HFS+ reads as ".git": ignorable code points. */
		".g\xe2\x80\x8cit/x", "\xef\xbb\xbf.git/x", ".GIT\xe2\x80\x8f",
		/* git fsck refuses a .gitmodules or .gitattributes that is
		 * not a blob. */
		".gitmodules/x", "a/.GITMODULES/b", "gitmod~1/x",
		".gitattributes/x",
	};
	static const char *const good[] = {
		"a", "a/b/c.c", ".gitignore", "a/.gitattributes", "...",
		"a/..b", "x.git", "..a", "ünï/cödé",
		"git~2/x", "git~1x", ".gitx/y", ".git-foo", ".gitmodules",
		"a/.gitmodules", "x.gitmodules/y", "a\\b",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct kser_error *e = kser_path_check(bad[i], 0);

		if (!e)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(e->code, KSER_ERR_BAD_INPUT);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_ok(kser_path_check(good[i], 0));
}

/* git's verify_path and fsck's gitmodulesSymlink, gitmodulesBlob. */
static void path_check_knows_the_mode(void **state)
{
	static const char *const not_a_link[] = {
		".gitmodules", ".GITMODULES", "sub/.gitmodules", "gitmod~1",
		"GI7EBA~1", ".gitmodules ", ".gitmodules.", ".gitmodules:x",
		".git\xe2\x80\x8cmodules", "x\\.gitmodules",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(not_a_link) / sizeof(not_a_link[0]); i++) {
		assert_ok(kser_path_check(not_a_link[i], 0100644));
		assert_err(kser_path_check(not_a_link[i], 0120000),
			   KSER_ERR_BAD_INPUT, "symbolic link");
	}
	assert_err(kser_path_check(".gitmodules", 0160000),
		   KSER_ERR_BAD_INPUT, "'.gitmodules' must be a file");
	assert_err(kser_path_check(".gitmodules", 040000),
		   KSER_ERR_BAD_INPUT, "'.gitmodules' must be a file");
	assert_err(kser_path_check("a/.gitattributes", 0160000),
		   KSER_ERR_BAD_INPUT, "'.gitattributes' must be a file");
	/* git allows these as symbolic links (fsck only notes them). */
	assert_ok(kser_path_check(".gitignore", 0120000));
	assert_ok(kser_path_check(".gitattributes", 0120000));
	assert_ok(kser_path_check("x.gitmodules", 0120000));
	assert_ok(kser_path_check("gitmodules", 0120000));
	assert_ok(kser_path_check("link", 0120000));
	assert_ok(kser_path_check("sm", 0160000));
}

/* Deeper than git's core.maxTreeDepth, longer than Linux can open. */
static void path_check_limits(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < KSER_PATH_MAX_DEPTH; i++)
		kser_buf_puts(&b, i ? "/d" : "d");
	assert_ok(kser_path_check(b.ptr, 0100644));
	kser_buf_puts(&b, "/f");
	assert_err(kser_path_check(b.ptr, 0100644), KSER_ERR_BAD_INPUT,
		   "more than 2048 levels");
	kser_buf_clear(&b);
	for (i = 0; i < 50000; i++)
		kser_buf_puts(&b, "a/");
	kser_buf_puts(&b, "f");
	assert_err(kser_path_check(b.ptr, 0100644), KSER_ERR_BAD_INPUT,
		   "more than 2048 levels");

	kser_buf_clear(&b);
	kser_buf_puts(&b, "dir/");
	for (i = 0; i < KSER_PATH_MAX_NAME; i++)
		kser_buf_putc(&b, 'n');
	assert_ok(kser_path_check(b.ptr, 0100644));
	kser_buf_putc(&b, 'n');
	assert_err(kser_path_check(b.ptr, 0100644), KSER_ERR_BAD_INPUT,
		   "a name longer than 255 bytes");

	kser_buf_clear(&b);
	while (b.len + 200 < KSER_PATH_MAX_LEN)
		kser_buf_printf(&b, "%0199d/", 0);
	while (b.len < KSER_PATH_MAX_LEN)
		kser_buf_putc(&b, 'f');
	assert_ok(kser_path_check(b.ptr, 0100644));
	kser_buf_putc(&b, 'f');
	assert_err(kser_path_check(b.ptr, 0100644), KSER_ERR_BAD_INPUT,
		   "longer than 4095 bytes");
	kser_buf_release(&b);
}

static void path_normalize_drops_dots_and_empties(void **state)
{
	char a[] = "./linux/./a//b/";
	char b[] = "/abs/x";
	char c[] = "x/../y";

	(void)state;
	kser_path_normalize(a);
	assert_string_equal(a, "linux/a/b");
	kser_path_normalize(b);
	assert_string_equal(b, "/abs/x");
	kser_path_normalize(c);
	assert_string_equal(c, "x/../y");
	assert_non_null(kser_path_check(c, 0));
}

/* A cancel callback that lets `left` calls go on, then says stop. */
static const struct kser_error *stop_after(void *arg)
{
	int *left = arg;

	if ((*left)-- > 0)
		return NULL;
	return kser_error_cancelled(false);
}

static void make_files(const char *dir, int n)
{
	char path[256];
	int i;

	assert_int_equal(mkdir(dir, 0755), 0);
	for (i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/f%02d", dir, i);
		f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
}

/*
 * kser_remove_tree() asks its cancel callback before each file and stops
 * there, leaving the rest; with no callback it removes everything.
 */
static void remove_tree_is_cancellable(void **state)
{
	char dir[64], sub[80];
	struct kser_dir_list list;
	int left = 3;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kser-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/t", dir);
	make_files(sub, 10);
	assert_err(kser_remove_tree(sub, stop_after, &left),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_ok(kser_dir_list(&list, -1, sub));
	assert_int_equal(list.n, 7);
	/* Sorted, whatever readdir's order. */
	assert_true(strcmp(list.v[0].name, list.v[1].name) < 0);
	kser_dir_list_release(&list);
	assert_ok(kser_remove_tree(sub, NULL, NULL));
	assert_int_equal(access(sub, F_OK), -1);
	assert_ok(kser_remove_tree(sub, NULL, NULL));
	assert_ok(kser_remove_tree(dir, NULL, NULL));
}

static void path_join_and_sha1(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;
	char hex[KSER_SHA1_HEXSZ + 1];

	(void)state;
	assert_ok(kser_path_join(&b, "a//", "b"));
	assert_string_equal(b.ptr, "a/b");
	assert_ok(kser_path_join(&b, "/", "b"));
	assert_string_equal(b.ptr, "/b");
	assert_ok(kser_path_join(&b, "", "b"));
	assert_string_equal(b.ptr, "b");
	kser_buf_release(&b);
	/* git hash-object --stdin </dev/null hashes "blob 0\0". */
	kser_sha1_hex(hex, "blob 0", 7);
	assert_string_equal(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_stays_terminated),
		cmocka_unit_test(buf_detach_hands_over),
		cmocka_unit_test(buf_oom_is_sticky),
		cmocka_unit_test(error_wrap_and_ring),
		cmocka_unit_test(error_long_messages_are_cut),
		cmocka_unit_test(path_check_refuses_what_git_would),
		cmocka_unit_test(path_check_knows_the_mode),
		cmocka_unit_test(path_check_limits),
		cmocka_unit_test(path_normalize_drops_dots_and_empties),
		cmocka_unit_test(remove_tree_is_cancellable),
		cmocka_unit_test(path_join_and_sha1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
