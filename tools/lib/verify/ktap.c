// SPDX-License-Identifier: GPL-2.0
/*
 * The KTAP parser (kser_ktap_parse()), for the KUnit check. Uses only the
 * core: errors.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

#define MAX_DEPTH 16
#define MAX_MISSING_SHOWN 16
#define MAX_LOG 16384

struct level {
	struct kser_ktap_test *test;	/* whose children this level holds */
	size_t indent;
	char *subtest_name;		/* from "# Subtest:" */
	/*
	 * What was said at this level since its last result: the next
	 * result's log (KUnit's "# case: EXPECTATION FAILED at ..." and
	 * "Expected ..." lines come before the case's "not ok").
	 */
	struct kser_buf log;
};

const char *kser_ktap_status_name(enum kser_ktap_status s)
{
	switch (s) {
	case KSER_KTAP_PASS:
		return "pass";
	case KSER_KTAP_FAIL:
		return "fail";
	case KSER_KTAP_SKIP:
		return "skip";
	default:
		return "missing";
	}
}

static void test_release(struct kser_ktap_test *t)
{
	size_t i;

	for (i = 0; i < t->nchildren; i++)
		test_release(&t->children[i]);
	free(t->children);
	free(t->name);
	free(t->directive);
	free(t->diagnostic);
	free(t->log);
	memset(t, 0, sizeof(*t));
}

void kser_ktap_result_release(struct kser_ktap_result *res)
{
	test_release(&res->root);
	free(res->crash_line);
	memset(res, 0, sizeof(*res));
}

static struct kser_ktap_test *add_child(struct kser_ktap_test *parent)
{
	struct kser_ktap_test *c;

