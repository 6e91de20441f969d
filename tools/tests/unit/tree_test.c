// SPDX-License-Identifier: GPL-2.0
/* Objects and trees: the pack writer, the tree editor, apply_to_tree. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/patch.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser/pack.h"
#include "odb/kser_lib_odb.h"
#include "kser/treeedit.h"
#include "test_helpers.h"

struct fixture {
	char dir[64];
	git_repository *repo;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/kser-unit-XXXXXX");
	if (!mkdtemp(f->dir) || git_repository_init(&f->repo, f->dir, 1) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	git_repository_free(f->repo);
	kser_remove_tree(f->dir, NULL, NULL);
	free(f);
	return 0;
}

struct adder {
	struct kser_pack_writer *pw;
	int first;
};

static void *add_many(void *arg)
{
	struct adder *a = arg;
	char buf[64];
	int i;

	for (i = 0; i < 500; i++) {
		/* Half the objects are shared between the threads. */
		int n = i % 2 ? i : a->first + i;
		git_oid oid;

		snprintf(buf, sizeof(buf), "object %d\n", n);
		if (kser_pack_writer_add(a->pw, &oid, GIT_OBJECT_BLOB, buf,
					 strlen(buf)))
			break;
	}
	kser_pack_thread_cleanup();
	return NULL;
}

static void pack_writer_round_trip(void **state)
{
	struct fixture *f = *state;
	struct kser_pack_writer *pw = NULL;
	struct adder a = { NULL, 0 }, b = { NULL, 100000 };
	pthread_t ta, tb;
	git_oid oid, check;
	git_blob *blob = NULL;
	char hexname[128];

	assert_ok(kser_pack_writer_new(&pw, f->repo, 1));
	a.pw = b.pw = pw;
	pthread_create(&ta, NULL, add_many, &a);
	pthread_create(&tb, NULL, add_many, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* 250 odd shared + 250 + 250 distinct even ones. */
	assert_int_equal(kser_pack_writer_count(pw), 750);
	assert_ok(kser_pack_writer_add(pw, &oid, GIT_OBJECT_BLOB, "", 0));
	assert_ok(kser_pack_writer_commit(pw, NULL, NULL));
	kser_pack_writer_free(pw);
	kser_pack_thread_cleanup();

	git_odb_hash(&check, "", 0, GIT_OBJECT_BLOB);
	assert_true(git_oid_equal(&oid, &check));
	git_odb_hash(&check, "object 100002\n", 14, GIT_OBJECT_BLOB);
	assert_int_equal(git_blob_lookup(&blob, f->repo, &check), 0);
	assert_int_equal(git_blob_rawsize(blob), 14);
	assert_memory_equal(git_blob_rawcontent(blob), "object 100002\n", 14);
	git_blob_free(blob);
	snprintf(hexname, sizeof(hexname), "%s/objects/pack", f->dir);
	assert_int_equal(access(hexname, F_OK), 0);
}

static void pack_writer_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct kser_pack_writer *pw = NULL;
	git_oid oid;
	git_odb *odb = NULL;

	assert_ok(kser_pack_writer_new(&pw, f->repo, 1));
	assert_ok(kser_pack_writer_add(pw, &oid, GIT_OBJECT_BLOB, "gone", 4));
	kser_pack_writer_free(pw);
	kser_pack_thread_cleanup();
	assert_int_equal(git_repository_odb(&odb, f->repo), 0);
	git_odb_refresh(odb);
	assert_false(git_odb_exists(odb, &oid));
	git_odb_free(odb);
}

static git_oid blob(git_repository *repo, const char *s)
{
	git_oid oid;

	assert_int_equal(git_blob_create_from_buffer(&oid, repo, s,
						     strlen(s)), 0);
	return oid;
}

