// SPDX-License-Identifier: GPL-2.0
/*
 * kser verify's machine-readable reports of a run: JSON and JUnit XML.
 * Uses the results (record.c) and the core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/verify.h"
#include "kser_lib_verify.h"

/* What a maintainer should read first: errors, new warnings, findings. */
static json_t *messages_of(const struct kser_verify_check *ck,
			   const struct kser_verify_result *r)
{
	json_t *out = json_array(), *rec = verify_record(r), *v;
	size_t i;

	if (!rec)
		return out;
	if (ck->kind == KSER_CHECK_BUILD) {
		json_array_foreach(json_object_get(rec, "errors"), i, v)
			json_array_append(out, v);
		json_array_foreach(json_object_get(rec, "new_warnings"), i, v)
			json_array_append(out, v);
	} else if (ck->kind == KSER_CHECK_CHECKPATCH) {
		json_array_foreach(json_object_get(rec, "messages"), i, v)
			json_array_append(out, v);
	} else {
		json_t *suite;
		size_t s;

		json_array_foreach(json_object_get(rec, "suites"), s, suite) {
			json_t *cs;
			size_t k;

			json_array_foreach(json_object_get(suite, "cases"), k, cs) {
				const char *st = json_string_value(
					json_object_get(cs, "status"));
				struct kser_buf t = KSER_BUF_INIT;
				const char *d = json_string_value(
					json_object_get(cs, "diagnostic"));

				json_t *ex, *e;
				size_t q;

				if (!st || (strcmp(st, "fail") &&
					    strcmp(st, "missing")))
					continue;
				/* KUnit's "Expected ... but ...", each where
				 * it failed. */
				ex = json_object_get(cs, "expectations");
				json_array_foreach(ex, q, e) {
					json_t *m = json_pack(
						"{s:s, s:s, s:O?, s:O, s:o}",
						"level", "error", "type",
						"kunit", "file",
						json_object_get(e, "file"),
						"line", json_object_get(e,
									"line"),
						"text", kser_verify_json_text(""));

					kser_buf_clear(&t);
					kser_buf_printf(&t, "%s.%s: %s",
							json_string_value(json_object_get(suite, "name")),
							json_string_value(json_object_get(cs, "name")),
							json_string_value(json_object_get(e, "text")));
					if (m)
						json_object_set_new(m, "text",
							kser_verify_json_text(
								kser_buf_cstr(&t)));
					json_array_append_new(out, m);
				}
				kser_buf_clear(&t);
				if (json_array_size(ex)) {
					kser_buf_release(&t);
					continue;
				}
				kser_buf_printf(&t, "%s.%s %s%s%s",
						json_string_value(json_object_get(suite, "name")),
						json_string_value(json_object_get(cs, "name")),
						st, d ? ": " : "", d ? d : "");
				json_array_append_new(out, json_pack(
					"{s:s, s:s, s:s}", "level", "error",
					"type", "kunit", "text",
					kser_buf_cstr(&t)));
				kser_buf_release(&t);
			}
		}
		if (json_is_true(json_object_get(rec, "crashed")) ||
		    json_is_true(json_object_get(rec, "timed_out")))
			json_array_append_new(out, json_pack(
				"{s:s, s:s, s:o}", "level", "error", "type",
				"kunit", "text", kser_verify_json_text(
					r->summary ? r->summary : "")));
	}
	return out;
}

/*
 * A build's cache and distribution figures, for the reports: those of
 * this run, or, marked "cached", of the run that built it. NULL when the
 * result has none.
 */