	if (kser_array_grow((void **)&parent->children, &parent->alloc,
			    parent->nchildren, sizeof(*c), 8))
		return NULL;
	c = &parent->children[parent->nchildren++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* "KTAP version 1", "TAP version 14" */
static bool is_version(const char *s, size_t len)
{
	return (len > 13 && !strncmp(s, "KTAP version ", 13)) ||
	       (len > 12 && !strncmp(s, "TAP version ", 12));
}

static const char *find_version(const char *line, size_t len)
{
	const char *k = memmem(line, len, "KTAP version ", 13);
	const char *t = memmem(line, len, "TAP version ", 12);

	if (k)
		return k;
	return t;
}

static char *dup_trim(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

/* "ok 3 name # SKIP reason" / "not ok 3 name" */
static bool parse_result(const char *s, size_t len, struct kser_ktap_test *t)
{
	const char *p = s, *end = s + len, *hash;
	bool ok;
	unsigned long n = 0;

	if (len >= 3 && !strncmp(s, "ok ", 3)) {
		ok = true;
		p += 3;
	} else if (len >= 7 && !strncmp(s, "not ok ", 7)) {
		ok = false;
		p += 7;
	} else {
		return false;
	}
	if (p >= end || !isdigit((unsigned char)*p))
		return false;
	while (p < end && isdigit((unsigned char)*p))
		n = n * 10 + (unsigned long)(*p++ - '0');
	t->number = (unsigned int)n;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '-')	/* TAP's optional dash */
		p++;
	hash = memchr(p, '#', (size_t)(end - p));
	t->name = dup_trim(p, (size_t)((hash ? hash : end) - p));
	t->status = ok ? KSER_KTAP_PASS : KSER_KTAP_FAIL;
	if (hash) {
		const char *d = hash + 1, *sp;

		while (d < end && *d == ' ')
			d++;
		sp = d;
		while (sp < end && !isspace((unsigned char)*sp))
			sp++;
		if (sp > d) {
			char *word = strndup(d, (size_t)(sp - d));
			size_t i;

			for (i = 0; word && word[i]; i++)
				word[i] = (char)toupper((unsigned char)word[i]);
			if (word && (!strcmp(word, "SKIP") ||
				     !strcmp(word, "TODO") ||
				     !strcmp(word, "XFAIL") ||
				     !strcmp(word, "TIMEOUT") ||
				     !strcmp(word, "ERROR"))) {
				t->directive = word;
				if (!strcmp(word, "SKIP"))
					t->status = KSER_KTAP_SKIP;
				d = sp;
			} else {
				free(word);
			}
		}
		t->diagnostic = dup_trim(d, (size_t)(end - d));
		if (t->diagnostic && !*t->diagnostic) {
			free(t->diagnostic);
			t->diagnostic = NULL;
		}
	}
	return t->name != NULL;
}

static bool is_crash_line(const char *s, size_t len)
{
	static const char *const marks[] = {
		"Kernel panic", "BUG:", "Oops:", "kernel BUG at",
		"Unable to handle kernel", "general protection fault",
		"Segfault with no mm", "Kernel mode fault",
	};
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(s, len, marks[i], strlen(marks[i])))
			return true;
	return false;
}

/* Counts leaves and marks planned-but-missing children. */
static bool finish(struct kser_ktap_test *t, struct kser_ktap_result *res,
		   bool is_root)
{
	size_t i;
	bool missing = false;

	/*
	 * A plan says how many results to expect; a corrupt one may say
	 * billions. Name the first few missing, count the rest.
	 */
	if (t->planned > t->nchildren) {
		size_t absent = t->planned - t->nchildren, shown = 0;

		while (shown < absent && shown < MAX_MISSING_SHOWN) {
			struct kser_ktap_test *c = add_child(t);

			if (!c)
				return false;
			c->number = (unsigned int)t->nchildren;
			c->status = KSER_KTAP_MISSING;
			c->name = strdup("(no result)");
			shown++;
		}
		if (!is_root)
			res->missing += absent - shown;
		t->planned = t->nchildren;
		missing = true;
	}
	if (missing && !is_root && t->status == KSER_KTAP_PASS)
		t->status = KSER_KTAP_FAIL;
	for (i = 0; i < t->nchildren; i++) {
		struct kser_ktap_test *c = &t->children[i];

		if (c->nchildren || c->planned) {
			if (!finish(c, res, false))
				return false;
			continue;
		}
		if (is_root)
			continue;	/* a suite with no cases */
		switch (c->status) {
		case KSER_KTAP_PASS:
			res->passed++;
			break;
		case KSER_KTAP_FAIL:
			res->failed++;
			break;
		case KSER_KTAP_SKIP:
			res->skipped++;
			break;
		default:
			res->missing++;
			break;
		}
	}
	return true;
}

const struct kser_error *kser_ktap_parse(struct kser_ktap_result *out,
					 const char *text, size_t len)
{
	struct level stack[MAX_DEPTH];
	struct kser_ktap_test *pending = NULL;	/* a just-closed level */
	size_t depth = 0, pos = 0, prefix = 0, i;
	const struct kser_error *err = NULL;

	memset(out, 0, sizeof(*out));
	memset(stack, 0, sizeof(stack));
	while (pos < len) {
		const char *line = text + pos, *nl, *s;
		size_t n, indent;

		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;

		if (is_crash_line(line, n) && out->found && !out->crashed) {
			out->crashed = true;
			out->crash_line = dup_trim(line, n);
		}
		if (!out->found) {
			const char *v = find_version(line, n);

			if (!v)
				continue;
			/* Whatever precedes the first version line (a log
			 * timestamp) precedes every line. */
			prefix = (size_t)(v - line);
			out->found = true;
			stack[0].test = &out->root;
			stack[0].indent = 0;
			depth = 1;
			continue;
		}
		if (n < prefix)
			continue;
		s = line + prefix;
		n -= prefix;
		indent = 0;
		while (indent < n && s[indent] == ' ')
			indent++;
		s += indent;
		n -= indent;

		if (is_version(s, n)) {
			if (depth >= MAX_DEPTH)
				continue;
			/* A nested level, for the test whose result will
			 * follow at the parent's indentation. */
			stack[depth].test = calloc(1, sizeof(*stack[depth].test));
			if (!stack[depth].test) {
				err = kser_error_nomem();
				goto done;
			}
			stack[depth].indent = indent;
			stack[depth].subtest_name = NULL;
			kser_buf_init(&stack[depth].log);
			depth++;
			continue;
		}
		if (n > 11 && !strncmp(s, "# Subtest: ", 11) && depth > 1) {
			free(stack[depth - 1].subtest_name);
			stack[depth - 1].subtest_name = dup_trim(s + 11, n - 11);
			continue;
		}
		if (n >= 3 && !strncmp(s, "1..", 3)) {
			stack[depth - 1].test->planned =
				(size_t)strtoul(s + 3, NULL, 10);
			continue;
		}
		{
			struct kser_ktap_test tmp = { 0 }, *t;

			if (!parse_result(s, n, &tmp)) {
				struct kser_buf *log = &stack[depth - 1].log;
				size_t base = stack[depth - 1].indent, k;

				test_release(&tmp);
				if (log->len + n + indent < MAX_LOG) {
					/* Deeper lines keep their depth. */
					for (k = base; k < indent; k++)
						kser_buf_putc(log, ' ');
					kser_buf_put(log, s, n);
					kser_buf_putc(log, '\n');
				}
				continue;
			}
			/* Close the levels this result is outside of. */
			while (depth > 1 && stack[depth - 1].indent > indent) {
				struct level *l = &stack[depth - 1];

				if (pending) {
					test_release(pending);
					free(pending);
				}
				pending = l->test;
				free(l->subtest_name);
				kser_buf_release(&l->log);
				depth--;
			}
			t = add_child(stack[depth - 1].test);
			if (!t) {
				test_release(&tmp);
				err = kser_error_nomem();
				goto done;
			}
			*t = tmp;
			if (stack[depth - 1].log.len) {
				t->log = kser_buf_detach(&stack[depth - 1].log);
				if (!t->log) {
					err = kser_error_nomem();
					goto done;
				}
			}
			kser_buf_clear(&stack[depth - 1].log);
			if (pending) {
				t->children = pending->children;
				t->nchildren = pending->nchildren;
				t->alloc = pending->alloc;
				t->planned = pending->planned;
				pending->children = NULL;
				pending->nchildren = 0;
				test_release(pending);
				free(pending);
				pending = NULL;
			}
		}
	}
	if (!out->found)
		goto done;
	/* Levels still open: the kernel stopped in the middle of them. */
	while (depth > 1) {
		struct level *l = &stack[depth - 1];
		struct kser_ktap_test *t = add_child(stack[depth - 2].test);

		if (!t) {
			err = kser_error_nomem();
			goto done;
		}
		t->name = l->subtest_name ? l->subtest_name :
			  strdup("(unfinished)");
		l->subtest_name = NULL;
		t->status = KSER_KTAP_FAIL;
		t->number = (unsigned int)stack[depth - 2].test->nchildren;
		t->children = l->test->children;
		t->nchildren = l->test->nchildren;
		t->alloc = l->test->alloc;
		t->planned = l->test->planned ? l->test->planned :
			     l->test->nchildren + 1;
		free(l->test);
		kser_buf_release(&l->log);
		depth--;
		out->crashed = true;
		if (!out->crash_line)
			out->crash_line = strdup("the test run stopped in the "
						 "middle of a suite");
	}
	if (!finish(&out->root, out, true)) {
		err = kser_error_nomem();
		goto done;
	}
	/* Planned and never reported: the kernel died before them. */
	for (i = 0; i < out->root.nchildren; i++)
		if (out->root.children[i].status == KSER_KTAP_MISSING)
			out->crashed = true;
	if (out->missing)
		out->crashed = true;
	if (out->crashed && !out->crash_line)
		out->crash_line = strdup("planned tests never reported");
done:
	if (pending) {
		test_release(pending);
		free(pending);
	}
	kser_buf_release(&stack[0].log);
	while (depth > 1) {
		struct level *l = &stack[--depth];

		free(l->subtest_name);
		kser_buf_release(&l->log);
		if (l->test) {
			test_release(l->test);
			free(l->test);
		}
	}
	if (err)
		kser_ktap_result_release(out);
	return err;
}