static char *read_path(git_repository *repo, const git_oid *tree,
		       const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	char *s = NULL;

	assert_int_equal(git_tree_lookup(&t, repo, tree), 0);
	if (git_tree_entry_bypath(&e, t, path) == 0 &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0)
		s = strndup(git_blob_rawcontent(b), git_blob_rawsize(b));
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	return s;
}

static void tree_edit_touches_only_changed_paths(void **state)
{
	struct fixture *f = *state;
	struct kser_tree_edit ed;
	git_oid t1, t2, b1 = blob(f->repo, "one\n"), b2 = blob(f->repo, "two\n");
	git_tree *root = NULL;
	char *s;

	kser_tree_edit_init(&ed);
	assert_ok(kser_tree_edit_set(&ed, "a/b/c.txt", GIT_FILEMODE_BLOB, &b1));
	assert_ok(kser_tree_edit_set(&ed, "a/other", GIT_FILEMODE_BLOB, &b1));
	assert_ok(kser_tree_edit_set(&ed, "top", GIT_FILEMODE_BLOB_EXECUTABLE,
				     &b2));
	assert_ok(kser_tree_edit_write(&t1, f->repo, NULL, &ed));
	kser_tree_edit_release(&ed);

	kser_tree_edit_init(&ed);
	assert_ok(kser_tree_edit_remove(&ed, "a/b/c.txt"));
	assert_ok(kser_tree_edit_set(&ed, "a/b", GIT_FILEMODE_BLOB, &b2));
	assert_ok(kser_tree_edit_write(&t2, f->repo, &t1, &ed));
	kser_tree_edit_release(&ed);

	s = read_path(f->repo, &t2, "a/b");
	assert_string_equal(s, "two\n");
	free(s);
	s = read_path(f->repo, &t2, "a/other");
	assert_string_equal(s, "one\n");
	free(s);
	assert_int_equal(git_tree_lookup(&root, f->repo, &t2), 0);
	assert_int_equal(git_tree_entry_filemode(
				 git_tree_entry_byname(root, "top")),
			 GIT_FILEMODE_BLOB_EXECUTABLE);
	git_tree_free(root);

	/* Removing the last file of a directory removes the directory. */
	kser_tree_edit_init(&ed);
	assert_ok(kser_tree_edit_remove(&ed, "a/b"));
	assert_ok(kser_tree_edit_remove(&ed, "a/other"));
	assert_ok(kser_tree_edit_write(&t1, f->repo, &t2, &ed));
	kser_tree_edit_release(&ed);
	assert_int_equal(git_tree_lookup(&root, f->repo, &t1), 0);
	assert_int_equal(git_tree_entrycount(root), 1);
	git_tree_free(root);

	/* A file cannot become a directory while it is still there. */
	kser_tree_edit_init(&ed);
	assert_ok(kser_tree_edit_set(&ed, "top/sub", GIT_FILEMODE_BLOB, &b1));
	assert_err(kser_tree_edit_write(&t2, f->repo, &t1, &ed),
		   KSER_ERR_APPLY, "'top' is a file");
	kser_tree_edit_release(&ed);
}

