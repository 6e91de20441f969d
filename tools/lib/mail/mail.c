// SPDX-License-Identifier: GPL-2.0
/*
 * Mails, the way git mailsplit and git mailinfo read them, so that kser
 * and `git am` make the same commits from the same input. git's mailinfo
 * is not a MIME parser but a line filter with a stack of boundaries, and
 * what it does with nested parts, part headers and blank lines ends up in
 * commit messages; so it is followed here line by line rather than
 * approximated with a MIME library. GMime only parses dates.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2.h>
#include <gmime/gmime.h>

#include "kser/error.h"
#include "kser/ident.h"
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

static bool is_gtfrom(const char *l, size_t n)
{
	size_t gt = 0;

	while (gt < n && l[gt] == '>')
		gt++;
	return n >= 6 && gt && n - gt >= 5 && !memcmp(l + gt, "From ", 5);
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
	bool mboxrd = opts && opts->mboxrd;
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
		pos += n;
		/* mboxrd: ">From ", ">>From "... lose one '>'. */
		if (mboxrd && is_gtfrom(l, n)) {
			l++;
			n--;
		}
		if (!keep_cr && n > 1 && l[n - 1] == '\n' && l[n - 2] == '\r') {
			kser_buf_put(&cur, l, n - 2);
			kser_buf_putc(&cur, '\n');
		} else {
			kser_buf_put(&cur, l, n);
		}
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

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

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
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
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

/* git keeps a name only if it is 3 to 60 bytes and not address-like. */
static bool sane_name(const char *n)
{
	size_t len = strlen(n);

	return len >= 3 && len <= 60 && !strpbrk(n, "@<>");
}

/*
 * git's reading of a From line: the word around '@' (maybe in <>) is the
 * address, the rest the name; a name that is too short, too long or looks
 * like an address is replaced by the address. Without an '@', only
 * "Name <addr>" is understood.
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
		const char *bra = strchr(from, '<');
		const char *ket = bra ? strchr(bra, '>') : NULL;

		free(f);
		if (ket) {
			*email = strndup(bra + 1, (size_t)(ket - bra - 1));
			n = strndup(from, (size_t)(bra - from));
			f = n ? cleanup_space(n) : NULL;
			free(n);
			if (f && *email && !sane_name(f)) {
				free(f);
				f = strdup(*email);
			}
			*name = f;
		} else {
			*name = strdup("");
			*email = strdup("");
		}
		if (*name && *email)
			return NULL;
		free(*name);
		free(*email);
		*name = *email = NULL;
		return kser_error_nomem();
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
	}
	if (!sane_name(n)) {
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
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	while (s && (s = strchr(s, '<'))) {
		const char *close = strchr(s, '>');

		if (!close)
			break;
		if (kser_array_grow((void **)out, &alloc, *n, sizeof(**out),
				    4))
			return kser_error_nomem();
		(*out)[*n] = strndup(s + 1, (size_t)(close - s - 1));
		if (!(*out)[*n])
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

/* --- charsets ---------------------------------------------------------- */

/* "utf-8", "UTF8", "utf-16le"... compared as git compares them. */
static bool same_utf(const char *a, const char *b)
{
	if (strncasecmp(a, "utf", 3) || strncasecmp(b, "utf", 3))
		return false;
	a += 3;
	b += 3;
	if (*a == '-')
		a++;
	if (*b == '-')
		b++;
	return !strcasecmp(a, b);
}

static bool is_utf8_name(const char *cs)
{
	return same_utf("utf-8", cs) || !strcasecmp(cs, "utf-8");
}

static bool iconv_convert(struct kser_buf *out, const char *in, size_t len,
			  const char *from)
{
	iconv_t cd = iconv_open("UTF-8", from);
	char *ip = (char *)in;
	size_t left = len;

	if (cd == (iconv_t)-1) {
		/* git's fallbacks for spellings iconv may not know. */
		if (is_utf8_name(from))
			from = "UTF-8";
		else if (!strcasecmp(from, "latin-1"))
			from = "ISO-8859-1";
		cd = iconv_open("UTF-8", from);
		if (cd == (iconv_t)-1)
			return false;
	}
	kser_buf_clear(out);
	while (!out->oom) {
		char *op;
		size_t room, r;

		kser_buf_grow(out, left * 2 + 32);
		if (out->oom)
			break;
		op = out->ptr + out->len;
		room = out->alloc - out->len - 1;
		r = iconv(cd, &ip, &left, &op, &room);
		out->len = (size_t)(op - out->ptr);
		out->ptr[out->len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno != E2BIG) {
			iconv_close(cd);
			return false;
		}
	}
	iconv_close(cd);
	return true;
}

