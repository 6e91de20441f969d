// SPDX-License-Identifier: GPL-2.0
/*
 * The KUnit check: the row's UML kernel, built by its build check, booted
 * to run the suites; what it printed read as KTAP (ktap.c). Uses the
 * run's context, the results (record.c), how children end (outcome.c)
 * and the events (events.c).
 */
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

#define MAX_EXPECTATIONS 8

/* "x: EXPECTATION FAILED at ../src/lib/x.c:12": where, or false. */
static bool expectation_header(const char *l, size_t n, const char *srcdir,
			       char **file, unsigned int *line)
{
	static const char *const marks[] = {
		": EXPECTATION FAILED at ", ": ASSERTION FAILED at ",
	};
	const char *m = NULL, *colon, *end = l + n;
	size_t i, k = 0;

	if (n < 2 || l[0] != '#')
		return false;
	for (i = 0; i < sizeof(marks) / sizeof(*marks) && !m; i++) {
		m = memmem(l, n, marks[i], strlen(marks[i]));
		k = strlen(marks[i]);
	}
	if (!m)
		return false;
	m += k;
	colon = end;
	while (colon > m && colon[-1] >= '0' && colon[-1] <= '9')
		colon--;
	if (colon > m && colon < end && colon[-1] == ':') {
		*line = (unsigned int)strtoul(colon, NULL, 10);
		colon--;
	} else {
		*line = 0;
		colon = end;
	}
	*file = kser_diag_tree_path(m, (size_t)(colon - m), srcdir);
	return true;
}

/*
 * KUnit's expectations of a failed case, from the lines said before its
 * result: each "# case: EXPECTATION FAILED at FILE:LINE" and the lines
 * after it ("Expected a == b, but", "    a == 1 (0x1)"), once each.
 */
static json_t *expectations_json(const char *log, const char *srcdir)
{
	json_t *a = json_array();
	const char *p = log;

	while (a && p && *p && json_array_size(a) < MAX_EXPECTATIONS) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct kser_buf text = KSER_BUF_INIT;
		unsigned int line;
		char *file = NULL;
		json_t *o, *x;
		size_t i;
		bool dup = false;

		if (!expectation_header(p, n, srcdir, &file, &line)) {
			p = nl ? nl + 1 : NULL;
			continue;
		}
		p = nl ? nl + 1 : NULL;
		/* Its text: up to the next "#" line. */
		while (p && *p && *p != '#') {
			nl = strchr(p, '\n');
			n = nl ? (size_t)(nl - p) : strlen(p);
			if (text.len)
				kser_buf_putc(&text, '\n');
			kser_buf_put(&text, p, n);
			p = nl ? nl + 1 : NULL;
		}
		json_array_foreach(a, i, x) {
			const char *f = json_string_value(json_object_get(x,
									  "file"));

			dup |= json_integer_value(json_object_get(x, "line")) ==
			       line && !strcmp(f ? f : "", file ? file : "") &&
			       !strcmp(json_string_value(json_object_get(x,
									 "text")),
				       kser_buf_cstr(&text));
		}
		o = dup ? NULL : json_pack("{s:o?, s:i, s:o}", "file",
					   file ? kser_verify_json_text(file) :
					   NULL, "line", (int)line, "text",
					   kser_verify_json_text(
						   kser_buf_cstr(&text)));
		if (o)
			json_array_append_new(a, o);
		free(file);
		kser_buf_release(&text);
	}
	return a;
}

static json_t *ktap_json(const struct kser_ktap_test *t, const char *srcdir)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < t->nchildren; i++) {
		const struct kser_ktap_test *x = &t->children[i];
		json_t *o = json_pack("{s:o, s:s, s:o?, s:o?}", "name",
				      kser_verify_json_text(x->name ? x->name :
							    ""),
				      "status", kser_ktap_status_name(x->status),
				      "directive", x->directive ?
				      kser_verify_json_text(x->directive) :
				      NULL,
				      "diagnostic", x->diagnostic ?
				      kser_verify_json_text(x->diagnostic) :
				      NULL);

		if (o && x->nchildren)
			json_object_set_new(o, "cases", ktap_json(x, srcdir));
		if (o && x->log && (x->status == KSER_KTAP_FAIL ||
				    x->status == KSER_KTAP_MISSING))
			json_object_set_new(o, "expectations",
					    expectations_json(x->log, srcdir));
		json_array_append_new(a, o);
	}
	return a;
}

/* The first line of the case's first expectation, or false. */
static bool first_expectation(const struct kser_ktap_test *x,
			      struct kser_buf *out)
{
	json_t *a = x->log ? expectations_json(x->log, NULL) : NULL;
	const char *text = json_string_value(json_object_get(
		json_array_get(a, 0), "text"));
	bool found = text && *text;

	if (found)
		kser_buf_printf(out, ": %.*s", (int)strcspn(text, "\n"),
				text);
	json_decref(a);
	return found;
}

/* The first failed case, as "suite.case", and what it expected. */
static bool first_failure(const struct kser_ktap_test *t, const char *suite,
			  struct kser_buf *out)
{
	size_t i;

