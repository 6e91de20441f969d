// SPDX-License-Identifier: GPL-2.0
/*
 * A commit's change as git log -p and git format-patch show it. libgit2
 * makes the tree diff, finds renames and runs the vendored xdiff (so hunks
 * and function names are git's); this file puts the files in git's order
 * and writes the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/abbrev.h"
#include "kser/commitpatch.h"
#include "kser/error.h"
#include "kser/rdtext.h"
#include "kser_lib_patch.h"

struct file_ref {
	size_t index;
	const char *key;
	bool deleted;
};

/*
 * git lists files by path, a rename at its new name; a file that changed
 * type is shown deleted, then added.
 */
static int file_ref_cmp(const void *a, const void *b)
{
	const struct file_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	if (x->deleted != y->deleted)
		return x->deleted ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The diff of two trees (a NULL: the empty tree), renames as git's. */
static const struct kser_error *trees_diff(git_diff **out,
					   git_repository *repo,
					   git_tree *old_tree, git_tree *new_tree,
					   const git_diff_options *dopts)
{
	const struct kser_error *err;

	*out = NULL;
	if (git_diff_tree_to_tree(out, repo, old_tree, new_tree, dopts) < 0)
		return kser_error_git("cannot diff the trees");
	/* git's defaults: diff.renames, 50 %, diff.renameLimit 1000. */
	err = kser_commitpatch_find_renames(*out, repo);
	if (err) {
		git_diff_free(*out);
		*out = NULL;
	}
	return err;
}

static const struct kser_error *commit_diff(git_diff **out,
					    git_repository *repo,
					    git_commit *commit,
					    const git_diff_options *dopts)
{
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_commit *parent = NULL;
	const struct kser_error *err = NULL;

	*out = NULL;
	if (git_commit_parentcount(commit) > 0 &&
	    (git_commit_parent(&parent, commit, 0) < 0 ||
	     git_commit_tree(&old_tree, parent) < 0)) {
		err = kser_error_git("cannot read the parent of %s",
				     git_oid_tostr_s(git_commit_id(commit)));
		goto done;
	}
	if (git_commit_tree(&new_tree, commit) < 0) {
		err = kser_error_git("cannot read commit %s",
				     git_oid_tostr_s(git_commit_id(commit)));
		goto done;
	}
	err = kser_error_wrap(trees_diff(out, repo, old_tree, new_tree, dopts),
			      "commit %s",
			      git_oid_tostr_s(git_commit_id(commit)));
done:
	if (err) {
		git_diff_free(*out);
		*out = NULL;
	}
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_commit_free(parent);
	return err;
}

/* The deltas' indices in git's order. */
static const struct kser_error *sorted_files(struct file_ref **out,
					     git_diff *diff)
{
	size_t i, n = git_diff_num_deltas(diff);
	struct file_ref *v;

	*out = NULL;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return kser_error_nomem();
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		v[i].index = i;
		v[i].deleted = d->status == GIT_DELTA_DELETED;
		v[i].key = v[i].deleted ? d->old_file.path : d->new_file.path;
	}
	qsort(v, n, sizeof(*v), file_ref_cmp);
	*out = v;
	return NULL;
}

/*
 * The patches of diff's deltas in git's order (*n of them, the array's
 * length at least 1); what must be said on failure is what.
 */
static const struct kser_error *sorted_patches(git_patch ***out, size_t *n,
					       git_diff *diff,
					       const char *what)
{
	const struct kser_error *err;
	struct file_ref *files;
	git_patch **patches;
	size_t i;

	*out = NULL;
	*n = git_diff_num_deltas(diff);
	err = sorted_files(&files, diff);
	if (err)
		return err;
	patches = calloc(*n ? *n : 1, sizeof(*patches));
	if (!patches)
		err = kser_error_nomem();
	for (i = 0; i < *n && !err; i++)
		if (git_patch_from_diff(&patches[i], diff, files[i].index) < 0)
			err = kser_error_git("%s", what);
	free(files);
	*out = patches;
	return err;
}