/* --- mailinfo ---------------------------------------------------------- */

/* git's limit: deeper nesting makes the mail unreadable to git am. */
#define MAX_BOUNDARIES 5

enum hdr { HDR_FROM, HDR_SUBJECT, HDR_DATE, NHDR };
static const char *const hdr_names[NHDR] = { "From", "Subject", "Date" };

enum transfer_encoding { TE_NONE, TE_QP, TE_BASE64 };

struct mailinfo {
	const struct kser_mail_options *opts;
	const char *in;
	size_t len, pos;

	struct kser_buf p_hdr[NHDR];	/* the mail's (and parts') headers */
	bool p_set[NHDR];
	struct kser_buf s_hdr[NHDR];	/* in-body headers */
	bool s_set[NHDR];

	struct kser_buf charset;
	enum transfer_encoding te;
	bool format_flowed, delsp;
	/* boundary[1..top], "--" included; boundary[0] is never set */
	char *boundary[MAX_BOUNDARIES];
	size_t blen[MAX_BOUNDARIES];
	int top;

	bool header_stage, in_patch;
	struct kser_buf accum;		/* an in-body header being read */
	struct kser_buf log, patch, body;
	size_t patch_lines;

	char *message_id, *in_reply_to, *references;
	char *problem;			/* the first reason git would refuse */
	bool nomem;
};

static void mi_problem(struct mailinfo *mi, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mi_problem(struct mailinfo *mi, const char *fmt, ...)
{
	struct kser_buf b = KSER_BUF_INIT;
	va_list ap;

	if (mi->problem)
		return;
	va_start(ap, fmt);
	kser_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	mi->problem = kser_buf_detach(&b);
	if (!mi->problem)
		mi->nomem = true;
}

/* One line of the mail, with its newline when keep_nl; false at EOF. */
static bool next_line(struct mailinfo *mi, struct kser_buf *line,
		      bool keep_nl)
{
	size_t n;

	kser_buf_clear(line);
	if (mi->pos >= mi->len)
		return false;
	n = line_len(mi->in + mi->pos, mi->len - mi->pos);
	kser_buf_put(line, mi->in + mi->pos, n);
	mi->pos += n;
	if (!keep_nl && line->len && line->ptr[line->len - 1] == '\n')
		kser_buf_truncate(line, line->len - 1);
	if (line->oom)
		mi->nomem = true;
	return true;
}

/* RFC 5322 field names, and mbox "From " lines; as C strings, as git. */
static bool is_rfc2822_header(const char *cp)
{
	int ch;

	if (starts_with(cp, "From ") || starts_with(cp, ">From "))
		return true;
	while ((ch = (unsigned char)*cp++)) {
		if (ch == ':')
			return true;
		if ((ch >= 33 && ch <= 57) || (ch >= 59 && ch <= 126))
			continue;
		break;
	}
	return false;
}

/*
 * Reads one header, unfolded: continuation lines join with their first
 * blank turned into a space. False at the blank line ending the headers
 * or at a line that is no header; line then holds it with a newline.
 */
static bool read_header_line(struct mailinfo *mi, struct kser_buf *line)
{
	struct kser_buf cont = KSER_BUF_INIT;

	if (!next_line(mi, line, false))
		return false;
	kser_buf_rtrim(line);
	if (!line->len || !is_rfc2822_header(kser_buf_cstr(line))) {
		kser_buf_putc(line, '\n');
		return false;
	}
	while (mi->pos < mi->len &&
	       (mi->in[mi->pos] == ' ' || mi->in[mi->pos] == '\t')) {
		next_line(mi, &cont, false);
		cont.ptr[0] = ' ';
		kser_buf_rtrim(&cont);
		kser_buf_put(line, cont.ptr, cont.len);
	}
	kser_buf_release(&cont);
	return true;
}

/* "Name:" at the start, case-insensitively; *val after ':' and blanks. */
static bool skip_header(const char *line, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) || line[n] != ':')
		return false;
	line += n + 1;
	while (isspace((unsigned char)*line))
		line++;
	*val = line;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Quoted-printable (rfc2047: the header form, '_' for space). */
