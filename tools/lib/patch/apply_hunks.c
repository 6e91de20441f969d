// SPDX-License-Identifier: GPL-2.0
/*
 * Hunks applied to a preimage held in memory, matched as git apply
 * matches them: every context line byte for byte; a hunk searched for
 * from the line its header names (in the postimage's numbering, since
 * earlier hunks have already been applied), then one line further, one
 * line back, two further and so on; a hunk whose old range starts at line
 * 0 or 1 must match at the start of the file, and a hunk without
 * trailing context at its end; lines an earlier hunk produced are never
 * matched again. There is no fuzz. Uses core.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/treeedit.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

/* --- text -------------------------------------------------------------- */

struct line {
	const char *p;
	size_t len;		/* including the newline, if any */
	bool patched;
};

struct image {
	struct line *lines;
	size_t nr, alloc;
};

static void image_release(struct image *img)
{
	free(img->lines);
	memset(img, 0, sizeof(*img));
}

static const struct kser_error *image_push(struct image *img, const char *p,
					   size_t len, bool patched)
{
	const struct kser_error *err = kser_array_grow(
		(void **)&img->lines, &img->alloc, img->nr,
		sizeof(*img->lines), 64);

	if (err)
		return err;
	img->lines[img->nr].p = p;
	img->lines[img->nr].len = len;
	img->lines[img->nr].patched = patched;
	img->nr++;
	return NULL;
}

static const struct kser_error *image_load(struct image *img, const char *buf,
					   size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - buf - pos) + 1 : len - pos;
		const struct kser_error *err = image_push(img, buf + pos, n,
							  false);

		if (err)
			return err;
		pos += n;
	}
	return NULL;
}

/* A hunk line as it appears in the file on the given side. */
static size_t hunk_line_len(const struct kser_hunk_line *l)
{
	return l->len + (l->noeol ? 0 : 1);
}