static json_t *farm_of(const struct kser_verify_result *r)
{
	json_t *f = json_object_get(verify_record(r), "farm"), *o;

	if (!json_is_object(f))
		return NULL;
	o = json_deep_copy(f);
	if (o && json_object_set_new(o, "cached", json_boolean(r->cached)) < 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

const struct kser_error *
kser_verify_write_json(const struct kser_verify_report *rep, const char *path)
{
	json_t *top, *records, *checks;
	size_t i, j;
	char *text;
	const struct kser_error *err;

	top = json_object();
	records = json_array();
	checks = json_array();
	for (j = 0; j < rep->nchecks; j++)
		json_array_append_new(checks, json_string(rep->checks[j].id));
	for (i = 0; i < rep->nrows; i++) {
		const struct kser_verify_row *row = &rep->rows[i];

		for (j = 0; row->results && j < rep->nchecks; j++) {
			const struct kser_verify_result *r = &row->results[j];
			const char *sum = r->summary ? r->summary : "";
			char hex[GIT_OID_HEXSZ + 1];
			json_t *o;

			if (r->status == KSER_VERIFY_NA)
				continue;
			git_oid_tostr(hex, sizeof(hex), &row->commit);
			o = json_pack("{s:i, s:b, s:s, s:o, s:o, s:s, s:f, s:b,"
				      " s:o, s:o, s:o?, s:s}",
				      "patch", (int)row->number,
				      "base", row->number == 0,
				      "commit", hex,
				      "subject", kser_verify_json_text(
					      row->subject),
				      "check", kser_verify_json_text(
					      rep->checks[j].id),
				      "status", kser_verify_status_name(r->status),
				      "duration", r->seconds,
				      "cached", r->cached,
				      "summary", kser_verify_json_text(sum),
				      "messages", messages_of(&rep->checks[j], r),
				      "log", r->log_path ?
				      kser_verify_json_text(r->log_path) : NULL,
				      "key", r->key);
			if (o && r->expected_failure &&
			    json_object_set_new(o, "expected_failure",
						json_true()) < 0) {
				json_decref(o);
				o = NULL;
			}
			if (o && verify_record(r))
				json_object_set(o, "details", verify_record(r));
			if (o && json_is_object(json_object_get(verify_record(r),
								 "farm")) &&
			    json_object_set_new(o, "farm", farm_of(r)) < 0) {
				json_decref(o);
				o = NULL;
			}
			/* A record left out would be a check neither passed
			 * nor failed. */
			if (!o || json_array_append_new(records, o) < 0) {
				json_decref(top);
				json_decref(records);
				json_decref(checks);
				return kser_error_nomem();
			}
		}
	}
	json_object_set_new(top, "kser_verify", json_integer(1));
	json_object_set_new(top, "passed", json_boolean(rep->passed));
	json_object_set_new(top, "duration", json_real(rep->seconds));
	json_object_set_new(top, "checks", checks);
	json_object_set_new(top, "records", records);
	text = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(top);
	if (!text)
		return kser_error_nomem();
	err = kser_write_file_atomic(path, text, strlen(text));
	free(text);
	return err;
}

static void xml_escape(struct kser_buf *b, const char *text)
{
	struct kser_buf u = KSER_BUF_INIT;
	const char *s;

	kser_verify_utf8(&u, text);
	for (s = kser_buf_cstr(&u); *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '<':
			kser_buf_puts(b, "&lt;");
			break;
		case '>':
			kser_buf_puts(b, "&gt;");
			break;
		case '&':
			kser_buf_puts(b, "&amp;");
			break;
		case '"':
			kser_buf_puts(b, "&quot;");
			break;
		default:
			/* XML 1.0 cannot carry most control characters. */
			if (c < 32 && c != '\n' && c != '\t')
				kser_buf_putc(b, '?');
			else
				kser_buf_putc(b, (char)c);
		}
	}
	if (kser_buf_check(&u))
		b->oom = true;	/* so that the caller's check sees it */
	kser_buf_release(&u);
}

static void junit_property(struct kser_buf *b, const char *name,
			   const char *value)
{
	kser_buf_puts(b, "        <property name=\"");
	xml_escape(b, name);
	kser_buf_puts(b, "\" value=\"");
	xml_escape(b, value);
	kser_buf_puts(b, "\"/>\n");
}

/*
 * The scalars of v as properties named prefix.KEY...; a list of hosts
 * ({"host", "jobs" or "count"}) gives one a host: prefix.HOST.
 */
static void junit_properties(struct kser_buf *b, const char *prefix,
			     json_t *v)
{
	struct kser_buf name = KSER_BUF_INIT;
	const char *k, *s = NULL;
	char num[32];
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			kser_buf_clear(&name);
			kser_buf_printf(&name, "%s.%s", prefix, k);
			junit_properties(b, kser_buf_cstr(&name), x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			json_t *n = json_object_get(x, "jobs");
			const char *host = json_string_value(json_object_get(x,
									     "host"));

			kser_buf_clear(&name);
			kser_buf_printf(&name, "%s.%s", prefix, host ? host : "");
			junit_properties(b, kser_buf_cstr(&name), n ? n :
					 json_object_get(x, "count"));
		}
	} else if (json_is_string(v)) {
		s = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
		s = num;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
	}
	if (s)
		junit_property(b, prefix, s);
	if (kser_buf_check(&name))
		b->oom = true;
	kser_buf_release(&name);
}

/*
 * A build's figures as the test case's properties ("farm.ccache.misses");
 * "farm.cached" says whose they are.
 */
static void junit_farm(struct kser_buf *b, const struct kser_verify_result *r)
{
	json_t *f = farm_of(r);

	if (!f)
		return;
	kser_buf_puts(b, "      <properties>\n");
	junit_properties(b, "farm", f);
	kser_buf_puts(b, "      </properties>\n");
	json_decref(f);
}