static void decode_q(struct kser_buf *out, const char *in, bool rfc2047)
{
	int c;

	while ((c = (unsigned char)*in++)) {
		if (c == '=') {
			int hi, lo;

			if (*in == '\n' || !*in)
				break;	/* a soft line break */
			hi = hexval((unsigned char)in[0]);
			lo = hi < 0 ? -1 : hexval((unsigned char)in[1]);
			if (lo >= 0) {
				kser_buf_putc(out, (char)(hi << 4 | lo));
				in += 2;
				continue;
			}
		}
		if (rfc2047 && c == '_')
			c = ' ';
		kser_buf_putc(out, (char)c);
	}
}

/* Base64, skipping what is not base64, each line on its own as git. */
static void decode_b(struct kser_buf *out, const char *in)
{
	int c, pos = 0, acc = 0;

	while ((c = (unsigned char)*in++)) {
		if (c == '+')
			c = 62;
		else if (c == '/')
			c = 63;
		else if (c >= 'A' && c <= 'Z')
			c -= 'A';
		else if (c >= 'a' && c <= 'z')
			c -= 'a' - 26;
		else if (c >= '0' && c <= '9')
			c -= '0' - 52;
		else
			continue;
		switch (pos++) {
		case 0:
			acc = c << 2;
			break;
		case 1:
			kser_buf_putc(out, (char)(acc | c >> 4));
			acc = (c & 15) << 4;
			break;
		case 2:
			kser_buf_putc(out, (char)(acc | c >> 2));
			acc = (c & 3) << 6;
			break;
		default:
			kser_buf_putc(out, (char)(acc | c));
			acc = pos = 0;
			break;
		}
	}
}

/* Converts b (in charset) to UTF-8 in place; false if it cannot. */
static bool convert_to_utf8(struct mailinfo *mi, struct kser_buf *b,
			    const char *charset)
{
	struct kser_buf out = KSER_BUF_INIT;

	if (!charset || !*charset || is_utf8_name(charset))
		return true;
	if (!iconv_convert(&out, b->ptr ? b->ptr : "", b->len, charset)) {
		kser_buf_release(&out);
		mi_problem(mi, "cannot convert from %s to UTF-8", charset);
		return false;
	}
	kser_buf_release(b);
	*b = out;
	return true;
}

/*
 * RFC 2047 encoded words, as git decodes them: blanks between two
 * encoded words vanish, a malformed word makes the mail unreadable to
 * git am.
 */
static void decode_header(struct mailinfo *mi, struct kser_buf *it,
			  const char *name)
{
	struct kser_buf out = KSER_BUF_INIT, cs = KSER_BUF_INIT;
	struct kser_buf piece = KSER_BUF_INIT, dec = KSER_BUF_INIT;
	const char *base = kser_buf_cstr(it), *in = base, *ep, *cp;
	size_t len = it->len;
	bool ok = false;

	while ((size_t)(in - base) <= len && (ep = strstr(in, "=?"))) {
		int enc;

		if (in != ep) {
			const char *scan = in;

			while (scan < ep && isspace((unsigned char)*scan))
				scan++;
			if (scan != ep || in == base)
				kser_buf_put(&out, in, (size_t)(ep - in));
		}
		ep += 2;
		if ((size_t)(ep - base) >= len || !(cp = strchr(ep, '?')))
			goto done;
		if ((size_t)(cp + 3 - base) > len)
			goto done;
		kser_buf_clear(&cs);
		kser_buf_put(&cs, ep, (size_t)(cp - ep));
		enc = tolower((unsigned char)cp[1]);
		if (!enc || cp[2] != '?')
			goto done;
		ep = strstr(cp + 3, "?=");
		if (!ep)
			goto done;
		kser_buf_clear(&piece);
		kser_buf_put(&piece, cp + 3, (size_t)(ep - cp - 3));
		kser_buf_clear(&dec);
		if (enc == 'b')
			decode_b(&dec, kser_buf_cstr(&piece));
		else if (enc == 'q')
			decode_q(&dec, kser_buf_cstr(&piece), true);
		else
			goto done;
		if (!convert_to_utf8(mi, &dec, kser_buf_cstr(&cs)))
			goto out;
		kser_buf_put(&out, dec.ptr, dec.len);
		in = ep + 2;
	}
	kser_buf_puts(&out, in);
	if (out.oom) {
		mi->nomem = true;
		goto out;
	}
	kser_buf_release(it);
	*it = out;
	kser_buf_init(&out);
	ok = true;
done:
	if (!ok)
		mi_problem(mi, "malformed RFC 2047 encoded word in the '%s' "
			   "header", name);
out:
	kser_buf_release(&out);
	kser_buf_release(&cs);
	kser_buf_release(&piece);
	kser_buf_release(&dec);
}

