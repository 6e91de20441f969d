// SPDX-License-Identifier: GPL-2.0
/*
 * Applying patches in memory: a whole patch applied to a tree, file by
 * file as git apply does it (creations, deletions, renames, copies, mode
 * changes, gitlinks, paths checked), with only the blobs a patch touches
 * read and only the trees on their paths rewritten (tree edits). The
 * hunks of a text file are apply_hunks.c's, binary data apply_binary.c's,
 * the three-way fallback apply_merge.c's. Uses odb's tree edits and core.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "kser/apply.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/patch.h"
#include "kser/path.h"
#include "kser/treeedit.h"
#include "kser_lib_patch.h"

void kser_apply_report_init(struct kser_apply_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	kser_buf_init(&rep->notes);
}

void kser_apply_report_release(struct kser_apply_report *rep)
{
	kser_buf_release(&rep->notes);
	memset(rep, 0, sizeof(*rep));
}

/* Looks path up as it is after the changes made so far. */
static const struct kser_error *lookup(struct apply_state *st, const char *path,
				       bool *exists, uint32_t *mode,
				       git_oid *oid)
{
	const struct kser_tree_change *c = kser_tree_edit_find(&st->edit,
								path);
	git_tree_entry *e = NULL;
	int r;

	*exists = false;
	if (c) {
		if (c->mode) {
			*exists = true;
			*mode = c->mode;
			git_oid_cpy(oid, &c->oid);
		}
		return NULL;
	}
	if (!st->tree)
		return NULL;
	r = git_tree_entry_bypath(&e, st->tree, path);
	if (r == GIT_ENOTFOUND)
		return NULL;
	if (r < 0)
		return kser_error_git("cannot look up '%s'", path);
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		*exists = true;
		*mode = git_tree_entry_filemode(e);
		git_oid_cpy(oid, git_tree_entry_id(e));
	} else if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		*exists = true;
		*mode = GIT_FILEMODE_TREE;
	} else {
		*exists = true;
		*mode = git_tree_entry_filemode(e);
		git_oid_cpy(oid, git_tree_entry_id(e));
	}
	git_tree_entry_free(e);
	return NULL;
}

/* Refuses a path that would go through a symbolic link. */
static const struct kser_error *check_beyond_symlink(struct apply_state *st,
						     const char *path)
{
	const struct kser_error *err = NULL;
	char *dir = strdup(path);
	char *slash;

	if (!dir)
		return kser_error_nomem();
	while (!err && (slash = strrchr(dir, '/'))) {
		bool exists;
		uint32_t mode;
		git_oid oid;

		*slash = '\0';
		err = lookup(st, dir, &exists, &mode, &oid);
		if (!err && exists && mode == GIT_FILEMODE_LINK)
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s' is beyond a symbolic link "
					     "('%s')", path, dir);
	}
	free(dir);
	return err;
}

const struct kser_error *apply_read_blob(struct kser_buf *out,
					 git_repository *repo,
					 const git_oid *oid)
{
	git_blob *blob = NULL;

	kser_buf_clear(out);
	if (git_blob_lookup(&blob, repo, oid) < 0)
		return kser_error_git("cannot read blob");
	kser_buf_put(out, git_blob_rawcontent(blob),
		     (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return kser_buf_check(out);
}

/* A blob named by an "index" line, if the repository has exactly one. */
bool apply_resolve_blob(git_repository *repo, const char *hex, git_oid *out)
{
	git_odb *odb = NULL;
	git_oid prefix;
	size_t len = strlen(hex);
	bool ok = false;

	if (len < 4 || git_oid_fromstrn(&prefix, hex, len) < 0)
		return false;
	if (git_repository_odb(&odb, repo) < 0)
		return false;
	if (len == GIT_OID_HEXSZ) {
		ok = git_odb_exists(odb, &prefix);
		if (ok)
			git_oid_cpy(out, &prefix);
	} else {
		ok = git_odb_exists_prefix(out, odb, &prefix, len) == 0;
	}
	if (ok) {
		git_object_t type;
		size_t size;

		ok = git_odb_read_header(&size, &type, odb, out) == 0 &&
		     type == GIT_OBJECT_BLOB;
	}
	git_odb_free(odb);
	return ok;
}

/* A whole object id in lower-case hex, as git writes and compares them. */
bool apply_full_id(git_oid *out, const char *hex)
{
	return strlen(hex) == GIT_OID_HEXSZ && strspn(hex, "0123456789abcdef")
	       == GIT_OID_HEXSZ && git_oid_fromstr(out, hex) == 0;
}

/* git diffs a submodule as one line naming its commit. */
#define GITLINK_PREFIX "Subproject commit "

/* The commit a gitlink's postimage names, as git apply reads it. */
static const struct kser_error *gitlink_id(git_oid *out,
					   const struct kser_buf *post)
{
	size_t n = sizeof(GITLINK_PREFIX) - 1;

	if (post->len < n + GIT_OID_HEXSZ ||
	    memcmp(post->ptr, GITLINK_PREFIX, n) ||
	    git_oid_fromstrn(out, post->ptr + n, GIT_OID_HEXSZ) < 0)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "corrupt patch for a submodule: no "
				      "'" GITLINK_PREFIX "<id>' line");
	if (git_oid_is_zero(out))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "corrupt patch for a submodule: it "
				      "names the null commit");
	return NULL;
}

