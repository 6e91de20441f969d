// SPDX-License-Identifier: GPL-2.0
/*
 * The text git range-diff compares, piece by piece. git makes it from
 * `git log -p --no-prefix --pretty=medium` output with its own output
 * indicators and rewrites it while reading: the author line, the indented
 * message, " ## path ##" instead of the diff headers, hunk headers without
 * line numbers. Here the same text is written directly.
 */
#include <stdio.h>
#include <string.h>

#include "kser/rdtext.h"

struct width_range {
	uint32_t first, last;
};

#include "width_table.inc"

void kser_rdtext_init(struct kser_rdtext *t, struct kser_buf *out)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
}

/* Decodes one character as git's pick_one_utf8_char(); 0 when invalid. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *ch)
{
	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*ch = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		if (n < 2 || (s[1] & 0xc0) != 0x80 || (s[0] & 0xfe) == 0xc0)
			return 0;
		*ch = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[0] == 0xe0 && (s[1] & 0xe0) == 0x80) ||
		    (s[0] == 0xed && (s[1] & 0xe0) == 0xa0) ||
		    (s[0] == 0xef && s[1] == 0xbf && (s[2] & 0xfe) == 0xbe))
			return 0;
		*ch = (uint32_t)(s[0] & 0x0f) << 12 |
		      (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80 ||
		    (s[0] == 0xf0 && (s[1] & 0xf0) == 0x80) ||
		    (s[0] == 0xf4 && s[1] > 0x8f) || s[0] > 0xf4)
			return 0;
		*ch = (uint32_t)(s[0] & 0x07) << 18 |
		      (uint32_t)(s[1] & 0x3f) << 12 |
		      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

size_t kser_utf8_valid_prefix(const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint32_t ch;
		size_t n = utf8_char((const unsigned char *)s + off,
				     len - off, &ch);

		if (!n)
			break;
		off += n;
	}
	return off;
}

static bool in_table(uint32_t ch, const struct width_range *t, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ch < t[mid].first)
			hi = mid;
		else if (ch > t[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

int kser_git_char_width(const char *s, size_t len, size_t *used)
{
	uint32_t ch = 0;

	*used = utf8_char((const unsigned char *)s, len, &ch);
	if (!*used || ch == 0)
		return 0;
	if (ch < 32 || (ch >= 0x7f && ch < 0xa0))
		return -1;
	if (in_table(ch, zero_width, sizeof(zero_width) /
		     sizeof(zero_width[0])))
		return 0;
	return in_table(ch, double_width, sizeof(double_width) /
			sizeof(double_width[0])) ? 2 : 1;
}

/* The columns of s as git counts them; -1 for invalid UTF-8 or controls. */
static int text_width(const char *s, size_t len)
{
	size_t off = 0;
	int width = 0;

	while (off < len) {
		uint32_t ch = 0;
		size_t n = utf8_char((const unsigned char *)s + off,
				     len - off, &ch);

		if (!n)
			return -1;
		off += n;
		if (ch == 0)
			continue;
		if (ch < 32 || (ch >= 0x7f && ch < 0xa0))
			return -1;
		if (in_table(ch, zero_width, sizeof(zero_width) /
			     sizeof(zero_width[0])))
			continue;
		width += in_table(ch, double_width, sizeof(double_width) /
				  sizeof(double_width[0])) ? 2 : 1;
	}
	return width;
}

/* Tabs to spaces, stops every 8 columns, as git log --pretty=medium. */
static void put_tabexpanded(struct kser_buf *out, const char *line,
			    size_t len)
{
	const char *tab;

	while ((tab = memchr(line, '\t', len))) {
		int width = text_width(line, (size_t)(tab - line));

		if (width < 0)
			break;
		kser_buf_put(out, line, (size_t)(tab - line));
		kser_buf_printf(out, "%*s", 8 - width % 8, "");
		len -= (size_t)(tab + 1 - line);
		line = tab + 1;
	}
	kser_buf_put(out, line, len);
}

/* The next line of s: its length without the newline, *next after it. */
static size_t next_line(const char *s, const char **next)
{
	const char *nl = strchr(s, '\n');
	size_t len = nl ? (size_t)(nl - s) : strlen(s);

	*next = s + len + (nl ? 1 : 0);
	return len;
}

static size_t rtrim_len(const char *s, size_t len)
{
	while (len && kser_git_isspace(s[len - 1]))
		len--;
	return len;
}

void kser_rdtext_meta(struct kser_rdtext *t, const char *name,
		      const char *email, const char *message)
{
	struct kser_buf *out = t->out;
	const char *p = message ? message : "", *next;
	size_t pending_blank = 0, len;
	bool first = true;

	kser_buf_printf(out, " ## Metadata ##\nAuthor: %s <%s>\n\n"
			" ## Commit message ##\n", name ? name : "",
			email ? email : "");
	/* Leading blank lines dropped, trailing ones too, all lines
	 * right-trimmed and indented by four. */
	for (; *p; p = next) {
		len = rtrim_len(p, next_line(p, &next));
		if (!len) {
			if (!first)
				pending_blank++;
			continue;
		}
		first = false;
		for (; pending_blank; pending_blank--)
			kser_buf_putc(out, '\n');
		kser_buf_puts(out, "    ");
		put_tabexpanded(out, p, len);
		kser_buf_putc(out, '\n');
	}
}