/* 'name=value' or 'name="value"' anywhere in a header, as git finds it. */
static bool slurp_attr(const char *line, const char *name,
		       struct kser_buf *attr)
{
	const char *ap = strcasestr(line, name), *ends;

	kser_buf_clear(attr);
	if (!ap)
		return false;
	ap += strlen(name);
	if (*ap == '"') {
		ap++;
		ends = "\"";
	} else {
		ends = "; \t";
	}
	kser_buf_put(attr, ap, strcspn(ap, ends));
	return true;
}

static bool has_attr_value(const char *line, const char *name,
			   const char *value)
{
	struct kser_buf b = KSER_BUF_INIT;
	bool yes = slurp_attr(line, name, &b) &&
		   !strcasecmp(kser_buf_cstr(&b), value);

	kser_buf_release(&b);
	return yes;
}

static void handle_content_type(struct mailinfo *mi, const char *v)
{
	struct kser_buf b = KSER_BUF_INIT, full = KSER_BUF_INIT;

	mi->format_flowed = has_attr_value(v, "format=", "flowed");
	mi->delsp = has_attr_value(v, "delsp=", "yes");
	if (slurp_attr(v, "boundary=", &b)) {
		if (++mi->top >= MAX_BOUNDARIES) {
			mi_problem(mi, "too many nested multipart boundaries");
			mi->top = MAX_BOUNDARIES - 1;
			kser_buf_release(&b);
			return;
		}
		free(mi->boundary[mi->top]);
		kser_buf_clear(&full);
		kser_buf_puts(&full, "--");
		kser_buf_put(&full, b.ptr, b.len);
		mi->blen[mi->top] = full.len;
		mi->boundary[mi->top] = kser_buf_detach(&full);
		if (!mi->boundary[mi->top])
			mi->nomem = true;
	}
	slurp_attr(v, "charset=", &mi->charset);
	kser_buf_release(&b);
}

static void handle_cte(struct mailinfo *mi, const char *v)
{
	if (strcasestr(v, "base64"))
		mi->te = TE_BASE64;
	else if (strcasestr(v, "quoted-printable"))
		mi->te = TE_QP;
	else
		mi->te = TE_NONE;
}

/* The value of header name in line, decoded; false if it is not one. */
static bool parse_header(struct mailinfo *mi, const char *line,
			 const char *name, struct kser_buf *val)
{
	const char *v;

	if (!skip_header(line, name, &v))
		return false;
	kser_buf_clear(val);
	kser_buf_puts(val, v);
	decode_header(mi, val, name);
	return true;
}

/*
 * The headers git looks at: From, Subject and Date (into hdr, replacing
 * what is there only when overwrite), and the MIME ones.
 */
static bool check_header(struct mailinfo *mi, const char *line,
			 struct kser_buf *hdr, bool *set, bool overwrite)
{
	struct kser_buf v = KSER_BUF_INIT;
	bool found = true;
	int i;

	for (i = 0; i < NHDR; i++) {
		if ((!set[i] || overwrite) &&
		    parse_header(mi, line, hdr_names[i], &v)) {
			kser_buf_clear(&hdr[i]);
			kser_buf_put(&hdr[i], v.ptr, v.len);
			set[i] = true;
			goto done;
		}
	}
	if (parse_header(mi, line, "Content-Type", &v))
		handle_content_type(mi, kser_buf_cstr(&v));
	else if (parse_header(mi, line, "Content-Transfer-Encoding", &v))
		handle_cte(mi, kser_buf_cstr(&v));
	else
		found = parse_header(mi, line, "Message-Id", &v);
done:
	kser_buf_release(&v);
	return found;
}

