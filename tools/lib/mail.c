// SPDX-License-Identifier: GPL-2.0
/*
 * Mails, the way git mailsplit and git mailinfo read them, so that kser
 * and `git am` make the same commits from the same input. GMime does the
 * MIME decoding; the rules about where the message ends and the patch
 * begins, in-body headers, scissors and subject cleanup are git's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2.h>
#include <gmime/gmime.h>

#include "kser/error.h"
#include "kser/util.h"
#include "kser/mail.h"

static void gmime_init_once(void)
{
	static bool done;

	if (!done) {
		g_mime_init();
		done = true;
	}
}

/* --- mailsplit --------------------------------------------------------- */

static size_t line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl ? (size_t)(nl - s) + 1 : len;
}

/*
 * "From <anything> <date with hh:mm:ss> <year>": the date is what tells an
 * mbox separator from a sentence that starts with "From ".
 */
static bool is_from_line(const char *line, size_t len)
{
	const char *colon, *start = line + 5;
	long year;
	char buf[8];
	size_t n;

	if (len < 20 || memcmp(line, "From ", 5))
		return false;
	for (colon = line + len - 2; colon >= start; colon--)
		if (*colon == ':')
			break;
	if (colon < start || colon - line < 4 || colon + 3 > line + len)
		return false;
	if (!isdigit((unsigned char)colon[-4]) ||
	    !isdigit((unsigned char)colon[-2]) ||
	    !isdigit((unsigned char)colon[-1]) ||
	    !isdigit((unsigned char)colon[1]) ||
	    !isdigit((unsigned char)colon[2]))
		return false;
	/* The year follows the seconds. */
	n = (size_t)(line + len - (colon + 3));
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, colon + 3, n);
	buf[n] = '\0';
	year = strtol(buf, NULL, 10);
	return year > 90;
}

static bool is_header_line(const char *line, size_t len)
{
	size_t i;

	if (len >= 5 && (!memcmp(line, "From ", 5)))
		return true;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			return i > 0;
		if (c < 33 || c > 126)
			return false;
	}
	return false;
}

bool kser_mail_looks_like_mail(const char *text, size_t len)
{
	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	return len && is_header_line(text, line_len(text, len));
}

void kser_raw_mails_release(struct kser_raw_mails *mails)
{
	size_t i;

	for (i = 0; i < mails->n; i++)
		free(mails->v[i].text);
	free(mails->v);
	memset(mails, 0, sizeof(*mails));
}

static const struct kser_error *push_mail(struct kser_raw_mails *out,
					  struct kser_buf *b)
{
	const struct kser_error *err = kser_array_grow(
		(void **)&out->v, &out->alloc, out->n, sizeof(*out->v), 16);

	if (err)
		return err;
	out->v[out->n].len = b->len;
	out->v[out->n].text = kser_buf_detach(b);
	if (!out->v[out->n].text)
		return kser_error_nomem();
	out->n++;
	return NULL;
}

const struct kser_error *kser_mbox_split(struct kser_raw_mails *out,
					 const char *text, size_t len,
					 const struct kser_mail_options *opts)
{
	const struct kser_error *err = NULL;
	struct kser_buf cur = KSER_BUF_INIT;
	bool bare, keep_cr = opts && opts->keep_cr;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len && isspace((unsigned char)text[pos]))
		pos++;
	if (pos == len)
		return NULL;
	bare = !is_from_line(text + pos, line_len(text + pos, len - pos));
	while (pos < len) {
		const char *l = text + pos;
		size_t n = line_len(l, len - pos);

		if (!bare && cur.len && is_from_line(l, n)) {
			err = push_mail(out, &cur);
			if (err)
				goto done;
		}
		if (!keep_cr && n > 1 && l[n - 1] == '\n' && l[n - 2] == '\r') {
			kser_buf_put(&cur, l, n - 2);
			kser_buf_putc(&cur, '\n');
		} else {
			kser_buf_put(&cur, l, n);
		}
		pos += n;
	}
	if (kser_buf_check(&cur)) {
		err = kser_error_nomem();
		goto done;
	}
	if (cur.len)
		err = push_mail(out, &cur);
done:
	kser_buf_release(&cur);
	if (err)
		kser_raw_mails_release(out);
	return err;
}

/* --- small string helpers ---------------------------------------------- */

/* Collapses every run of whitespace into one space and trims the ends. */
static char *cleanup_space(const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	bool space = false;

	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = true;
			continue;
		}
		if (space && b.len)
			kser_buf_putc(&b, ' ');
		space = false;
		kser_buf_putc(&b, *s);
	}
	return kser_buf_detach(&b);
}

