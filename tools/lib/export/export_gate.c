// SPDX-License-Identifier: GPL-2.0
/*
 * The verify gate of kser export: each patch must have passed every check
 * kser verify runs for the series' version (build, KUnit, checkpatch, and
 * those of the configurations the version names), by what its cache
 * holds for exactly that content. Nothing is verified here (kser_verify()
 * with cache_only): a missing result is a refusal. A failure the
 * configuration expects (before its since) does not refuse, as it does
 * not fail kser verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/verify.h"
#include "kser_lib_export.h"

/* What is wrong with row's checks, "" when nothing is. */
static void row_problems(struct kser_buf *line,
			 const struct kser_verify_report *rep, size_t row)
{
	const struct kser_verify_row *rw = &rep->rows[row];
	size_t j;

	for (j = 0; j < rep->nchecks; j++) {
		const struct kser_verify_result *r = &rw->results[j];
		bool found = r->status != KSER_VERIFY_PENDING;

		if (r->status == KSER_VERIFY_PASS ||
		    r->status == KSER_VERIFY_NA || r->expected_failure)
			continue;
		kser_buf_printf(line, "%s%s %s", line->len ? "; " : "",
				rep->checks[j].id, !found ? "not verified" :
				kser_verify_status_name(r->status));
		if (found && r->summary)
			kser_buf_printf(line, " (%.100s%s)", r->summary,
					strlen(r->summary) > 100 ? "..." : "");
	}
}

const struct kser_error *ex_gate(struct ex_ctx *c)
{
	struct kser_verify_options vo = KSER_VERIFY_OPTIONS_INIT;
	struct kser_verify_report rep;
	const struct kser_error *err;
	struct kser_buf *lines = &c->out->unverified;
	char range[2 * GIT_OID_HEXSZ + 3], version[16];
	size_t i, bad_patches = 0;

	vo.settings = &c->vsettings;
	vo.cache_only = true;
	/* The configurations of the version, as kser verify --version N. */
	snprintf(version, sizeof(version), "%u", c->version);
	if (kser_settings_version(&c->vsettings, version))
		vo.series_version = version;
	snprintf(range, sizeof(range), "%s..", git_oid_tostr_s(&c->base));
	git_oid_tostr(range + strlen(range), GIT_OID_HEXSZ + 1, &c->tip);
	err = ex_progress(c, KSER_EXPORT_STAGE_GATE, 0, c->n);
	if (!err)
		err = kser_verify(&rep, c->repo, range, &vo);
	if (err)
		return kser_error_wrap(err, "cannot read kser verify's results");
	/* The same commits, in the same order, or the rows are not ours. */
	for (i = 0; i < c->n && rep.nrows == c->n + 1; i++)
		if (!git_oid_equal(&rep.rows[i + 1].commit,
				   git_commit_id(c->p[i].commit)))
			break;
	if (i < c->n || rep.nrows != c->n + 1) {
		kser_verify_report_release(&rep);
		return kser_error_fmt(KSER_ERR_GENERIC, "kser verify sees "
				      "other commits in '%s' than export",
				      range);
	}
	for (i = 0; i < c->n && !err; i++) {
		const git_oid *id = git_commit_id(c->p[i].commit);
		struct kser_buf line = KSER_BUF_INIT;

		row_problems(&line, &rep, i + 1);
		if (line.len) {
			bad_patches++;
			kser_buf_printf(lines, "  %zu/%zu %.12s %s: %s\n",
					i + 1, c->n, git_oid_tostr_s(id),
					c->p[i].subject, kser_buf_cstr(&line));
		}
		err = kser_buf_check(&line);
		kser_buf_release(&line);
		if (!err)
			err = ex_progress(c, KSER_EXPORT_STAGE_GATE, i + 1,
					  c->n);
	}
	kser_verify_report_release(&rep);
	if (!err)
		err = kser_buf_check(lines);
	if (err || !bad_patches)
		return err;
	if (!c->opts->force) {
		struct kser_buf hint = KSER_BUF_INIT;

		/* The command that fills the cache, as the gate reads it. */
		kser_buf_puts(&hint, "kser verify");
		if (c->opts->series_dir)
			kser_buf_printf(&hint, " --series %s",
					c->opts->series_dir);
		if (vo.series_version)
			kser_buf_printf(&hint, " --version %s", version);
		kser_buf_printf(&hint, " %.12s..", git_oid_tostr_s(&c->base));
		kser_buf_printf(&hint, "%.12s", git_oid_tostr_s(&c->tip));
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "%zu of %zu patches have not passed kser "
				     "verify:\n%sverify them (%s), or export "
				     "them marked unverified with --force",
				     bad_patches, c->n, kser_buf_cstr(lines),
				     kser_buf_cstr(&hint));
		kser_buf_release(&hint);
		return err;
	}
	kser_buf_printf(&c->out->notes, "warning: %zu of %zu patches have "
			"not passed kser verify; the cover letter says so\n",
			bad_patches, c->n);
	return NULL;
}