void kser_rdtext_notes(struct kser_rdtext *t, const char *header,
		       const char *note)
{
	const char *p = note, *next, *end;
	size_t len = strlen(note);

	while (len && note[len - 1] == '\n')
		len--;
	end = note + len;
	kser_buf_printf(t->out, "\n\n ## %s ##\n", header);
	/* Each line indented, then right-trimmed as git reads it back. */
	for (; p < end; p = next) {
		size_t n = next_line(p, &next);

		if (p + n > end)
			n = (size_t)(end - p);
		n = rtrim_len(p, n);
		if (n) {
			kser_buf_puts(t->out, "    ");
			kser_buf_put(t->out, p, n);
		}
		kser_buf_putc(t->out, '\n');
	}
}

static void start_entry(struct kser_rdtext *t)
{
	kser_buf_putc(t->out, '\n');
	if (!t->in_files) {
		t->in_files = true;
		t->diff_offset = t->out->len;
	}
}

void kser_rdtext_file(struct kser_rdtext *t, enum kser_rdtext_kind kind,
		      const char *old_path, const char *new_path,
		      uint32_t old_mode, uint32_t new_mode)
{
	struct kser_buf *out = t->out;

	start_entry(t);
	kser_buf_puts(out, " ## ");
	switch (kind) {
	case KSER_RDTEXT_NEW:
		kser_buf_printf(out, "%s (new)", new_path);
		break;
	case KSER_RDTEXT_DELETED:
		kser_buf_printf(out, "%s (deleted)", old_path);
		break;
	case KSER_RDTEXT_RENAMED:
		kser_buf_printf(out, "%s => %s", old_path, new_path);
		break;
	default:
		kser_buf_puts(out, new_path ? new_path : old_path);
		break;
	}
	t->filename = kind == KSER_RDTEXT_DELETED ? old_path :
		      (new_path ? new_path : old_path);
	if (old_mode && new_mode && old_mode != new_mode)
		kser_buf_printf(out, " (mode change %06o => %06o)",
				(unsigned int)old_mode,
				(unsigned int)new_mode);
	kser_buf_puts(out, " ##\n");
	t->diffsize++;
}

void kser_rdtext_hunk(struct kser_rdtext *t, const char *func, size_t len)
{
	kser_buf_puts(t->out, "@@");
	if (len && t->filename)
		kser_buf_printf(t->out, " %s:", t->filename);
	kser_buf_put(t->out, func, len);
	kser_buf_putc(t->out, '\n');
	t->diffsize++;
}

void kser_rdtext_line(struct kser_rdtext *t, char origin, const char *text,
		      size_t len)
{
	/* git reads the line as a C string: a NUL ends it. */
	const char *nul = memchr(text, '\0', len);

	if (nul)
		len = (size_t)(nul - text);
	kser_buf_putc(t->out, origin);
	kser_buf_put(t->out, text, len);
	kser_buf_putc(t->out, '\n');
	t->diffsize++;
}

void kser_rdtext_noeol(struct kser_rdtext *t)
{
	kser_buf_puts(t->out, " \\ No newline at end of file\n");
	t->diffsize++;
}

void kser_rdtext_binary(struct kser_rdtext *t, const char *old_path,
			const char *new_path)
{
	kser_buf_puts(t->out, " Binary files ");
	if (old_path)
		kser_quote_path(t->out, "", old_path);
	else
		kser_buf_puts(t->out, "/dev/null");
	kser_buf_puts(t->out, " and ");
	if (new_path)
		kser_quote_path(t->out, "", new_path);
	else
		kser_buf_puts(t->out, "/dev/null");
	kser_buf_puts(t->out, " differ\n");
	t->diffsize++;
}

static bool needs_quote(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f;
}

void kser_quote_path(struct kser_buf *out, const char *prefix,
		     const char *path)
{
	const unsigned char *p;
	bool quote = false;

	for (p = (const unsigned char *)path; *p; p++)
		if (needs_quote(*p))
			quote = true;
	if (!quote) {
		kser_buf_printf(out, "%s%s", prefix, path);
		return;
	}
	kser_buf_printf(out, "\"%s", prefix);
	for (p = (const unsigned char *)path; *p; p++) {
		static const char esc[] = "\a\b\t\n\v\f\r";
		static const char letter[] = "abtnvfr";
		const char *e = *p ? strchr(esc, *p) : NULL;

		if (!needs_quote(*p))
			kser_buf_putc(out, (char)*p);
		else if (*p == '"' || *p == '\\')
			kser_buf_printf(out, "\\%c", *p);
		else if (e)
			kser_buf_printf(out, "\\%c", letter[e - esc]);
		else
			kser_buf_printf(out, "\\%03o", *p);
	}
	kser_buf_putc(out, '"');
}

void kser_message_subject(struct kser_buf *out, const char *message)
{
	const char *p = message ? message : "", *next;
	bool first = true;
	size_t len;

	/* Blank lines before the subject do not count. */
	while (*p) {
		len = rtrim_len(p, next_line(p, &next));
		if (len)
			break;
		p = next;
	}
	for (; *p; p = next) {
		len = rtrim_len(p, next_line(p, &next));
		if (!len)
			break;
		if (!first)
			kser_buf_putc(out, ' ');
		kser_buf_put(out, p, len);
		first = false;
	}
}
