// SPDX-License-Identifier: GPL-2.0
/*
 * The range-diff texts of the commits of a range, one after the other.
 *
 * kser_commitpatch() makes a commit's text from libgit2's tree-to-tree
 * diff, which visits every entry of every tree on the way to a change
 * (a kernel directory has hundreds) and sets up a diff, its config and
 * its attributes each time. Most commits of a series only add and
 * change regular files; for those the two trees are walked here, as
 * they are stored (an entry the same on both sides is the same bytes;
 * a tree with an entry git would not write is left to libgit2), past
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
#include "kser_lib_series.h"
#include "kser/rdtext.h"

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

/* A tree as it is stored: entries of "mode name\0" and a raw ID. */
struct kser_kept_tree {
	git_oid id;
	git_odb_object *obj;
	const unsigned char *data;
	size_t size;
	bool plain;	/* every entry one git writes, in git's order */
};

static void drop_trees(struct kser_kept_tree *v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		git_odb_object_free(v[i].obj);
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
	git_odb_free(r->odb);
	kser_buf_release(&r->path);
	memset(r, 0, sizeof(*r));
}

struct raw_entry {
	const char *name;	/* ends in the NUL that ends it in the tree */
	size_t name_len;
	uint32_t mode;
	const unsigned char *id;	/* GIT_OID_RAWSZ bytes */
	size_t len;		/* of the whole entry */
};

/* The modes git writes; anything else is left to libgit2. */
static bool mode_of(uint32_t *out, const unsigned char *s, size_t n)
{
	if (n == 5 && !memcmp(s, "40000", 5))
		*out = GIT_FILEMODE_TREE;
	else if (n != 6 || memcmp(s, "1", 1))
		return false;
	else if (!memcmp(s, "100644", 6))
		*out = GIT_FILEMODE_BLOB;
	else if (!memcmp(s, "100755", 6))
		*out = GIT_FILEMODE_BLOB_EXECUTABLE;
	else if (!memcmp(s, "120000", 6))
		*out = GIT_FILEMODE_LINK;
	else if (!memcmp(s, "160000", 6))
		*out = GIT_FILEMODE_COMMIT;
	else
		return false;
	return true;
}

/* The entry of t at offset at, if it is one git writes. */
static bool entry_at(struct raw_entry *e, const struct kser_kept_tree *t,
		     size_t at)
{
	const unsigned char *p = t->data + at, *end = t->data + t->size;
	const unsigned char *sp, *nul, *name;

	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || !mode_of(&e->mode, p, (size_t)(sp - p)))
		return false;
	name = sp + 1;
	nul = memchr(name, '\0', (size_t)(end - name));
	if (!nul || (size_t)(end - nul - 1) < GIT_OID_RAWSZ || nul == name ||
	    memchr(name, '/', (size_t)(nul - name)) ||
	    (name[0] == '.' && (nul == name + 1 ||
				(name[1] == '.' && nul == name + 2))))
		return false;
	e->name = (const char *)name;
	e->name_len = (size_t)(nul - name);
	e->id = nul + 1;
	e->len = (size_t)(e->id + GIT_OID_RAWSZ - p);
	return true;
}

/* git's order of tree entries: a tree's name as if it ended in '/'. */
static int entry_cmp(const struct raw_entry *x, const struct raw_entry *y)
{
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n), cx, cy;

	if (c)
		return c;
	cx = x->name_len > n ? (unsigned char)x->name[n] :
	     x->mode == GIT_FILEMODE_TREE ? '/' : 0;
	cy = y->name_len > n ? (unsigned char)y->name[n] :
	     y->mode == GIT_FILEMODE_TREE ? '/' : 0;
	return cx - cy;
}

/* Are t's entries all ones git writes, in git's order, each once? */
static bool plain_tree(const struct kser_kept_tree *t)
{
	struct raw_entry prev, e;
	size_t at = 0;

	while (at < t->size) {
		if (!entry_at(&e, t, at) || (at && entry_cmp(&prev, &e) >= 0))
			return false;
		prev = e;
		at += e.len;
	}
	return true;
}

/*
 * A tree by its ID: one this commit or the last one already read, or
 * read now. The reader keeps it until the next commit is done; *out is
 * a copy (the reader's array moves as it grows).
 */