/*
 * Drops leading "Re:", ":", whitespace and bracketed groups such as
 * "[PATCH v2 3/7]", as git mailinfo does without -k or -b.
 */
static char *cleanup_subject(const char *s)
{
	size_t len;

	for (;;) {
		if ((s[0] == 'r' || s[0] == 'R') &&
		    (s[1] == 'e' || s[1] == 'E') && s[2] == ':' && s[3]) {
			s += 3;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == ':') {
			s++;
			continue;
		}
		if (*s == '[') {
			const char *close = strchr(s, ']');

			if (!close)
				break;
			s = close + 1;
			continue;
		}
		break;
	}
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

static bool is_crud(unsigned char c)
{
	return c <= 32 || c == '.' || c == ',' || c == ':' || c == ';' ||
	       c == '<' || c == '>' || c == '"' || c == '\\' || c == '\'';
}

char *kser_ident_clean(const char *s)
{
	size_t len;
	struct kser_buf b = KSER_BUF_INIT;

	while (*s && is_crud((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && is_crud((unsigned char)s[len - 1]))
		len--;
	for (; len; len--, s++)
		if (*s != '\n' && *s != '<' && *s != '>')
			kser_buf_putc(&b, *s);
	return kser_buf_detach(&b);
}

/* Removes RFC 5322 quoting: "..." strings and \-escapes, as git does. */
static char *unquote_pairs(const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	bool in_quote = false;
	int comment = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1] && (in_quote || comment)) {
			kser_buf_putc(&b, *++s);
			continue;
		}
		if (!comment && *s == '"') {
			in_quote = !in_quote;
			continue;
		}
		if (!in_quote && *s == '(')
			comment++;
		else if (!in_quote && *s == ')' && comment)
			comment--;
		kser_buf_putc(&b, *s);
	}
	return kser_buf_detach(&b);
}

/*
 * git's reading of a From line: the word around '@' (maybe in <>) is the
 * address, the rest the name; a name that is too short, too long or looks
 * like an address is replaced by the address.
 */
static const struct kser_error *parse_from(const char *from, char **name,
					   char **email)
{
	char *f = unquote_pairs(from), *at, *start, *rest = NULL;
	size_t el, nlen;
	char *n = NULL;

	*name = *email = NULL;
	if (!f)
		return kser_error_nomem();
	at = strchr(f, '@');
	if (!at) {
		/* "John Doe <johndoe>": git's fallback for bogus addresses. */
		char *bra = strchr(f, '<'), *ket = bra ? strchr(bra, '>') : NULL;

		if (ket) {
			*email = strndup(bra + 1, (size_t)(ket - bra - 1));
			*bra = '\0';
			n = cleanup_space(f);
			if (n && (strlen(n) < 3 || strlen(n) > 60 ||
				  strpbrk(n, "@<>"))) {
				free(n);
				n = *email ? strdup(*email) : NULL;
			}
			*name = n;
		} else {
			*name = strdup("");
			*email = strdup("");
		}
		free(f);
		return (*name && *email) ? NULL : kser_error_nomem();
	}
	start = at;
	while (start > f) {
		char c = start[-1];

		if (isspace((unsigned char)c))
			break;
		if (c == '<') {
			start[-1] = ' ';
			break;
		}
		start--;
	}
	el = strcspn(start, " \n\t\r\v\f>");
	*email = strndup(start, el);
	if (start[el])
		el++;
	rest = malloc(strlen(f) + 1);
	if (!rest || !*email)
		goto nomem;
	memcpy(rest, f, (size_t)(start - f));
	strcpy(rest + (start - f), start + el);
	n = cleanup_space(rest);
	if (!n)
		goto nomem;
	nlen = strlen(n);
	if (nlen >= 2 && n[0] == '(' && n[nlen - 1] == ')') {
		memmove(n, n + 1, nlen - 2);
		n[nlen - 2] = '\0';
		nlen -= 2;
	}
	if (nlen < 3 || nlen > 60 || strpbrk(n, "@<>")) {
		free(n);
		n = strdup(*email);
		if (!n)
			goto nomem;
	}
	*name = n;
	free(rest);
	free(f);
	return NULL;
nomem:
	free(rest);
	free(f);
	free(*email);
	*email = NULL;
	return kser_error_nomem();
}

