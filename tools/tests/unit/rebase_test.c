// SPDX-License-Identifier: GPL-2.0
/* kser rebase: the state file, the lock, rename scores and a merge. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/util.h"
#include "kser/opstate.h"
#include "rebase/kser_lib_rebase.h"
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

static void state_round_trip(void **state)
{
	struct fixture *f = *state;
	struct rb_state st, back;
	git_oid ids[3];
	bool found;
	int i;

	assert_false(rb_state_exists(f->repo));
	assert_ok(rb_state_read(&back, &found, f->repo));
	assert_false(found);

	rb_state_init(&st);
	st.phase = RB_PHASE_CONFLICT;
	st.branch = strdup("refs/heads/topic");
	for (i = 0; i < 3; i++) {
		char hex[41];

		snprintf(hex, sizeof(hex), "%040d", i + 1);
		git_oid_fromstr(&ids[i], hex);
	}
	st.list = malloc(sizeof(ids));
	memcpy(st.list, ids, sizeof(ids));
	st.nlist = 3;
	st.next = 1;
	st.orig = ids[2];
	st.head = ids[0];
	st.wt = RB_WT_LINKED;
	st.wt_path = strdup("/some where/wt");
	st.checked_out = true;
	st.picked = 1;
	assert_ok(rb_state_add_path(&st, "dir/a file"));
	assert_ok(rb_state_add_path(&st, "b"));
	assert_ok(rb_state_write(f->repo, &st));
	assert_true(rb_state_exists(f->repo));

	assert_ok(rb_state_read(&back, &found, f->repo));
	assert_true(found);
	assert_int_equal(back.phase, RB_PHASE_CONFLICT);
	assert_string_equal(back.branch, "refs/heads/topic");
	assert_int_equal(back.nlist, 3);
	assert_int_equal(back.next, 1);
	assert_true(git_oid_equal(&back.list[2], &ids[2]));
	assert_true(git_oid_equal(&back.orig, &ids[2]));
	assert_true(git_oid_equal(&back.head, &ids[0]));
	assert_int_equal(back.wt, RB_WT_LINKED);
	assert_string_equal(back.wt_path, "/some where/wt");
	assert_true(back.checked_out);
	assert_int_equal(back.npaths, 2);
	assert_string_equal(back.paths[0], "dir/a file");
	assert_int_equal(back.picked, 1);
	rb_state_release(&back);

	assert_ok(rb_state_remove(f->repo));
	assert_false(rb_state_exists(f->repo));
	assert_ok(rb_state_read(&back, &found, f->repo));
	assert_false(found);
	rb_state_release(&st);
}

static void state_damaged_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct kser_opstate *os = NULL;
	struct rb_state st;
	bool found;
	const char cut[] = "kser-rebase 1\nphase 1\nbranch refs/heads/x\n";

	assert_ok(kser_opstate_open(&os, git_repository_commondir(f->repo),
				    "rebase"));
	assert_ok(kser_opstate_begin(os));
	/* A file cut short (no "end" line) is not taken for a state. */
	assert_ok(kser_opstate_write(os, "state", cut, strlen(cut)));
	assert_err(rb_state_read(&st, &found, f->repo), KSER_ERR_BAD_INPUT,
		   "is damaged");
	assert_false(found);
	assert_ok(kser_opstate_write(os, "state", "garbage\n", 8));
	assert_err(rb_state_read(&st, &found, f->repo), KSER_ERR_BAD_INPUT,
		   "not a kser rebase state");
	kser_opstate_free(os);
	assert_ok(rb_state_remove(f->repo));
	assert_false(rb_state_exists(f->repo));
}

static void lock_excludes_and_stale_is_taken(void **state)
{
	struct fixture *f = *state;
	struct rb_lock a = { NULL }, b = { NULL };
	struct kser_buf path = KSER_BUF_INIT;
	char host[256], text[512];
	int fd, n;

	assert_ok(rb_lock_take(&a, f->repo));
	assert_err(rb_lock_take(&b, f->repo), KSER_ERR_EXISTS,
		   "another kser rebase is running");
	rb_lock_release(&a);
	assert_ok(rb_lock_take(&b, f->repo));
	rb_lock_release(&b);

	/* A lock left by a process that is gone (pid 2^22 + 1 is beyond
	 * Linux's pid_max default) on this host is taken over. */
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	host[sizeof(host) - 1] = '\0';
	n = snprintf(text, sizeof(text), "kser lock\npid 4194305\nhost %s\n"
		     "since 1\n", host);
	assert_ok(rb_path(&path, f->repo, "rebase.lock"));
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
	assert_ok(rb_lock_take(&a, f->repo));
	rb_lock_release(&a);
	assert_int_equal(access(path.ptr, F_OK), -1);
	kser_buf_release(&path);
}

