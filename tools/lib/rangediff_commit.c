// SPDX-License-Identifier: GPL-2.0
/*
 * The range-diff texts of the commits of a range, one after the other.
 *
 * kser_commitpatch() makes a commit's text from libgit2's tree-to-tree
 * diff, which visits every entry of every tree on the way to a change
 * (a kernel directory has hundreds) and sets up a diff, its config and
 * its attributes each time. Most commits of a series only add and
 * change regular files; for those the two trees are walked here, past
 * every subtree the commit leaves alone, the trees of one commit are
 * kept for the next (whose parent it usually is), and each file's patch
 * is made by libgit2 from the two blobs, with the same options, the
 * same diff driver (looked up by path) and so the same hunks. Whatever
 * else a commit does (deletes and adds files, which may be renames;
 * touches a symbolic link or a submodule) is left to kser_commitpatch().
 */
#include <stdlib.h>
#include <string.h>

#include "kser/commitpatch.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_rangediff.h"
#include "kser_lib_rdtext.h"

struct kser_rdchange {
	char *path;
	git_oid old_id, new_id;
	uint32_t old_mode, new_mode;	/* 0: not on that side */
};

struct kser_rdattr {
	char *path;		/* NULL: a free slot */
	uint64_t hash;
	bool plain;
};

struct kser_kept_tree {
	git_oid id;
	git_tree *tree;
	bool sorted;		/* its entries are in git's order */
};

static void drop_trees(struct kser_kept_tree *v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		git_tree_free(v[i].tree);
	*n = 0;
}

static void clear_changes(struct kser_rdreader *r)
{
	size_t i;

	for (i = 0; i < r->nchanges; i++)
		free(r->changes[i].path);
	r->nchanges = 0;
}

void kser_rdreader_init(struct kser_rdreader *r, git_repository *repo,
			const struct kser_commitpatch_options *copts)
{
	memset(r, 0, sizeof(*r));
	r->repo = repo;
	r->copts = copts;
	kser_buf_init(&r->path);
}

void kser_rdreader_release(struct kser_rdreader *r)
{
	size_t i;

	drop_trees(r->last, &r->nlast);
	drop_trees(r->now, &r->nnow);
	free(r->last);
	free(r->now);
	clear_changes(r);
	free(r->changes);
	for (i = 0; i < r->attrs_size; i++)
		free(r->attrs[i].path);
	free(r->attrs);
	kser_buf_release(&r->path);
	memset(r, 0, sizeof(*r));
}

/*
 * A tree by its ID: one this commit or the last one already read, or
 * read now. The reader keeps it until the next commit is done.
 */
/* Are the entries of t in git's order, each once? */
static bool in_order(const git_tree *t)
{
	size_t i, n = git_tree_entrycount(t);

	for (i = 1; i < n; i++)
		if (git_tree_entry_cmp(git_tree_entry_byindex(t, i - 1),
				       git_tree_entry_byindex(t, i)) >= 0)
			return false;
	return true;
}

static const struct kser_error *tree_by_id(git_tree **out,
					   struct kser_rdreader *r,
					   const git_oid *id)
{
	struct kser_kept_tree *k;
	size_t i;

	*out = NULL;
	for (i = 0; i < r->nnow; i++)
		if (git_oid_equal(&r->now[i].id, id)) {
			k = &r->now[i];
			goto found;
		}
	if (kser_array_grow((void **)&r->now, &r->now_alloc, r->nnow,
			    sizeof(*r->now), 16))
		return kser_error_nomem();
	k = &r->now[r->nnow];
	for (i = 0; i < r->nlast; i++)
		if (git_oid_equal(&r->last[i].id, id)) {
			/* Moved over: it is this commit's now. */
			*k = r->last[i];
			r->last[i] = r->last[--r->nlast];
			r->nnow++;
			goto found;
		}
	if (git_tree_lookup(&k->tree, r->repo, id) < 0)
		return kser_error_git("cannot read tree %s",
				      git_oid_tostr_s(id));
	git_oid_cpy(&k->id, id);
	k->sorted = in_order(k->tree);
	r->nnow++;
found:
	if (!k->sorted)
		r->unusual = true;
	*out = k->tree;
	return NULL;
}

static uint64_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/*
 * Does no "diff" attribute apply to path, so that libgit2 diffs it with
 * its default driver? Asked once per path: each question costs a walk
 * up the path's directories on disk.
 */