/* "<a@b> <c@d>" -> {"a@b", "c@d"} */
static const struct kser_error *parse_msgids(const char *s, char ***out,
					     size_t *n)
{
	*out = NULL;
	*n = 0;
	while (s && (s = strchr(s, '<'))) {
		const char *close = strchr(s, '>');
		char **v;

		if (!close)
			break;
		v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v)
			return kser_error_nomem();
		*out = v;
		v[*n] = strndup(s + 1, (size_t)(close - s - 1));
		if (!v[*n])
			return kser_error_nomem();
		(*n)++;
		s = close + 1;
	}
	return NULL;
}

static char *msgid_strip(const char *s)
{
	const char *open, *close;

	if (!s)
		return NULL;
	open = strchr(s, '<');
	close = open ? strchr(open, '>') : NULL;
	if (open && close)
		return strndup(open + 1, (size_t)(close - open - 1));
	while (isspace((unsigned char)*s))
		s++;
	return *s ? cleanup_space(s) : NULL;
}

/* --- bodies ------------------------------------------------------------ */

static bool charset_is_utf8(const char *cs)
{
	return !strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8");
}

static const struct kser_error *to_utf8(struct kser_buf *out, const char *data,
					size_t len, const char *charset)
{
	gchar *conv;
	gsize written = 0;

	if (!charset || !*charset || charset_is_utf8(charset)) {
		kser_buf_put(out, data, len);
		return kser_buf_check(out);
	}
	conv = g_convert(data, (gssize)len, "UTF-8", charset, NULL, &written,
			 NULL);
	if (!conv) {
		/* Mislabelled ASCII is common; keep the bytes. */
		if (!strcasecmp(charset, "us-ascii") ||
		    !strcasecmp(charset, "ascii")) {
			kser_buf_put(out, data, len);
			return kser_buf_check(out);
		}
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "cannot convert the mail from %s to "
				      "UTF-8", charset);
	}
	kser_buf_put(out, conv, written);
	g_free(conv);
	return kser_buf_check(out);
}

/* RFC 3676: join soft-broken lines of a format=flowed part. */
static void unflow(struct kser_buf *text, bool delsp)
{
	struct kser_buf out = KSER_BUF_INIT;
	size_t pos = 0;

	while (pos < text->len) {
		const char *l = text->ptr + pos;
		size_t n = line_len(l, text->len - pos), body = n;
		bool soft;

		pos += n;
		if (body && l[body - 1] == '\n')
			body--;
		/* Space-stuffed lines lose their first space. */
		if (body && l[0] == ' ') {
			l++;
			body--;
		}
		soft = body && l[body - 1] == ' ' &&
		       !(body == 3 && !memcmp(l, "-- ", 3));
		if (soft && delsp)
			body--;
		kser_buf_put(&out, l, body);
		if (!soft)
			kser_buf_putc(&out, '\n');
	}
	if (!kser_buf_check(&out)) {
		kser_buf_release(text);
		*text = out;
	} else {
		kser_buf_release(&out);
	}
}

static const struct kser_error *append_part(struct kser_buf *text,
					    GMimeObject *obj)
{
	const struct kser_error *err = NULL;
	GMimeDataWrapper *w;
	GByteArray *bytes;
	GMimeStream *s;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *charset, *format;
	struct kser_buf part = KSER_BUF_INIT;

	if (GMIME_IS_MULTIPART(obj)) {
		int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		for (i = 0; i < n && !err; i++)
			err = append_part(text,
					  g_mime_multipart_get_part(
						  GMIME_MULTIPART(obj), i));
		return err;
	}
	if (GMIME_IS_MESSAGE_PART(obj) || !GMIME_IS_PART(obj))
		return NULL;
	w = g_mime_part_get_content(GMIME_PART(obj));
	if (!w)
		return NULL;
	bytes = g_byte_array_new();
	s = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
	if (g_mime_data_wrapper_write_to_stream(w, s) < 0) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "cannot decode a part of the mail");
		goto done;
	}
	charset = g_mime_object_get_content_type_parameter(obj, "charset");
	err = to_utf8(&part, (const char *)bytes->data, bytes->len, charset);
	if (err)
		goto done;
	format = ct ? g_mime_content_type_get_parameter(ct, "format") : NULL;
	if (format && !strcasecmp(format, "flowed")) {
		const char *delsp = g_mime_content_type_get_parameter(ct,
								      "delsp");

		unflow(&part, delsp && !strcasecmp(delsp, "yes"));
	}
	/* Parts join as separate lines. */
	if (text->len && text->ptr[text->len - 1] != '\n')
		kser_buf_putc(text, '\n');
	kser_buf_put(text, part.ptr ? part.ptr : "", part.len);
	err = kser_buf_check(text);