/* The headers kser wants for threading; git ignores them. */
static void thread_header(struct mailinfo *mi, const char *line)
{
	const char *v;

	if (!mi->message_id && skip_header(line, "Message-Id", &v))
		mi->message_id = msgid_strip(v);
	else if (!mi->in_reply_to && skip_header(line, "In-Reply-To", &v))
		mi->in_reply_to = msgid_strip(v);
	else if (!mi->references && skip_header(line, "References", &v))
		mi->references = strdup(v);
}

static bool is_scissors_line(const char *line)
{
	const char *c, *first = NULL, *last = NULL;
	int scissors = 0, gap = 0, perforation = 0, visible;
	bool in_perforation = false;

	for (c = line; *c; c++) {
		if (isspace((unsigned char)*c)) {
			if (in_perforation) {
				perforation++;
				gap++;
			}
			continue;
		}
		last = c;
		if (!first)
			first = c;
		if (*c == '-') {
			in_perforation = true;
			perforation++;
			continue;
		}
		if (starts_with(c, ">8") || starts_with(c, "8<") ||
		    starts_with(c, ">%") || starts_with(c, "%<")) {
			in_perforation = true;
			perforation += 2;
			scissors += 2;
			c++;
			continue;
		}
		in_perforation = false;
	}
	visible = first ? (int)(last - first) + 1 : 0;
	return scissors && visible >= 8 && visible < perforation * 3 &&
	       gap * 2 < perforation;
}

/* Where git decides the message is over and the patch starts. */
static bool is_patch_break(const struct kser_buf *line)
{
	const char *l = kser_buf_cstr(line);
	size_t i;

	if (starts_with(l, "diff -") || starts_with(l, "Index: "))
		return true;
	if (line->len < 4 || !starts_with(l, "---"))
		return false;
	if (l[3] == ' ' && !isspace((unsigned char)l[4]))
		return true;
	for (i = 3; i < line->len; i++) {
		if (l[i] == '\n')
			return true;
		if (!isspace((unsigned char)l[i]))
			return false;
	}
	return false;
}

/* "From <40 hex> Mon Sep 17 00:00:00 2001" */
static bool is_format_patch_separator(const char *line, size_t len)
{
	static const char tail[] = " Mon Sep 17 00:00:00 2001\n";

	if (len != 5 + 40 + strlen(tail) || !starts_with(line, "From "))
		return false;
	if (strspn(line + 5, "0123456789abcdef") != 40)
		return false;
	return !memcmp(line + 45, tail, strlen(tail));
}

static void flush_inbody(struct mailinfo *mi)
{
	if (!mi->accum.len)
		return;
	check_header(mi, mi->accum.ptr, mi->s_hdr, mi->s_set, false);
	kser_buf_clear(&mi->accum);
}

static bool is_inbody_header(struct mailinfo *mi, const char *line)
{
	const char *v;
	int i;

	for (i = 0; i < NHDR; i++)
		if (!mi->s_set[i] && skip_header(line, hdr_names[i], &v))
			return true;
	return false;
}

/* True while the line is part of the in-body headers. */
static bool check_inbody(struct mailinfo *mi, const struct kser_buf *line)
{
	const char *l = kser_buf_cstr(line);

	if (mi->accum.len && (l[0] == ' ' || l[0] == '\t')) {
		if (mi->opts->scissors && is_scissors_line(l)) {
			flush_inbody(mi);
			return false;
		}
		if (mi->accum.len && mi->accum.ptr[mi->accum.len - 1] == '\n')
			kser_buf_truncate(&mi->accum, mi->accum.len - 1);
		kser_buf_put(&mi->accum, line->ptr, line->len);
		return true;
	}
	flush_inbody(mi);
	if (starts_with(l, ">From") && isspace((unsigned char)l[5]))
		return is_format_patch_separator(l + 1, line->len - 1);
	if (starts_with(l, "[PATCH]") && isspace((unsigned char)l[7])) {
		kser_buf_clear(&mi->s_hdr[HDR_SUBJECT]);
		kser_buf_put(&mi->s_hdr[HDR_SUBJECT], line->ptr, line->len);
		mi->s_set[HDR_SUBJECT] = true;
		return true;
	}
	if (is_inbody_header(mi, l)) {
		kser_buf_put(&mi->accum, line->ptr, line->len);
		return true;
	}
	return false;
}

