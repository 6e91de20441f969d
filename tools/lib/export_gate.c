// SPDX-License-Identifier: GPL-2.0
/*
 * The verify gate of kser export: each patch must have passed every check
 * kser verify runs for the series (build, KUnit, checkpatch, and those of
 * further configurations), by what its cache holds for exactly that
 * content. Nothing is verified here: a missing result is a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/verify.h"
#include "kser_lib_export.h"

const struct kser_error *ex_gate(struct ex_ctx *c)
{
	struct kser_verify_options vo = KSER_VERIFY_OPTIONS_INIT;
	struct kser_verify_cache *vc = NULL;
	const struct kser_error *err;
	struct kser_buf *lines = &c->out->unverified;
	size_t i, j, bad_patches = 0;
	const char *check;

	vo.settings = &c->vsettings;
	err = ex_progress(c, KSER_EXPORT_STAGE_GATE, 0, c->n);
	if (!err)
		err = kser_verify_cache_open(&vc, c->repo, &vo);
	if (err)
		return kser_error_wrap(err, "cannot read kser verify's results");
	for (i = 0; i < c->n && !err; i++) {
		const git_oid *id = git_commit_id(c->p[i].commit);
		struct kser_buf line = KSER_BUF_INIT;

		for (j = 0; !err && (check = kser_verify_cache_check(vc, j));
		     j++) {
			struct kser_verify_result r;
			bool found;

			err = kser_verify_cache_lookup(vc, id, check, &r,
						       &found);
			if (err)
				break;
			if (!found || r.status != KSER_VERIFY_PASS)
				kser_buf_printf(&line, "%s%s %s", line.len ?
						"; " : "", check, !found ?
						"not verified" :
						kser_verify_status_name(
							r.status));
			if (found && r.status != KSER_VERIFY_PASS &&
			    r.summary)
				kser_buf_printf(&line, " (%.100s%s)",
						r.summary, strlen(r.summary) >
						100 ? "..." : "");
			kser_verify_result_release(&r);
		}
		if (line.len) {
			bad_patches++;
			kser_buf_printf(lines, "  %zu/%zu %.12s %s: %s\n",
					i + 1, c->n, git_oid_tostr_s(id),
					c->p[i].subject, kser_buf_cstr(&line));
		}
		kser_buf_release(&line);
		if (!err)
			err = ex_progress(c, KSER_EXPORT_STAGE_GATE, i + 1,
					  c->n);
	}
	kser_verify_cache_free(vc);
	if (!err)
		err = kser_buf_check(lines);
	if (err || !bad_patches)
		return err;
	if (!c->opts->force)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%zu of %zu patches have not passed kser "
				      "verify:\n%sverify them (kser verify "
				      "BASE..TIP), or export them marked "
				      "unverified with --force",
				      bad_patches, c->n,
				      kser_buf_cstr(lines));
	kser_buf_printf(&c->out->notes, "warning: %zu of %zu patches have "
			"not passed kser verify; the cover letter says so\n",
			bad_patches, c->n);
	return NULL;
}