static void blob(git_oid *out, struct fixture *f, const char *s)
{
	assert_int_equal(git_blob_create_from_buffer(out, f->repo, s,
						     strlen(s)), 0);
}

static void renames_scored_as_git(void **state)
{
	struct fixture *f = *state;
	struct kser_rename_input src[2], dst[2];
	struct kser_rename *pairs = NULL;
	struct kser_buf a = KSER_BUF_INIT, b = KSER_BUF_INIT;
	size_t n = 0;
	int i;

	for (i = 1; i <= 10; i++)
		kser_buf_printf(&a, "line %d of the file\n", i);
	kser_buf_puts(&b, a.ptr);
	kser_buf_puts(&b, "one more line\n");
	src[0] = (struct kser_rename_input){ "old/a.c", { 0100644 }, true };
	src[1] = (struct kser_rename_input){ "x.c", { 0100644 }, true };
	dst[0] = (struct kser_rename_input){ "new/b.c", { 0100644 }, false };
	dst[1] = (struct kser_rename_input){ "y.c", { 0100644 }, false };
	blob(&src[0].e.oid, f, a.ptr);
	blob(&dst[0].e.oid, f, b.ptr);
	blob(&src[1].e.oid, f, "something\nelse\n");
	blob(&dst[1].e.oid, f, "entirely\ndifferent\nhere\n");
	assert_ok(kser_rename_find(&pairs, &n, f->repo, src, 2, dst, 2, 30000));
	assert_int_equal(n, 1);
	assert_int_equal(pairs[0].src, 0);
	assert_int_equal(pairs[0].dst, 0);
	/* git: 191 of the 205 bytes of the larger file are the source's
	 * (git diff -M says "similarity index 93%"). */
	assert_int_equal(pairs[0].score, 191 * 60000 / 205);
	free(pairs);
	pairs = NULL;

	/* An irrelevant source takes part in exact renames only. */
	src[0].relevant = false;
	assert_ok(kser_rename_find(&pairs, &n, f->repo, src, 2, dst, 2, 30000));
	assert_int_equal(n, 0);
	free(pairs);
	kser_buf_release(&a);
	kser_buf_release(&b);
}

static void tree_of(git_oid *out, struct fixture *f, const char *path1,
		    const char *c1, const char *path2, const char *c2)
{
	struct kser_tree_edit ed;
	git_oid b;

	kser_tree_edit_init(&ed);
	blob(&b, f, c1);
	assert_ok(kser_tree_edit_set(&ed, path1, 0100644, &b));
	if (path2) {
		blob(&b, f, c2);
		assert_ok(kser_tree_edit_set(&ed, path2, 0100644, &b));
	}
	assert_ok(kser_tree_edit_write(out, f->repo, NULL, &ed));
	kser_tree_edit_release(&ed);
}

static void merge_follows_a_rename_and_conflicts(void **state)
{
	struct fixture *f = *state;
	struct rb_merge_opts mo = { "parent of x", "HEAD", "x (subject)", 0,
				    0 };
	struct rb_merge_result r;
	const char *base = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
	git_oid tb, to, tt, want;

	/* Ours renames f to g; theirs edits f: the edit lands in g. */
	tree_of(&tb, f, "f", base, "other", "o\n");
	tree_of(&to, f, "g", base, "other", "o\n");
	tree_of(&tt, f, "f", "1\n2\n3\n4\n5\n6\n7\n8\nnine\n", "other", "o\n");
	tree_of(&want, f, "g", "1\n2\n3\n4\n5\n6\n7\n8\nnine\n", "other",
		"o\n");
	rb_merge_result_init(&r);
	assert_ok(rb_merge_trees(&r, f->repo, &tb, &to, &tt, &mo));
	assert_true(r.clean);
	assert_true(git_oid_equal(&r.tree, &want));
	rb_merge_result_release(&r);

	/* Both edit line 9: a conflict, with stages and markers. */
	tree_of(&to, f, "f", "1\n2\n3\n4\n5\n6\n7\n8\nNINE\n", "other", "o\n");
	rb_merge_result_init(&r);
	assert_ok(rb_merge_trees(&r, f->repo, &tb, &to, &tt, &mo));
	assert_false(r.clean);
	assert_int_equal(r.nconflicts, 1);
	assert_string_equal(r.conflicts[0].path, "f");
	assert_int_equal(r.conflicts[0].stage[0].mode, 0100644);
	assert_non_null(strstr(kser_buf_cstr(&r.messages),
			       "CONFLICT (content): Merge conflict in f"));
	rb_merge_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(state_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(state_damaged_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			lock_excludes_and_stale_is_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(renames_scored_as_git, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			merge_follows_a_rename_and_conflicts, setup, teardown),
	};
	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