static void apply_to_tree_rename_delete_mode(void **state)
{
	struct fixture *f = *state;
	struct kser_tree_edit ed;
	struct kser_patch *p = NULL;
	struct kser_apply_report rep;
	git_oid base, out, b1 = blob(f->repo, "1\n2\n3\n");
	static const char text[] =
		"diff --git a/x b/y\n"
		"similarity index 60%\n"
		"rename from x\n"
		"rename to y\n"
		"--- a/x\n+++ b/y\n"
		"@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n"
		"diff --git a/z b/z\n"
		"deleted file mode 100644\n"
		"--- a/z\n+++ /dev/null\n"
		"@@ -1,3 +0,0 @@\n-1\n-2\n-3\n"
		"diff --git a/m b/m\n"
		"old mode 100644\n"
		"new mode 100755\n";
	git_tree *t = NULL;
	char *s;

	kser_tree_edit_init(&ed);
	assert_ok(kser_tree_edit_set(&ed, "x", GIT_FILEMODE_BLOB, &b1));
	assert_ok(kser_tree_edit_set(&ed, "z", GIT_FILEMODE_BLOB, &b1));
	assert_ok(kser_tree_edit_set(&ed, "m", GIT_FILEMODE_BLOB, &b1));
	assert_ok(kser_tree_edit_write(&base, f->repo, NULL, &ed));
	kser_tree_edit_release(&ed);

	assert_ok(kser_patch_parse(&p, text, strlen(text), 1));
	kser_apply_report_init(&rep);
	assert_ok(kser_apply_to_tree(&out, f->repo, &base, p, NULL, &rep));
	assert_int_equal(rep.nfiles, 3);
	kser_apply_report_release(&rep);
	s = read_path(f->repo, &out, "y");
	assert_string_equal(s, "1\ntwo\n3\n");
	free(s);
	assert_null(read_path(f->repo, &out, "x"));
	assert_null(read_path(f->repo, &out, "z"));
	assert_int_equal(git_tree_lookup(&t, f->repo, &out), 0);
	assert_int_equal(git_tree_entry_filemode(git_tree_entry_byname(t, "m")),
			 GIT_FILEMODE_BLOB_EXECUTABLE);
	git_tree_free(t);

	/* Applying again fails: x is gone; nothing is half-applied. */
	assert_err(kser_apply_to_tree(&base, f->repo, &out, p, NULL, NULL),
		   KSER_ERR_APPLY, "'x' does not exist in the tree");
	kser_patch_free(p);
}

/* The tree of base with one more file. */
static git_oid tree_with(git_repository *repo, const git_oid *base,
			 const char *path, uint32_t mode, const git_oid *oid)
{
	struct kser_tree_edit ed;
	git_oid out;

	kser_tree_edit_init(&ed);
	assert_ok(kser_tree_edit_set(&ed, path, mode, oid));
	assert_ok(kser_tree_edit_write(&out, repo, base, &ed));
	kser_tree_edit_release(&ed);
	return out;
}

static const struct kser_error *apply_text(git_oid *out, git_repository *repo,
					   const git_oid *base,
					   const char *text, size_t len)
{
	const struct kser_error *err;
	struct kser_patch *p = NULL;

	err = kser_patch_parse(&p, text, len, 1);
	if (!err)
		err = kser_apply_to_tree(out, repo, base, p, NULL, NULL);
	kser_patch_free(p);
	return err;
}

static void entry_of(git_repository *repo, const git_oid *tree,
		     const char *path, uint32_t *mode, git_oid *oid)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;

	assert_int_equal(git_tree_lookup(&t, repo, tree), 0);
	assert_int_equal(git_tree_entry_bypath(&e, t, path), 0);
	*mode = git_tree_entry_filemode(e);
	git_oid_cpy(oid, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(t);
}

/*
 * A path 50,000 directories deep overflowed the stack of the tree writer;
 * paths deeper than git's core.maxTreeDepth are refused now.
 */