	for (i = 0; i < t->nchildren; i++) {
		const struct kser_ktap_test *x = &t->children[i];

		if (x->nchildren) {
			if (first_failure(x, x->name, out))
				return true;
			continue;
		}
		if (x->status == KSER_KTAP_FAIL ||
		    x->status == KSER_KTAP_MISSING) {
			kser_buf_printf(out, "%s%s%s failed", suite ? suite : "",
					suite ? "." : "", x->name);
			if (x->diagnostic)
				kser_buf_printf(out, " (%s)", x->diagnostic);
			first_expectation(x, out);
			return true;
		}
	}
	return false;
}

void verify_run_kunit(struct verify_ctx *c, size_t row, size_t check)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	struct kser_buf bin = KSER_BUF_INIT, umldir = KSER_BUF_INIT;
	struct kser_buf log = KSER_BUF_INIT, why = KSER_BUF_INIT;
	struct kser_ktap_result ktap;
	struct kser_job job = { 0 };
	const struct kser_error *err;
	enum kser_verify_status st;
	json_t *rec;
	char *argv[8];

	kser_buf_printf(&bin, "%s/linux", c->st.build_dirs[ck->config]);
	kser_buf_printf(&umldir, "uml_dir=%s", c->st.uml_dir);
	argv[0] = (char *)kser_buf_cstr(&bin);
	argv[1] = "kunit.enable=1";
	argv[2] = "mem=1G";
	argv[3] = "console=tty";
	argv[4] = "kunit_shutdown=halt";
	argv[5] = (char *)kser_buf_cstr(&umldir);
	argv[6] = NULL;
	job.name = "kunit";
	job.argv = argv;
	job.cwd = c->st.build_dirs[ck->config];
	job.env = c->st.env;
	job.log_path = res->log_path;
	job.tail_cap = 8u << 20;
	job.timeout_ms = (uint64_t)c->settings->kunit_timeout * 1000;
	err = verify_run_jobs(c, &job, 1);
	if (!verify_finished_anyway(err, &job)) {
		verify_fail(res, err);
		goto done;
	}
	memset(&ktap, 0, sizeof(ktap));
	err = kser_ktap_parse(&ktap, kser_buf_cstr(&job.tail), job.tail.len);
	if (err) {
		res->status = KSER_VERIFY_ERROR;
		verify_summary(res, "%s", err->msg);
		goto done;
	}
	/* A kernel that said nothing may have had no memory to say it. */
	if (verify_machine_trouble(&job, false, !ktap.found, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = job.seconds;
		verify_summary(res, "%s", kser_buf_cstr(&why));
		kser_ktap_result_release(&ktap);
		goto done;
	}
	rec = json_object();
	json_object_set_new(rec, "passed", json_integer((json_int_t)ktap.passed));
	json_object_set_new(rec, "failed", json_integer((json_int_t)ktap.failed));
	json_object_set_new(rec, "skipped",
			    json_integer((json_int_t)ktap.skipped));
	json_object_set_new(rec, "missing",
			    json_integer((json_int_t)ktap.missing));
	json_object_set_new(rec, "crashed", json_boolean(ktap.crashed));
	json_object_set_new(rec, "timed_out", json_boolean(job.timed_out));
	json_object_set_new(rec, "suites",
			    ktap_json(&ktap.root, kser_worktree_path(c->st.wt)));
	if (job.timed_out) {
		st = KSER_VERIFY_TIMEOUT;
		verify_summary(res, "the kernel did not finish within %u s",
			       c->settings->kunit_timeout);
	} else if (!ktap.found) {
		st = KSER_VERIFY_FAIL;
		verify_summary(res, "no KTAP output (the kernel exited with "
			       "status %d)", job.status);
	} else if (ktap.crashed) {
		st = KSER_VERIFY_FAIL;
		verify_summary(res, "crash: %s", ktap.crash_line);
	} else if (ktap.failed || ktap.missing) {
		st = KSER_VERIFY_FAIL;
		first_failure(&ktap.root, NULL, &why);
		verify_summary(res, "%zu failed, %zu passed: %s", ktap.failed,
			       ktap.passed, kser_buf_cstr(&why));
	} else if (!ktap.passed && !ktap.skipped) {
		st = KSER_VERIFY_FAIL;
		verify_summary(res, "no test ran");
	} else {
		st = KSER_VERIFY_PASS;
		verify_summary(res, "%zu passed, %zu skipped", ktap.passed,
			       ktap.skipped);
	}
	if (st != KSER_VERIFY_PASS) {
		verify_tail_lines(&log, kser_buf_cstr(&job.tail),
				  job.tail.len, 30);
		json_object_set_new(rec, "log_tail",
				    kser_verify_json_text(kser_buf_cstr(&log)));
	}
	kser_ktap_result_release(&ktap);
	verify_finish(c->rep, row, check, st, job.seconds, rec);
	verify_store(c, row, check);
done:
	kser_job_release(&job);
	kser_buf_release(&bin);
	kser_buf_release(&umldir);
	kser_buf_release(&log);
	kser_buf_release(&why);
}