static bool line_eq(const struct line *a, const struct line *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

static bool match_at(const struct image *img, const struct image *pre,
		     size_t at, bool match_beginning, bool match_end)
{
	size_t i;

	if (match_beginning && at)
		return false;
	if (at + pre->nr > img->nr)
		return false;
	if (match_end && at + pre->nr != img->nr)
		return false;
	for (i = 0; i < pre->nr; i++) {
		if (img->lines[at + i].patched ||
		    !line_eq(&img->lines[at + i], &pre->lines[i]))
			return false;
	}
	return true;
}

/* git's search order: the hint, then +1, -1, +2, -2 ... */
static bool find_pos(const struct image *img, const struct image *pre,
		     size_t hint, bool match_beginning, bool match_end,
		     size_t *found)
{
	size_t back, fwd, cur;
	unsigned long i;

	if (pre->nr > img->nr)
		return false;
	if (match_beginning)
		hint = 0;
	else if (match_end)
		hint = img->nr - pre->nr;
	if (hint > img->nr)
		hint = img->nr;
	back = fwd = cur = hint;
	for (i = 0;; i++) {
		if (match_at(img, pre, cur, match_beginning, match_end)) {
			*found = cur;
			return true;
		}
again:
		if (back == 0 && fwd == img->nr)
			return false;
		if (i & 1) {
			if (back == 0) {
				i++;
				goto again;
			}
			cur = --back;
		} else {
			if (fwd == img->nr) {
				i++;
				goto again;
			}
			cur = ++fwd;
		}
	}
}

static void print_line(struct kser_buf *b, const char *p, size_t len)
{
	size_t i;

	if (len && p[len - 1] == '\n')
		len--;
	kser_buf_putc(b, '\'');
	for (i = 0; i < len && i < 72; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\t')
			kser_buf_puts(b, "\\t");
		else if (c == '\r')
			kser_buf_puts(b, "\\r");
		else if (c < 32 || c == 127)
			kser_buf_printf(b, "\\x%02x", c);
		else
			kser_buf_putc(b, (char)c);
	}
	if (len > 72)
		kser_buf_puts(b, "...");
	kser_buf_putc(b, '\'');
}

/* Explains why the hunk does not match where its header says it should. */
static const struct kser_error *hunk_failure(const struct image *img,
					     const struct image *pre,
					     const struct kser_hunk *h,
					     size_t nth, bool match_beginning,
					     bool match_end)
{
	const struct kser_error *err;
	struct kser_buf why = KSER_BUF_INIT;
	size_t at = h->new_start ? h->new_start - 1 : 0, i;

	if (match_beginning)
		at = 0;
	else if (match_end && img->nr >= pre->nr)
		at = img->nr - pre->nr;
	kser_buf_printf(&why, "hunk #%zu (%.*s) does not apply: ", nth,
			(int)h->header_len, h->header);
	if ((match_beginning || match_end) &&
	    find_pos(img, pre, at, false, false, &i)) {
		kser_buf_printf(&why, "its context is at line %zu, but a hunk "
				"%s must apply at the %s of the file", i + 1,
				match_beginning ? "starting at line 1" :
				"without trailing context",
				match_beginning ? "start" : "end");
		goto done;
	}
	if (pre->nr > img->nr) {
		kser_buf_printf(&why, "it needs %zu lines of context and the "
				"file has %zu", pre->nr, img->nr);
		goto done;
	}
	for (i = 0; i < pre->nr; i++) {
		if (at + i >= img->nr) {
			kser_buf_printf(&why, "the file ends at line %zu, "
					"before the hunk's ", img->nr);
			print_line(&why, pre->lines[i].p, pre->lines[i].len);
			goto done;
		}
		if (!line_eq(&img->lines[at + i], &pre->lines[i])) {
			kser_buf_printf(&why, "line %zu is ", at + i + 1);
			print_line(&why, img->lines[at + i].p,
				   img->lines[at + i].len);
			kser_buf_puts(&why, ", the patch expects ");
			print_line(&why, pre->lines[i].p, pre->lines[i].len);
			if (img->lines[at + i].len != pre->lines[i].len &&
			    img->lines[at + i].len && pre->lines[i].len &&
			    (img->lines[at + i].p[img->lines[at + i].len - 1]
			     == '\n') !=
			    (pre->lines[i].p[pre->lines[i].len - 1] == '\n'))
				kser_buf_puts(&why, " (newline at end of "
					      "file differs)");
			kser_buf_puts(&why, ", and the context matches "
				      "nowhere else");
			goto done;
		}
		if (img->lines[at + i].patched) {
			kser_buf_printf(&why, "line %zu was changed by an "
					"earlier hunk", at + i + 1);
			goto done;
		}
	}
	kser_buf_printf(&why, "the context matches at line %zu but the hunk "
			"must apply at the %s of the file", at + 1,
			match_beginning ? "start" : "end");
done:
	err = kser_buf_check(&why) ? kser_error_nomem() :
	      kser_error_fmt(KSER_ERR_APPLY, "%s", why.ptr);
	kser_buf_release(&why);
	return err;
}

static const struct kser_error *apply_hunk(struct image *img,
					   const struct kser_hunk *h,
					   size_t nth, struct kser_buf *notes)
{
	const struct kser_error *err = NULL;
	struct image pre = { 0 }, post = { 0 };
	bool match_beginning, match_end;
	size_t i, hint, pos;

	for (i = 0; i < h->nlines && !err; i++) {
		const struct kser_hunk_line *l = &h->lines[i];
		size_t len = hunk_line_len(l);

		if (l->type != '+')
			err = image_push(&pre, l->text, len, false);
		if (!err && l->type != '-')
			err = image_push(&post, l->text, len, true);
	}
	if (err)
		goto done;

	match_beginning = h->old_start == 0 || h->old_start == 1;
	match_end = h->trailing == 0;
	hint = h->new_start ? h->new_start - 1 : 0;
	if (!find_pos(img, &pre, hint, match_beginning, match_end, &pos)) {
		err = hunk_failure(img, &pre, h, nth, match_beginning,
				   match_end);
		goto done;
	}
	if (notes && pos != hint)
		kser_buf_printf(notes, "hunk #%zu applied at offset %+ld\n",
				nth, (long)pos - (long)hint);

	/* Splice post in place of the matched lines. */
	while (img->nr + post.nr - pre.nr > img->alloc) {
		err = kser_array_grow((void **)&img->lines, &img->alloc,
				      img->alloc, sizeof(*img->lines), 64);
		if (err)
			goto done;
	}
	memmove(img->lines + pos + post.nr, img->lines + pos + pre.nr,
		(img->nr - pos - pre.nr) * sizeof(*img->lines));
	if (post.nr)
		memcpy(img->lines + pos, post.lines,
		       post.nr * sizeof(*post.lines));
	img->nr = img->nr + post.nr - pre.nr;
done:
	image_release(&pre);
	image_release(&post);
	return err;
}

const struct kser_error *kser_apply_hunks(struct kser_buf *out,
					  const char *pre, size_t prelen,
					  const struct kser_file_patch *fp,
					  struct kser_buf *notes)
{
	const struct kser_error *err;
	struct image img = { 0 };
	size_t i;

	err = image_load(&img, pre, prelen);
	for (i = 0; !err && i < fp->nhunks; i++)
		err = apply_hunk(&img, &fp->hunks[i], i + 1, notes);
	if (!err) {
		kser_buf_clear(out);
		for (i = 0; i < img.nr; i++)
			kser_buf_put(out, img.lines[i].p, img.lines[i].len);
		err = kser_buf_check(out);
	}
	image_release(&img);
	return err;
}