static void deep_paths_are_refused(void **state)
{
	struct fixture *f = *state;
	struct kser_buf path = KSER_BUF_INIT, text = KSER_BUF_INIT;
	struct kser_tree_edit ed;
	git_oid b1 = blob(f->repo, "one\n"), out;
	size_t i;
	char *s;

	for (i = 0; i < 50000; i++)
		kser_buf_puts(&path, "a/");
	kser_buf_puts(&path, "f");
	kser_buf_printf(&text, "diff --git a/%s b/%s\nnew file mode 100644\n"
			"--- /dev/null\n+++ b/%s\n@@ -0,0 +1 @@\n+x\n",
			path.ptr, path.ptr, path.ptr);
	assert_err(apply_text(&out, f->repo, NULL, text.ptr, text.len),
		   KSER_ERR_BAD_INPUT, "more than 2048 levels");

	/* The tree editor refuses them by itself too. */
	kser_tree_edit_init(&ed);
	assert_err(kser_tree_edit_set(&ed, path.ptr, GIT_FILEMODE_BLOB, &b1),
		   KSER_ERR_BAD_INPUT, "more than 2048 levels");
	kser_tree_edit_release(&ed);

	/* 2048 levels, the limit, work. */
	kser_buf_clear(&path);
	for (i = 1; i < KSER_PATH_MAX_DEPTH; i++)
		kser_buf_puts(&path, "d/");
	kser_buf_puts(&path, "f");
	kser_buf_clear(&text);
	kser_buf_printf(&text, "diff --git a/%s b/%s\nnew file mode 100644\n"
			"--- /dev/null\n+++ b/%s\n@@ -0,0 +1 @@\n+x\n",
			path.ptr, path.ptr, path.ptr);
	assert_ok(apply_text(&out, f->repo, NULL, text.ptr, text.len));
	s = read_path(f->repo, &out, path.ptr);
	assert_string_equal(s, "x\n");
	free(s);
	kser_buf_release(&path);
	kser_buf_release(&text);
}

#define SM1 "1111111111111111111111111111111111111111"
#define SM2 "2222222222222222222222222222222222222222"

/* Gitlinks are commits named by "Subproject commit" lines, as in git. */
static void gitlinks_name_commits(void **state)
{
	struct fixture *f = *state;
	git_oid b1 = blob(f->repo, "one\n"), base, t1, t2, t3, want;
	uint32_t mode;
	git_oid oid;
	static const char add[] =
		"diff --git a/sm b/sm\nnew file mode 160000\n"
		"index 0000000..1111111\n--- /dev/null\n+++ b/sm\n"
		"@@ -0,0 +1 @@\n+Subproject commit " SM1 "\n";
	static const char bump[] =
		"diff --git a/sm b/sm\nindex 1111111..2222222 160000\n"
		"--- a/sm\n+++ b/sm\n@@ -1 +1 @@\n"
		"-Subproject commit " SM1 "\n+Subproject commit " SM2 "\n";
	static const char drop[] =
		"diff --git a/sm b/sm\ndeleted file mode 160000\n"
		"index 2222222..0000000\n--- a/sm\n+++ /dev/null\n"
		"@@ -1 +0,0 @@\n-Subproject commit " SM2 "\n";
	static const char garbage[] =
		"diff --git a/sm b/sm\nnew file mode 160000\n"
		"--- /dev/null\n+++ b/sm\n"
		"@@ -0,0 +1 @@\n+Subproject commit 12345\n";
	static const char null[] =
		"diff --git a/sm b/sm\nnew file mode 160000\n"
		"--- /dev/null\n+++ b/sm\n@@ -0,0 +1 @@\n"
		"+Subproject commit 0000000000000000000000000000000000000000\n";
	static const char as_file[] =
		"diff --git a/sm b/sm\n--- a/sm\n+++ b/sm\n@@ -1 +1 @@\n"
		"-Subproject commit " SM1 "\n+Subproject commit " SM2 "\n";

	base = tree_with(f->repo, NULL, "a.txt", GIT_FILEMODE_BLOB, &b1);
	assert_ok(apply_text(&t1, f->repo, &base, add, sizeof(add) - 1));
	entry_of(f->repo, &t1, "sm", &mode, &oid);
	assert_int_equal(mode, GIT_FILEMODE_COMMIT);
	git_oid_fromstr(&want, SM1);
	assert_true(git_oid_equal(&oid, &want));

	assert_ok(apply_text(&t2, f->repo, &t1, bump, sizeof(bump) - 1));
	entry_of(f->repo, &t2, "sm", &mode, &oid);
	assert_int_equal(mode, GIT_FILEMODE_COMMIT);
	git_oid_fromstr(&want, SM2);
	assert_true(git_oid_equal(&oid, &want));
	/* A patch without a mode line works on the gitlink as it is. */
	assert_ok(apply_text(&t3, f->repo, &t1, as_file, sizeof(as_file) - 1));
	assert_true(git_oid_equal(&t3, &t2));

	assert_ok(apply_text(&t3, f->repo, &t2, drop, sizeof(drop) - 1));
	assert_true(git_oid_equal(&t3, &base));

	/* The bump expects SM1: against SM2 it does not apply. */
	assert_err(apply_text(&t3, f->repo, &t2, bump, sizeof(bump) - 1),
		   KSER_ERR_APPLY, "hunk #1");
	assert_err(apply_text(&t3, f->repo, &base, garbage,
			      sizeof(garbage) - 1),
		   KSER_ERR_BAD_INPUT, "'sm': corrupt patch for a submodule");
	assert_err(apply_text(&t3, f->repo, &base, null, sizeof(null) - 1),
		   KSER_ERR_BAD_INPUT, "'sm': corrupt patch for a submodule");
}

