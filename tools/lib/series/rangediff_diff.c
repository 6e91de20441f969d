// SPDX-License-Identifier: GPL-2.0
/*
 * The diff of two patch texts: its size (the cost of a pair) and its
 * rendering as git range-diff prints it. libgit2's xdiff makes the hunks;
 * the hunk headers name the section they are in, found as git's
 * range-diff driver finds it (the nearest " ## ... ##" or "@@ ..." line
 * above), and the colours are git's dual colours: the outer diff's sign
 * in reverse video, the inner diff's lines in their own colours.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/error.h"
#include "kser/rangediff.h"
#include "kser/rdtext.h"
#include "kser_lib_series.h"

/* --- size -------------------------------------------------------------- */

static int count_hunk(const git_diff_delta *d, const git_diff_hunk *h,
		      void *arg)
{
	(void)d;
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static int count_line(const git_diff_delta *d, const git_diff_hunk *h,
		      const git_diff_line *l, void *arg)
{
	(void)d;
	(void)h;
	if (l->origin == GIT_DIFF_LINE_CONTEXT ||
	    l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		(*(int *)arg)++;
	return 0;
}

const struct kser_error *kser_rangediff_diffsize(int *out, const char *a,
						 size_t alen, const char *b,
						 size_t blen)
{
	git_diff_options o = GIT_DIFF_OPTIONS_INIT;

	/* git measures with xdiff's plain defaults: no indent heuristic. */
	o.context_lines = 3;
	o.interhunk_lines = 0;
	o.flags = GIT_DIFF_FORCE_TEXT;
	*out = 0;
	if (git_diff_buffers(a, alen, "a", b, blen, "b", &o, NULL, NULL,
			     count_hunk, count_line, out) < 0)
		return kser_error_git("cannot diff two patches");
	return NULL;
}

/* --- rendering --------------------------------------------------------- */

#define PREFIX "    "
#define FUNC_MAX 80

enum slot {
	S_RESET, S_CONTEXT, S_FRAG, S_FUNC, S_OLD, S_NEW,
	S_CONTEXT_BOLD, S_OLD_BOLD, S_NEW_BOLD,
	S_CONTEXT_DIM, S_OLD_DIM, S_NEW_DIM, S_NONE,
};

static const char *const colors[] = {
	[S_RESET] = "\033[m",
	[S_CONTEXT] = "",
	[S_FRAG] = "\033[36m",
	[S_FUNC] = "",
	[S_OLD] = "\033[31m",
	[S_NEW] = "\033[32m",
	[S_CONTEXT_BOLD] = "\033[1m",
	[S_OLD_BOLD] = "\033[1;31m",
	[S_NEW_BOLD] = "\033[1;32m",
	[S_CONTEXT_DIM] = "\033[2m",
	[S_OLD_DIM] = "\033[2;31m",
	[S_NEW_DIM] = "\033[2;32m",
};

struct render {
	struct kser_buf *out;
	bool color;
	const char *a;
	size_t alen;
	size_t *lines;		/* offsets of a's lines */
	size_t nlines;
	long func_limit;	/* lines below this were searched already */
	char func[FUNC_MAX];
	size_t func_len;
	size_t adds, dels;
	const struct kser_error *err;
};

static const char *col(const struct render *r, enum slot s)
{
	return r->color && s != S_NONE ? colors[s] : "";
}

/*
 * git's emit_line_0(): the prefix, a sign in set_sign (with the reverse
 * attribute for the outer diff's + and -), the text in set, a reset
 * whenever something was coloured, the newline after it.
 */
static void emit_line(struct render *r, enum slot set_sign, enum slot set,
		      bool reverse, char sign, const char *line, size_t len)
{
	struct kser_buf *out = r->out;
	bool nl = false, cr = false, reset = false;

	kser_buf_puts(out, PREFIX);
	if (len && line[len - 1] == '\n') {
		nl = true;
		len--;
	}
	if (len && line[len - 1] == '\r') {
		cr = true;
		len--;
	}
	if (!len && !sign)
		goto end;
	if (reverse && r->color) {
		kser_buf_puts(out, "\033[7m");
		reset = true;
	}
	if (set_sign != S_NONE) {
		kser_buf_puts(out, col(r, set_sign));
		reset = true;
	}
	if (sign)
		kser_buf_putc(out, sign);
	if (!len)
		goto end;
	if (set != S_NONE) {
		if (set_sign != S_NONE && set != set_sign)
			kser_buf_puts(out, col(r, S_RESET));
		kser_buf_puts(out, col(r, set));
		reset = true;
	}
	kser_buf_put(out, line, len);
	reset = true;
end:
	if (reset)
		kser_buf_puts(out, col(r, S_RESET));
	if (cr)
		kser_buf_putc(out, '\r');
	if (nl)
		kser_buf_putc(out, '\n');
}

/*
 * The section a line opens, as git's range-diff driver sees it: the
 * regular expressions "^ ## (.*) ##$" and "^.?@@ (.*)$", in a UTF-8
 * locale (so the text must be valid UTF-8 to match).
 */
static bool section_name(const char *line, size_t len, const char **name,
			 size_t *name_len)
{
	if (len >= 2 && line[len - 1] == '\n' && line[len - 2] == '\r')
		len -= 2;
	else if (len && line[len - 1] == '\n')
		len--;
	if (len >= 7 && !memcmp(line, " ## ", 4) &&
	    !memcmp(line + len - 3, " ##", 3)) {
		*name = line + 4;
		*name_len = len - 7;
	} else if (len >= 3 && !memcmp(line, "@@ ", 3)) {
		*name = line + 3;
		*name_len = len - 3;
	} else {
		size_t first = kser_utf8_valid_prefix(line, len ? 1 : 0);

		if (!first && len && (unsigned char)line[0] >= 0x80) {
			/* one multi-byte character */
			size_t n = 2;

			while (n <= 4 && n <= len &&
			       kser_utf8_valid_prefix(line, n) != n)
				n++;
			first = n <= 4 && n <= len ? n : 0;
		}
		if (!first || len < first + 3 ||
		    memcmp(line + first, "@@ ", 3))
			return false;
		*name = line + first + 3;
		*name_len = len - first - 3;
	}
	return kser_utf8_valid_prefix(*name, *name_len) == *name_len;
}

/* The nearest section line above line `start` (0-based), as xdiff. */
static void find_func(struct render *r, long start)
{
	long l;

	for (l = start; l > r->func_limit && l >= 0; l--) {
		size_t off = r->lines[l];
		size_t end = (size_t)l + 1 < r->nlines ? r->lines[l + 1] :
			     r->alen;
		const char *name;
		size_t len;

		if (!section_name(r->a + off, end - off, &name, &len))
			continue;
		if (len > FUNC_MAX)
			len = FUNC_MAX;
		while (len && kser_git_isspace(name[len - 1]))
			len--;
		memcpy(r->func, name, len);
		r->func_len = len;
		break;
	}
	r->func_limit = start;
}

/* git's emit_hunk_header() with the line counts suppressed. */
static void emit_hunk(struct render *r, const git_diff_hunk *h)
{
	struct kser_buf line = KSER_BUF_INIT, msg = KSER_BUF_INIT;
	const char *p, *ep, *cp;
	size_t len, org_len, valid;
	long start = h->old_lines ? h->old_start - 1 : h->old_start;
	int i;

	find_func(r, start - 1);
	kser_buf_printf(&line, "@@ -%d,%d +%d,%d @@", h->old_start,
			h->old_lines, h->new_start, h->new_lines);
	if (r->func_len) {
		kser_buf_putc(&line, ' ');
		kser_buf_put(&line, r->func, r->func_len);
	}
	kser_buf_putc(&line, '\n');
	if (kser_buf_check(&line)) {
		r->err = kser_error_nomem();
		goto done;
	}
	/* A line cut inside a character ends before it. */
	valid = kser_utf8_valid_prefix(line.ptr, line.len);
	org_len = len = valid;
	p = line.ptr;
	ep = strstr(p + 2, "@@") + 2;
	if (r->color)
		kser_buf_puts(&msg, "\033[7m");
	kser_buf_puts(&msg, col(r, S_FRAG));
	kser_buf_puts(&msg, "@@");
	kser_buf_puts(&msg, col(r, S_RESET));
	for (i = 1; i < 3; i++)
		if (len >= (size_t)i &&
		    (p[len - i] == '\r' || p[len - i] == '\n'))
			len--;
	for (cp = ep; ep < p + len; ep++)
		if (*ep != ' ' && *ep != '\t')
			break;
	if (ep != cp) {
		kser_buf_puts(&msg, col(r, S_CONTEXT));
		kser_buf_put(&msg, cp, (size_t)(ep - cp));
		kser_buf_puts(&msg, col(r, S_RESET));
	}
	if (ep < p + len) {
		kser_buf_puts(&msg, col(r, S_FUNC));
		kser_buf_put(&msg, ep, (size_t)(p + len - ep));
		kser_buf_puts(&msg, col(r, S_RESET));
	}
	kser_buf_put(&msg, p + len, org_len - len);
	if (!msg.len || msg.ptr[msg.len - 1] != '\n')
		kser_buf_putc(&msg, '\n');
	kser_buf_puts(r->out, PREFIX);
	kser_buf_put(r->out, msg.ptr, msg.len);
done:
	kser_buf_release(&line);
	kser_buf_release(&msg);
}

static int on_hunk(const git_diff_delta *d, const git_diff_hunk *h,
		   void *arg)
{
	(void)d;
	emit_hunk(arg, h);
	return 0;
}

static enum slot inner_slot(const char *line, size_t len, enum slot plus,
			    enum slot minus, enum slot at, enum slot other)
{
	char c = len ? line[0] : 0;

	return c == '+' ? plus : c == '-' ? minus : c == '@' ? at : other;
}

static int on_line(const git_diff_delta *d, const git_diff_hunk *h,
		   const git_diff_line *l, void *arg)
{
	struct render *r = arg;
	const char *t = l->content;
	size_t n = l->content_len;

	(void)d;
	(void)h;
	switch (l->origin) {
	case GIT_DIFF_LINE_CONTEXT:
		/* git passes the colour as the sign's: it covers both */
		emit_line(r, inner_slot(t, n, S_NEW, S_OLD, S_FRAG,
					S_CONTEXT), S_NONE, false, ' ', t, n);
		break;
	case GIT_DIFF_LINE_ADDITION:
		r->adds++;
		emit_line(r, S_NEW, inner_slot(t, n, S_NEW_BOLD, S_OLD_BOLD,
					       S_FRAG, S_CONTEXT_BOLD),
			  true, '+', t, n);
		break;
	case GIT_DIFF_LINE_DELETION:
		r->dels++;
		emit_line(r, S_OLD, inner_slot(t, n, S_NEW_DIM, S_OLD_DIM,
					       S_FRAG, S_CONTEXT_DIM),
			  true, '-', t, n);
		break;
	default:
		break;
	}
	return 0;
}

const struct kser_error *
kser_rangediff_diff(struct kser_buf *out, const struct kser_rangediff_patch *a,
		    const struct kser_rangediff_patch *b, bool color,
		    size_t *adds, size_t *dels)
{
	git_diff_options o = GIT_DIFF_OPTIONS_INIT;
	struct render r;
	size_t i, k = 0;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.color = color;
	r.a = a->text;
	r.alen = a->len;
	r.func_limit = -1;
	for (i = 0; i < a->len; i++)
		if (a->text[i] == '\n')
			k++;
	r.lines = malloc((k + 2) * sizeof(*r.lines));
	if (!r.lines)
		return kser_error_nomem();
	r.lines[r.nlines++] = 0;
	for (i = 0; i < a->len; i++)
		if (a->text[i] == '\n' && i + 1 < a->len)
			r.lines[r.nlines++] = i + 1;
	if (!a->len)
		r.nlines = 0;

	/* git's diff defaults for the rendering: the indent heuristic. */
	o.context_lines = 3;
	o.interhunk_lines = 0;
	o.flags = GIT_DIFF_FORCE_TEXT | GIT_DIFF_INDENT_HEURISTIC;
	if (git_diff_buffers(a->text, a->len, "a", b->text, b->len, "b", &o,
			     NULL, NULL, on_hunk, on_line, &r) < 0 && !r.err)
		r.err = kser_error_git("cannot diff two patches");
	free(r.lines);
	if (adds)
		*adds = r.adds;
	if (dels)
		*dels = r.dels;
	return r.err ? r.err : kser_buf_check(out);
}
