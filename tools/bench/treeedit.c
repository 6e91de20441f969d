// SPDX-License-Identifier: GPL-2.0
/*
 * kser_tree_edit_write() against libgit2's git_tree_create_updated(), the
 * function it would be replaced by (issue 8): the same edits of a tree
 * shaped like the kernel's (FILES files in DIRS directories of DIRS
 * directories), written by both into an in-memory object database so
 * that only the tree building is timed. Every edit must give both the
 * same tree. Then the edits kser's callers make that the two treat
 * differently, each tried on both.
 *
 *   build/bench/treeedit FILES DIRS ROUNDS
 *
 * tools/bench/treeedit.sh builds and runs it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>

#include "kser/error.h"
#include "kser/treeedit.h"

static git_repository *repo;
static git_oid blobs[16];

static void die(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "treeedit: %s: %s\n", what, e ? e->message : "?");
	exit(1);
}

static void check(const struct kser_error *err, const char *what)
{
	if (err) {
		fprintf(stderr, "treeedit: %s: %s\n", what,
			err->msg);
		exit(1);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A repository whose objects are kept in memory. */
static void open_repo(void)
{
	git_odb_backend *mem;
	git_odb *odb;
	size_t i;

	if (git_odb_new(&odb) < 0 || git_mempack_new(&mem) < 0 ||
	    git_odb_add_backend(odb, mem, 1) < 0 ||
	    git_repository_wrap_odb(&repo, odb) < 0)
		die("cannot make a repository in memory");
	git_odb_free(odb);
	for (i = 0; i < 16; i++) {
		char text[32];

		snprintf(text, sizeof(text), "blob %zu\n", i);
		if (git_blob_create_from_buffer(&blobs[i], repo, text,
						strlen(text)) < 0)
			die("cannot write a blob");
	}
}

static void path_of(char *buf, size_t size, unsigned int n, unsigned int dirs,
		    unsigned int files)
{
	unsigned int per = files / (dirs * dirs) + 1;
	unsigned int d = n / per;

	snprintf(buf, size, "dir%02u/sub%02u/file%04u.c", d / dirs % dirs,
		 d % dirs, n % per);
}

/* Both writers on the same edit; the seconds each took added to t. */
static void both(const git_oid *base, struct kser_tree_edit *ed,
		 double t[2])
{
	git_tree_update *up;
	git_tree *tree = NULL;
	git_oid a, b;
	double t0;
	size_t i;

	up = calloc(ed->nchanges ? ed->nchanges : 1, sizeof(*up));
	if (!up)
		exit(1);
	for (i = 0; i < ed->nchanges; i++) {
		const struct kser_tree_change *c = &ed->changes[i];

		up[i].action = c->mode ? GIT_TREE_UPDATE_UPSERT :
			       GIT_TREE_UPDATE_REMOVE;
		up[i].path = c->path;
		up[i].filemode = c->mode ? (git_filemode_t)c->mode :
				 GIT_FILEMODE_BLOB;
		git_oid_cpy(&up[i].id, &c->oid);
	}
	if (git_tree_lookup(&tree, repo, base) < 0)
		die("cannot read the base tree");
	t0 = now();
	check(kser_tree_edit_write(&a, repo, base, ed), "kser_tree_edit_write");
	t[0] += now() - t0;
	t0 = now();
	if (git_tree_create_updated(&b, repo, tree, ed->nchanges, up) < 0)
		die("git_tree_create_updated");
	t[1] += now() - t0;
	if (!git_oid_equal(&a, &b)) {
		fprintf(stderr, "treeedit: the two trees differ\n");
		exit(1);
	}
	git_tree_free(tree);
	free(up);
}

/* ROUNDS edits of n paths each, picked at random, a tenth removed. */
static void workload(const char *name, const git_oid *base, unsigned int n,
		     unsigned int rounds, unsigned int dirs, unsigned int files)
{
	double t[2] = { 0, 0 };
	unsigned int r, i;

	for (r = 0; r < rounds; r++) {
		struct kser_tree_edit ed;

		kser_tree_edit_init(&ed);
		for (i = 0; i < n; i++) {
			unsigned int k = (unsigned int)rand() % files;
			char path[64];

			path_of(path, sizeof(path), k, dirs, files);
			if (i % 10 == 9)
				check(kser_tree_edit_remove(&ed, path),
				      "remove");
			else
				check(kser_tree_edit_set(&ed, path,
							 GIT_FILEMODE_BLOB,
							 &blobs[(k + r) % 16]),
				      "set");
		}
		both(base, &ed, t);
		kser_tree_edit_release(&ed);
	}
	printf("%-28s kser %8.2f ms, libgit2 %8.2f ms per edit: "
	       "kser is %.2fx as fast\n", name, t[0] * 1e3 / rounds,
	       t[1] * 1e3 / rounds, t[1] / t[0]);
}

