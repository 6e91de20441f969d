// SPDX-License-Identifier: GPL-2.0
/*
 * A build's diagnostics and verdict: the warnings kser-cc recorded,
 * fingerprinted; the build's record; and its status against the previous
 * row, which a new warning fails. Uses the diagnostics (diag.c,
 * ccrecords.c), the results (record.c), the state (state.c), jansson and
 * the core.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

struct records {
	const char *src;
	struct kser_diags *raw;
};

/*
 * One object's record. A message about no file ("cc1: warning: ...")
 * belongs to the source the object was compiled from, so that it goes
 * stale with it like the others.
 */
static const struct kser_error *add_record(const char *object,
					   const char *text, size_t len,
					   void *arg)
{
	static const char *const exts[] = { ".c", ".S" };
	struct records *r = arg;
	const struct kser_error *err;
	size_t first = r->raw->n, i, k, n = strlen(object);

	err = kser_gcc_parse(r->raw, text, len, r->src, true);
	for (i = first; !err && i < r->raw->n; i++) {
		struct kser_diag *d = &r->raw->v[i];
		struct kser_buf p = KSER_BUF_INIT;

		if (d->file || n < 2 || strcmp(object + n - 2, ".o"))
			continue;
		for (k = 0; k < sizeof(exts) / sizeof(*exts); k++) {
			kser_buf_clear(&p);
			kser_buf_printf(&p, "%s/%.*s%s", r->src, (int)(n - 2),
					object, exts[k]);
			if (access(kser_buf_cstr(&p), F_OK) == 0)
				break;
		}
		kser_buf_clear(&p);
		kser_buf_printf(&p, "%.*s%s", (int)(n - 2), object,
				exts[k < sizeof(exts) / sizeof(*exts) ? k : 0]);
		d->file = kser_buf_detach(&p);
		if (!d->file)
			err = kser_error_nomem();
	}
	return err;
}

const struct kser_error *verify_build_warnings(const struct verify_state *st,
					       size_t cfg,
					       struct kser_diags *out,
					       kser_cancel_cb cancel,
					       void *cancel_arg)
{
	struct kser_diags raw = { 0 };
	const struct kser_error *err;
	const char *src = kser_worktree_path(st->wt);
	struct records recs = { src, &raw };
	size_t i;

	err = kser_diag_collect(st->build_dirs[cfg], add_record, &recs,
				cancel, cancel_arg);
	if (!err)
		err = kser_diags_fingerprint(&raw, src);
	for (i = 0; !err && i < raw.n; i++) {
		struct kser_diag *d = &raw.v[i];
		struct kser_buf p = KSER_BUF_INIT;
		size_t k;
		bool dup = false;

		if (strcmp(d->level, "warning"))
			continue;
		/* Objects of files the tree no longer has are stale. */
		kser_buf_printf(&p, "%s/%s", src, d->file ? d->file : "");
		if (!d->file || access(kser_buf_cstr(&p), F_OK) < 0) {
			kser_buf_release(&p);
			continue;
		}
		kser_buf_release(&p);
		/* A header's warning shows once, however many include it. */
		for (k = 0; k < out->n && !dup; k++)
			dup = !strcmp(out->v[k].fingerprint, d->fingerprint);
		if (dup)
			continue;
		err = kser_diags_add(out, d->level, d->type, d->file, d->line,
				     d->text);
		if (!err) {
			out->v[out->n - 1].fingerprint = strdup(d->fingerprint);
			if (!out->v[out->n - 1].fingerprint)
				err = kser_error_nomem();
		}
	}
	kser_diags_release(&raw);
	return err;
}

json_t *verify_build_record(const struct kser_job *job, bool ok,
			    const struct kser_diags *errors,
			    const struct kser_diags *warnings)
{
	json_t *rec = json_pack("{s:b, s:b, s:i, s:o, s:o}",
				"built", ok, "timed_out", job->timed_out,
				"exit_status", job->status,
				"errors", verify_diags_json(errors, false),
				"warnings", verify_diags_json(warnings, true));

	return rec;
}

