// SPDX-License-Identifier: GPL-2.0
/*
 * The patch parser. It reads what `git apply` reads, with the same rules
 * about where a patch starts and ends, so that kser and git agree on every
 * input: git's extended headers are handled by a table of prefix parsers,
 * the way libgit2's patch_parse.c does it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/util.h"

struct parser {
	const char *text;
	size_t len;
	size_t pos;		/* start of the current line */
	size_t lineno;		/* 1-based number of the current line */
	int strip;
	/* The current line. */
	const char *line;
	size_t line_len;	/* including the newline, if any */
};

static bool parser_line(struct parser *p)
{
	const char *nl;

	if (p->pos >= p->len)
		return false;
	p->line = p->text + p->pos;
	nl = memchr(p->line, '\n', p->len - p->pos);
	p->line_len = nl ? (size_t)(nl - p->line) + 1 : p->len - p->pos;
	return true;
}

static void parser_next(struct parser *p)
{
	p->pos += p->line_len;
	p->lineno++;
}

/* The line after the current one, without moving. */
static bool peek_line(const struct parser *p, size_t skip, const char **line,
		      size_t *len)
{
	size_t pos = p->pos;
	const char *nl;

	while (1) {
		if (pos >= p->len)
			return false;
		nl = memchr(p->text + pos, '\n', p->len - pos);
		*line = p->text + pos;
		*len = nl ? (size_t)(nl - *line) + 1 : p->len - pos;
		if (!skip--)
			return true;
		pos += *len;
	}
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* Length without the trailing newline (and a CR before it). */
static size_t chomp_len(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n')
		len--;
	return len;
}

static const struct kser_error *parse_error(const struct parser *p,
					    const char *what)
{
	return kser_error_fmt(KSER_ERR_BAD_INPUT,
			      "corrupt patch at line %zu: %s", p->lineno,
			      what);
}

long kser_unquote_c(const char *in, size_t len, char *out, size_t *consumed)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char c = in[i++];

		if (c == '"') {
			*consumed = i;
			return (long)o;
		}
		if (c == '\n')
			return -1;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (i >= len)
			return -1;
		c = in[i++];
		switch (c) {
		case 'a': out[o++] = '\a'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'v': out[o++] = '\v'; break;
		case '"':
		case '\\':
			out[o++] = c;
			break;
		case '0': case '1': case '2': case '3': {
			unsigned int v = (unsigned int)(c - '0');
			int k;

			for (k = 0; k < 2; k++) {
				if (i >= len || in[i] < '0' || in[i] > '7')
					return -1;
				v = v * 8 + (unsigned int)(in[i++] - '0');
			}
			out[o++] = (char)v;
			break;
		}
		default:
			return -1;
		}
	}
	return -1;
}

/* Drops `strip` leading components; NULL if the name has too few. */
static char *strip_components(const char *name, size_t len, int strip)
{
	const char *p = name, *end = name + len;

	while (strip-- > 0) {
		const char *slash = memchr(p, '/', (size_t)(end - p));

		if (!slash)
			return NULL;
		p = slash + 1;
		while (p < end && *p == '/')
			p++;
	}
	if (p == end)
		return NULL;
	return strndup(p, (size_t)(end - p));
}

/*
 * A name as written after "--- ", "+++ ", "rename from " and the like:
 * quoted, or running to a tab (a timestamp follows) or the end of line.
 * Returns NULL and sets *dev_null for /dev/null.
 */
static const struct kser_error *parse_name(const struct parser *p,
					   const char *s, size_t len, int strip,
					   char **out, bool *dev_null)
{
	char *buf = NULL;
	size_t n;

	*out = NULL;
	if (dev_null)
		*dev_null = false;
	len = chomp_len(s, len);
	if (len && *s == '"') {
		size_t used;
		long r;

		buf = malloc(len);
		if (!buf)
			return kser_error_nomem();
		r = kser_unquote_c(s + 1, len - 1, buf, &used);
		if (r < 0) {
			free(buf);
			return parse_error(p, "bad quoted file name");
		}
		n = (size_t)r;
	} else {
		const char *tab = memchr(s, '\t', len);
		size_t rest = tab ? len - (size_t)(tab - s) : 0;

		n = tab ? (size_t)(tab - s) : len;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
			n--;
		buf = malloc(n + 1);
		if (!buf)
			return kser_error_nomem();
		memcpy(buf, s, n);
		buf[n] = '\0';
		/* GNU diff -N marks a missing side with the epoch. */
		if (dev_null && tab &&
		    (memmem(tab, rest, "1970-01-01 00:00:00", 19) ||
		     memmem(tab, rest, "1969-12-31 ", 11)) &&
		    memmem(tab, rest, "00:00:00", 8)) {
			*dev_null = true;
			free(buf);
			return NULL;
		}
	}
	if (memchr(buf, '\0', n)) {
		free(buf);
		return parse_error(p, "file name contains a NUL byte");
	}
	if (n == 9 && !memcmp(buf, "/dev/null", 9)) {
		free(buf);
		if (dev_null)
			*dev_null = true;
		return NULL;
	}
	*out = strip_components(buf, n, strip);
	free(buf);
	if (!*out)
		return parse_error(p, "file name has too few components");
	return NULL;
}