static void patches_free(git_patch **patches, size_t n)
{
	size_t i;

	for (i = 0; patches && i < n; i++)
		git_patch_free(patches[i]);
	free(patches);
}

static enum kser_rdtext_kind kind_of(const git_diff_delta *d)
{
	switch (d->status) {
	case GIT_DELTA_ADDED:
		return KSER_RDTEXT_NEW;
	case GIT_DELTA_DELETED:
		return KSER_RDTEXT_DELETED;
	case GIT_DELTA_RENAMED:
		return KSER_RDTEXT_RENAMED;
	default:
		return KSER_RDTEXT_MODIFIED;
	}
}

static const struct kser_error *rangediff_file(struct kser_rdtext *t,
					       git_patch *patch)
{
	const git_diff_delta *d = git_patch_get_delta(patch);
	enum kser_rdtext_kind kind = kind_of(d);
	uint32_t old_mode = kind == KSER_RDTEXT_NEW ? 0 : d->old_file.mode;
	uint32_t new_mode = kind == KSER_RDTEXT_DELETED ? 0 :
			    d->new_file.mode;

	kser_rdtext_file(t, kind, d->old_file.path, d->new_file.path,
			 old_mode, new_mode);
	return kser_rdtext_patch(t, patch, kind, d->old_file.path,
				 d->new_file.path);
}

/*
 * git puts a renamed file's "old mode"/"new mode" lines before its
 * "similarity index" line, libgit2 after "rename to": put them first.
 */
static void put_header_as_git(struct kser_buf *out, const char *p, size_t n,
			      const git_diff_delta *d)
{
	const char *end = p + n, *first, *modes, *after;

	if (d->status != GIT_DELTA_RENAMED ||
	    d->old_file.mode == d->new_file.mode ||
	    !(first = memchr(p, '\n', n)) ||
	    !(modes = memmem(first, (size_t)(end - first), "\nold mode ", 10)))
		goto plain;
	after = memmem(modes + 1, (size_t)(end - modes - 1), "\nnew mode ", 10);
	if (!after || !(after = memchr(after + 1, '\n', (size_t)(end - after -
								  1))))
		goto plain;
	modes++;
	after++;
	kser_buf_put(out, p, (size_t)(first + 1 - p));
	kser_buf_put(out, modes, (size_t)(after - modes));
	kser_buf_put(out, first + 1, (size_t)(modes - first - 1));
	kser_buf_put(out, after, (size_t)(end - after));
	return;
plain:
	kser_buf_put(out, p, n);
}

/*
 * The patches as format-patch writes them: libgit2's text, but binary
 * data as git deflates and chooses it.
 */
static const struct kser_error *email_patches(struct kser_buf *out,
					      git_repository *repo,
					      git_diff *diff,
					      git_patch *const *patches,
					      size_t n)
{
	static const char marker[] = "GIT binary patch\n";
	struct kser_commitpatch_binaries *bins = NULL;
	const struct kser_error *err = NULL;
	int level = kser_commitpatch_zlib_level(repo);
	size_t i;

	for (i = 0; i < n && !err; i++) {
		const git_diff_delta *d;
		git_buf b = GIT_BUF_INIT;
		const char *cut = NULL;
		bool written = false;

		if (!patches[i])
			continue;
		if (git_patch_to_buf(&b, patches[i]) < 0) {
			err = kser_error_git("cannot write a patch");
			break;
		}
		d = git_patch_get_delta(patches[i]);
		if (d->flags & GIT_DIFF_FLAG_BINARY)
			cut = memmem(b.ptr, b.size, marker, sizeof(marker) - 1);
		if (cut && !bins)
			err = kser_commitpatch_binaries_load(&bins, diff);
		if (cut && !err) {
			size_t keep = (size_t)(cut - b.ptr), at = out->len;

			put_header_as_git(out, b.ptr, keep, d);
			err = kser_commitpatch_binary_write(out, &written, bins,
							    repo, d, level);
			if (!err && !written)
				kser_buf_truncate(out, at);
		}
		if (!err && !written)
			put_header_as_git(out, b.ptr, b.size, d);
		git_buf_dispose(&b);
	}
	kser_commitpatch_binaries_free(bins);
	return err;
}

