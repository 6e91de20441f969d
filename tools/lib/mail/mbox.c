// SPDX-License-Identifier: GPL-2.0
/*
 * An mbox split into mails as git mailsplit splits it ("From " lines,
 * mboxrd's ">From "). Uses core.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/ident.h"
#include "kser/util.h"
#include "kser/mail.h"
#include "kser_lib_mail.h"

/* --- mailsplit --------------------------------------------------------- */

size_t mail_line_len(const char *s, size_t len)
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
	return len && is_header_line(text, mail_line_len(text, len));
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
	bare = !is_from_line(text + pos, mail_line_len(text + pos, len - pos));
	while (pos < len) {
		const char *l = text + pos;
		size_t n = mail_line_len(l, len - pos);

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