/*
 * "diff --git a/x b/x": without quotes and renames the two names are the
 * same, which is how git finds the split when names contain spaces.
 */
static const struct kser_error *parse_git_names(const struct parser *p,
						const char *s, size_t len,
						struct kser_file_patch *fp)
{
	const struct kser_error *err;
	size_t i;

	len = chomp_len(s, len);
	/* git finds no file name in such a line either. */
	if (memchr(s, '\0', len))
		return parse_error(p, "'diff --git' line contains a NUL byte");
	if (len && *s == '"') {
		char *buf = malloc(len);
		size_t used;
		long r;
		char *first;

		if (!buf)
			return kser_error_nomem();
		r = kser_unquote_c(s + 1, len - 1, buf, &used);
		if (r < 0) {
			free(buf);
			return parse_error(p, "bad quoted name in diff --git");
		}
		first = strip_components(buf, (size_t)r, p->strip);
		free(buf);
		s += used + 1;
		len -= used + 1;
		while (len && *s == ' ') {
			s++;
			len--;
		}
		err = parse_name(p, s, len, p->strip, &fp->new_path, NULL);
		if (err) {
			free(first);
			return err;
		}
		fp->old_path = first;
		return NULL;
	}
	/* Find the split where both halves name the same file. */
	for (i = 0; i < len; i++) {
		char *a, *b;

		if (s[i] != ' ')
			continue;
		a = strip_components(s, i, p->strip);
		if (i + 1 < len && s[i + 1] == '"') {
			err = parse_name(p, s + i + 1, len - i - 1, p->strip,
					 &b, NULL);
			if (err) {
				free(a);
				return err;
			}
		} else {
			b = strip_components(s + i + 1, len - i - 1, p->strip);
		}
		if (a && b && !strcmp(a, b)) {
			fp->old_path = a;
			fp->new_path = b;
			return NULL;
		}
		free(a);
		free(b);
	}
	/* A rename or copy: the extended headers will name the files. */
	return NULL;
}

static const struct kser_error *parse_mode(const struct parser *p,
					   const char *s, size_t len,
					   uint32_t *mode)
{
	unsigned long v = 0;
	size_t i;

	len = chomp_len(s, len);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	/* Octal digits and nothing else: a NUL is no end here. */
	if (!len || len > 7)
		return parse_error(p, "bad file mode");
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return parse_error(p, "bad file mode");
		v = v * 8 + (unsigned long)(s[i] - '0');
	}
	if (v != 0100644 && v != 0100755 && v != 0120000 && v != 0160000 &&
	    v != 0100664)
		return parse_error(p, "bad file mode");
	/* Old git wrote 100664 for group-writable files. */
	*mode = v == 0100664 ? 0100644 : (uint32_t)v;
	return NULL;
}

/* --- git extended headers ---------------------------------------------- */

typedef const struct kser_error *(*header_fn)(struct parser *p,
					      struct kser_file_patch *fp,
					      const char *arg, size_t len);

/*
 * "--- a/x" or "+++ b/x": /dev/null makes the file new (or deleted);
 * otherwise the name, unless rename or copy headers have given it.
 */
static const struct kser_error *hdr_name(struct parser *p,
					 struct kser_file_patch *fp,
					 const char *arg, size_t len, bool old)
{
	const struct kser_error *err;
	char **slot = old ? &fp->old_path : &fp->new_path;
	bool dev_null;
	char *name;

	err = parse_name(p, arg, len, p->strip, &name, &dev_null);
	if (err)
		return err;
	if (dev_null) {
		if (old)
			fp->is_new = true;
		else
			fp->is_delete = true;
		free(*slot);
		*slot = NULL;
	} else if (!fp->is_rename && !fp->is_copy) {
		free(*slot);
		*slot = name;
		name = NULL;
	}
	free(name);
	return NULL;
}