static const struct kser_error *plain_path(bool *out, struct kser_rdreader *r,
					   const char *path)
{
	uint64_t h = path_hash(path);
	struct kser_rdattr *slot;
	const char *value = NULL;
	size_t i;

	if (r->nattrs * 2 >= r->attrs_size) {
		size_t size = r->attrs_size ? r->attrs_size * 2 : 256;
		struct kser_rdattr *v = calloc(size, sizeof(*v));

		if (!v)
			return kser_error_nomem();
		for (i = 0; i < r->attrs_size; i++) {
			size_t k = (size_t)r->attrs[i].hash & (size - 1);

			if (!r->attrs[i].path)
				continue;
			while (v[k].path)
				k = (k + 1) & (size - 1);
			v[k] = r->attrs[i];
		}
		free(r->attrs);
		r->attrs = v;
		r->attrs_size = size;
	}
	for (i = (size_t)h & (r->attrs_size - 1);; i = (i + 1) &
	     (r->attrs_size - 1)) {
		slot = &r->attrs[i];
		if (!slot->path)
			break;
		if (slot->hash == h && !strcmp(slot->path, path)) {
			*out = slot->plain;
			return NULL;
		}
	}
	/* As libgit2's diff driver lookup asks. */
	if (git_attr_get(&value, r->repo, GIT_ATTR_CHECK_FILE_THEN_INDEX, path,
			 "diff") < 0)
		return kser_error_git("cannot read the attributes of '%s'",
				      path);
	slot->path = strdup(path);
	if (!slot->path)
		return kser_error_nomem();
	slot->hash = h;
	slot->plain = GIT_ATTR_IS_UNSPECIFIED(value);
	r->nattrs++;
	*out = slot->plain;
	return NULL;
}

static bool is_file(uint32_t mode)
{
	return mode == GIT_FILEMODE_BLOB ||
	       mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

static const struct kser_error *add_change(struct kser_rdreader *r,
					   const git_tree_entry *x,
					   const git_tree_entry *y)
{
	struct kser_rdchange *c;
	size_t at = r->path.len;

	if (!x)
		r->adds = true;
	if (!y)
		r->deletes = true;
	kser_buf_puts(&r->path, git_tree_entry_name(x ? x : y));
	if (kser_buf_check(&r->path) ||
	    kser_array_grow((void **)&r->changes, &r->changes_alloc,
			    r->nchanges, sizeof(*r->changes), 16))
		return kser_error_nomem();
	c = &r->changes[r->nchanges];
	memset(c, 0, sizeof(*c));
	c->path = strdup(kser_buf_cstr(&r->path));
	kser_buf_truncate(&r->path, at);
	if (!c->path)
		return kser_error_nomem();
	r->nchanges++;
	if (x) {
		git_oid_cpy(&c->old_id, git_tree_entry_id(x));
		c->old_mode = (uint32_t)git_tree_entry_filemode_raw(x);
	}
	if (y) {
		git_oid_cpy(&c->new_id, git_tree_entry_id(y));
		c->new_mode = (uint32_t)git_tree_entry_filemode_raw(y);
	}
	return NULL;
}

static const struct kser_error *walk(struct kser_rdreader *r, git_tree *a,
				     git_tree *b);

/* One entry on either side or both, with the same name and kind. */
static const struct kser_error *visit(struct kser_rdreader *r,
				      const git_tree_entry *x,
				      const git_tree_entry *y)
{
	const git_tree_entry *e = x ? x : y;
	uint32_t xm = x ? (uint32_t)git_tree_entry_filemode_raw(x) : 0;
	uint32_t ym = y ? (uint32_t)git_tree_entry_filemode_raw(y) : 0;
	git_tree *sa = NULL, *sb = NULL;
	const struct kser_error *err = NULL;
	size_t at = r->path.len;

	if (x && y && xm == ym && git_oid_equal(git_tree_entry_id(x),
						git_tree_entry_id(y)))
		return NULL;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		if ((x && !is_file(xm)) || (y && !is_file(ym))) {
			r->unusual = true;
			return NULL;
		}
		return add_change(r, x, y);
	}
	if ((x && xm != GIT_FILEMODE_TREE) || (y && ym != GIT_FILEMODE_TREE)) {
		r->unusual = true;
		return NULL;
	}
	if (x)
		err = tree_by_id(&sa, r, git_tree_entry_id(x));
	if (!err && y)
		err = tree_by_id(&sb, r, git_tree_entry_id(y));
	if (err)
		return err;
	kser_buf_puts(&r->path, git_tree_entry_name(e));
	kser_buf_putc(&r->path, '/');
	err = kser_buf_check(&r->path);
	if (!err)
		err = walk(r, sa, sb);
	kser_buf_truncate(&r->path, at);
	return err;
}

/*
 * The files that differ between trees a and b (either may be NULL),
 * both in git's order (tree_by_id() checked), merged by name.
 */