static const struct kser_error *apply_file(struct apply_state *st,
					   const struct kser_file_patch *fp)
{
	const struct kser_error *err = NULL;
	struct kser_buf pre = KSER_BUF_INIT, post = KSER_BUF_INIT;
	struct kser_buf notes = KSER_BUF_INIT;
	const char *old = fp->old_path, *new = fp->new_path;
	const char *name = old ? old : new;
	bool exists = false, new_exists, named = false;
	uint32_t old_mode = 0, new_mode, cur;
	git_oid oid, new_oid;
	size_t mark = st->rep->notes.len;

	/* Before anything looks at them; the errors name the paths. */
	if (old && (err = kser_path_check(old, 0)))
		return err;
	if (new && (err = kser_path_check(new, 0)))
		return err;

	if (old && !fp->is_new) {
		err = lookup(st, old, &exists, &old_mode, &oid);
		if (err)
			goto done;
		if (!exists || old_mode == GIT_FILEMODE_TREE) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s' does not exist in the tree",
					     old);
			goto done;
		}
		err = check_beyond_symlink(st, old);
		if (err)
			goto done;
		if (fp->old_mode && ((fp->old_mode ^ old_mode) & 0170000)) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s': wrong type (%o, the patch "
					     "expects %o)", old, old_mode,
					     fp->old_mode);
			goto done;
		}
		if (fp->old_mode && fp->old_mode != old_mode)
			kser_buf_printf(&st->rep->notes,
					"'%s' has mode %o, the patch "
					"expects %o\n", old, old_mode,
					fp->old_mode);
		if (old_mode == GIT_FILEMODE_COMMIT) {
			kser_buf_printf(&pre, GITLINK_PREFIX "%s\n",
					git_oid_tostr_s(&oid));
			err = kser_buf_check(&pre);
		} else {
			err = apply_read_blob(&pre, st->repo, &oid);
		}
		if (err)
			goto done;
	}
	if (new && (fp->is_new || fp->is_rename || fp->is_copy)) {
		err = lookup(st, new, &new_exists, &cur, &new_oid);
		if (err)
			goto done;
		if (new_exists && cur != GIT_FILEMODE_TREE) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s' already exists in the tree",
					     new);
			goto done;
		}
		if (new_exists) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s' already exists in the tree "
					     "as a directory", new);
			goto done;
		}
	}
	if (new) {
		err = check_beyond_symlink(st, new);
		if (err)
			goto done;
	}

	new_mode = fp->new_mode ? fp->new_mode :
		   fp->is_new ? GIT_FILEMODE_BLOB : old_mode;
	if (old_mode && new && ((old_mode ^ new_mode) & 0170000) &&
	    !fp->is_new) {
		err = kser_error_fmt(KSER_ERR_APPLY,
				     "new mode (%o) of '%s' does not match "
				     "old mode (%o)", new_mode, new, old_mode);
		goto done;
	}
	/* Now with the mode: .gitmodules may not become a link. */
	if (new && !fp->is_delete && (err = kser_path_check(new, new_mode))) {
		named = true;
		goto done;
	}

	if (fp->is_binary) {
		err = apply_binary(st, fp, &pre, &post);
	} else {
		err = kser_apply_hunks(&post, kser_buf_cstr(&pre), pre.len,
				       fp, &notes);
		/* As in git, a submodule is never merged three-way. */
		if (err && err->code == KSER_ERR_APPLY &&
		    st->opts->three_way && !fp->is_new && exists &&
		    old_mode != GIT_FILEMODE_COMMIT &&
		    new_mode != GIT_FILEMODE_COMMIT) {
			const struct kser_error *direct =
				kser_error_fmt(err->code, "%s", err->msg);
			const struct kser_error *merged;

			merged = apply_three_way(st, fp, &pre, old_mode, &post);
			if (merged && merged->code == KSER_ERR_CONFLICT)
				err = merged;
			else if (merged)
				err = kser_error_fmt(KSER_ERR_APPLY,
						     "%s; %s", direct->msg,
						     merged->msg);
			else
				err = NULL;
			kser_buf_clear(&notes);
		}
	}
	if (err)
		goto done;
	if (fp->is_delete && post.len) {
		err = kser_error_fmt(KSER_ERR_APPLY,
				     "removal patch leaves '%s' with "
				     "contents", name);
		goto done;
	}
	/* git am makes the link with symlink(2), which takes neither. */
	if (new && !fp->is_delete && new_mode == GIT_FILEMODE_LINK &&
	    (!post.len || post.len > KSER_PATH_MAX_LEN)) {
		err = kser_error_fmt(KSER_ERR_APPLY,
				     "the patch leaves the symbolic link %s "
				     "(%zu bytes)", post.len ? "too long" :
				     "without a target", post.len);
		goto done;
	}

	if (notes.len) {
		const char *p = notes.ptr;

		while (*p) {
			const char *nl = strchr(p, '\n');

			kser_buf_printf(&st->rep->notes, "'%s': %.*s\n", name,
					(int)(nl - p), p);
			p = nl + 1;
		}
	}
	if (old && (fp->is_rename || fp->is_delete)) {
		err = kser_tree_edit_remove(&st->edit, old);
		if (err)
			goto done;
	}
	if (new && !fp->is_delete) {
		if (new_mode == GIT_FILEMODE_COMMIT) {
			err = gitlink_id(&new_oid, &post);
			if (err)
				goto done;
		} else if (git_blob_create_from_buffer(&new_oid, st->repo,
						       kser_buf_cstr(&post),
						       post.len) < 0) {
			err = kser_error_git("cannot write '%s'", new);
			goto done;
		}
		err = kser_tree_edit_set(&st->edit, new, new_mode, &new_oid);
		if (err)
			goto done;
	}
	st->rep->nfiles++;