static const struct kser_error *hdr_old_name(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return hdr_name(p, fp, arg, len, true);
}

static const struct kser_error *hdr_new_name(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return hdr_name(p, fp, arg, len, false);
}

static const struct kser_error *hdr_old_mode(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return parse_mode(p, arg, len, &fp->old_mode);
}

static const struct kser_error *hdr_new_mode(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return parse_mode(p, arg, len, &fp->new_mode);
}

static const struct kser_error *hdr_deleted(struct parser *p,
					    struct kser_file_patch *fp,
					    const char *arg, size_t len)
{
	fp->is_delete = true;
	free(fp->new_path);
	fp->new_path = NULL;
	return parse_mode(p, arg, len, &fp->old_mode);
}

static const struct kser_error *hdr_created(struct parser *p,
					    struct kser_file_patch *fp,
					    const char *arg, size_t len)
{
	fp->is_new = true;
	free(fp->old_path);
	fp->old_path = NULL;
	return parse_mode(p, arg, len, &fp->new_mode);
}

static const struct kser_error *set_other_name(struct parser *p, char **slot,
					       const char *arg, size_t len)
{
	free(*slot);
	/* rename/copy names carry no a/ b/ prefix. */
	return parse_name(p, arg, len, 0, slot, NULL);
}

static const struct kser_error *hdr_copy_from(struct parser *p,
					      struct kser_file_patch *fp,
					      const char *arg, size_t len)
{
	fp->is_copy = true;
	return set_other_name(p, &fp->old_path, arg, len);
}

static const struct kser_error *hdr_copy_to(struct parser *p,
					    struct kser_file_patch *fp,
					    const char *arg, size_t len)
{
	fp->is_copy = true;
	return set_other_name(p, &fp->new_path, arg, len);
}

static const struct kser_error *hdr_rename_from(struct parser *p,
						struct kser_file_patch *fp,
						const char *arg, size_t len)
{
	fp->is_rename = true;
	return set_other_name(p, &fp->old_path, arg, len);
}

static const struct kser_error *hdr_rename_to(struct parser *p,
					      struct kser_file_patch *fp,
					      const char *arg, size_t len)
{
	fp->is_rename = true;
	return set_other_name(p, &fp->new_path, arg, len);
}

static const struct kser_error *hdr_ignore(struct parser *p,
					   struct kser_file_patch *fp,
					   const char *arg, size_t len)
{
	(void)p;
	(void)fp;
	(void)arg;
	(void)len;
	return NULL;
}

static const struct kser_error *hdr_index(struct parser *p,
					  struct kser_file_patch *fp,
					  const char *arg, size_t len)
{
	const char *dots, *end;
	size_t a, b;

	len = chomp_len(arg, len);
	dots = memmem(arg, len, "..", 2);
	if (!dots)
		return parse_error(p, "bad index line");
	a = (size_t)(dots - arg);
	end = dots + 2;
	b = 0;
	while (end + b < arg + len && isxdigit((unsigned char)end[b]))
		b++;
	if (a > 40 || b > 40 || !a || !b)
		return parse_error(p, "bad index line");
	memcpy(fp->old_id, arg, a);
	fp->old_id[a] = '\0';
	memcpy(fp->new_id, end, b);
	fp->new_id[b] = '\0';
	end += b;
	if (end < arg + len && *end == ' ') {
		const struct kser_error *err;
		uint32_t mode;

		err = parse_mode(p, end + 1, (size_t)(arg + len - end - 1),
				 &mode);
		if (err)
			return err;
		if (!fp->old_mode)
			fp->old_mode = mode;
		if (!fp->new_mode)
			fp->new_mode = mode;
	}
	return NULL;
}

static const struct {
	const char *prefix;
	header_fn fn;
} git_headers[] = {
	{ "--- ", hdr_old_name },
	{ "+++ ", hdr_new_name },
	{ "old mode ", hdr_old_mode },
	{ "new mode ", hdr_new_mode },
	{ "deleted file mode ", hdr_deleted },
	{ "new file mode ", hdr_created },
	{ "copy from ", hdr_copy_from },
	{ "copy to ", hdr_copy_to },
	{ "rename old ", hdr_rename_from },
	{ "rename new ", hdr_rename_to },
	{ "rename from ", hdr_rename_from },
	{ "rename to ", hdr_rename_to },
	{ "similarity index ", hdr_ignore },
	{ "dissimilarity index ", hdr_ignore },
	{ "index ", hdr_index },
};

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