/* "\0" and the numbers 1 to 300, one a line: a file git diffs as binary. */
static git_oid binary_base(git_repository *repo)
{
	struct kser_buf b = KSER_BUF_INIT;
	git_oid oid;
	int i;

	kser_buf_putc(&b, '\0');
	for (i = 1; i <= 300; i++)
		kser_buf_printf(&b, "%d\n", i);
	assert_int_equal(git_blob_create_from_buffer(&oid, repo, b.ptr, b.len),
			 0);
	kser_buf_release(&b);
	return oid;
}

/* git diff --binary --full-index after "echo end >>d.bin". */
#define DELTA_PATCH(pre, forward_size)					\
	"diff --git a/d.bin b/d.bin\n"					\
	"index " pre "..95645fd3e76861a49ebc2d7d6855fdcc2846e694 100644\n" \
	"GIT binary patch\n"						\
	"delta " forward_size "\n"					\
	"TcmX@gagt+$D+^0%UJ4fg9RUN~\n"					\
	"\n"								\
	"delta 7\n"							\
	"OcmX@fag<|&D+>S&O#+wz\n"					\
	"\n"

#define PRE_ID "039422f014d80b470ba70d7ca6f10fa386ad3b1c"
#define ZERO_ID "0000000000000000000000000000000000000000"

static void binary_patches_check_their_preimage(void **state)
{
	struct fixture *f = *state;
	git_oid bin = binary_base(f->repo), other = blob(f->repo, "other\n");
	git_oid base, base2, out, want;
	uint32_t mode;
	git_oid oid;
	static const char good[] = DELTA_PATCH(PRE_ID, "12");
	static const char zero[] = DELTA_PATCH(ZERO_ID, "12");
	static const char del[] =
		"diff --git a/d.bin b/d.bin\n"
		"deleted file mode 100644\n"
		"index " PRE_ID ".." ZERO_ID "\n"
		"GIT binary patch\n"
		"literal 0\n"
		"HcmV?d00001\n"
		"\n";

	base = tree_with(f->repo, NULL, "d.bin", GIT_FILEMODE_BLOB, &bin);
	assert_ok(apply_text(&out, f->repo, &base, good, sizeof(good) - 1));
	entry_of(f->repo, &out, "d.bin", &mode, &oid);
	git_oid_fromstr(&want, "95645fd3e76861a49ebc2d7d6855fdcc2846e694");
	assert_true(git_oid_equal(&oid, &want));

	/* git refuses an all-zero preimage id: it names no contents. */
	assert_err(apply_text(&out, f->repo, &base, zero, sizeof(zero) - 1),
		   KSER_ERR_APPLY, "does not match the current contents");

	/* A deletion must delete what the patch says it deletes. */
	assert_ok(apply_text(&out, f->repo, &base, del, sizeof(del) - 1));
	assert_null(read_path(f->repo, &out, "d.bin"));
	base2 = tree_with(f->repo, NULL, "d.bin", GIT_FILEMODE_BLOB, &other);
	assert_err(apply_text(&out, f->repo, &base2, del, sizeof(del) - 1),
		   KSER_ERR_APPLY, "does not match the current contents");
}

