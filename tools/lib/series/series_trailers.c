// SPDX-License-Identifier: GPL-2.0
/*
 * Trailers: those a reply gives (Reviewed-by and the like, above its
 * signature), and a patch's commit message with them appended to its
 * trailer block. Uses the string sets (series_map.c), the mail layer
 * and core.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/series.h"
#include "kser/util.h"
#include "kser_lib_series.h"

static const char *const collected_trailers[] = {
	"Reviewed-by", "Acked-by", "Tested-by", "Reported-by",
	"Suggested-by",
};

/* "Reviewed-by: A U Thor <a@b>" -> canonical spelling, or NULL. */
static char *trailer_from_line(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(collected_trailers) /
			sizeof(collected_trailers[0]); i++) {
		size_t n = strlen(collected_trailers[i]);
		const char *v, *end = line + len;
		struct kser_buf b = KSER_BUF_INIT;

		if (len <= n + 1 || strncasecmp(line, collected_trailers[i], n) ||
		    line[n] != ':')
			continue;
		v = line + n + 1;
		while (v < end && isspace((unsigned char)*v))
			v++;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		/* A person with an address, or it is not a trailer. */
		if (!memchr(v, '@', (size_t)(end - v)) ||
		    !memchr(v, '<', (size_t)(end - v)) || end[-1] != '>')
			return NULL;
		kser_buf_printf(&b, "%s: %.*s", collected_trailers[i],
				(int)(end - v), v);
		return kser_buf_detach(&b);
	}
	return NULL;
}

/* Adds trailer t to p unless seen (p's trailers, case aside) has it. */
const struct kser_error *series_add_trailer(struct kser_series_patch *p,
					    struct series_map *seen,
					    const char *t)
{
	const struct kser_error *err;
	char *copy;

	if (series_map_get(seen, t, NULL))
		return NULL;
	err = kser_array_grow((void **)&p->trailers, &p->trailers_alloc,
			      p->ntrailers, sizeof(*p->trailers), 4);
	if (err)
		return err;
	copy = strdup(t);
	if (!copy)
		return kser_error_nomem();
	p->trailers[p->ntrailers++] = copy;
	return series_map_put(seen, copy, 0);
}

/* The next line of a text that may hold NUL bytes; false at its end. */
bool series_body_line(const char **p, const char *end, const char **line,
		      size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p += *len + (nl ? 1 : 0);
	return true;
}

/* The trailers a reply gives: unquoted lines above its signature. */
const struct kser_error *series_reply_trailers(const struct kser_mail *mail,
					      char ***out, size_t *n)
{
	const char *p = mail->body, *end = p ? p + mail->body_len : NULL;
	const char *l;
	size_t len, alloc = 0;

	*out = NULL;
	*n = 0;
	while (series_body_line(&p, end, &l, &len)) {
		char *t;

		if (len == 3 && !memcmp(l, "-- ", 3))
			break;
		if (len && *l != '>' && memchr(l, ':', len) &&
		    (t = trailer_from_line(l, len))) {
			if (kser_array_grow((void **)out, &alloc, *n,
					    sizeof(**out), 4)) {
				free(t);
				return kser_error_nomem();
			}
			(*out)[(*n)++] = t;
		}
	}
	return NULL;
}

/*
 * Where a message's trailing comment and blank lines start, as git's
 * ignored_log_message_bytes() finds them: git inserts new trailers
 * before them.
 */
static size_t before_ignored_tail(const char *msg, size_t len)
{
	size_t bol, boc = 0;
	bool in_tail = false;

	for (bol = 0; bol < len;) {
		const char *nl = memchr(msg + bol, '\n', len - bol);
		size_t next = nl ? (size_t)(nl - msg) + 1 : len;

		if (msg[bol] == '#' || msg[bol] == '\n') {
			if (!in_tail)
				boc = bol;
			in_tail = true;
		} else {
			in_tail = false;
		}
		bol = next;
	}
	return in_tail ? boc : len;
}

const struct kser_error *
kser_series_commit_message(struct kser_buf *out,
			   const struct kser_series_patch *p)
{
	const struct kser_error *err;
	struct series_map have = { 0 };
	git_message_trailer_array found = { 0 };
	struct kser_buf tail = KSER_BUF_INIT;
	char *lines, *q;
	size_t i, at;
	bool block;

	err = kser_mail_commit_message(out, p->mail);
	if (err || !p->ntrailers)
		return err;
	/*
	 * Does the message end in a trailer block? libgit2 finds it as git
	 * interpret-trailers does (a port of git's trailer.c): the last
	 * paragraph but the first, all trailers, or a quarter of them when
	 * one is git's own (Signed-off-by, "(cherry picked from commit"),
	 * continuation lines included.
	 */
	if (git_message_trailers(&found, kser_buf_cstr(out)) < 0)
		return kser_error_git("cannot read the trailers of '%s'",
				      p->mail->subject ? p->mail->subject : "");
	block = found.count > 0;
	git_message_trailer_array_free(&found);
	/* The message's lines, to skip trailers that are already there. */
	lines = strdup(kser_buf_cstr(out));
	if (!lines)
		return kser_error_nomem();
	for (q = lines; q && *q;) {
		char *nl = strchr(q, '\n');

		if (nl)
			*nl = '\0';
		err = series_map_put(&have, q, 0);
		if (err)
			goto done;
		q = nl ? nl + 1 : NULL;
	}
	/* New trailers go before the comments git ignores at the end. */
	at = before_ignored_tail(out->ptr, out->len);
	kser_buf_put(&tail, out->ptr + at, out->len - at);
	kser_buf_truncate(out, at);
	if (!block)
		kser_buf_putc(out, '\n');
	for (i = 0; i < p->ntrailers && !err; i++) {
		const char *t = p->trailers[i];

		if (series_map_get(&have, t, NULL))
			continue;
		kser_buf_printf(out, "%s\n", t);
		err = series_map_put(&have, t, 0);
	}
	kser_buf_put(out, tail.ptr, tail.len);
	if (!err)
		err = kser_buf_check(&tail);
	if (!err)
		err = kser_buf_check(out);
done:
	kser_buf_release(&tail);
	series_map_release(&have);
	free(lines);
	return err;
}
