// SPDX-License-Identifier: GPL-2.0
/*
 * The pack writer's promises to base import: nothing visible until commit,
 * nothing written for objects the repository has, streamed objects, and
 * an odb backend that reads and writes the pack being made.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include "kser/base.h"
#include "kser/cancel.h"
#include "kser/util.h"
#include "kser/pack.h"
#include "odb/kser_lib_odb.h"
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

/* Files under objects/, loose or packed. */
static int count_files(const char *dir)
{
	char path[512];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%.255s", dir,
			     de->d_name) >= (int)sizeof(path))
			continue;
		if (de->d_type == DT_DIR)
			n += count_files(path);
		else
			n++;
	}
	closedir(d);
	return n;
}

static int objects_files(struct fixture *f)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/objects", f->dir);
	return count_files(path);
}

static void streamed_object_round_trip(void **state)
{
	struct fixture *f = *state;
	struct kser_pack_writer *pw = NULL;
	struct kser_pack_stream *s = NULL;
	size_t len = 3 * 100000 + 7, i;
	char *data = malloc(len);
	git_oid oid, check;
	git_blob *blob = NULL;

	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 % 251);
	assert_ok(kser_pack_writer_new(&pw, f->repo, 1));
	assert_ok(kser_pack_writer_add(pw, NULL, GIT_OBJECT_BLOB, "a\n", 2));
	assert_ok(kser_pack_stream_begin(&s, pw, GIT_OBJECT_BLOB, len));
	assert_ok(kser_pack_stream_write(s, data, 100000));
	assert_ok(kser_pack_stream_write(s, data + 100000, 200000));
	assert_ok(kser_pack_stream_write(s, data + 300000, len - 300000));
	assert_err(kser_pack_stream_write(s, "x", 1), KSER_ERR_BAD_INPUT,
		   "more data than");
	assert_ok(kser_pack_stream_finish(s, &oid));
	git_odb_hash(&check, data, len, GIT_OBJECT_BLOB);
	assert_true(git_oid_equal(&oid, &check));
	/* A short stream is an error and leaves the pack as it was. */
	assert_ok(kser_pack_stream_begin(&s, pw, GIT_OBJECT_BLOB, 10));
	assert_ok(kser_pack_stream_write(s, "short", 5));
	assert_err(kser_pack_stream_finish(s, &check), KSER_ERR_BAD_INPUT,
		   "5 bytes of the 10 announced");
	assert_ok(kser_pack_writer_add(pw, NULL, GIT_OBJECT_BLOB, "b\n", 2));
	assert_int_equal(kser_pack_writer_count(pw), 3);
	assert_int_equal(objects_files(f), 0);
	assert_ok(kser_pack_writer_commit(pw, NULL, NULL));
	assert_true(kser_pack_writer_installed(pw));
	kser_pack_writer_free(pw);
	kser_pack_thread_cleanup();

	assert_int_equal(objects_files(f), 2);
	assert_int_equal(git_blob_lookup(&blob, f->repo, &oid), 0);
	assert_int_equal(git_blob_rawsize(blob), len);
	assert_memory_equal(git_blob_rawcontent(blob), data, len);
	git_blob_free(blob);
	git_odb_hash(&check, "b\n", 2, GIT_OBJECT_BLOB);
	assert_int_equal(git_blob_lookup(&blob, f->repo, &check), 0);
	git_blob_free(blob);
	free(data);
}

static void objects_the_repository_has_are_not_written(void **state)
{
	struct fixture *f = *state;
	struct kser_pack_writer *pw = NULL;
	struct kser_pack_stream *s = NULL;
	git_oid had, oid;
	int before;

	assert_int_equal(git_blob_create_from_buffer(&had, f->repo, "had\n",
						     4), 0);
	before = objects_files(f);
	assert_ok(kser_pack_writer_new(&pw, f->repo, 1));
	assert_ok(kser_pack_writer_add(pw, &oid, GIT_OBJECT_BLOB, "had\n", 4));
	assert_true(git_oid_equal(&oid, &had));
	assert_ok(kser_pack_stream_begin(&s, pw, GIT_OBJECT_BLOB, 4));
	assert_ok(kser_pack_stream_write(s, "had\n", 4));
	assert_ok(kser_pack_stream_finish(s, &oid));
	assert_true(git_oid_equal(&oid, &had));
	assert_int_equal(kser_pack_writer_count(pw), 0);
	/* Nothing new: no pack at all. */
	assert_ok(kser_pack_writer_commit(pw, NULL, NULL));
	assert_false(kser_pack_writer_installed(pw));
	kser_pack_writer_free(pw);
	kser_pack_thread_cleanup();
	assert_int_equal(objects_files(f), before);
}

static void uninstall_removes_what_commit_made(void **state)
{
	struct fixture *f = *state;
	struct kser_pack_writer *pw = NULL;

	assert_ok(kser_pack_writer_new(&pw, f->repo, 1));
	assert_ok(kser_pack_writer_add(pw, NULL, GIT_OBJECT_BLOB, "u\n", 2));
	assert_ok(kser_pack_writer_commit(pw, NULL, NULL));
	assert_int_equal(objects_files(f), 2);
	kser_pack_writer_uninstall(pw);
	assert_int_equal(objects_files(f), 0);
	kser_pack_writer_free(pw);
	kser_pack_thread_cleanup();
}