/*
 * A binary patch states the size of its data; a few hundred bytes that
 * claimed a gigabyte made kser allocate it. No allocation may exceed what
 * the data can inflate to (this binary's allocator fails above 256 MB).
 */
static void binary_sizes_are_bounded(void **state)
{
	struct fixture *f = *state;
	git_oid bin = binary_base(f->repo), base, out;
	static const char literal[] =
		"diff --git a/n.bin b/n.bin\n"
		"new file mode 100644\n"
		"index " ZERO_ID "..db12d84d7d09898766cc3d68c37aa7d58f6c3702\n"
		"GIT binary patch\n"
		"literal 1073741824\n"
		"Scmc~u&B@7UD9<m-NdW*EO9VXt\n"
		"\n"
		"literal 0\n"
		"HcmV?d00001\n"
		"\n";
	static const char delta[] = DELTA_PATCH(PRE_ID, "1073741824");
	static const char huge[] = DELTA_PATCH(PRE_ID, "99999999999999999999");

	base = tree_with(f->repo, NULL, "d.bin", GIT_FILEMODE_BLOB, &bin);
	assert_err(apply_text(&out, f->repo, &base, literal,
			      sizeof(literal) - 1),
		   KSER_ERR_BAD_INPUT, "corrupt binary patch");
	assert_err(apply_text(&out, f->repo, &base, delta, sizeof(delta) - 1),
		   KSER_ERR_BAD_INPUT, "corrupt binary patch");
	assert_err(apply_text(&out, f->repo, &base, huge, sizeof(huge) - 1),
		   KSER_ERR_BAD_INPUT, "binary");
}

static const struct kser_error *stop_after(void *arg)
{
	int *left = arg;

	if ((*left)-- > 0)
		return NULL;
	return kser_error_cancelled(false);
}

/*
 * The cancel callback of the apply options is asked before each file: its
 * error stops the application, which returns it.
 */
static void apply_stops_when_cancelled(void **state)
{
	struct fixture *f = *state;
	static const char three[] =
		"diff --git a/a b/a\nnew file mode 100644\n"
		"--- /dev/null\n+++ b/a\n@@ -0,0 +1 @@\n+a\n"
		"diff --git a/b b/b\nnew file mode 100644\n"
		"--- /dev/null\n+++ b/b\n@@ -0,0 +1 @@\n+b\n"
		"diff --git a/c b/c\nnew file mode 100644\n"
		"--- /dev/null\n+++ b/c\n@@ -0,0 +1 @@\n+c\n";
	struct kser_apply_options o = KSER_APPLY_OPTIONS_INIT;
	struct kser_patch *p = NULL;
	git_oid out;
	int left = 2, calls;

	assert_ok(kser_patch_parse(&p, three, sizeof(three) - 1, 1));
	o.cancel = stop_after;
	o.cancel_arg = &left;
	assert_err(kser_apply_to_tree(&out, f->repo, NULL, p, &o, NULL),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_int_equal(left, -1);
	left = 3;
	assert_ok(kser_apply_to_tree(&out, f->repo, NULL, p, &o, NULL));
	calls = 3 - left;
	assert_int_equal(calls, 3);
	kser_patch_free(p);
}

/* Allocations above 256 MB fail here instead of succeeding. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=256:allocator_may_return_null=1";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pack_writer_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(pack_writer_abort_leaves_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			tree_edit_touches_only_changed_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(
			apply_to_tree_rename_delete_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(deep_paths_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(gitlinks_name_commits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			binary_patches_check_their_preimage, setup, teardown),
		cmocka_unit_test_setup_teardown(binary_sizes_are_bounded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(apply_stops_when_cancelled,
						setup, teardown),
	};
	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