/* Returns true when the line starts the patch. */
static bool commit_msg_line(struct mailinfo *mi, struct kser_buf *line)
{
	if (mi->header_stage && (!line->len ||
				 (line->len == 1 && line->ptr[0] == '\n'))) {
		if (mi->accum.len) {
			flush_inbody(mi);
			mi->header_stage = false;
		}
		return false;
	}
	if (mi->header_stage) {
		mi->header_stage = check_inbody(mi, line);
		if (mi->header_stage)
			return false;
	}
	if (!convert_to_utf8(mi, line, kser_buf_cstr(&mi->charset)))
		return false;
	if (mi->opts->scissors && is_scissors_line(kser_buf_cstr(line))) {
		int i;

		kser_buf_clear(&mi->log);
		mi->header_stage = true;
		for (i = 0; i < NHDR; i++) {
			kser_buf_clear(&mi->s_hdr[i]);
			mi->s_set[i] = false;
		}
		return false;
	}
	if (is_patch_break(line))
		return true;
	kser_buf_put(&mi->log, line->ptr, line->len);
	return false;
}

/* Every decoded line of the body goes here: message, then patch. */
static void handle_filter(struct mailinfo *mi, struct kser_buf *line)
{
	if (!mi->in_patch && !commit_msg_line(mi, line)) {
		kser_buf_put(&mi->body, line->ptr, line->len);
		return;
	}
	mi->in_patch = true;
	kser_buf_put(&mi->patch, line->ptr, line->len);
	kser_buf_put(&mi->body, line->ptr, line->len);
	mi->patch_lines++;
}

static void filter_newline(struct mailinfo *mi)
{
	struct kser_buf nl = KSER_BUF_INIT;

	kser_buf_putc(&nl, '\n');
	handle_filter(mi, &nl);
	kser_buf_release(&nl);
}

/* RFC 3676 format=flowed: soft-broken lines wait in prev. */
static void handle_filter_flowed(struct mailinfo *mi, struct kser_buf *line,
				 struct kser_buf *prev)
{
	size_t len = line->len;

	if (!mi->format_flowed || !len) {
		handle_filter(mi, line);
		return;
	}
	if (line->ptr[len - 1] == '\n') {
		len--;
		if (len && line->ptr[len - 1] == '\r')
			len--;
	}
	/* The signature separator stays as it is. */
	if (len == 3 && !memcmp(line->ptr, "-- ", 3)) {
		if (prev->len) {
			handle_filter(mi, prev);
			kser_buf_clear(prev);
		}
		handle_filter(mi, line);
		return;
	}
	if (len && line->ptr[0] == ' ') {
		memmove(line->ptr, line->ptr + 1, line->len - 1);
		kser_buf_truncate(line, line->len - 1);
		len--;
	}
	if (len && line->ptr[len - 1] == ' ') {
		kser_buf_put(prev, line->ptr, len - (mi->delsp ? 1 : 0));
		return;
	}
	if (prev->len) {
		kser_buf_put(prev, line->ptr, line->len);
		kser_buf_clear(line);
		kser_buf_put(line, prev->ptr, prev->len);
		kser_buf_clear(prev);
	}
	handle_filter(mi, line);
}

static bool is_boundary(struct mailinfo *mi, const struct kser_buf *line)
{
	const char *b = mi->boundary[mi->top];

	return b && mi->blen[mi->top] <= line->len &&
	       !memcmp(line->ptr, b, mi->blen[mi->top]);
}

/* Skips to the next line that is the innermost boundary. */
static bool find_boundary(struct mailinfo *mi, struct kser_buf *line)
{
	while (next_line(mi, line, false))
		if (is_boundary(mi, line))
			return true;
	return false;
}

/*
 * At a boundary line: an end boundary pops the stack (leaving a blank
 * line behind, as git does) and skips to the next boundary; any other
 * reads the part's headers. Then line is the part's first line: for a
 * part that is itself multipart, that is its own first boundary, which
 * git keeps as text.
 */
