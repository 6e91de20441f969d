// SPDX-License-Identifier: GPL-2.0
/*
 * git mailinfo's line filter: charsets, the mail read line by line,
 * its body split at the patch (scissors, in-body headers, format=flowed,
 * MIME boundaries). Headers are mailinfo_header.c. Uses core.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kser/error.h"
#include "kser/ident.h"
#include "kser/util.h"
#include "kser/mail.h"
#include "kser_lib_mail.h"

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

bool mail_is_utf8_name(const char *cs)
{
	return same_utf("utf-8", cs) || !strcasecmp(cs, "utf-8");
}

bool mail_iconv_convert(struct kser_buf *out, const char *in, size_t len,
			const char *from)
{
	iconv_t cd = iconv_open("UTF-8", from);
	char *ip = (char *)in;
	size_t left = len;

	if (cd == (iconv_t)-1) {
		/* git's fallbacks for spellings iconv may not know. */
		if (mail_is_utf8_name(from))
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

void mi_problem(struct mailinfo *mi, const char *fmt, ...)
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
bool mi_next_line(struct mailinfo *mi, struct kser_buf *line,
		  bool keep_nl)
{
	size_t n;

	kser_buf_clear(line);
	if (mi->pos >= mi->len)
		return false;
	n = mail_line_len(mi->in + mi->pos, mi->len - mi->pos);
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

	if (mail_starts_with(cp, "From ") || mail_starts_with(cp, ">From "))
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
bool mi_read_header_line(struct mailinfo *mi, struct kser_buf *line)
{
	struct kser_buf cont = KSER_BUF_INIT;

	if (!mi_next_line(mi, line, false))
		return false;
	kser_buf_rtrim(line);
	if (!line->len || !is_rfc2822_header(kser_buf_cstr(line))) {
		kser_buf_putc(line, '\n');
		return false;
	}
	while (mi->pos < mi->len &&
	       (mi->in[mi->pos] == ' ' || mi->in[mi->pos] == '\t')) {
		mi_next_line(mi, &cont, false);
		cont.ptr[0] = ' ';
		kser_buf_rtrim(&cont);
		kser_buf_put(line, cont.ptr, cont.len);
	}
	kser_buf_release(&cont);
	return true;
}

/* "Name:" at the start, case-insensitively; *val after ':' and blanks. */
bool mi_skip_header(const char *line, const char *name, const char **val)
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
		if (mail_starts_with(c, ">8") || mail_starts_with(c, "8<") ||
		    mail_starts_with(c, ">%") || mail_starts_with(c, "%<")) {
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

	if (mail_starts_with(l, "diff -") || mail_starts_with(l, "Index: "))
		return true;
	if (line->len < 4 || !mail_starts_with(l, "---"))
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

	if (len != 5 + 40 + strlen(tail) || !mail_starts_with(line, "From "))
		return false;
	if (strspn(line + 5, "0123456789abcdef") != 40)
		return false;
	return !memcmp(line + 45, tail, strlen(tail));
}

static void flush_inbody(struct mailinfo *mi)
{
	if (!mi->accum.len)
		return;
	mi_check_header(mi, mi->accum.ptr, mi->s_hdr, mi->s_set, false);
	kser_buf_clear(&mi->accum);
}

static bool is_inbody_header(struct mailinfo *mi, const char *line)
{
	const char *v;
	int i;

	for (i = 0; i < NHDR; i++)
		if (!mi->s_set[i] && mi_skip_header(line, mi_hdr_names[i], &v))
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
	if (mail_starts_with(l, ">From") && isspace((unsigned char)l[5]))
		return is_format_patch_separator(l + 1, line->len - 1);
	if (mail_starts_with(l, "[PATCH]") && isspace((unsigned char)l[7])) {
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
	if (!mi_convert_to_utf8(mi, line, kser_buf_cstr(&mi->charset)))
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
	while (mi_next_line(mi, line, false))
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
	while (mi_read_header_line(mi, line))
		mi_check_header(mi, line->ptr, mi->p_hdr, mi->p_set, false);
	if (!mi_next_line(mi, line, false))
		return false;
	kser_buf_putc(line, '\n');
	return true;
}

void mi_handle_body(struct mailinfo *mi, struct kser_buf *line)
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
			mi_decode_q(&dec, kser_buf_cstr(line), false);
		else
			mi_decode_b(&dec, kser_buf_cstr(line));
		/* Decoded text holds any number of lines, the last maybe
		 * partial: that one waits for the next line. */
		{
			size_t pos = 0;

			while (pos < dec.len) {
				size_t n = mail_line_len(dec.ptr + pos,
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
	} while (!mi->nomem && mi_next_line(mi, line, true));
	if (prev.len)
		handle_filter(mi, &prev);
	flush_inbody(mi);
done:
	kser_buf_release(&prev);
	kser_buf_release(&dec);
	kser_buf_release(&piece);
}
