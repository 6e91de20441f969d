// SPDX-License-Identifier: GPL-2.0
/*
 * The three-way fallback of `git am -3`: the patch applied to the blob it
 * names, then merged into ours with libgit2's file merge. Uses the hunks
 * (apply_hunks.c), the blobs of apply.c, libgit2 and core.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/treeedit.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

/*
 * git am -3: apply the patch to the blob its index line names, then merge
 * that change into the current contents.
 */
const struct kser_error *apply_three_way(struct apply_state *st,
					 const struct kser_file_patch *fp,
					 const struct kser_buf *ours,
					 uint32_t mode,
					 struct kser_buf *post)
{
	const struct kser_error *err = NULL;
	struct kser_buf base = KSER_BUF_INIT, theirs = KSER_BUF_INIT;
	git_merge_file_input in_base, in_ours, in_theirs;
	git_merge_file_result res = { 0 };
	const char *path = kser_file_patch_path(fp);
	git_oid base_oid;

	git_merge_file_input_init(&in_base, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&in_ours, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&in_theirs, GIT_MERGE_FILE_INPUT_VERSION);
	if (!fp->old_id[0] || !apply_resolve_blob(st->repo, fp->old_id, &base_oid))
		return kser_error_fmt(KSER_ERR_APPLY,
				      "cannot fall back to a three-way "
				      "merge for '%s': the repository lacks "
				      "the blob %s the patch was made "
				      "against", path,
				      fp->old_id[0] ? fp->old_id : "(none)");
	err = apply_read_blob(&base, st->repo, &base_oid);
	if (err)
		goto done;
	err = kser_apply_hunks(&theirs, kser_buf_cstr(&base), base.len, fp,
			       NULL);
	if (err) {
		err = kser_error_wrap(err, "the patch does not apply to its "
				      "own preimage %s either", fp->old_id);
		goto done;
	}
	in_base.ptr = kser_buf_cstr(&base);
	in_base.size = base.len;
	in_base.path = path;
	in_base.mode = mode;
	in_ours.ptr = kser_buf_cstr(ours);
	in_ours.size = ours->len;
	in_ours.path = path;
	in_ours.mode = mode;
	in_theirs.ptr = kser_buf_cstr(&theirs);
	in_theirs.size = theirs.len;
	in_theirs.path = path;
	in_theirs.mode = mode;
	if (git_merge_file(&res, &in_base, &in_ours, &in_theirs, NULL) < 0) {
		err = kser_error_git("three-way merge of '%s' failed", path);
		goto done;
	}
	if (!res.automergeable) {
		err = kser_error_fmt(KSER_ERR_CONFLICT,
				     "three-way merge of '%s' left "
				     "conflicts", path);
		goto done;
	}
	kser_buf_clear(post);
	kser_buf_put(post, res.ptr, res.len);
	err = kser_buf_check(post);
	st->rep->three_way++;
	kser_buf_printf(&st->rep->notes, "'%s': applied with a three-way "
			"merge\n", path);
done:
	git_merge_file_result_free(&res);
	kser_buf_release(&base);
	kser_buf_release(&theirs);
	return err;
}