done:
	kser_buf_release(&part);
	g_object_unref(s);
	g_byte_array_unref(bytes);
	return err;
}

/* --- mailinfo ---------------------------------------------------------- */

static bool is_scissors_line(const char *line, size_t len)
{
	size_t i, visible, first = SIZE_MAX, last = 0;
	int scissors = 0, gap = 0, perforation = 0;
	bool in_perforation = false;

	for (i = 0; i < len; i++) {
		const char *c = line + i;

		if (isspace((unsigned char)*c)) {
			if (in_perforation) {
				perforation++;
				gap++;
			}
			continue;
		}
		last = i;
		if (first == SIZE_MAX)
			first = i;
		if (*c == '-') {
			in_perforation = true;
			perforation++;
			continue;
		}
		if (i + 1 < len &&
		    ((c[0] == '>' && c[1] == '8') ||
		     (c[0] == '8' && c[1] == '<') ||
		     (c[0] == '>' && c[1] == '%') ||
		     (c[0] == '%' && c[1] == '<'))) {
			in_perforation = true;
			perforation += 2;
			scissors += 2;
			i++;
			last = i;
			continue;
		}
		in_perforation = false;
	}
	visible = first == SIZE_MAX ? 0 : last - first + 1;
	return scissors && visible >= 8 && visible < (size_t)perforation * 3 &&
	       gap * 2 < perforation;
}

/* Where git decides the message is over and the patch starts. */
static bool is_patch_break(const char *line, size_t len)
{
	size_t i;

	if (len >= 6 && !memcmp(line, "diff -", 6))
		return true;
	if (len >= 7 && !memcmp(line, "Index: ", 7))
		return true;
	if (len < 4 || memcmp(line, "---", 3))
		return false;
	if (line[3] == ' ' && !isspace((unsigned char)line[4]))
		return true;
	for (i = 3; i < len; i++) {
		if (line[i] == '\n')
			return true;
		if (!isspace((unsigned char)line[i]))
			return false;
	}
	return false;
}

enum inbody { INBODY_NONE = -1, INBODY_FROM, INBODY_SUBJECT, INBODY_DATE };

static enum inbody inbody_header(const char *line, size_t len)
{
	static const char *const names[] = { "From", "Subject", "Date" };
	size_t i;

	for (i = 0; i < 3; i++) {
		size_t n = strlen(names[i]);

		if (len > n && !strncasecmp(line, names[i], n) &&
		    line[n] == ':')
			return (enum inbody)i;
	}
	return INBODY_NONE;
}

/* ">From <40 hex> Mon Sep 17 00:00:00 2001" */
static bool is_format_patch_separator(const char *line, size_t len)
{
	static const char tail[] = " Mon Sep 17 00:00:00 2001\n";
	size_t i;

	if (len != 5 + 40 + strlen(tail) || memcmp(line, "From ", 5))
		return false;
	for (i = 5; i < 45; i++)
		if (!isxdigit((unsigned char)line[i]))
			return false;
	return !memcmp(line + 45, tail, strlen(tail));
}

struct mailinfo {
	const struct kser_mail_options *opts;
	bool header_stage;
	struct kser_buf accum;		/* an in-body header being read */
	char *inbody[3];		/* decoded in-body header values */
	struct kser_buf log;
	const char *patch_start;
};

static const struct kser_error *flush_inbody(struct mailinfo *mi)
{
	enum inbody which;
	const char *v;
	char *dec, *val;

	if (!mi->accum.len)
		return NULL;
	which = inbody_header(mi->accum.ptr, mi->accum.len);
	v = strchr(mi->accum.ptr, ':') + 1;
	dec = g_mime_utils_header_decode_text(NULL, v);
	val = dec ? cleanup_space(dec) : NULL;
	g_free(dec);
	if (!val)
		return kser_error_nomem();
	if (which != INBODY_NONE) {
		free(mi->inbody[which]);
		mi->inbody[which] = val;
	} else {
		free(val);
	}
	kser_buf_clear(&mi->accum);
	return NULL;
}