static const struct kser_error *tree_by_id(struct kser_kept_tree *out,
					   struct kser_rdreader *r,
					   const git_oid *id)
{
	struct kser_kept_tree *k;
	size_t i;

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
	if ((!r->odb && git_repository_odb(&r->odb, r->repo) < 0) ||
	    git_odb_read(&k->obj, r->odb, id) < 0)
		return kser_error_git("cannot read tree %s",
				      git_oid_tostr_s(id));
	if (git_odb_object_type(k->obj) != GIT_OBJECT_TREE) {
		git_odb_object_free(k->obj);
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "object %s is not a tree",
				      git_oid_tostr_s(id));
	}
	git_oid_cpy(&k->id, id);
	k->data = git_odb_object_data(k->obj);
	k->size = git_odb_object_size(k->obj);
	k->plain = plain_tree(k);
	r->nnow++;
found:
	if (!k->plain)
		r->unusual = true;
	*out = *k;
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
					   const struct raw_entry *x,
					   const struct raw_entry *y)
{
	struct kser_rdchange *c;
	size_t at = r->path.len;

	if (!x)
		r->adds = true;
	if (!y)
		r->deletes = true;
	kser_buf_puts(&r->path, (x ? x : y)->name);
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
		git_oid_fromraw(&c->old_id, x->id);
		c->old_mode = x->mode;
	}
	if (y) {
		git_oid_fromraw(&c->new_id, y->id);
		c->new_mode = y->mode;
	}
	return NULL;
}

static const struct kser_error *walk(struct kser_rdreader *r,
				     const struct kser_kept_tree *a,
				     const struct kser_kept_tree *b);

/* One entry on either side or both, with the same name and kind. */
static const struct kser_error *visit(struct kser_rdreader *r,
				      const struct raw_entry *x,
				      const struct raw_entry *y)
{
	const struct raw_entry *e = x ? x : y;
	struct kser_kept_tree sa, sb;
	const struct kser_error *err = NULL;
	size_t at = r->path.len;
	git_oid id;

	if (x && y && x->mode == y->mode &&
	    !memcmp(x->id, y->id, GIT_OID_RAWSZ))
		return NULL;
	if (e->mode != GIT_FILEMODE_TREE) {
		if ((x && !is_file(x->mode)) || (y && !is_file(y->mode))) {
			r->unusual = true;
			return NULL;
		}
		return add_change(r, x, y);
	}
	if ((x && x->mode != GIT_FILEMODE_TREE) ||
	    (y && y->mode != GIT_FILEMODE_TREE)) {
		r->unusual = true;
		return NULL;
	}
	if (x) {
		git_oid_fromraw(&id, x->id);
		err = tree_by_id(&sa, r, &id);
	}
	if (!err && y) {
		git_oid_fromraw(&id, y->id);
		err = tree_by_id(&sb, r, &id);
	}
	if (err || r->unusual)
		return err;
	kser_buf_put(&r->path, e->name, e->name_len);
	kser_buf_putc(&r->path, '/');
	err = kser_buf_check(&r->path);
	if (!err)
		err = walk(r, x ? &sa : NULL, y ? &sb : NULL);
	kser_buf_truncate(&r->path, at);
	return err;
}

/*
 * The files that differ between trees a and b (either may be NULL),
 * both plain (tree_by_id() checked), merged by name.
 */
static const struct kser_error *walk(struct kser_rdreader *r,
				     const struct kser_kept_tree *a,
				     const struct kser_kept_tree *b)
{
	size_t na = a ? a->size : 0, nb = b ? b->size : 0, i = 0, j = 0;
	const struct kser_error *err = NULL;

	while (!err && !r->unusual && (i < na || j < nb)) {
		struct raw_entry x, y;
		int c;

		/* Most entries are the same on both sides, byte for byte. */
		if (i < na && j < nb) {
			const unsigned char *nul = memchr(a->data + i, '\0',
							  na - i);
			size_t len = (size_t)(nul - (a->data + i)) + 1 +
				     GIT_OID_RAWSZ;

			if (len <= nb - j &&
			    !memcmp(a->data + i, b->data + j, len)) {
				i += len;
				j += len;
				continue;
			}
		}
		if (i < na)
			entry_at(&x, a, i);
		if (j < nb)
			entry_at(&y, b, j);
		c = i >= na ? 1 : j >= nb ? -1 : entry_cmp(&x, &y);
		if (c <= 0)
			i += x.len;
		if (c >= 0)
			j += y.len;
		err = visit(r, c <= 0 ? &x : NULL, c >= 0 ? &y : NULL);
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
	struct kser_kept_tree a, b;
	bool root = true;
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
		root = false;
	}
	if (!err)
		err = tree_by_id(&b, r, git_commit_tree_id(commit));
	if (!err && !r->unusual)
		err = walk(r, root ? NULL : &a, &b);
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
