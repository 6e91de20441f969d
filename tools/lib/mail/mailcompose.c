// SPDX-License-Identifier: GPL-2.0
/*
 * Mail headers and names as git format-patch writes them (pretty.c's
 * add_rfc2047, needs_rfc822_quoting, pp_user_info; log-tree.c's file
 * names; utf8.c's wrapping), with one rule of kser's own: no control
 * character from a user reaches a header raw.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kser/error.h"
#include "kser/mailcompose.h"
#include "kser/rdtext.h"
#include "kser_lib_mail.h"

#define MAIL_WRAP 78		/* git's header width */
#define ENCODED_MAX 76		/* RFC 2047's line for encoded words */
#define NAME_MAX_BYTES 64	/* format.filenameMaxLength */

bool kser_mailcompose_has_ctl(const char *s)
{
	return kser_send_has_ctl(s);
}

const struct kser_error *kser_mailcompose_check_text(const char *s,
						     const char *what,
						     bool allow_tab)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(allow_tab && *p == '\t')) || *p == 0x7f)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "%s holds a control character "
					      "(0x%02x): refused, as it could "
					      "forge mail headers", what, *p);
	return NULL;
}

void kser_mailcompose_date(struct kser_buf *out, int64_t t, int offset)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
					    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };
	time_t local = (time_t)(t + (int64_t)offset * 60);
	int off = offset < 0 ? -offset : offset;
	struct tm tm;

	gmtime_r(&local, &tm);
	kser_buf_printf(out, "%s, %d %s %d %02d:%02d:%02d %c%02d%02d",
			days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
			offset < 0 ? '-' : '+', off / 60, off % 60);
}

/* --- RFC 2047 and RFC 822, as pretty.c ---------------------------------- */

enum rfc2047_type { RFC2047_SUBJECT, RFC2047_ADDRESS };

/* git's non_ascii(), and kser's refusal of raw control characters. */
static bool needs_encoding(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c == '\033' || c < 0x20 || c == 0x7f)
			return true;
		if (c == '=' && i + 1 < len && s[i + 1] == '?')
			return true;
	}
	return false;
}

static bool is_rfc822_special(char c)
{
	return strchr("()<>[]:;@,.\"\\", c) && c;
}

static bool needs_rfc822_quoting(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (is_rfc822_special(s[i]))
			return true;
	return false;
}

static bool is_rfc2047_special(unsigned char c, enum rfc2047_type type)
{
	if (c >= 0x80 || c < 0x20 || c == 0x7f)
		return true;
	if (c == '=' || c == '?' || c == '_' || c == ' ')
		return true;
	if (type != RFC2047_ADDRESS)
		return false;
	return !(isalnum(c) || c == '!' || c == '"' || c == '*' ||
		 c == '+' || c == '-' || c == '/');
}

static size_t last_line_length(const struct kser_buf *b)
{
	size_t i;

	for (i = b->len; i > 0; i--)
		if (b->ptr[i - 1] == '\n')
			break;
	return b->len - i;
}

/* The bytes of the (UTF-8) character at s: whole characters per word. */
static size_t char_len(const char *s, size_t len)
{
	size_t used;

	kser_git_char_width(s, len, &used);
	return used ? used : 1;
}

/*
 * git's add_rfc2047(): "=?UTF-8?q?...?=" words within 76 columns; where
 * git folds between words, sep is written ("\n " folds, " " does not).
 */
static void add_rfc2047(struct kser_buf *out, const char *s, size_t len,
			enum rfc2047_type type, const char *sep)
{
	size_t line_len = last_line_length(out) + strlen("UTF-8") + 5;

	kser_buf_puts(out, "=?UTF-8?q?");
	while (len) {
		size_t n = char_len(s, len), i;
		bool special = n > 1 ||
			       is_rfc2047_special((unsigned char)*s, type);
		size_t enc = special ? 3 * n : 1;

		if (line_len + enc + 2 > ENCODED_MAX) {
			kser_buf_printf(out, "?=%s=?UTF-8?q?", sep);
			line_len = strlen("UTF-8") + 5 + 1;
		}
		for (i = 0; i < n; i++) {
			if (special)
				kser_buf_printf(out, "=%02X",
						(unsigned char)s[i]);
			else
				kser_buf_putc(out, s[i]);
		}
		line_len += enc;
		s += n;
		len -= n;
	}
	kser_buf_puts(out, "?=");
}