static const struct kser_error *walk(struct kser_rdreader *r, git_tree *a,
				     git_tree *b)
{
	size_t na = a ? git_tree_entrycount(a) : 0;
	size_t nb = b ? git_tree_entrycount(b) : 0, i = 0, j = 0;
	const struct kser_error *err = NULL;

	while (!err && !r->unusual && (i < na || j < nb)) {
		const git_tree_entry *x = i < na ?
					  git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *y = j < nb ?
					  git_tree_entry_byindex(b, j) : NULL;
		int c;

		/* Most entries are the same on both sides. */
		if (x && y &&
		    git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(y)) &&
		    git_tree_entry_filemode_raw(x) ==
		    git_tree_entry_filemode_raw(y) &&
		    !strcmp(git_tree_entry_name(x), git_tree_entry_name(y))) {
			i++;
			j++;
			continue;
		}
		c = !x ? 1 : !y ? -1 : git_tree_entry_cmp(x, y);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		err = visit(r, c <= 0 ? x : NULL, c >= 0 ? y : NULL);
	}
	return err;
}

static int change_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kser_rdchange *)a)->path,
		      ((const struct kser_rdchange *)b)->path);
}

static const struct kser_error *file_text(struct kser_rdreader *r,
					  struct kser_rdtext *t,
					  const struct kser_rdchange *c)
{
	enum kser_rdtext_kind kind = !c->old_mode ? KSER_RDTEXT_NEW :
				     !c->new_mode ? KSER_RDTEXT_DELETED :
				     KSER_RDTEXT_MODIFIED;
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	git_blob *a = NULL, *b = NULL;
	git_patch *patch = NULL;
	bool plain = false;

	kser_rdtext_file(t, kind, c->path, c->path, c->old_mode, c->new_mode);
	if (c->old_mode && c->new_mode && git_oid_equal(&c->old_id, &c->new_id))
		return NULL;
	err = plain_path(&plain, r, c->path);
	if (err)
		return err;
	/* kser_commitpatch()'s options for this format. */
	dopts.context_lines = 3;
	dopts.interhunk_lines = 0;
	dopts.flags = GIT_DIFF_INDENT_HEURISTIC;
	dopts.old_prefix = "";
	dopts.new_prefix = "";
	if ((c->old_mode && git_blob_lookup(&a, r->repo, &c->old_id) < 0) ||
	    (c->new_mode && git_blob_lookup(&b, r->repo, &c->new_id) < 0))
		err = kser_error_git("cannot read '%s'", c->path);
	/*
	 * Without a path ("") libgit2 takes its default driver at once,
	 * without asking the attributes again.
	 */
	else if (git_patch_from_blobs(&patch, a, plain ? "" : c->path, b,
				      plain ? "" : c->path, &dopts) < 0)
		err = kser_error_git("cannot diff '%s'", c->path);
	else
		err = kser_rdtext_patch(t, patch, kind, c->path, c->path);
	git_patch_free(patch);
	git_blob_free(a);
	git_blob_free(b);
	return err;
}

const struct kser_error *kser_rdreader_text(struct kser_rdreader *r,
					    struct kser_buf *out,
					    struct kser_commitpatch_info *info,
					    git_commit *commit)
{
	const struct kser_error *err = NULL;
	git_tree *a = NULL, *b = NULL;
	git_commit *parent = NULL;
	struct kser_rdtext t;
	size_t i;

	/* The trees of the commit before are this one's to find now. */
	drop_trees(r->last, &r->nlast);
	{
		struct kser_kept_tree *v = r->last;
		size_t alloc = r->last_alloc;

		r->last = r->now;
		r->last_alloc = r->now_alloc;
		r->nlast = r->nnow;
		r->now = v;
		r->now_alloc = alloc;
		r->nnow = 0;
	}
	clear_changes(r);
	r->unusual = r->adds = r->deletes = false;
	kser_buf_clear(&r->path);

	if (git_commit_parentcount(commit) > 0) {
		if (git_commit_parent(&parent, commit, 0) < 0) {
			err = kser_error_git("cannot read the parent of %s",
					     git_oid_tostr_s(
						     git_commit_id(commit)));
			goto done;
		}
		err = tree_by_id(&a, r, git_commit_tree_id(parent));
	}
	if (!err)
		err = tree_by_id(&b, r, git_commit_tree_id(commit));
	if (!err)
		err = walk(r, a, b);
	if (err)
		goto done;
	/* A deleted file and an added one may be a rename. */
	if (r->unusual || (r->adds && r->deletes)) {
		r->slow++;
		err = kser_commitpatch(out, info, r->repo, commit, r->copts);
		goto done;
	}
	r->fast++;
	if (r->nchanges)
		qsort(r->changes, r->nchanges, sizeof(*r->changes),
		      change_cmp);
	kser_rdtext_init(&t, out);
	kser_rdtext_commit_head(&t, r->repo, commit, r->copts->mailmap,
				r->copts->notes_ref);
	for (i = 0; i < r->nchanges && !err; i++)
		err = file_text(r, &t, &r->changes[i]);
	if (info) {
		info->diff_offset = t.diff_offset;
		info->diffsize = t.diffsize;
	}
	if (!err)
		err = kser_buf_check(out);
done:
	git_commit_free(parent);
	return err;
}
