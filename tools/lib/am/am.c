// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>

#include "kser/am.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/ident.h"
#include "kser/mail.h"
#include "kser/patch.h"
#include "kser/series.h"

static const struct kser_error *author_of(git_signature **out,
					  const struct kser_mail *mail,
					  const git_signature *committer)
{
	const char *name = mail->author_name, *email = mail->author_email;
	const struct kser_error *err;
	git_time_t when = committer->when.time;
	int tz = committer->when.offset;

	if (mail->has_from && (!email || !*email))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "the mail has no valid author address");
	if (!mail->has_from) {
		/* A bare quilt patch: the committer stands in, as in
		 * git quiltimport --author. */
		name = committer->name;
		email = committer->email;
	}
	if (mail->has_date) {
		when = (git_time_t)mail->time;
		tz = mail->tz_minutes;
	}
	err = kser_signature_new(out, name, email, when, tz);
	if (err && err->code == KSER_ERR_GIT)
		err = kser_error_git("bad author '%s <%s>'", name, email);
	return err;
}

static const struct kser_error *utf8_fixup_buf(struct kser_buf *b)
{
	size_t len;
	char *fixed = kser_utf8_fixup(kser_buf_cstr(b), b->len, &len);

	if (!fixed)
		return kser_error_nomem();
	kser_buf_clear(b);
	kser_buf_put(b, fixed, len);
	free(fixed);
	return kser_buf_check(b);
}

const struct kser_error *kser_am_apply(git_oid *tip, git_repository *repo,
				       const struct kser_series *series,
				       const git_oid *base,
				       const struct kser_am_options *opts,
				       kser_am_progress_fn progress,
				       void *arg)
{
	static const struct kser_am_options defaults = KSER_AM_OPTIONS_INIT;
	struct kser_apply_options aopts = KSER_APPLY_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	git_signature *committer = NULL, *author = NULL;
	struct kser_buf msg = KSER_BUF_INIT;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid cur, tree_oid;
	size_t i;

	if (!opts)
		opts = &defaults;
	aopts.three_way = opts->three_way;
	aopts.cancel = opts->cancel;
	aopts.cancel_arg = opts->cancel_arg;
	if (!opts->committer) {
		err = kser_committer(&committer, repo);
		if (err)
			return err;
	}
	git_oid_cpy(&cur, base);

	for (i = 0; i < series->npatches; i++) {
		const struct kser_series_patch *p = &series->patches[i];
		const struct kser_mail *mail = p->mail;
		struct kser_apply_report rep;
		struct kser_patch *patch = NULL;

		kser_apply_report_init(&rep);
		err = kser_cancel_check(opts->cancel, opts->cancel_arg);
		if (err)
			goto fail;
		if (git_commit_lookup(&parent, repo, &cur) < 0) {
			err = kser_error_git("cannot read commit");
			goto fail;
		}
		if (mail->problem) {
			/* git am stops here: "could not parse patch". */
			err = kser_error_fmt(KSER_ERR_BAD_INPUT, "%s",
					     mail->problem);
			goto fail;
		}
		if (!mail->patch || !mail->patch_len) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "the mail holds no patch");
			goto fail;
		}
		err = kser_patch_parse(&patch, mail->patch, mail->patch_len,
				       1);
		if (!err)
			err = kser_cancel_check(opts->cancel, opts->cancel_arg);
		if (!err)
			err = kser_apply_to_tree(&tree_oid, repo,
						 git_commit_tree_id(parent),
						 patch, &aopts, &rep);
		kser_patch_free(patch);
		if (err)
			goto fail;
		err = kser_series_commit_message(&msg, p);
		if (!err)
			err = utf8_fixup_buf(&msg);
		if (err)
			goto fail;
		err = author_of(&author, mail, opts->committer ?
				opts->committer : committer);
		if (err)
			goto fail;
		if (git_tree_lookup(&tree, repo, &tree_oid) < 0 ||
		    git_commit_create(&cur, repo, NULL, author,
				      opts->committer ? opts->committer :
				      committer, NULL, msg.ptr, tree, 1,
				      (const git_commit **)&parent) < 0) {
			err = kser_error_git("cannot create the commit");
			goto fail;
		}
		if (progress)
			err = progress(p, series->npatches, &cur, &rep, arg);
		if (err)
			goto fail;
		kser_apply_report_release(&rep);
		git_signature_free(author);
		author = NULL;
		git_tree_free(tree);
		tree = NULL;
		git_commit_free(parent);
		parent = NULL;
		continue;
fail:
		kser_apply_report_release(&rep);
		err = kser_error_wrap(err, "patch %u/%zu '%s'", p->number,
				      series->npatches, mail->subject);
		break;
	}
	if (!err)
		git_oid_cpy(tip, &cur);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(tree);
	git_commit_free(parent);
	kser_buf_release(&msg);
	return err;
}