/* Returns true while the line is part of the in-body headers. */
static bool check_inbody(struct mailinfo *mi, const char *line, size_t len,
			 const struct kser_error **err)
{
	if (mi->accum.len && (line[0] == ' ' || line[0] == '\t')) {
		if (mi->opts->scissors && is_scissors_line(line, len)) {
			*err = flush_inbody(mi);
			return false;
		}
		kser_buf_rtrim(&mi->accum);
		kser_buf_put(&mi->accum, line, len);
		return true;
	}
	*err = flush_inbody(mi);
	if (*err)
		return false;
	if (len > 6 && !memcmp(line, ">From", 5) &&
	    isspace((unsigned char)line[5]))
		return is_format_patch_separator(line + 1, len - 1);
	if (len > 8 && !memcmp(line, "[PATCH]", 7) &&
	    isspace((unsigned char)line[7])) {
		char *v = strndup(line, len);

		if (!v) {
			*err = kser_error_nomem();
			return false;
		}
		free(mi->inbody[INBODY_SUBJECT]);
		mi->inbody[INBODY_SUBJECT] = cleanup_space(v);
		free(v);
		return true;
	}
	if (inbody_header(line, len) != INBODY_NONE) {
		kser_buf_put(&mi->accum, line, len);
		return true;
	}
	return false;
}

/* Returns true when the line starts the patch. */
static bool commit_msg_line(struct mailinfo *mi, const char *line,
			    size_t len, const struct kser_error **err)
{
	*err = NULL;
	if (mi->header_stage && (len == 0 || (len == 1 && line[0] == '\n'))) {
		if (mi->accum.len) {
			*err = flush_inbody(mi);
			mi->header_stage = false;
		}
		return false;
	}
	if (mi->header_stage) {
		mi->header_stage = check_inbody(mi, line, len, err);
		if (mi->header_stage || *err)
			return false;
	}
	if (mi->opts->scissors && is_scissors_line(line, len)) {
		int i;

		kser_buf_clear(&mi->log);
		mi->header_stage = true;
		for (i = 0; i < 3; i++) {
			free(mi->inbody[i]);
			mi->inbody[i] = NULL;
		}
		return false;
	}
	if (is_patch_break(line, len))
		return true;
	kser_buf_put(&mi->log, line, len);
	return false;
}

static const struct kser_error *run_mailinfo(struct mailinfo *mi,
					     const struct kser_buf *text)
{
	const struct kser_error *err = NULL;
	size_t pos = 0;

	mi->header_stage = true;
	while (pos < text->len) {
		const char *l = text->ptr + pos;
		size_t n = line_len(l, text->len - pos);

		if (commit_msg_line(mi, l, n, &err)) {
			mi->patch_start = l;
			break;
		}
		if (err)
			return err;
		pos += n;
	}
	if (!err)
		err = flush_inbody(mi);
	if (!err)
		err = kser_buf_check(&mi->log);
	return err;
}

static void set_date(struct kser_mail *mail, const char *s)
{
	GDateTime *d;

	if (!s)
		return;
	d = g_mime_utils_header_decode_date(s);
	if (!d)
		return;
	mail->has_date = true;
	mail->time = g_date_time_to_unix(d);
	mail->tz_minutes = (int)(g_date_time_get_utc_offset(d) /
				 G_TIME_SPAN_MINUTE);
	g_date_time_unref(d);
}

static char *header_text(GMimeObject *obj, const char *name)
{
	const char *v = g_mime_object_get_header(obj, name);

	return v ? cleanup_space(v) : NULL;
}