static void backend_reads_and_writes_the_new_pack(void **state)
{
	struct fixture *f = *state;
	struct kser_pack_writer *pw = NULL;
	git_odb_backend *backend = NULL;
	git_repository *staging = NULL;
	git_odb *odb = NULL;
	git_treebuilder *bld = NULL;
	git_blob *blob = NULL;
	git_oid a, b, tree, found;
	char path[128];

	assert_ok(kser_pack_writer_new(&pw, f->repo, 1));
	assert_ok(kser_pack_writer_add(pw, &a, GIT_OBJECT_BLOB, "in pack\n",
				       8));
	assert_ok(kser_pack_writer_backend(&backend, pw));
	assert_int_equal(git_odb_new(&odb), 0);
	assert_int_equal(git_odb_add_backend(odb, backend, 1000), 0);
	snprintf(path, sizeof(path), "%s/objects", f->dir);
	assert_int_equal(git_odb_add_disk_alternate(odb, path), 0);
	assert_int_equal(git_repository_wrap_odb(&staging, odb), 0);

	assert_int_equal(git_blob_lookup(&blob, staging, &a), 0);
	assert_memory_equal(git_blob_rawcontent(blob), "in pack\n", 8);
	git_blob_free(blob);
	assert_int_equal(git_odb_exists_prefix(&found, odb, &a, 7), 0);
	assert_true(git_oid_equal(&found, &a));
	/* New objects go into the pack, none into the repository. */
	assert_int_equal(git_blob_create_from_buffer(&b, staging, "new\n", 4),
			 0);
	assert_int_equal(git_treebuilder_new(&bld, staging, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, bld, "a", &a,
						GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_insert(NULL, bld, "b", &b,
						GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree, bld), 0);
	git_treebuilder_free(bld);
	assert_int_equal(kser_pack_writer_count(pw), 3);
	assert_int_equal(objects_files(f), 0);
	git_odb_free(odb);
	git_repository_free(staging);

	assert_ok(kser_pack_writer_commit(pw, NULL, NULL));
	kser_pack_writer_free(pw);
	kser_pack_thread_cleanup();
	assert_int_equal(git_repository_odb(&odb, f->repo), 0);
	assert_true(git_odb_exists(odb, &tree));
	assert_true(git_odb_exists(odb, &b));
	git_odb_free(odb);
}

static const struct kser_error *stop_after(void *arg)
{
	int *left = arg;

	if ((*left)-- > 0)
		return NULL;
	return kser_error_cancelled(false);
}

/* A source directory of n empty-ish files, below the fixture's. */
static void make_source(char *out, size_t size, const struct fixture *f,
			int n)
{
	char path[256];
	int i;

	snprintf(out, size, "%s/src", f->dir);
	assert_int_equal(mkdir(out, 0755), 0);
	for (i = 0; i < n; i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/f%04d", out, i);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "%d\n", i);
		fclose(fp);
	}
}

static bool has_tag(git_repository *repo, const char *name)
{
	git_reference *ref = NULL;
	char refname[128];
	bool found;

	snprintf(refname, sizeof(refname), "refs/tags/%s", name);
	found = git_reference_lookup(&ref, repo, refname) == 0;
	git_reference_free(ref);
	return found;
}

/*
 * Base import asks the caller's cancel callback as it goes, and the
 * error it returns stops the import with nothing installed; with the
 * callback saying go on to the end, the import is done.
 */
static void base_import_stops_when_cancelled(void **state)
{
	struct fixture *f = *state;
	struct kser_base_import_options o = KSER_BASE_IMPORT_OPTIONS_INIT;
	struct kser_base_result res = { 0 };
	char src[128], pack_dir[128];
	int left = 2;

	make_source(src, sizeof(src), f, 8);
	snprintf(pack_dir, sizeof(pack_dir), "%s/objects/pack", f->dir);
	o.label = "t";
	o.threads = 2;
	o.cancel = stop_after;
	o.cancel_arg = &left;
	assert_err(kser_base_import(&res, f->repo, src, &o),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_false(has_tag(f->repo, "t"));
	assert_int_equal(count_files(pack_dir), 0);
	left = 1000;
	assert_ok(kser_base_import(&res, f->repo, src, &o));
	assert_true(left < 1000);
	assert_true(has_tag(f->repo, "t"));
	assert_int_equal(res.nfiles, 8);
	kser_base_result_release(&res);
}

struct progress_seen {
	size_t calls, last;
};

static const struct kser_error *stop_at_second(size_t files, void *arg)
{
	struct progress_seen *p = arg;

	p->calls++;
	p->last = files;
	if (p->calls == 2)
		return kser_error_fmt(KSER_ERR_GENERIC, "enough");
	return NULL;
}

/* The progress callback hears of every KSER_BASE_PROGRESS_FILES files;
 * an error it returns stops the import as cancel's does. */
static void base_import_progress_can_stop_it(void **state)
{
	struct fixture *f = *state;
	struct kser_base_import_options o = KSER_BASE_IMPORT_OPTIONS_INIT;
	struct kser_base_result res = { 0 };
	struct progress_seen seen = { 0, 0 };
	char src[128];

	make_source(src, sizeof(src), f, KSER_BASE_PROGRESS_FILES + 10);
	o.label = "t";
	o.threads = 2;
	o.progress = stop_at_second;
	o.progress_arg = &seen;
	assert_err(kser_base_import(&res, f->repo, src, &o),
		   KSER_ERR_GENERIC, "enough");
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.last, KSER_BASE_PROGRESS_FILES);
	assert_false(has_tag(f->repo, "t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(streamed_object_round_trip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			objects_the_repository_has_are_not_written, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			uninstall_removes_what_commit_made, setup, teardown),
		cmocka_unit_test_setup_teardown(
			backend_reads_and_writes_the_new_pack, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			base_import_stops_when_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(
			base_import_progress_can_stop_it, setup, teardown),
	};
	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