/* And as its output, one line, after the failure if there is one. */
static void junit_farm_out(struct kser_buf *b,
			   const struct kser_verify_result *r)
{
	if (!r->farm)
		return;
	kser_buf_puts(b, "      <system-out>");
	if (r->cached)
		kser_buf_puts(b, "cached; when built: ");
	xml_escape(b, r->farm);
	kser_buf_puts(b, "</system-out>\n");
}

const struct kser_error *
kser_verify_write_junit(const struct kser_verify_report *rep,
			const char *path)
{
	struct kser_buf x = KSER_BUF_INIT, cases = KSER_BUF_INIT;
	size_t i, j, tests = 0, failures = 0, errors = 0, skipped = 0;
	const struct kser_error *err;

	for (i = 0; i < rep->nrows; i++) {
		const struct kser_verify_row *row = &rep->rows[i];

		for (j = 0; row->results && j < rep->nchecks; j++) {
			const struct kser_verify_result *r = &row->results[j];
			json_t *msgs, *m;
			size_t k;

			if (r->status == KSER_VERIFY_NA)
				continue;
			tests++;
			kser_buf_puts(&cases, "    <testcase classname=\"");
			if (row->number)
				kser_buf_printf(&cases, "%02u ", row->number);
			else
				kser_buf_puts(&cases, "base ");
			xml_escape(&cases, row->subject);
			kser_buf_puts(&cases, "\" name=\"");
			xml_escape(&cases, rep->checks[j].id);
			kser_buf_printf(&cases, "\" time=\"%.3f\">\n", r->seconds);
			junit_farm(&cases, r);
			/* JUnit has no expected failure: it is not one. */
			if (r->expected_failure) {
				skipped++;
				kser_buf_puts(&cases, "      <skipped message=\""
					      "expected failure: ");
				xml_escape(&cases, r->summary);
				kser_buf_puts(&cases, "\"/>\n");
				kser_buf_puts(&cases, "    </testcase>\n");
				continue;
			}
			switch (r->status) {
			case KSER_VERIFY_PASS:
				break;
			case KSER_VERIFY_SKIPPED:
			case KSER_VERIFY_PENDING:
				skipped++;
				kser_buf_puts(&cases, "      <skipped message=\"");
				xml_escape(&cases, r->summary);
				kser_buf_puts(&cases, "\"/>\n");
				break;
			case KSER_VERIFY_ERROR:
				errors++;
				kser_buf_puts(&cases, "      <error message=\"");
				xml_escape(&cases, r->summary);
				kser_buf_puts(&cases, "\"/>\n");
				break;
			default:
				failures++;
				kser_buf_printf(&cases, "      <failure type=\"%s\" "
						"message=\"",
						kser_verify_status_name(r->status));
				xml_escape(&cases, r->summary);
				kser_buf_puts(&cases, "\">");
				msgs = messages_of(&rep->checks[j], r);
				json_array_foreach(msgs, k, m) {
					const char *f = json_string_value(
						json_object_get(m, "file"));
					struct kser_buf l = KSER_BUF_INIT;

					kser_buf_printf(&l, "%s%s%lld: %s\n",
							f ? f : "", f ? ":" : "",
							(long long)json_integer_value(
								json_object_get(m, "line")),
							json_string_value(
								json_object_get(m, "text")));
					xml_escape(&cases, kser_buf_cstr(&l));
					kser_buf_release(&l);
				}
				json_decref(msgs);
				if (r->log_path) {
					kser_buf_puts(&cases, "log: ");
					xml_escape(&cases, r->log_path);
				}
				kser_buf_puts(&cases, "</failure>\n");
			}
			junit_farm_out(&cases, r);
			kser_buf_puts(&cases, "    </testcase>\n");
		}
	}
	kser_buf_puts(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	kser_buf_printf(&x, "<testsuites tests=\"%zu\" failures=\"%zu\" "
			"errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
			tests, failures, errors, skipped, rep->seconds);
	kser_buf_printf(&x, "  <testsuite name=\"kser verify\" tests=\"%zu\" "
			"failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
			"time=\"%.3f\">\n", tests, failures, errors, skipped,
			rep->seconds);
	kser_buf_put(&x, kser_buf_cstr(&cases), cases.len);
	kser_buf_puts(&x, "  </testsuite>\n</testsuites>\n");
	err = kser_buf_check(&x) ? kser_error_nomem() :
	      kser_write_file_atomic(path, x.ptr, x.len);
	kser_buf_release(&x);
	kser_buf_release(&cases);
	return err;
}