/*
 * One edit kser's callers make, on both: what each gives. An apply that
 * turns a file into a directory removes the file and adds below it in
 * the same edit; a deletion patch may name a path the tree no longer
 * has.
 */
static void semantics(const char *name, const char *const *removes,
		      const char *const *adds)
{
	struct kser_tree_edit ed;
	git_tree_update up[8];
	git_treebuilder *bld;
	git_tree *tree = NULL;
	git_oid base, a, b, sub;
	const struct kser_error *err;
	size_t n = 0;
	int rc;

	/* The base: a file "f", a directory "d" holding "d/x". */
	if (git_treebuilder_new(&bld, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, bld, "x", &blobs[0],
				   GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&sub, bld) < 0)
		die("base");
	git_treebuilder_clear(bld);
	if (git_treebuilder_insert(NULL, bld, "f", &blobs[1],
				   GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_insert(NULL, bld, "d", &sub,
				   GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(&base, bld) < 0)
		die("base");
	git_treebuilder_free(bld);
	if (git_tree_lookup(&tree, repo, &base) < 0)
		die("base");
	kser_tree_edit_init(&ed);
	memset(up, 0, sizeof(up));
	for (; *removes; removes++, n++) {
		check(kser_tree_edit_remove(&ed, *removes), "remove");
		up[n].action = GIT_TREE_UPDATE_REMOVE;
		up[n].path = *removes;
	}
	for (; *adds; adds++, n++) {
		check(kser_tree_edit_set(&ed, *adds, GIT_FILEMODE_BLOB,
					 &blobs[2]), "set");
		up[n].action = GIT_TREE_UPDATE_UPSERT;
		up[n].path = *adds;
		up[n].filemode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&up[n].id, &blobs[2]);
	}
	err = kser_tree_edit_write(&a, repo, &base, &ed);
	rc = git_tree_create_updated(&b, repo, tree, n, up);
	printf("%-40s kser: %s; libgit2: %s\n", name,
	       err ? err->msg : "written",
	       rc < 0 ? (git_error_last() ? git_error_last()->message : "?") :
	       (!err && git_oid_equal(&a, &b) ? "the same tree" :
		"written, another tree"));
	kser_tree_edit_release(&ed);
	git_tree_free(tree);
}

int main(int argc, char **argv)
{
	static const char *const none[] = { NULL };
	static const char *const rm_f[] = { "f", NULL };
	static const char *const add_fx[] = { "f/x", NULL };
	static const char *const rm_absent[] = { "gone", NULL };
	static const char *const rm_dx[] = { "d/x", NULL };
	static const char *const add_d[] = { "d", NULL };
	static const char *const rm_fy[] = { "f/y", NULL };
	unsigned int files, dirs, rounds, i;
	struct kser_tree_edit ed;
	git_oid base;
	double t0;

	if (argc != 4) {
		fprintf(stderr, "usage: treeedit FILES DIRS ROUNDS\n");
		return 2;
	}
	files = (unsigned int)atoi(argv[1]);
	dirs = (unsigned int)atoi(argv[2]);
	rounds = (unsigned int)atoi(argv[3]);
	if (!files || !dirs || !rounds)
		return 2;
	git_libgit2_init();
	srand(1);
	open_repo();

	kser_tree_edit_init(&ed);
	for (i = 0; i < files; i++) {
		char path[64];

		path_of(path, sizeof(path), i, dirs, files);
		check(kser_tree_edit_set(&ed, path, GIT_FILEMODE_BLOB,
					 &blobs[i % 16]), "set");
	}
	t0 = now();
	check(kser_tree_edit_write(&base, repo, NULL, &ed), "the base tree");
	printf("base tree: %u files in %u directories, written in %.0f ms\n",
	       files, dirs * dirs + dirs, (now() - t0) * 1e3);
	kser_tree_edit_release(&ed);

	workload("a patch (3 paths)", &base, 3, rounds, dirs, files);
	workload("a series (60 paths)", &base, 60, rounds / 10 + 1, dirs,
		 files);
	workload("an overlay (3000 paths)", &base, 3000, rounds / 100 + 1,
		 dirs, files);

	semantics("file removed, directory added there", rm_f, add_fx);
	semantics("directory emptied, file added there", rm_dx, add_d);
	semantics("a path that is not there removed", rm_absent, none);
	semantics("below a file removed", rm_fy, none);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return 0;
}
