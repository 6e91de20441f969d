// SPDX-License-Identifier: GPL-2.0
/*
 * The hunks of a file patch: "@@ -a,b +c,d @@" headers and the lines
 * they count, with git apply's rules on what is corrupt. Uses the
 * parser's lines (patch.c) and core.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

/* --- hunks ------------------------------------------------------------- */

static bool parse_range(const char **s, const char *end, size_t *start,
			size_t *count)
{
	const char *q = *s;
	size_t v = 0;

	if (q >= end || !isdigit((unsigned char)*q))
		return false;
	while (q < end && isdigit((unsigned char)*q)) {
		if (v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*q++ - '0');
	}
	*start = v;
	*count = 1;
	if (q < end && *q == ',') {
		q++;
		if (q >= end || !isdigit((unsigned char)*q))
			return false;
		v = 0;
		while (q < end && isdigit((unsigned char)*q)) {
			if (v > (SIZE_MAX - 9) / 10)
				return false;
			v = v * 10 + (size_t)(*q++ - '0');
		}
		*count = v;
	}
	*s = q;
	return true;
}

bool patch_parse_hunk_header(const char *s, size_t len, struct kser_hunk *h)
{
	const char *end = s + len, *q = s;

	if (!patch_starts_with(s, len, "@@ -"))
		return false;
	q += 4;
	if (!parse_range(&q, end, &h->old_start, &h->old_count))
		return false;
	if (q + 2 > end || q[0] != ' ' || q[1] != '+')
		return false;
	q += 2;
	if (!parse_range(&q, end, &h->new_start, &h->new_count))
		return false;
	return q + 3 <= end && !memcmp(q, " @@", 3);
}

static const struct kser_error *parse_hunk(struct parser *p,
					   struct kser_hunk *h)
{
	size_t oldn, newn, alloc = 0;
	bool seen_change = false;

	h->header = p->line;
	h->header_len = patch_chomp_len(p->line, p->line_len);
	h->lineno = p->lineno;
	oldn = h->old_count;
	newn = h->new_count;
	patch_parser_next(p);

	while (oldn || newn) {
		struct kser_hunk_line *l;
		char c;

		if (!patch_parser_line(p))
			return patch_parse_error(p, "hunk ends early");
		if (p->line[p->line_len - 1] != '\n')
			return patch_parse_error(p, "hunk line without newline");
		c = p->line[0];
		if (c == '\\') {
			if (p->line_len < 12 || p->line[1] != ' ' ||
			    !h->nlines)
				return patch_parse_error(p, "bad '\\' line");
			h->lines[h->nlines - 1].noeol = true;
			patch_parser_next(p);
			continue;
		}
		if (c != ' ' && c != '-' && c != '+' && c != '\n')
			return patch_parse_error(p, "bad hunk line");
		if (c == '\n')
			c = ' ';	/* an empty context line */
		if (c != '+') {
			if (!oldn)
				return patch_parse_error(p, "hunk has too many "
						   "old lines");
			oldn--;
		}
		if (c != '-') {
			if (!newn)
				return patch_parse_error(p, "hunk has too many "
						   "new lines");
			newn--;
		}
		if (kser_array_grow((void **)&h->lines, &alloc, h->nlines,
				    sizeof(*h->lines), 16))
			return kser_error_nomem();
		l = &h->lines[h->nlines++];
		l->type = c;
		l->noeol = false;
		l->text = p->line + (p->line[0] == '\n' ? 0 : 1);
		l->len = p->line[0] == '\n' ? 0 : p->line_len - 2;
		if (c == ' ') {
			if (seen_change)
				h->trailing++;
			else
				h->leading++;
		} else {
			seen_change = true;
			h->trailing = 0;
		}
		patch_parser_next(p);
	}
	/* As git apply: "@@ -0,0 +0,0 @@" and context alone are corrupt. */
	if (!seen_change)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "corrupt patch at line %zu: hunk changes "
				      "nothing", h->lineno);
	/* The marker for the last line comes after the counts run out. */
	if (patch_parser_line(p) && p->line_len > 12 && p->line[0] == '\\' &&
	    p->line[1] == ' ') {
		h->lines[h->nlines - 1].noeol = true;
		patch_parser_next(p);
	}
	return NULL;
}

static const struct kser_error *add_hunk(struct kser_file_patch *fp,
					 size_t *alloc, struct kser_hunk **out)
{
	const struct kser_error *err;

	err = kser_array_grow((void **)&fp->hunks, alloc, fp->nhunks,
			      sizeof(*fp->hunks), 4);
	if (err)
		return err;
	*out = &fp->hunks[fp->nhunks++];
	memset(*out, 0, sizeof(**out));
	return NULL;
}

const struct kser_error *patch_parse_hunks(struct parser *p,
					   struct kser_file_patch *fp)
{
	const struct kser_error *err;
	size_t alloc = fp->nhunks;

	while (patch_parser_line(p)) {
		struct kser_hunk *h = NULL;
		struct kser_hunk tmp = { 0 };

		if (!patch_parse_hunk_header(p->line, p->line_len, &tmp)) {
			/* git: what begins a hunk header must be one. */
			if (patch_starts_with(p->line, p->line_len, "@@ -"))
				return patch_parse_error(p, "bad hunk header");
			break;
		}
		err = add_hunk(fp, &alloc, &h);
		if (err)
			return err;
		*h = tmp;
		err = parse_hunk(p, h);
		if (err)
			return err;
	}
	return NULL;
}