const struct kser_error *kser_mail_parse(struct kser_mail **out,
					 const char *raw, size_t len,
					 const struct kser_mail_options *opts)
{
	static const struct kser_mail_options defaults =
		KSER_MAIL_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct mailinfo mi = { 0 };
	struct kser_buf text = KSER_BUF_INIT;
	struct kser_mail *mail;
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	GMimeObject *top;
	const char *v;
	char *from = NULL;
	size_t skip;
	int i;

	*out = NULL;
	gmime_init_once();
	mi.opts = opts ? opts : &defaults;
	mail = calloc(1, sizeof(*mail));
	if (!mail)
		return kser_error_nomem();

	/* The mbox "From " line is not a header GMime should see. */
	skip = 0;
	while (skip < len && isspace((unsigned char)raw[skip]))
		skip++;
	if (len - skip >= 5 && !memcmp(raw + skip, "From ", 5))
		skip += line_len(raw + skip, len - skip);
	else
		skip = 0;
	if (!kser_mail_looks_like_mail(raw + skip, len - skip)) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "not a mail: no headers");
		goto done;
	}
	stream = g_mime_stream_mem_new_with_buffer(raw + skip, len - skip);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "cannot parse the mail");
		goto done;
	}
	top = GMIME_OBJECT(msg);

	v = g_mime_message_get_message_id(msg);
	mail->message_id = v ? strdup(v) : NULL;
	mail->in_reply_to = msgid_strip(g_mime_object_get_header(top,
							       "In-Reply-To"));
	err = parse_msgids(g_mime_object_get_header(top, "References"),
			   &mail->references, &mail->nreferences);
	if (err)
		goto done;
	mail->raw_subject = header_text(top, "Subject");
	from = header_text(top, "From");
	set_date(mail, g_mime_object_get_header(top, "Date"));

	if (g_mime_message_get_mime_part(msg))
		err = append_part(&text, g_mime_message_get_mime_part(msg));
	if (err)
		goto done;
	if (text.len && text.ptr[text.len - 1] != '\n')
		kser_buf_putc(&text, '\n');
	if (kser_buf_check(&text)) {
		err = kser_error_nomem();
		goto done;
	}
	mail->body = strndup(kser_buf_cstr(&text), text.len);
	if (!mail->body) {
		err = kser_error_nomem();
		goto done;
	}

	err = run_mailinfo(&mi, &text);
	if (err)
		goto done;
	mail->message = kser_buf_detach(&mi.log);
	if (mi.patch_start) {
		mail->patch_len = text.len - (size_t)(mi.patch_start - text.ptr);
		mail->patch = strndup(mi.patch_start, mail->patch_len);
	} else {
		mail->patch = strdup("");
	}
	if (!mail->message || !mail->patch) {
		err = kser_error_nomem();
		goto done;
	}

	/* In-body headers win over the mail's own. */
	if (mi.inbody[INBODY_SUBJECT]) {
		free(mail->raw_subject);
		mail->raw_subject = strdup(mi.inbody[INBODY_SUBJECT]);
	}
	if (mi.inbody[INBODY_FROM]) {
		free(from);
		from = strdup(mi.inbody[INBODY_FROM]);
	}
	if (mi.inbody[INBODY_DATE]) {
		mail->has_date = false;
		set_date(mail, mi.inbody[INBODY_DATE]);
	}
	mail->subject = cleanup_subject(mail->raw_subject ?
					mail->raw_subject : "");
	if (!mail->subject) {
		err = kser_error_nomem();
		goto done;
	}
	mail->has_from = from != NULL;
	if (from) {
		char *name, *email;

		err = parse_from(from, &name, &email);
		if (err)
			goto done;
		mail->author_name = kser_ident_clean(name);
		mail->author_email = kser_ident_clean(email);
		free(name);
		free(email);
		if (!mail->author_name || !mail->author_email) {
			err = kser_error_nomem();
			goto done;
		}
	}
done:
	for (i = 0; i < 3; i++)
		free(mi.inbody[i]);
	kser_buf_release(&mi.accum);
	kser_buf_release(&mi.log);
	kser_buf_release(&text);
	free(from);
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	if (err) {
		kser_mail_free(mail);
		return err;
	}
	*out = mail;
	return NULL;
}

void kser_mail_free(struct kser_mail *mail)
{
	size_t i;

	if (!mail)
		return;
	free(mail->message_id);
	free(mail->in_reply_to);
	for (i = 0; i < mail->nreferences; i++)
		free(mail->references[i]);
	free(mail->references);
	free(mail->raw_subject);
	free(mail->subject);
	free(mail->author_name);
	free(mail->author_email);
	free(mail->message);
	free(mail->patch);
	free(mail->body);
	free(mail);
}

const struct kser_error *kser_mail_commit_message(struct kser_buf *out,
						  const struct kser_mail *mail)
{
	struct kser_buf raw = KSER_BUF_INIT;
	git_buf pretty = GIT_BUF_INIT;
	const struct kser_error *err = NULL;

	kser_buf_printf(&raw, "%s\n\n%s", mail->subject,
			mail->message ? mail->message : "");
	if (kser_buf_check(&raw))
		return kser_error_nomem();
	/* git am runs the message through stripspace, keeping comments. */
	if (git_message_prettify(&pretty, raw.ptr, 0, '#') < 0) {
		err = kser_error_git("cannot clean up the commit message");
		goto done;
	}
	kser_buf_clear(out);
	kser_buf_put(out, pretty.ptr, pretty.size);
	err = kser_buf_check(out);
done:
	git_buf_dispose(&pretty);
	kser_buf_release(&raw);
	return err;
}
