// SPDX-License-Identifier: GPL-2.0
/*
 * The trees of an import: its files sorted by path, hard links
 * resolved, the last of a path winning, written into the pack. Uses
 * the pack writer and core.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/base.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/pack.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser_lib_import.h"

/* --- trees ------------------------------------------------------------- */

static int file_cmp(const void *a, const void *b)
{
	const struct src_file *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct tree_entry {
	const char *name;
	size_t len;
	uint32_t mode;
	git_oid oid;
};

/* git's tree order: a directory sorts as if its name ended in '/'. */
static int tree_entry_cmp(const void *a, const void *b)
{
	const struct tree_entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	unsigned char cx, cy;

	if (c)
		return c;
	cx = n < x->len ? (unsigned char)x->name[n] :
	     x->mode == GIT_FILEMODE_TREE ? '/' : 0;
	cy = n < y->len ? (unsigned char)y->name[n] :
	     y->mode == GIT_FILEMODE_TREE ? '/' : 0;
	return cx < cy ? -1 : cx > cy;
}

/*
 * Writes the tree for files[lo, hi), all of which start with the prefix
 * of length plen (empty, or ending in '/'). The recursion is as deep as
 * the tree, which kser_path_check() bounds (KSER_PATH_MAX_DEPTH).
 */
const struct kser_error *base_write_tree(struct import *im,
					 struct src_file *files, size_t lo,
					 size_t hi, size_t plen, git_oid *out)
{
	const struct kser_error *err = NULL;
	struct tree_entry *ents = NULL;
	struct kser_buf tree = KSER_BUF_INIT;
	size_t n = 0, i = lo;

	err = base_cancelled(im);
	if (err)
		return err;
	ents = malloc((hi - lo) * sizeof(*ents));
	if (!ents)
		return kser_error_nomem();
	while (i < hi) {
		const char *name = files[i].path + plen;
		const char *slash = strchr(name, '/');
		struct tree_entry *e = &ents[n];

		e->name = name;
		if (!slash) {
			e->len = strlen(name);
			e->mode = files[i].mode;
			e->oid = files[i].oid;
			i++;
		} else {
			size_t j = i + 1;

			e->len = (size_t)(slash - name);
			e->mode = GIT_FILEMODE_TREE;
			while (j < hi &&
			       strncmp(files[j].path + plen, name,
				       e->len + 1) == 0)
				j++;
			err = base_write_tree(im, files, i, j,
					      plen + e->len + 1, &e->oid);
			if (err)
				goto done;
			i = j;
		}
		n++;
	}
	qsort(ents, n, sizeof(*ents), tree_entry_cmp);
	/*
	 * A file and a directory of the same name need not be neighbours
	 * ("foo", "foo.c", "foo/"): look for the file of each directory.
	 */
	for (i = 0; i < n; i++) {
		struct tree_entry key = ents[i];

		if (key.mode != GIT_FILEMODE_TREE)
			continue;
		key.mode = GIT_FILEMODE_BLOB;
		if (bsearch(&key, ents, n, sizeof(*ents), tree_entry_cmp)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%.*s%.*s' is both a file and "
					     "a directory", (int)plen,
					     files[lo].path, (int)key.len,
					     key.name);
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		kser_buf_printf(&tree, "%o ", ents[i].mode);
		kser_buf_put(&tree, ents[i].name, ents[i].len);
		kser_buf_putc(&tree, '\0');
		kser_buf_put(&tree, ents[i].oid.id, GIT_OID_RAWSZ);
	}
	err = kser_buf_check(&tree);
	if (!err)
		err = kser_pack_writer_add(im->pw, out, GIT_OBJECT_TREE,
					   tree.ptr, tree.len);
done:
	kser_buf_release(&tree);
	free(ents);
	return err;
}

static const struct src_file *find_file(const struct src_file *files,
					size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(files[mid].path, path);

		if (c == 0)
			return &files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Strips a common top-level directory ("linux-source-6.12/"), drops all
 * but the last entry for a path, resolves hard links, and sorts.
 */
const struct kser_error *base_finish_files(struct import *im)
{
	size_t i, w, plen = 0;
	const struct kser_error *err;
	const char *first, *slash;
	char *prefix = NULL;

	if (!im->nfiles)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "no files");
	first = im->files[0].path;
	slash = strchr(first, '/');
	if (slash) {
		plen = (size_t)(slash - first) + 1;
		prefix = strndup(first, plen);
		if (!prefix)
			return kser_error_nomem();
		for (i = 0; i < im->nfiles; i++) {
			if (strncmp(im->files[i].path, prefix, plen) != 0) {
				plen = 0;
				break;
			}
		}
	}
	for (i = 0; plen && i < im->nfiles; i++) {
		struct src_file *f = &im->files[i];

		memmove(f->path, f->path + plen, strlen(f->path) - plen + 1);
		if (f->hardlink && !strncmp(f->hardlink, prefix, plen))
			memmove(f->hardlink, f->hardlink + plen,
				strlen(f->hardlink) - plen + 1);
	}
	im->stripped = plen ? strndup(prefix, plen - 1) : strdup("");
	free(prefix);
	if (!im->stripped)
		return kser_error_nomem();
	qsort(im->files, im->nfiles, sizeof(*im->files), file_cmp);
	for (i = 0, w = 0; i < im->nfiles; i++) {
		if (i + 1 < im->nfiles &&
		    !strcmp(im->files[i].path, im->files[i + 1].path)) {
			base_src_file_release(&im->files[i]);
			continue;
		}
		im->files[w++] = im->files[i];
	}
	im->nfiles = w;
	for (i = 0; i < im->nfiles; i++) {
		struct src_file *f = &im->files[i];
		const struct src_file *target;

		if (!f->hardlink)
			continue;
		target = find_file(im->files, im->nfiles, f->hardlink);
		if (!target || target->hardlink)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "hard link '%s' points at '%s', "
					      "which the archive does not hold",
					      f->path, f->hardlink);
		/*
		 * A hard link is the same inode as its target once
		 * extracted: a symlink if that is one, and its mode.
		 */
		f->oid = target->oid;
		f->mode = target->mode;
		/* The mode is known only now: ".gitmodules" as a symlink. */
		err = kser_path_check(f->path, f->mode);
		if (err)
			return err;
	}
	return NULL;
}
