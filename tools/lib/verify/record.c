// SPDX-License-Identifier: GPL-2.0
/*
 * Results: their statuses and summaries, the JSON records they are
 * decided on (private: struct kser_verify_record), the report's memory,
 * and text made valid UTF-8 for JSON and XML. Uses the diagnostics
 * (diag.c), jansson and the core.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser_lib_verify.h"

const char *kser_verify_status_name(enum kser_verify_status s)
{
	static const char *const names[] = {
		"pending", "running", "pass", "fail", "timeout", "error",
		"skipped", "n/a",
	};

	return s <= KSER_VERIFY_NA ? names[s] : "?";
}

enum kser_verify_status verify_status_from_name(const char *name)
{
	enum kser_verify_status i;

	for (i = KSER_VERIFY_PENDING; i <= KSER_VERIFY_NA; i++)
		if (name && !strcmp(name, kser_verify_status_name(i)))
			return i;
	return KSER_VERIFY_ERROR;
}

json_t *verify_record(const struct kser_verify_result *res)
{
	return res->record ? res->record->json : NULL;
}

static void record_free(struct kser_verify_record *rec)
{
	if (!rec)
		return;
	json_decref(rec->json);
	free(rec);
}

bool verify_record_set(struct kser_verify_result *res, json_t *json)
{
	struct kser_verify_record *rec = NULL;
	const char *farm = json_string_value(json_object_get(
		json_object_get(json, "farm"), "summary"));

	/* A build's figures, from its record, fresh or cached. */
	free(res->farm);
	res->farm = farm ? strdup(farm) : NULL;
	if (json) {
		rec = malloc(sizeof(*rec));
		if (!rec) {
			json_decref(json);
			record_free(res->record);
			res->record = NULL;
			return false;
		}
		rec->json = json;
	}
	record_free(res->record);
	res->record = rec;
	return true;
}

void kser_verify_report_release(struct kser_verify_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nrows; i++) {
		struct kser_verify_row *row = &r->rows[i];

		for (j = 0; row->results && j < r->nchecks; j++) {
			free(row->results[j].summary);
			free(row->results[j].log_path);
			free(row->results[j].farm);
			record_free(row->results[j].record);
		}
		free(row->results);
		free(row->subject);
	}
	for (i = 0; i < r->nchecks; i++)
		free(r->checks[i].id);
	free(r->checks);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

void verify_summary(struct kser_verify_result *res, const char *fmt, ...)
{
	struct kser_buf b = KSER_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(res->summary);
	res->summary = kser_buf_detach(&b);
}

void verify_finish(struct kser_verify_report *rep, size_t row, size_t check,
		   enum kser_verify_status status, double seconds, json_t *rec)
{
	struct kser_verify_result *res = &rep->rows[row].results[check];

	res->status = status;
	res->seconds = seconds;
	res->cached = false;
	json_object_set_new(rec, "check",
			    kser_verify_json_text(rep->checks[check].id));
	json_object_set_new(rec, "status",
			    json_string(kser_verify_status_name(status)));
	json_object_set_new(rec, "seconds", json_real(seconds));
	json_object_set_new(rec, "summary", kser_verify_json_text(
				    res->summary ? res->summary : ""));
	json_object_set_new(rec, "key", json_string(res->key));
	/* A result without its record could not be judged: an error. */
	if (!verify_record_set(res, rec)) {
		res->status = KSER_VERIFY_ERROR;
		verify_summary(res, "out of memory");
	}
}

void verify_fail(struct kser_verify_result *res, const struct kser_error *err)
{
	if (err->code == KSER_ERR_CANCELLED) {
		res->status = KSER_VERIFY_PENDING;
		return;
	}
	res->status = KSER_VERIFY_ERROR;
	verify_summary(res, "%s", err->msg);
}

json_t *verify_diags_json(const struct kser_diags *d, bool with_fingerprint)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < d->n; i++) {
		const struct kser_diag *x = &d->v[i];
		json_t *o = json_pack("{s:s, s:o?, s:o?, s:i, s:o}",
				      "level", x->level,
				      "type", x->type ?
				      kser_verify_json_text(x->type) : NULL,
				      "file", x->file ?
				      kser_verify_json_text(x->file) : NULL,
				      "line", (int)x->line,
				      "text", kser_verify_json_text(x->text));

		/* Without its fingerprint a warning is never new. */
		if (o && with_fingerprint &&
		    json_object_set_new(o, "fingerprint",
					kser_verify_json_text(
						x->fingerprint ?
						x->fingerprint : "")) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void kser_verify_utf8(struct kser_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;

	while (n) {
		size_t len = utf8_seq(p, n);

		if (len) {
			kser_buf_put(out, p, len);
		} else {
			kser_buf_printf(out, "\\x%02x", *p);
			len = 1;
		}
		p += len;
		n -= len;
	}
}

json_t *kser_verify_json_text(const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	json_t *j;

	kser_verify_utf8(&b, s);
	j = kser_buf_check(&b) ? NULL : json_string(kser_buf_cstr(&b));
	kser_buf_release(&b);
	return j;
}