static void add_rfc822_quoted(struct kser_buf *out, const char *s,
			      size_t len)
{
	size_t i;

	kser_buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			kser_buf_putc(out, '\\');
		kser_buf_putc(out, s[i]);
	}
	kser_buf_putc(out, '"');
}

/* --- wrapping, as utf8.c ------------------------------------------------ */

void kser_mailcompose_wrap(struct kser_buf *out, const char *text,
			   int indent1, int indent2, int width)
{
	const char *start = text, *bol, *space;
	size_t orig_len = out->len;
	bool assume_utf8 = true;
	int w;

retry:
	text = start;
	bol = text;
	w = indent1;
	space = NULL;
	if (indent1 < 0) {
		w = -indent1;
		space = text;
	}
	for (;;) {
		char c = *text;

		if (!c || kser_git_isspace(c)) {
			if (w <= width || !space) {
				const char *from = bol;

				if (!c && text == from)
					return;
				if (space)
					from = space;
				else
					for (int i = 0; i < indent1; i++)
						kser_buf_putc(out, ' ');
				kser_buf_put(out, from, (size_t)(text - from));
				if (!c)
					return;
				space = text;
				if (c == '\t') {
					w |= 0x07;
				} else if (c == '\n') {
					space++;
					if (*space == '\n') {
						kser_buf_putc(out, '\n');
						goto new_line;
					} else if (!isalnum((unsigned char)*space)) {
						goto new_line;
					} else {
						kser_buf_putc(out, ' ');
					}
				}
				w++;
				text++;
			} else {
new_line:
				kser_buf_putc(out, '\n');
				text = bol = space + kser_git_isspace(*space);
				space = NULL;
				w = indent1 = indent2;
			}
			continue;
		}
		if (assume_utf8) {
			size_t used;
			int cw = kser_git_char_width(text, strlen(text), &used);

			if (!used) {
				assume_utf8 = false;
				kser_buf_truncate(out, orig_len);
				goto retry;
			}
			w += cw;
			text += used;
		} else {
			w++;
			text++;
		}
	}
}

/* git's strbuf_add_wrapped_bytes(): the same on a counted string. */
static void wrap_bytes(struct kser_buf *out, const char *s, size_t len,
		       int indent1, int indent2, int width)
{
	char *t = strndup(s, len);

	if (!t) {
		kser_buf_put(out, s, len);
		return;
	}
	kser_mailcompose_wrap(out, t, indent1, indent2, width);
	free(t);
}

/* --- headers ------------------------------------------------------------- */

void kser_mailcompose_mailbox(struct kser_buf *out, const char *name,
			      const char *addr)
{
	size_t len = strlen(name);

	if (!len) {
		kser_buf_puts(out, addr);
		return;
	}
	if (needs_encoding(name, len))
		add_rfc2047(out, name, len, RFC2047_ADDRESS, " ");
	else if (needs_rfc822_quoting(name, len))
		add_rfc822_quoted(out, name, len);
	else
		kser_buf_put(out, name, len);
	kser_buf_printf(out, " <%s>", addr);
}

void kser_mailcompose_from(struct kser_buf *out, const char *name,
			   const char *addr)
{
	size_t len = strlen(name), max = MAIL_WRAP;

	kser_buf_puts(out, "From: ");
	if (needs_encoding(name, len)) {
		add_rfc2047(out, name, len, RFC2047_ADDRESS, "\n ");
		max = ENCODED_MAX;
	} else if (needs_rfc822_quoting(name, len)) {
		struct kser_buf q = KSER_BUF_INIT;

		add_rfc822_quoted(&q, name, len);
		wrap_bytes(out, kser_buf_cstr(&q), q.len, -6, 1, MAIL_WRAP);
		kser_buf_release(&q);
	} else {
		wrap_bytes(out, name, len, -6, 1, MAIL_WRAP);
	}
	if (max < last_line_length(out) + strlen(" <") + strlen(addr) + 1)
		kser_buf_putc(out, '\n');
	kser_buf_printf(out, " <%s>\n", addr);
}

