/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets that write git objects share: a repository held
 * in memory (emptied after each input), the tree a patch expects to find
 * (git apply --build-fake-ancestor, roughly), and a check that a tree is
 * one git fsck --strict accepts. A tree that is not aborts, so that
 * libFuzzer keeps the input.
 */
#ifndef KSER_FUZZ_GIT_H
#define KSER_FUZZ_GIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/mempack.h>

#include "kser/buf.h"
#include "kser/patch.h"
#include "kser/path.h"

struct fuzz_repo {
	git_repository *repo;
	git_odb_backend *mempack;
};

static inline void fuzz_repo_open(struct fuzz_repo *fr)
{
	git_odb *odb = NULL;

	git_libgit2_init();
	if (git_mempack_new(&fr->mempack) < 0 || git_odb_new(&odb) < 0 ||
	    git_odb_add_backend(odb, fr->mempack, 1) < 0 ||
	    git_repository_wrap_odb(&fr->repo, odb) < 0) {
		fprintf(stderr, "fuzz: cannot make a repository in memory\n");
		abort();
	}
	git_odb_free(odb);
}

/* Forgets every object written: each input starts from nothing. */
static inline void fuzz_repo_reset(struct fuzz_repo *fr)
{
	git_mempack_reset(fr->mempack);
}

static inline void fuzz_bad_tree(const char *path, const char *why)
{
	fprintf(stderr, "fuzz: the tree at '%s' %s\n", path, why);
	abort();
}

/* git's tree order: a directory sorts as if its name ended in '/'. */
static inline int fuzz_entry_cmp(const git_tree_entry *a,
				 const git_tree_entry *b)
{
	const char *x = git_tree_entry_name(a), *y = git_tree_entry_name(b);
	size_t lx = strlen(x), ly = strlen(y), n = lx < ly ? lx : ly;
	int c = memcmp(x, y, n);
	unsigned char cx, cy;

	if (c)
		return c;
	cx = n < lx ? (unsigned char)x[n] :
	     git_tree_entry_type(a) == GIT_OBJECT_TREE ? '/' : 0;
	cy = n < ly ? (unsigned char)y[n] :
	     git_tree_entry_type(b) == GIT_OBJECT_TREE ? '/' : 0;
	return cx < cy ? -1 : cx > cy;
}

static inline int fuzz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * path holds the tree's path ("" or ending in '/'), plen bytes, in a
 * buffer of KSER_PATH_MAX_LEN + 2. Gitlinks are accepted only if
 * gitlinks is true. No subtree may be empty (the top one may).
 */
static inline void fuzz_check_tree_at(git_repository *r, const git_oid *id,
				      char *path, size_t plen, bool gitlinks)
{
	git_tree *tree = NULL;
	const char **names;
	size_t n, i;

	if (git_tree_lookup(&tree, r, id) < 0)
		fuzz_bad_tree(path, "cannot be read");
	n = git_tree_entrycount(tree);
	if (!n && plen)
		fuzz_bad_tree(path, "is empty");
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		abort();
	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode_raw(e);
		size_t len = strlen(name);

		names[i] = name;
		if (i && fuzz_entry_cmp(git_tree_entry_byindex(tree, i - 1),
					e) >= 0)
			fuzz_bad_tree(path, "is not sorted as git sorts trees");
		if (plen + len > KSER_PATH_MAX_LEN)
			fuzz_bad_tree(path, "has a path too long for Linux");
		memcpy(path + plen, name, len + 1);
		if (kser_path_check(path, mode))
			fuzz_bad_tree(path, "holds a path kser refuses");
		switch (mode) {
		case GIT_FILEMODE_TREE:
			path[plen + len] = '/';
			path[plen + len + 1] = '\0';
			fuzz_check_tree_at(r, git_tree_entry_id(e), path,
					   plen + len + 1, gitlinks);
			break;
		case GIT_FILEMODE_LINK: {
			git_blob *blob = NULL;
			git_object_size_t sz;

			if (git_blob_lookup(&blob, r, git_tree_entry_id(e)) < 0)
				fuzz_bad_tree(path, "is a symlink without "
					      "its blob");
			sz = git_blob_rawsize(blob);
			git_blob_free(blob);
			if (sz == 0 || sz > KSER_PATH_MAX_LEN)
				fuzz_bad_tree(path, "is a symlink of a bad "
					      "length");
			break;
		}
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE: {
			git_odb *odb = NULL;
			bool have;

			if (git_repository_odb(&odb, r) < 0)
				abort();
			have = git_odb_exists(odb, git_tree_entry_id(e));
			git_odb_free(odb);
			if (!have)
				fuzz_bad_tree(path, "names a missing blob");
			break;
		}
		case GIT_FILEMODE_COMMIT:
			if (gitlinks)
				break;
			/* fall through */
		default:
			fuzz_bad_tree(path, "has a mode git fsck refuses");
		}
		path[plen] = '\0';
	}
	/* "a", "a.c", "a/": a file and a directory need not be neighbours. */
	qsort(names, n, sizeof(*names), fuzz_name_cmp);
	for (i = 1; i < n; i++)
		if (!strcmp(names[i - 1], names[i]))
			fuzz_bad_tree(path, "holds a name twice");
	free(names);
	git_tree_free(tree);
}