static const struct kser_error *rangediff_head(struct kser_rdtext *t,
					       git_repository *repo,
					       git_commit *commit,
					       const struct kser_commitpatch_options *o)
{
	kser_rdtext_commit_head(t, repo, commit, o->mailmap, o->notes_ref);
	return NULL;
}

const struct kser_error *
kser_commitpatch(struct kser_buf *out, struct kser_commitpatch_info *info,
		 git_repository *repo, git_commit *commit,
		 const struct kser_commitpatch_options *opts)
{
	static const struct kser_commitpatch_options defaults =
		KSER_COMMITPATCH_OPTIONS_INIT;
	const struct kser_commitpatch_options *o = opts ? opts : &defaults;
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_rdtext t;
	git_patch **patches = NULL;
	git_diff *diff = NULL;
	char what[80];
	size_t i, n = 0;

	kser_rdtext_init(&t, out);
	dopts.context_lines = 3;
	dopts.interhunk_lines = 0;
	dopts.flags = GIT_DIFF_INDENT_HEURISTIC;
	if (o->format == KSER_COMMITPATCH_EMAIL) {
		dopts.flags |= GIT_DIFF_SHOW_BINARY;
		dopts.old_prefix = "a/";
		dopts.new_prefix = "b/";
		dopts.id_abbrev = (uint16_t)(o->abbrev > 0 ? o->abbrev :
					     kser_abbrev_default_len(repo));
	} else {
		dopts.old_prefix = "";
		dopts.new_prefix = "";
	}
	err = commit_diff(&diff, repo, commit, &dopts);
	if (err)
		goto done;
	snprintf(what, sizeof(what), "cannot make the patch of %s",
		 git_oid_tostr_s(git_commit_id(commit)));
	err = sorted_patches(&patches, &n, diff, what);
	if (err)
		goto done;

	if (o->format == KSER_COMMITPATCH_EMAIL) {
		err = kser_diffstat_write(out, patches, n);
		kser_buf_putc(out, '\n');
		if (!err)
			err = email_patches(out, repo, diff, patches, n);
	} else {
		err = rangediff_head(&t, repo, commit, o);
		for (i = 0; i < n && !err; i++)
			if (patches[i])
				err = rangediff_file(&t, patches[i]);
		if (info) {
			info->diff_offset = t.diff_offset;
			info->diffsize = t.diffsize;
		}
	}
	if (!err)
		err = kser_buf_check(out);
done:
	patches_free(patches, n);
	git_diff_free(diff);
	return err;
}

const struct kser_error *kser_commitpatch_diffstat(struct kser_buf *out,
						   git_repository *repo,
						   const git_oid *old_tree,
						   const git_oid *new_tree)
{
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_buf stat = KSER_BUF_INIT;
	git_tree *a = NULL, *b = NULL;
	git_patch **patches = NULL;
	git_diff *diff = NULL;
	size_t n = 0;

	dopts.context_lines = 3;
	dopts.interhunk_lines = 0;
	dopts.flags = GIT_DIFF_INDENT_HEURISTIC;
	if (git_tree_lookup(&a, repo, old_tree) < 0 ||
	    git_tree_lookup(&b, repo, new_tree) < 0) {
		err = kser_error_git("cannot read the trees to compare");
		goto done;
	}
	err = trees_diff(&diff, repo, a, b, &dopts);
	if (!err)
		err = sorted_patches(&patches, &n, diff,
				     "cannot diff the trees");
	if (!err)
		err = kser_diffstat_write(&stat, patches, n);
	/* Without format-patch's "---" line. */
	if (!err)
		kser_buf_put(out, kser_buf_cstr(&stat) + 4, stat.len - 4);
	if (!err)
		err = kser_buf_check(out);
done:
	patches_free(patches, n);
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	kser_buf_release(&stat);
	return err;
}