void kser_mailcompose_subject(struct kser_buf *out, const char *prefix,
			      const char *subject)
{
	size_t start = out->len, len = strlen(subject), pos;

	kser_buf_printf(out, "Subject: %s", prefix);
	if (needs_encoding(subject, len))
		add_rfc2047(out, subject, len, RFC2047_SUBJECT, " ");
	else
		kser_buf_put(out, subject, len);
	kser_buf_putc(out, '\n');
	if (kser_buf_check(out))
		return;
	/* Past the limit only: fold at the last space that fits. */
	for (pos = start; out->len - 1 - pos > KSER_MAIL_LINE_MAX;) {
		size_t i = pos + KSER_MAIL_LINE_MAX;

		while (i > pos + 9 && out->ptr[i] != ' ')
			i--;
		if (out->ptr[i] != ' ')
			break;	/* one long word: the line check refuses it */
		kser_buf_grow(out, 1);
		if (kser_buf_check(out))
			return;
		memmove(out->ptr + i + 1, out->ptr + i, out->len - i + 1);
		out->ptr[i] = '\n';
		out->len++;
		pos = i + 1;
	}
}

void kser_mailcompose_address_header(struct kser_buf *out, const char *field,
				     char *const *mailboxes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			kser_buf_puts(out, "    ");
		else
			kser_buf_printf(out, "%s: ", field);
		kser_buf_printf(out, "%s%s\n", mailboxes[i],
				i + 1 < n ? "," : "");
	}
}

const struct kser_error *kser_mailcompose_parse_mailbox(char **name,
							char **addr,
							const char *s,
							const char *what)
{
	const struct kser_error *err;
	struct kser_buf n = KSER_BUF_INIT;
	const char *lt, *gt, *p, *end;
	char *a = NULL;

	*name = *addr = NULL;
	err = kser_mailcompose_check_text(s, what, false);
	if (err)
		return err;
	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		end--;
	lt = memrchr(s, '<', (size_t)(end - s));
	gt = end > s && end[-1] == '>' ? end - 1 : NULL;
	if (lt && gt && lt < gt) {
		a = strndup(lt + 1, (size_t)(gt - lt - 1));
		p = s;
		end = lt;
		while (end > p && end[-1] == ' ')
			end--;
		if (end - p >= 2 && *p == '"' && end[-1] == '"') {
			for (p++, end--; p < end; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				kser_buf_putc(&n, *p);
			}
		} else {
			kser_buf_put(&n, p, (size_t)(end - p));
		}
	} else if (lt || gt) {
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: '%s' is not a mailbox (Name "
				      "<name@domain>)", what, s);
	} else {
		a = strndup(s, (size_t)(end - s));
	}
	if (!a || kser_buf_check(&n)) {
		free(a);
		kser_buf_release(&n);
		return kser_error_nomem();
	}
	err = kser_send_addr_check(a, what);
	if (err) {
		free(a);
		kser_buf_release(&n);
		return err;
	}
	*addr = a;
	*name = kser_buf_detach(&n);
	return *name ? NULL : kser_error_nomem();
}

/* --- file names, as log-tree.c ------------------------------------------- */

static bool title_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_';
}

static void sanitized(struct kser_buf *out, const char *s)
{
	size_t start = out->len;
	int space = 2;

	for (; *s; s++) {
		if (title_char(*s)) {
			if (space == 1)
				kser_buf_putc(out, '-');
			space = 0;
			kser_buf_putc(out, *s);
			if (*s == '.')
				while (s[1] == '.')
					s++;
		} else {
			space |= 1;
		}
	}
	while (out->len > start && (out->ptr[out->len - 1] == '.' ||
				    out->ptr[out->len - 1] == '-'))
		kser_buf_truncate(out, out->len - 1);
}

void kser_mailcompose_patch_filename(struct kser_buf *out,
				     unsigned int version,
				     unsigned int number, const char *subject)
{
	static const char suffix[] = ".patch";
	size_t start = out->len;
	size_t max = start + NAME_MAX_BYTES - (sizeof(suffix) - 1 + 1);

	if (version)
		kser_buf_printf(out, "v%u-", version);
	kser_buf_printf(out, "%04u-", number);
	sanitized(out, subject);
	if (out->len > max)
		kser_buf_truncate(out, max);
	kser_buf_puts(out, suffix);
}

bool kser_mailcompose_long_line(const char *text, size_t len, size_t *line)
{
	size_t n = 1, col = 0, i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			n++;
			col = 0;
			continue;
		}
		if (++col > KSER_MAIL_LINE_MAX) {
			*line = n;
			return true;
		}
	}
	return false;
}
