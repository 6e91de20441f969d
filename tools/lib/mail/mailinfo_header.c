// SPDX-License-Identifier: GPL-2.0
/*
 * git mailinfo's headers: RFC 2047 words, quoted-printable and base64,
 * Content-Type and transfer encodings, the headers it keeps. Uses
 * core.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kser/error.h"
#include "kser/ident.h"
#include "kser/util.h"
#include "kser/mail.h"
#include "kser_lib_mail.h"

const char *const mi_hdr_names[NHDR] = { "From", "Subject", "Date" };

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
void mi_decode_q(struct kser_buf *out, const char *in, bool rfc2047)
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
void mi_decode_b(struct kser_buf *out, const char *in)
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
bool mi_convert_to_utf8(struct mailinfo *mi, struct kser_buf *b,
			const char *charset)
{
	struct kser_buf out = KSER_BUF_INIT;

	if (!charset || !*charset || mail_is_utf8_name(charset))
		return true;
	if (!mail_iconv_convert(&out, b->ptr ? b->ptr : "", b->len, charset)) {
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
			mi_decode_b(&dec, kser_buf_cstr(&piece));
		else if (enc == 'q')
			mi_decode_q(&dec, kser_buf_cstr(&piece), true);
		else
			goto done;
		if (!mi_convert_to_utf8(mi, &dec, kser_buf_cstr(&cs)))
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

	if (!mi_skip_header(line, name, &v))
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
bool mi_check_header(struct mailinfo *mi, const char *line,
		     struct kser_buf *hdr, bool *set, bool overwrite)
{
	struct kser_buf v = KSER_BUF_INIT;
	bool found = true;
	int i;

	for (i = 0; i < NHDR; i++) {
		if ((!set[i] || overwrite) &&
		    parse_header(mi, line, mi_hdr_names[i], &v)) {
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
void mi_thread_header(struct mailinfo *mi, const char *line)
{
	const char *v;

	if (!mi->message_id && mi_skip_header(line, "Message-Id", &v))
		mi->message_id = mail_msgid_strip(v);
	else if (!mi->in_reply_to && mi_skip_header(line, "In-Reply-To", &v))
		mi->in_reply_to = mail_msgid_strip(v);
	else if (!mi->references && mi_skip_header(line, "References", &v))
		mi->references = strdup(v);
}