static bool parse_hunk_header(const char *s, size_t len, struct kser_hunk *h)
{
	const char *end = s + len, *q = s;

	if (!starts_with(s, len, "@@ -"))
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
	h->header_len = chomp_len(p->line, p->line_len);
	h->lineno = p->lineno;
	oldn = h->old_count;
	newn = h->new_count;
	parser_next(p);

	while (oldn || newn) {
		struct kser_hunk_line *l;
		char c;

		if (!parser_line(p))
			return parse_error(p, "hunk ends early");
		if (p->line[p->line_len - 1] != '\n')
			return parse_error(p, "hunk line without newline");
		c = p->line[0];
		if (c == '\\') {
			if (p->line_len < 12 || p->line[1] != ' ' ||
			    !h->nlines)
				return parse_error(p, "bad '\\' line");
			h->lines[h->nlines - 1].noeol = true;
			parser_next(p);
			continue;
		}
		if (c != ' ' && c != '-' && c != '+' && c != '\n')
			return parse_error(p, "bad hunk line");
		if (c == '\n')
			c = ' ';	/* an empty context line */
		if (c != '+') {
			if (!oldn)
				return parse_error(p, "hunk has too many "
						   "old lines");
			oldn--;
		}
		if (c != '-') {
			if (!newn)
				return parse_error(p, "hunk has too many "
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
		parser_next(p);
	}
	/* As git apply: "@@ -0,0 +0,0 @@" and context alone are corrupt. */
	if (!seen_change)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "corrupt patch at line %zu: hunk changes "
				      "nothing", h->lineno);
	/* The marker for the last line comes after the counts run out. */
	if (parser_line(p) && p->line_len > 12 && p->line[0] == '\\' &&
	    p->line[1] == ' ') {
		h->lines[h->nlines - 1].noeol = true;
		parser_next(p);
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

static const struct kser_error *parse_hunks(struct parser *p,
					    struct kser_file_patch *fp)
{
	const struct kser_error *err;
	size_t alloc = fp->nhunks;

	while (parser_line(p)) {
		struct kser_hunk *h = NULL;
		struct kser_hunk tmp = { 0 };

		if (!parse_hunk_header(p->line, p->line_len, &tmp)) {
			/* git: what begins a hunk header must be one. */
			if (starts_with(p->line, p->line_len, "@@ -"))
				return parse_error(p, "bad hunk header");
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

/* --- binary ------------------------------------------------------------ */

static int b85_value(unsigned char c)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
	const char *q = c ? strchr(alphabet, c) : NULL;

	return q ? (int)(q - alphabet) : -1;
}

/* One "zcmV-y..." line: a length letter, then 5 chars per 4 bytes. */
static bool decode_b85_line(const char *s, size_t len, struct kser_buf *out)
{
	size_t n, i;

	if (!len)
		return false;
	if (*s >= 'A' && *s <= 'Z')
		n = (size_t)(*s - 'A') + 1;
	else if (*s >= 'a' && *s <= 'z')
		n = (size_t)(*s - 'a') + 27;
	else
		return false;
	s++;
	len--;
	if (len != (n + 3) / 4 * 5)
		return false;
	for (i = 0; i < len; i += 5) {
		uint32_t acc = 0;
		unsigned char bytes[4];
		size_t k, take;

		for (k = 0; k < 5; k++) {
			int v = b85_value((unsigned char)s[i + k]);

			if (v < 0)
				return false;
			if (acc > (0xffffffffu - (uint32_t)v) / 85)
				return false;
			acc = acc * 85 + (uint32_t)v;
		}
		bytes[0] = acc >> 24;
		bytes[1] = acc >> 16;
		bytes[2] = acc >> 8;
		bytes[3] = acc;
		take = n < 4 ? n : 4;
		kser_buf_put(out, bytes, take);
		n -= take;
	}
	return true;
}

static const struct kser_error *parse_binary_side(struct parser *p,
						  struct kser_binary *bin)
{
	struct kser_buf data = KSER_BUF_INIT;
	const char *s;
	size_t len, n = 0, digits = 0;

	if (!parser_line(p))
		return parse_error(p, "binary patch ends early");
	s = p->line;
	len = chomp_len(p->line, p->line_len);
	if (starts_with(s, len, "literal ")) {
		bin->kind = KSER_BINARY_LITERAL;
		s += 8;
	} else if (starts_with(s, len, "delta ")) {
		bin->kind = KSER_BINARY_DELTA;
		s += 6;
	} else {
		return parse_error(p, "expected 'literal' or 'delta'");
	}
	/* Digits within the line; what follows them is ignored, as in git. */
	while (s + digits < p->line + len && s[digits] >= '0' &&
	       s[digits] <= '9') {
		if (n > (SIZE_MAX - 9) / 10)
			return parse_error(p, "bad binary size");
		n = n * 10 + (size_t)(s[digits++] - '0');
	}
	if (!digits)
		return parse_error(p, "bad binary size");
	bin->inflated_len = n;
	parser_next(p);
	while (parser_line(p)) {
		len = chomp_len(p->line, p->line_len);
		if (len && p->line[len - 1] == '\r')
			len--;
		if (!len) {
			parser_next(p);
			break;
		}
		if (!decode_b85_line(p->line, len, &data)) {
			kser_buf_release(&data);
			return parse_error(p, "bad base85 line in binary "
					   "patch");
		}
		parser_next(p);
	}
	if (kser_buf_check(&data))
		return kser_error_nomem();
	bin->len = data.len;
	bin->data = (unsigned char *)kser_buf_detach(&data);
	if (!bin->data)
		return kser_error_nomem();
	return NULL;
}

static const struct kser_error *parse_binary(struct parser *p,
					     struct kser_file_patch *fp)
{
	const struct kser_error *err;

	fp->is_binary = true;
	parser_next(p);		/* "GIT binary patch" */
	err = parse_binary_side(p, &fp->forward);
	if (err)
		return err;
	if (parser_line(p) &&
	    (starts_with(p->line, p->line_len, "literal ") ||
	     starts_with(p->line, p->line_len, "delta ")))
		return parse_binary_side(p, &fp->reverse);
	return NULL;
}

/* --- file patches ------------------------------------------------------ */

static void file_patch_release(struct kser_file_patch *fp)
{
	size_t i;

	free(fp->old_path);
	free(fp->new_path);
	for (i = 0; i < fp->nhunks; i++)
		free(fp->hunks[i].lines);
	free(fp->hunks);
	free(fp->forward.data);
	free(fp->reverse.data);
}

static const struct kser_error *parse_git_patch(struct parser *p,
						struct kser_file_patch *fp)
{
	const struct kser_error *err;
	size_t i;

	fp->lineno = p->lineno;
	err = parse_git_names(p, p->line + 11, p->line_len - 11, fp);
	if (err)
		return err;
	parser_next(p);
	while (parser_line(p)) {
		const char *s = p->line;
		size_t len = p->line_len;
		bool matched = false;

		for (i = 0; i < sizeof(git_headers) / sizeof(git_headers[0]);
		     i++) {
			size_t n = strlen(git_headers[i].prefix);

			if (!starts_with(s, len, git_headers[i].prefix))
				continue;
			err = git_headers[i].fn(p, fp, s + n, len - n);
			if (err)
				return err;
			matched = true;
			break;
		}
		if (!matched)
			break;
		parser_next(p);
	}
	if (parser_line(p)) {
		size_t len = chomp_len(p->line, p->line_len);

		if (starts_with(p->line, len, "GIT binary patch")) {
			err = parse_binary(p, fp);
			if (err)
				return err;
		} else if (starts_with(p->line, len, "Binary files ") &&
			   len > 7 && !memcmp(p->line + len - 7, " differ", 7)) {
			fp->is_binary = true;
			fp->binary_without_data = true;
			parser_next(p);
		} else {
			err = parse_hunks(p, fp);
			if (err)
				return err;
		}
	}
	if (!fp->old_path && !fp->is_new)
		return parse_error(p, "git diff header lacks the old file "
				   "name");
	if (!fp->new_path && !fp->is_delete)
		return parse_error(p, "git diff header lacks the new file "
				   "name");
	return NULL;
}

/* "--- a\n+++ b\n@@ -..." starts a patch that has no git header. */
static bool traditional_start(const struct parser *p)
{
	const char *l2, *l3;
	size_t n2, n3;
	struct kser_hunk h;

	if (!starts_with(p->line, p->line_len, "--- "))
		return false;
	if (!peek_line(p, 1, &l2, &n2) || !starts_with(l2, n2, "+++ "))
		return false;
	return peek_line(p, 2, &l3, &n3) && parse_hunk_header(l3, n3, &h);
}

static const struct kser_error *parse_traditional(struct parser *p,
						  struct kser_file_patch *fp)
{
	const struct kser_error *err;
	char *oldn = NULL, *newn = NULL;
	bool old_null, new_null;

	fp->lineno = p->lineno;
	err = parse_name(p, p->line + 4, p->line_len - 4, p->strip, &oldn,
			 &old_null);
	if (err)
		return err;
	parser_next(p);
	parser_line(p);
	err = parse_name(p, p->line + 4, p->line_len - 4, p->strip, &newn,
			 &new_null);
	if (err) {
		free(oldn);
		return err;
	}
	parser_next(p);
	if (old_null && new_null) {
		free(oldn);
		free(newn);
		return parse_error(p, "both sides are /dev/null");
	}
	if (old_null) {
		fp->is_new = true;
		fp->new_path = newn;
		free(oldn);
	} else if (new_null) {
		fp->is_delete = true;
		fp->old_path = oldn;
		free(newn);
	} else {
		/* Without a git header, the new name names the file. */
		fp->old_path = newn;
		fp->new_path = strdup(newn);
		free(oldn);
		if (!fp->new_path)
			return kser_error_nomem();
	}
	return parse_hunks(p, fp);
}

static const struct kser_error *add_file(struct kser_patch *patch,
					 size_t *alloc,
					 struct kser_file_patch **out)
{
	const struct kser_error *err;

	err = kser_array_grow((void **)&patch->files, alloc, patch->nfiles,
			      sizeof(*patch->files), 4);
	if (err)
		return err;
	*out = &patch->files[patch->nfiles++];
	memset(*out, 0, sizeof(**out));
	return NULL;
}

const struct kser_error *kser_patch_parse(struct kser_patch **out,
					  const char *text, size_t len,
					  int strip)
{
	const struct kser_error *err = NULL;
	struct kser_patch *patch;
	struct parser p = { 0 };
	size_t files_alloc = 0;

	*out = NULL;
	patch = calloc(1, sizeof(*patch));
	if (!patch)
		return kser_error_nomem();
	patch->text = malloc(len + 1);
	if (!patch->text) {
		free(patch);
		return kser_error_nomem();
	}
	memcpy(patch->text, text, len);
	patch->text[len] = '\0';
	patch->len = len;

	p.text = patch->text;
	p.len = len;
	p.lineno = 1;
	p.strip = strip;
	while (parser_line(&p)) {
		struct kser_file_patch *fp;

		if (starts_with(p.line, p.line_len, "diff --git ")) {
			err = add_file(patch, &files_alloc, &fp);
			if (!err)
				err = parse_git_patch(&p, fp);
		} else if (traditional_start(&p)) {
			err = add_file(patch, &files_alloc, &fp);
			if (!err)
				err = parse_traditional(&p, fp);
		} else {
			struct kser_hunk h;

			/* A hunk with no file header: git calls that corrupt. */
			if (parse_hunk_header(p.line, p.line_len, &h)) {
				err = parse_error(&p, "hunk without a file "
						  "header");
				break;
			}
			parser_next(&p);
			continue;
		}
		if (err)
			break;
		if (!fp->nhunks && !fp->is_binary && !fp->is_new &&
		    !fp->is_delete && !fp->is_rename && !fp->is_copy &&
		    !(fp->old_mode && fp->new_mode &&
		      fp->old_mode != fp->new_mode)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "corrupt patch at line %zu: "
					     "patch for '%s' changes nothing",
					     fp->lineno,
					     kser_file_patch_path(fp));
			break;
		}
	}
	if (!err && !patch->nfiles)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "no valid patches in input");
	if (err) {
		kser_patch_free(patch);
		return err;
	}
	*out = patch;
	return NULL;
}

void kser_patch_free(struct kser_patch *patch)
{
	size_t i;

	if (!patch)
		return;
	for (i = 0; i < patch->nfiles; i++)
		file_patch_release(&patch->files[i]);
	free(patch->files);
	free(patch->text);
	free(patch);
}

const char *kser_file_patch_path(const struct kser_file_patch *fp)
{
	if (fp->new_path)
		return fp->new_path;
	return fp->old_path ? fp->old_path : "(unknown)";
}