done:
	if (err) {
		kser_buf_truncate(&st->rep->notes, mark);
		if (err->code != KSER_ERR_NOMEM && !named)
			err = kser_error_wrap(err, "'%s'", name);
	}
	kser_buf_release(&pre);
	kser_buf_release(&post);
	kser_buf_release(&notes);
	return err;
}

const struct kser_error *kser_apply_to_tree(git_oid *out,
					    git_repository *repo,
					    const git_oid *tree,
					    const struct kser_patch *patch,
					    const struct kser_apply_options *opts,
					    struct kser_apply_report *rep)
{
	const struct kser_error *err = NULL;
	struct kser_apply_options defaults = KSER_APPLY_OPTIONS_INIT;
	struct kser_apply_report scratch;
	struct apply_state st = { 0 };
	size_t i;

	kser_apply_report_init(&scratch);
	st.repo = repo;
	st.opts = opts ? opts : &defaults;
	st.rep = rep ? rep : &scratch;
	kser_tree_edit_init(&st.edit);
	if (tree && git_tree_lookup(&st.tree, repo, tree) < 0) {
		err = kser_error_git("cannot read the tree to patch");
		goto done;
	}
	for (i = 0; i < patch->nfiles && !err; i++) {
		/* A patch of thousands of files takes seconds: stay
		 * interruptible. */
		err = kser_cancel_check(st.opts->cancel, st.opts->cancel_arg);
		if (!err)
			err = apply_file(&st, &patch->files[i]);
	}
	if (!err)
		err = kser_tree_edit_write(out, repo, tree, &st.edit);
done:
	git_tree_free(st.tree);
	kser_tree_edit_release(&st.edit);
	kser_apply_report_release(&scratch);
	return err;
}
