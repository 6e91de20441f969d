// SPDX-License-Identifier: GPL-2.0
/*
 * Tree differences for kser rebase. Only subtrees whose IDs differ are
 * read, so comparing two kernel trees that differ in a few files reads a
 * few dozen tree objects, not 5,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_rebase.h"

void rb_changes_release(struct rb_changes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

bool rb_is_binary(const void *data, size_t len)
{
	return memchr(data, 0, len < 8000 ? len : 8000) != NULL;
}

static bool is_tree(const git_tree_entry *e)
{
	return git_tree_entry_filemode(e) == GIT_FILEMODE_TREE;
}

/* git's order: a directory sorts as if its name ended in '/'. */
static int entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb), len = la < lb ? la : lb;
	int c = memcmp(na, nb, len);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = la > len ? (unsigned char)na[len] : is_tree(a) ? '/' : 0;
	cb = lb > len ? (unsigned char)nb[len] : is_tree(b) ? '/' : 0;
	return ca < cb ? -1 : ca > cb ? 1 : 0;
}

static const struct kser_error *add_change(struct rb_changes *out,
					   const struct kser_buf *prefix,
					   const char *name,
					   const git_tree_entry *a,
					   const git_tree_entry *b)
{
	struct rb_change *c;
	const struct kser_error *err;

	err = kser_array_grow((void **)&out->v, &out->alloc, out->n,
			      sizeof(*out->v), 16);
	if (err)
		return err;
	c = &out->v[out->n];
	memset(c, 0, sizeof(*c));
	if (asprintf(&c->path, "%s%s", kser_buf_cstr(prefix), name) < 0) {
		c->path = NULL;
		return kser_error_nomem();
	}
	if (a) {
		c->old.mode = git_tree_entry_filemode(a);
		git_oid_cpy(&c->old.oid, git_tree_entry_id(a));
	}
	if (b) {
		c->new.mode = git_tree_entry_filemode(b);
		git_oid_cpy(&c->new.oid, git_tree_entry_id(b));
	}
	out->n++;
	return NULL;
}

static const struct kser_error *diff_rec(struct rb_changes *out,
					 git_repository *repo,
					 const git_tree *a, const git_tree *b,
					 struct kser_buf *prefix);

/* Recurses into subtree entries ea/eb (either may be NULL). */
static const struct kser_error *diff_sub(struct rb_changes *out,
					 git_repository *repo,
					 const git_tree_entry *ea,
					 const git_tree_entry *eb,
					 struct kser_buf *prefix)
{
	const struct kser_error *err = NULL;
	git_tree *ta = NULL, *tb = NULL;
	size_t len = prefix->len;
	const char *name = git_tree_entry_name(ea ? ea : eb);

	if ((ea && git_tree_lookup(&ta, repo, git_tree_entry_id(ea)) < 0) ||
	    (eb && git_tree_lookup(&tb, repo, git_tree_entry_id(eb)) < 0)) {
		err = kser_error_git("cannot read tree '%s%s'",
				     kser_buf_cstr(prefix), name);
		goto done;
	}
	kser_buf_printf(prefix, "%s/", name);
	err = kser_buf_check(prefix);
	if (!err)
		err = diff_rec(out, repo, ta, tb, prefix);
	kser_buf_truncate(prefix, len);
done:
	git_tree_free(ta);
	git_tree_free(tb);
	return err;
}

static const struct kser_error *diff_rec(struct rb_changes *out,
					 git_repository *repo,
					 const git_tree *a, const git_tree *b,
					 struct kser_buf *prefix)
{
	size_t na = a ? git_tree_entrycount(a) : 0;
	size_t nb = b ? git_tree_entrycount(b) : 0;
	size_t i = 0, j = 0;
	const struct kser_error *err = NULL;

	while (!err && (i < na || j < nb)) {
		const git_tree_entry *ea = i < na ?
			git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *eb = j < nb ?
			git_tree_entry_byindex(b, j) : NULL;
		int c = !ea ? 1 : !eb ? -1 : entry_cmp(ea, eb);

		if (c < 0) {
			err = is_tree(ea) ? diff_sub(out, repo, ea, NULL, prefix)
			      : add_change(out, prefix,
					   git_tree_entry_name(ea), ea, NULL);
			i++;
		} else if (c > 0) {
			err = is_tree(eb) ? diff_sub(out, repo, NULL, eb, prefix)
			      : add_change(out, prefix,
					   git_tree_entry_name(eb), NULL, eb);
			j++;
		} else {
			if (git_tree_entry_filemode(ea) !=
			    git_tree_entry_filemode(eb) ||
			    !git_oid_equal(git_tree_entry_id(ea),
					   git_tree_entry_id(eb)))
				err = is_tree(ea) ?
				      diff_sub(out, repo, ea, eb, prefix) :
				      add_change(out, prefix,
						 git_tree_entry_name(ea), ea,
						 eb);
			i++;
			j++;
		}
	}
	return err;
}

const struct kser_error *rb_tree_diff(struct rb_changes *out,
				      git_repository *repo, const git_oid *a,
				      const git_oid *b)
{
	const struct kser_error *err = NULL;
	struct kser_buf prefix = KSER_BUF_INIT;
	git_tree *ta = NULL, *tb = NULL;

	memset(out, 0, sizeof(*out));
	if (a && b && git_oid_equal(a, b))
		return NULL;
	if ((a && git_tree_lookup(&ta, repo, a) < 0) ||
	    (b && git_tree_lookup(&tb, repo, b) < 0)) {
		err = kser_error_git("cannot read a tree");
		goto done;
	}
	err = diff_rec(out, repo, ta, tb, &prefix);
done:
	if (err)
		rb_changes_release(out);
	kser_buf_release(&prefix);
	git_tree_free(ta);
	git_tree_free(tb);
	return err;
}

const struct kser_error *rb_tree_lookup(struct rb_entry *out, bool *is_dir,
					git_repository *repo,
					const git_tree *tree,
					const char *path)
{
	git_tree_entry *e = NULL;
	int r;

	(void)repo;
	memset(out, 0, sizeof(*out));
	if (is_dir)
		*is_dir = false;
	r = git_tree_entry_bypath(&e, tree, path);
	if (r == GIT_ENOTFOUND)
		return NULL;
	if (r < 0)
		return kser_error_git("cannot look up '%s'", path);
	if (is_tree(e)) {
		if (is_dir)
			*is_dir = true;
	} else {
		out->mode = git_tree_entry_filemode(e);
		git_oid_cpy(&out->oid, git_tree_entry_id(e));
	}
	git_tree_entry_free(e);
	return NULL;
}