static const json_t *build_warnings_of(const struct kser_verify_result *r)
{
	json_t *rec = verify_record(r);

	return rec ? json_object_get(rec, "warnings") : NULL;
}

bool verify_built(const struct kser_verify_result *res)
{
	return json_is_true(json_object_get(verify_record(res), "built"));
}

static bool fingerprint_in(const json_t *warnings, const char *fp)
{
	size_t i;
	json_t *w;

	json_array_foreach(warnings, i, w) {
		const char *f = json_string_value(json_object_get(w,
								  "fingerprint"));

		if (f && !strcmp(f, fp))
			return true;
	}
	return false;
}

/* "file:line: text", or "text" for a message about no file. */
static void diag_text(struct kser_buf *out, const json_t *d)
{
	const char *file = json_string_value(json_object_get(d, "file"));
	const char *text = json_string_value(json_object_get(d, "text"));
	json_int_t line = json_integer_value(json_object_get(d, "line"));

	if (file && line)
		kser_buf_printf(out, "%s:%lld: ", file, (long long)line);
	else if (file)
		kser_buf_printf(out, "%s: ", file);
	kser_buf_puts(out, text ? text : "");
}

void verify_resolve_build(struct kser_verify_report *rep, size_t row,
			  size_t check)
{
	struct kser_verify_result *res = &rep->rows[row].results[check];
	const json_t *rec = verify_record(res), *prev = NULL, *warnings;
	json_t *w;
	struct kser_buf s = KSER_BUF_INIT;
	size_t i, nnew = 0, total;
	json_t *new_warnings;
	size_t r;

	if (!rec || res->status == KSER_VERIFY_ERROR)
		return;
	if (!json_is_true(json_object_get(rec, "built"))) {
		json_t *errs = json_object_get(rec, "errors");

		res->status = json_is_true(json_object_get(rec, "timed_out")) ?
			      KSER_VERIFY_TIMEOUT : KSER_VERIFY_FAIL;
		if (res->status == KSER_VERIFY_TIMEOUT)
			kser_buf_printf(&s, "the build did not finish in time");
		else if (json_array_size(errs)) {
			json_array_foreach(errs, i, w) {
				if (i == 3) {
					kser_buf_printf(&s, "; and %zu more",
							json_array_size(errs) - 3);
					break;
				}
				if (i)
					kser_buf_puts(&s, "; ");
				diag_text(&s, w);
			}
		} else {
			kser_buf_printf(&s, "make failed (status %lld)",
					(long long)json_integer_value(
						json_object_get(rec, "exit_status")));
		}
		goto out;
	}
	for (r = row; r-- > 0;) {
		const struct kser_verify_result *pr =
			&rep->rows[r].results[check];

		if (verify_built(pr)) {
			prev = build_warnings_of(pr);
			break;
		}
	}
	warnings = json_object_get(rec, "warnings");
	total = json_array_size(warnings);
	new_warnings = json_array();
	json_array_foreach(warnings, i, w) {
		const char *fp = json_string_value(json_object_get(w,
								   "fingerprint"));

		if (row && prev && fp && !fingerprint_in(prev, fp)) {
			json_array_append(new_warnings, w);
			if (!nnew) {
				kser_buf_puts(&s, "new warning: ");
				diag_text(&s, w);
			}
			nnew++;
		}
	}
	json_object_set_new((json_t *)rec, "new_warnings", new_warnings);
	if (nnew > 1)
		kser_buf_printf(&s, " (and %zu more new)", nnew - 1);
	res->status = nnew ? KSER_VERIFY_FAIL : KSER_VERIFY_PASS;
	/* No row before built (a base that fails here): nothing is new. */
	if (!nnew)
		kser_buf_printf(&s, "built, %zu warning%s, %s", total,
				total == 1 ? "" : "s", row && !prev ?
				"no earlier build to compare with" :
				"none new");
out:
	if (!kser_buf_check(&s)) {
		free(res->summary);
		res->summary = kser_buf_detach(&s);
	}
	kser_buf_release(&s);
}