static bool handle_boundary(struct mailinfo *mi, struct kser_buf *line)
{
	for (;;) {
		size_t bl = mi->blen[mi->top];

		if (!(line->len >= bl + 2 && !memcmp(line->ptr + bl, "--", 2)))
			break;
		free(mi->boundary[mi->top]);
		mi->boundary[mi->top] = NULL;
		if (--mi->top < 0) {
			mi_problem(mi, "mismatched multipart boundaries");
			mi->top = 0;
			return false;
		}
		filter_newline(mi);
		if (!find_boundary(mi, line))
			return false;
	}
	mi->te = TE_NONE;
	kser_buf_clear(&mi->charset);
	while (read_header_line(mi, line))
		check_header(mi, line->ptr, mi->p_hdr, mi->p_set, false);
	if (!next_line(mi, line, false))
		return false;
	kser_buf_putc(line, '\n');
	return true;
}

static void handle_body(struct mailinfo *mi, struct kser_buf *line)
{
	struct kser_buf prev = KSER_BUF_INIT, dec = KSER_BUF_INIT;
	struct kser_buf piece = KSER_BUF_INIT;

	if (mi->boundary[mi->top] && !find_boundary(mi, line))
		goto done;
	do {
		if (is_boundary(mi, line)) {
			if (prev.len) {
				handle_filter(mi, &prev);
				kser_buf_clear(&prev);
			}
			if (!handle_boundary(mi, line))
				goto done;
		}
		if (mi->te == TE_NONE) {
			handle_filter_flowed(mi, line, &prev);
			continue;
		}
		kser_buf_clear(&dec);
		kser_buf_put(&dec, prev.ptr, prev.len);
		kser_buf_clear(&prev);
		if (mi->te == TE_QP)
			decode_q(&dec, kser_buf_cstr(line), false);
		else
			decode_b(&dec, kser_buf_cstr(line));
		/* Decoded text holds any number of lines, the last maybe
		 * partial: that one waits for the next line. */
		{
			size_t pos = 0;

			while (pos < dec.len) {
				size_t n = line_len(dec.ptr + pos,
						    dec.len - pos);

				kser_buf_clear(&piece);
				kser_buf_put(&piece, dec.ptr + pos, n);
				pos += n;
				if (piece.ptr[n - 1] != '\n') {
					kser_buf_put(&prev, piece.ptr, n);
					break;
				}
				handle_filter_flowed(mi, &piece, &prev);
			}
		}
	} while (!mi->nomem && next_line(mi, line, true));
	if (prev.len)
		handle_filter(mi, &prev);
	flush_inbody(mi);
done:
	kser_buf_release(&prev);
	kser_buf_release(&dec);
	kser_buf_release(&piece);
}

static void set_date(struct kser_mail *mail, const char *s)
{
	if (kser_parse_mail_date(s, &mail->time, &mail->tz_minutes))
		mail->has_date = true;
}