static inline void fuzz_check_tree(git_repository *r, const git_oid *id,
				   bool gitlinks)
{
	char path[KSER_PATH_MAX_LEN + 2] = "";

	fuzz_check_tree_at(r, id, path, 0, gitlinks);
}

/*
 * The tree a patch expects: each file it changes (not creates) at its
 * old path and mode, holding the lines its hunks expect where they expect
 * them ("x" lines between), so that most hunks apply. A path kser
 * refuses, one named twice or one that cannot sit beside the others is
 * left out. Writes *out; the empty tree when nothing fits.
 */
#define FUZZ_FAKE_MAX_LINES 20000

static inline void fuzz_fake_file(struct kser_buf *b,
				  const struct kser_file_patch *fp)
{
	size_t h, l, line = 1;

	for (h = 0; h < fp->nhunks; h++) {
		const struct kser_hunk *hk = &fp->hunks[h];

		while (line < hk->old_start && line < FUZZ_FAKE_MAX_LINES) {
			kser_buf_puts(b, "x\n");
			line++;
		}
		for (l = 0; l < hk->nlines; l++) {
			const struct kser_hunk_line *hl = &hk->lines[l];

			if (hl->type == '+')
				continue;
			kser_buf_put(b, hl->text, hl->len);
			if (!hl->noeol)
				kser_buf_putc(b, '\n');
			line++;
		}
	}
}

static inline void fuzz_fake_tree(git_oid *out, git_repository *repo,
				  const struct kser_patch *const *patches,
				  size_t npatches)
{
	git_treebuilder *tb = NULL;
	git_tree *empty = NULL;
	git_tree_update *ups = NULL;
	size_t nups = 0, alloc = 0, p, f, i;
	git_oid empty_id;

	if (git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_write(&empty_id, tb) < 0 ||
	    git_tree_lookup(&empty, repo, &empty_id) < 0)
		abort();
	git_treebuilder_free(tb);
	*out = empty_id;
	for (p = 0; p < npatches; p++) {
		for (f = 0; f < patches[p]->nfiles; f++) {
			const struct kser_file_patch *fp =
				&patches[p]->files[f];
			struct kser_buf b = KSER_BUF_INIT;
			uint32_t mode = fp->old_mode ? fp->old_mode :
					GIT_FILEMODE_BLOB;
			bool dup = false;
			git_oid id;

			if (fp->is_new || !fp->old_path || fp->is_binary ||
			    (mode != GIT_FILEMODE_BLOB &&
			     mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
			     mode != GIT_FILEMODE_LINK) ||
			    kser_path_check(fp->old_path, mode))
				continue;
			for (i = 0; i < nups; i++)
				dup |= !strcmp(ups[i].path, fp->old_path);
			if (dup)
				continue;
			fuzz_fake_file(&b, fp);
			if (kser_buf_check(&b) ||
			    (mode == GIT_FILEMODE_LINK && !b.len) ||
			    git_blob_create_from_buffer(&id, repo,
							kser_buf_cstr(&b),
							b.len) < 0) {
				kser_buf_release(&b);
				continue;
			}
			kser_buf_release(&b);
			if (nups == alloc) {
				alloc = alloc ? 2 * alloc : 16;
				ups = realloc(ups, alloc * sizeof(*ups));
				if (!ups)
					abort();
			}
			memset(&ups[nups], 0, sizeof(*ups));
			ups[nups].action = GIT_TREE_UPDATE_UPSERT;
			ups[nups].id = id;
			ups[nups].filemode = (git_filemode_t)mode;
			ups[nups].path = fp->old_path;
			nups++;
		}
	}
	/* "a" and "a/b" both: keep the first that fit. */
	while (nups && git_tree_create_updated(out, repo, empty, nups,
					       ups) < 0)
		nups--;
	free(ups);
	git_tree_free(empty);
}

#endif
