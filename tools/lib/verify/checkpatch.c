// SPDX-License-Identifier: GPL-2.0
/*
 * The checkpatch check: a row's patch, as git format-patch would mail it,
 * through the tree's scripts/checkpatch.pl. Uses the run's context, the
 * diagnostics (diag.c), the results (record.c), how children end
 * (outcome.c), the events (events.c) and libgit2's email API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <git2/email.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

const struct kser_error *verify_checkpatch_prepare(struct verify_ctx *c,
						   size_t row, size_t check,
						   struct verify_checkpatch *cj,
						   struct kser_job *job)
{
	git_email_create_options eopts = GIT_EMAIL_CREATE_OPTIONS_INIT;
	git_commit *cm = NULL;
	git_buf email = GIT_BUF_INIT;
	const struct kser_error *err = NULL;
	char name[64];
	size_t argc = 0;
	char *p, *save = NULL;

	memset(cj, 0, sizeof(*cj));
	if (git_commit_lookup(&cm, c->repo, &c->rep->rows[row].commit) < 0 ||
	    git_email_create_from_commit(&email, cm, &eopts) < 0) {
		err = kser_error_git("cannot make the patch of %.12s",
				     git_oid_tostr_s(&c->rep->rows[row].commit));
		goto done;
	}
	snprintf(name, sizeof(name), "%zu.patch", row);
	cj->patch_path = verify_path_join(c->st.tmp_dir, name);
	if (!cj->patch_path) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_write_file_atomic(cj->patch_path, email.ptr, email.size);
	if (err)
		goto done;
	cj->opts = strdup(c->settings->checkpatch ? c->settings->checkpatch :
			  "");
	if (!cj->opts) {
		err = kser_error_nomem();
		goto done;
	}
	cj->argv[argc++] = "perl";
	cj->argv[argc++] = "scripts/checkpatch.pl";
	for (p = strtok_r(cj->opts, " \t", &save); p && argc < 12;
	     p = strtok_r(NULL, " \t", &save))
		cj->argv[argc++] = p;
	cj->argv[argc++] = "--show-types";
	cj->argv[argc++] = "--color=never";
	cj->argv[argc++] = cj->patch_path;
	cj->argv[argc] = NULL;

	memset(job, 0, sizeof(*job));
	job->name = "checkpatch";
	job->argv = cj->argv;
	job->cwd = kser_worktree_path(c->st.wt);
	job->env = c->st.env;
	job->log_path = c->rep->rows[row].results[check].log_path;
	job->tail_cap = 4u << 20;
	job->timeout_ms = 600000;
done:
	git_buf_dispose(&email);
	git_commit_free(cm);
	return err;
}

void verify_checkpatch_finish(struct verify_ctx *c, size_t row, size_t check,
			      struct kser_job *job)
{
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	struct kser_checkpatch_totals t;
	struct kser_diags d = { 0 };
	struct kser_buf why = KSER_BUF_INIT;
	enum kser_verify_status st;
	json_t *rec;

	if (job->timed_out) {
		res->status = KSER_VERIFY_TIMEOUT;
		verify_summary(res, "checkpatch.pl did not finish");
		verify_finish(c->rep, row, check, KSER_VERIFY_TIMEOUT,
			      job->seconds, json_object());
		return;
	}
	if (job->cancelled) {
		res->status = KSER_VERIFY_PENDING;
		return;
	}
	/* Its output quotes the patch: only the log and signals count. */
	if (verify_machine_trouble(job, true, false, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = job->seconds;
		verify_summary(res, "%s", kser_buf_cstr(&why));
		kser_buf_release(&why);
		return;
	}
	if (kser_checkpatch_parse(&d, &t, kser_buf_cstr(&job->tail),
				  job->tail.len) || !t.found) {
		struct kser_buf tail = KSER_BUF_INIT;

		res->status = KSER_VERIFY_ERROR;
		verify_tail_lines(&tail, kser_buf_cstr(&job->tail),
				  job->tail.len, 3);
		verify_summary(res, "checkpatch.pl failed (status %d): %s",
			       job->status, kser_buf_cstr(&tail));
		kser_buf_release(&tail);
		kser_diags_release(&d);
		return;
	}
	st = t.errors || t.warnings || t.checks ? KSER_VERIFY_FAIL :
						  KSER_VERIFY_PASS;
	if (st == KSER_VERIFY_PASS) {
		verify_summary(res, "clean: %u lines checked", t.lines);
	} else {
		struct kser_buf s = KSER_BUF_INIT;

		kser_buf_printf(&s, "%u errors, %u warnings, %u checks",
				t.errors, t.warnings, t.checks);
		if (d.n)
			kser_buf_printf(&s, ": %s%s%s%s%u: %s",
					d.v[0].type ? d.v[0].type : "",
					d.v[0].type ? " " : "",
					d.v[0].file ? d.v[0].file : "",
					d.v[0].file ? ":" : "", d.v[0].line,
					d.v[0].text);
		verify_summary(res, "%s", kser_buf_cstr(&s));
		kser_buf_release(&s);
	}
	rec = json_object();
	json_object_set_new(rec, "errors", json_integer(t.errors));
	json_object_set_new(rec, "warnings", json_integer(t.warnings));
	json_object_set_new(rec, "checks", json_integer(t.checks));
	json_object_set_new(rec, "messages", verify_diags_json(&d, false));
	verify_finish(c->rep, row, check, st, job->seconds, rec);
	verify_store(c, row, check);
	kser_diags_release(&d);
}

void verify_checkpatch_release(struct verify_checkpatch *cj)
{
	if (cj->patch_path)
		unlink(cj->patch_path);
	free(cj->patch_path);
	free(cj->opts);
	memset(cj, 0, sizeof(*cj));
}