static char *memdup_nul(const char *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		if (len)
			memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/*
 * What git's mailinfo reports: the in-body headers when there is a patch,
 * else the mail's; a NUL byte in any of them is refused.
 */
static const struct kser_error *mail_info(struct mailinfo *mi,
					  struct kser_mail *mail)
{
	const struct kser_error *err = NULL;
	const struct kser_buf *h[NHDR] = { NULL };
	char *from = NULL;
	int i;

	for (i = 0; i < NHDR; i++) {
		if (mi->patch_lines && mi->s_set[i])
			h[i] = &mi->s_hdr[i];
		else if (mi->p_set[i])
			h[i] = &mi->p_hdr[i];
		if (h[i] && memchr(kser_buf_cstr(h[i]), '\0', h[i]->len))
			mi_problem(mi, "a NUL byte in the '%s' header is not "
				   "allowed", hdr_names[i]);
	}
	mail->raw_subject = cleanup_space(h[HDR_SUBJECT] ?
					  kser_buf_cstr(h[HDR_SUBJECT]) : "");
	mail->subject = h[HDR_SUBJECT] ?
			cleanup_subject(kser_buf_cstr(h[HDR_SUBJECT])) :
			strdup("");
	if (!mail->raw_subject || !mail->subject)
		return kser_error_nomem();
	if (mail->subject[0]) {
		/* Inner runs of blanks become one space. */
		char *c = cleanup_space(mail->subject);

		if (!c)
			return kser_error_nomem();
		free(mail->subject);
		mail->subject = c;
	}
	if (h[HDR_DATE]) {
		char *d = cleanup_space(kser_buf_cstr(h[HDR_DATE]));

		if (!d)
			return kser_error_nomem();
		set_date(mail, d);
		free(d);
	}
	mail->has_from = h[HDR_FROM] != NULL;
	if (h[HDR_FROM]) {
		char *name, *email;

		from = cleanup_space(kser_buf_cstr(h[HDR_FROM]));
		if (!from)
			return kser_error_nomem();
		err = parse_from(from, &name, &email);
		free(from);
		if (err)
			return err;
		mail->author_name = kser_ident_clean(name);
		mail->author_email = kser_ident_clean(email);
		free(name);
		free(email);
		if (!mail->author_name || !mail->author_email)
			return kser_error_nomem();
	}
	return NULL;
}

const struct kser_error *kser_mail_parse(struct kser_mail **out,
					 const char *raw, size_t len,
					 const struct kser_mail_options *opts)
{
	static const struct kser_mail_options defaults =
		KSER_MAIL_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct mailinfo mi = { 0 };
	struct kser_buf line = KSER_BUF_INIT;
	struct kser_mail *mail;
	int i;

	*out = NULL;
	gmime_init_once();
	if (!kser_mail_looks_like_mail(raw, len))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "not a mail: no headers");
	mail = calloc(1, sizeof(*mail));
	if (!mail)
		return kser_error_nomem();
	mi.opts = opts ? opts : &defaults;
	mi.in = raw;
	mi.len = len;
	mi.header_stage = true;
	while (mi.pos < len && isspace((unsigned char)raw[mi.pos]))
		mi.pos++;

	/* The mail's headers: the last From, Subject or Date wins. */
	while (read_header_line(&mi, &line)) {
		check_header(&mi, line.ptr, mi.p_hdr, mi.p_set, true);
		thread_header(&mi, line.ptr);
	}
	handle_body(&mi, &line);
	if (mi.nomem || line.oom || mi.log.oom || mi.patch.oom ||
	    mi.body.oom || mi.accum.oom) {
		err = kser_error_nomem();
		goto done;
	}

	mail->message_id = mi.message_id;
	mail->in_reply_to = mi.in_reply_to;
	mi.message_id = mi.in_reply_to = NULL;
	err = parse_msgids(mi.references, &mail->references,
			   &mail->nreferences);
	if (!err)
		err = mail_info(&mi, mail);
	if (err)
		goto done;
	mail->message_len = mi.log.len;
	mail->message = memdup_nul(kser_buf_cstr(&mi.log), mi.log.len);
	mail->patch_len = mi.patch.len;
	mail->patch = memdup_nul(kser_buf_cstr(&mi.patch), mi.patch.len);
	mail->body_len = mi.body.len;
	mail->body = memdup_nul(kser_buf_cstr(&mi.body), mi.body.len);
	mail->problem = mi.problem;
	mi.problem = NULL;
	if (mi.nomem || !mail->message || !mail->patch || !mail->body)
		err = kser_error_nomem();
done:
	for (i = 0; i < NHDR; i++) {
		kser_buf_release(&mi.p_hdr[i]);
		kser_buf_release(&mi.s_hdr[i]);
	}
	for (i = 0; i < MAX_BOUNDARIES; i++)
		free(mi.boundary[i]);
	kser_buf_release(&mi.charset);
	kser_buf_release(&mi.accum);
	kser_buf_release(&mi.log);
	kser_buf_release(&mi.patch);
	kser_buf_release(&mi.body);
	kser_buf_release(&line);
	free(mi.message_id);
	free(mi.in_reply_to);
	free(mi.references);
	free(mi.problem);
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
	free(mail->problem);
	free(mail);
}

const struct kser_error *kser_mail_commit_message(struct kser_buf *out,
						  const struct kser_mail *mail)
{
	struct kser_buf raw = KSER_BUF_INIT;
	git_buf pretty = GIT_BUF_INIT;
	const struct kser_error *err = NULL;

	if (mail->message && memchr(mail->message, '\0', mail->message_len))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "a NUL byte in the commit message is "
				      "not allowed");
	kser_buf_printf(&raw, "%s\n\n", mail->subject);
	if (mail->message)
		kser_buf_put(&raw, mail->message, mail->message_len);
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
