// SPDX-License-Identifier: GPL-2.0
/*
 * Applying patches in memory.
 *
 * Matching follows git apply exactly, so that kser and `git am` agree on
 * what applies and where: every context line must match byte for byte; a
 * hunk is searched for from the line its header names (in the postimage's
 * numbering, since earlier hunks have already been applied), then one line
 * further, one line back, two further and so on; a hunk whose old range
 * starts at line 0 or 1 must match at the start of the file, and a hunk
 * without trailing context at its end; lines an earlier hunk produced are
 * never matched again. There is no fuzz.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "kser/apply.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/patch.h"
#include "kser/path.h"
#include "kser/treeedit.h"

void kser_apply_report_init(struct kser_apply_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	kser_buf_init(&rep->notes);
}

void kser_apply_report_release(struct kser_apply_report *rep)
{
	kser_buf_release(&rep->notes);
	memset(rep, 0, sizeof(*rep));
}

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

/* --- binary ------------------------------------------------------------ */

/*
 * Deflate turns at most 1032 bytes into one (runs of 258-byte matches):
 * data that claims to inflate to more than that was never deflated.
 */
#define DEFLATE_MAX_RATIO 1032

/*
 * Inflates a binary patch's data, which must come to the size its header
 * states. That size is trusted only as far as the data can go: a header
 * claiming more than DEFLATE_MAX_RATIO times the data is refused before
 * anything is allocated.
 */
static const struct kser_error *inflate_exact(struct kser_buf *out,
					      const struct kser_binary *bin)
{
	struct libdeflate_decompressor *d;
	enum libdeflate_result r;

	kser_buf_clear(out);
	if (bin->inflated_len / DEFLATE_MAX_RATIO > bin->len)
		goto corrupt;
	kser_buf_grow(out, bin->inflated_len);
	if (kser_buf_check(out))
		return kser_error_nomem();
	d = libdeflate_alloc_decompressor();
	if (!d)
		return kser_error_nomem();
	/* NULL for the actual size: anything but exactly that is an error. */
	r = libdeflate_zlib_decompress(d, bin->data, bin->len, out->ptr,
				       bin->inflated_len, NULL);
	libdeflate_free_decompressor(d);
	if (r == LIBDEFLATE_SUCCESS) {
		out->len = bin->inflated_len;
		out->ptr[out->len] = '\0';
		return NULL;
	}
corrupt:
	return kser_error_fmt(KSER_ERR_BAD_INPUT,
			      "corrupt binary patch: the data does not "
			      "inflate to %zu bytes", bin->inflated_len);
}

static bool delta_varint(const unsigned char **p, const unsigned char *end,
			 size_t *out)
{
	size_t v = 0;
	unsigned int shift = 0;
	unsigned char c;

	do {
		if (*p >= end || shift > 56)
			return false;
		c = *(*p)++;
		v |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*out = v;
	return true;
}

const struct kser_error *kser_apply_delta(struct kser_buf *out,
					  const unsigned char *base,
					  size_t base_len,
					  const unsigned char *delta,
					  size_t delta_len)
{
	const unsigned char *p = delta, *end = delta + delta_len;
	size_t src_len, dst_len;

	kser_buf_clear(out);
	if (!delta_varint(&p, end, &src_len) ||
	    !delta_varint(&p, end, &dst_len))
		goto corrupt;
	if (src_len != base_len)
		return kser_error_fmt(KSER_ERR_APPLY,
				      "binary delta expects a %zu-byte "
				      "preimage, the file has %zu bytes",
				      src_len, base_len);
	while (p < end) {
		unsigned char op = *p++;

		if (op & 0x80) {
			size_t off = 0, size = 0;
			int i;

			for (i = 0; i < 4; i++)
				if (op & (1u << i)) {
					if (p >= end)
						goto corrupt;
					off |= (size_t)*p++ << (8 * i);
				}
			for (i = 0; i < 3; i++)
				if (op & (0x10u << i)) {
					if (p >= end)
						goto corrupt;
					size |= (size_t)*p++ << (8 * i);
				}
			if (!size)
				size = 0x10000;
			if (off > base_len || size > base_len - off ||
			    size > dst_len - out->len)
				goto corrupt;
			kser_buf_put(out, base + off, size);
		} else if (op) {
			if ((size_t)(end - p) < op || op > dst_len - out->len)
				goto corrupt;
			kser_buf_put(out, p, op);
			p += op;
		} else {
			goto corrupt;
		}
		/* The buffer grows with the result, never past dst_len. */
		if (kser_buf_check(out))
			return kser_error_nomem();
	}
	if (kser_buf_check(out))
		return kser_error_nomem();
	if (out->len != dst_len)
		goto corrupt;
	return NULL;
corrupt:
	return kser_error_fmt(KSER_ERR_BAD_INPUT, "corrupt binary delta");
}

/* --- files in a tree --------------------------------------------------- */

struct state {
	git_repository *repo;
	git_tree *tree;
	struct kser_tree_edit edit;
	const struct kser_apply_options *opts;
	struct kser_apply_report *rep;
};

/* Looks path up as it is after the changes made so far. */
static const struct kser_error *lookup(struct state *st, const char *path,
				       bool *exists, uint32_t *mode,
				       git_oid *oid)
{
	const struct kser_tree_change *c = kser_tree_edit_find(&st->edit,
								path);
	git_tree_entry *e = NULL;
	int r;

	*exists = false;
	if (c) {
		if (c->mode) {
			*exists = true;
			*mode = c->mode;
			git_oid_cpy(oid, &c->oid);
		}
		return NULL;
	}
	if (!st->tree)
		return NULL;
	r = git_tree_entry_bypath(&e, st->tree, path);
	if (r == GIT_ENOTFOUND)
		return NULL;
	if (r < 0)
		return kser_error_git("cannot look up '%s'", path);
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		*exists = true;
		*mode = git_tree_entry_filemode(e);
		git_oid_cpy(oid, git_tree_entry_id(e));
	} else if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		*exists = true;
		*mode = GIT_FILEMODE_TREE;
	} else {
		*exists = true;
		*mode = git_tree_entry_filemode(e);
		git_oid_cpy(oid, git_tree_entry_id(e));
	}
	git_tree_entry_free(e);
	return NULL;
}

/* Refuses a path that would go through a symbolic link. */
static const struct kser_error *check_beyond_symlink(struct state *st,
						     const char *path)
{
	const struct kser_error *err = NULL;
	char *dir = strdup(path);
	char *slash;

	if (!dir)
		return kser_error_nomem();
	while (!err && (slash = strrchr(dir, '/'))) {
		bool exists;
		uint32_t mode;
		git_oid oid;

		*slash = '\0';
		err = lookup(st, dir, &exists, &mode, &oid);
		if (!err && exists && mode == GIT_FILEMODE_LINK)
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s' is beyond a symbolic link "
					     "('%s')", path, dir);
	}
	free(dir);
	return err;
}

static const struct kser_error *read_blob(struct kser_buf *out,
					  git_repository *repo,
					  const git_oid *oid)
{
	git_blob *blob = NULL;

	kser_buf_clear(out);
	if (git_blob_lookup(&blob, repo, oid) < 0)
		return kser_error_git("cannot read blob");
	kser_buf_put(out, git_blob_rawcontent(blob),
		     (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return kser_buf_check(out);
}

/* A blob named by an "index" line, if the repository has exactly one. */
static bool resolve_blob(git_repository *repo, const char *hex, git_oid *out)
{
	git_odb *odb = NULL;
	git_oid prefix;
	size_t len = strlen(hex);
	bool ok = false;

	if (len < 4 || git_oid_fromstrn(&prefix, hex, len) < 0)
		return false;
	if (git_repository_odb(&odb, repo) < 0)
		return false;
	if (len == GIT_OID_HEXSZ) {
		ok = git_odb_exists(odb, &prefix);
		if (ok)
			git_oid_cpy(out, &prefix);
	} else {
		ok = git_odb_exists_prefix(out, odb, &prefix, len) == 0;
	}
	if (ok) {
		git_object_t type;
		size_t size;

		ok = git_odb_read_header(&size, &type, odb, out) == 0 &&
		     type == GIT_OBJECT_BLOB;
	}
	git_odb_free(odb);
	return ok;
}

/* A whole object id in lower-case hex, as git writes and compares them. */
static bool full_id(git_oid *out, const char *hex)
{
	return strlen(hex) == GIT_OID_HEXSZ && strspn(hex, "0123456789abcdef")
	       == GIT_OID_HEXSZ && git_oid_fromstr(out, hex) == 0;
}

/*
 * As git apply: the preimage must be the blob the index line names (an
 * id of zeros names none, so it matches nothing but a creation), a
 * creation starts from nothing, and the result must be the blob named.
 */
static const struct kser_error *apply_binary(struct state *st,
					     const struct kser_file_patch *fp,
					     const struct kser_buf *pre,
					     struct kser_buf *post)
{
	const struct kser_error *err;
	const char *path = kser_file_patch_path(fp);
	char hex[GIT_OID_HEXSZ + 1];
	git_oid old, want, got;

	if (!full_id(&old, fp->old_id) || !full_id(&want, fp->new_id))
		return kser_error_fmt(KSER_ERR_APPLY,
				      "cannot apply the binary patch to '%s' "
				      "without full index lines", path);
	if (!fp->is_new) {
		git_odb_hash(&got, kser_buf_cstr(pre), pre->len,
			     GIT_OBJECT_BLOB);
		git_oid_tostr(hex, sizeof(hex), &got);
		if (strcmp(hex, fp->old_id))
			return kser_error_fmt(KSER_ERR_APPLY,
					      "the binary patch applies to "
					      "'%s' (%s), which does not "
					      "match the current contents",
					      path, fp->old_id);
	}
	if (git_oid_is_zero(&want)) {
		kser_buf_clear(post);
		return NULL;
	}
	if (fp->binary_without_data) {
		/* Only usable when the result is already known. */
		if (!resolve_blob(st->repo, fp->new_id, &got))
			return kser_error_fmt(KSER_ERR_APPLY,
					      "the patch for '%s' has no "
					      "binary data (made without "
					      "--binary)", path);
		return read_blob(post, st->repo, &got);
	}
	if (fp->forward.kind == KSER_BINARY_LITERAL) {
		err = inflate_exact(post, &fp->forward);
	} else {
		struct kser_buf delta = KSER_BUF_INIT;

		err = inflate_exact(&delta, &fp->forward);
		if (!err)
			err = kser_apply_delta(post,
					       (const unsigned char *)
					       kser_buf_cstr(pre),
					       pre->len,
					       (unsigned char *)delta.ptr,
					       delta.len);
		kser_buf_release(&delta);
	}
	if (err)
		return err;
	git_odb_hash(&got, kser_buf_cstr(post), post->len, GIT_OBJECT_BLOB);
	git_oid_tostr(hex, sizeof(hex), &got);
	if (strcmp(hex, fp->new_id))
		return kser_error_fmt(KSER_ERR_APPLY,
				      "the binary patch for '%s' produces "
				      "the wrong result", path);
	return NULL;
}

/*
 * git am -3: apply the patch to the blob its index line names, then merge
 * that change into the current contents.
 */
static const struct kser_error *three_way(struct state *st,
					  const struct kser_file_patch *fp,
					  const struct kser_buf *ours,
					  uint32_t mode,
					  struct kser_buf *post)
{
	const struct kser_error *err = NULL;
	struct kser_buf base = KSER_BUF_INIT, theirs = KSER_BUF_INIT;
	git_merge_file_input in_base, in_ours, in_theirs;
	git_merge_file_result res = { 0 };
	const char *path = kser_file_patch_path(fp);
	git_oid base_oid;

	git_merge_file_input_init(&in_base, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&in_ours, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&in_theirs, GIT_MERGE_FILE_INPUT_VERSION);
	if (!fp->old_id[0] || !resolve_blob(st->repo, fp->old_id, &base_oid))
		return kser_error_fmt(KSER_ERR_APPLY,
				      "cannot fall back to a three-way "
				      "merge for '%s': the repository lacks "
				      "the blob %s the patch was made "
				      "against", path,
				      fp->old_id[0] ? fp->old_id : "(none)");
	err = read_blob(&base, st->repo, &base_oid);
	if (err)
		goto done;
	err = kser_apply_hunks(&theirs, kser_buf_cstr(&base), base.len, fp,
			       NULL);
	if (err) {
		err = kser_error_wrap(err, "the patch does not apply to its "
				      "own preimage %s either", fp->old_id);
		goto done;
	}
	in_base.ptr = kser_buf_cstr(&base);
	in_base.size = base.len;
	in_base.path = path;
	in_base.mode = mode;
	in_ours.ptr = kser_buf_cstr(ours);
	in_ours.size = ours->len;
	in_ours.path = path;
	in_ours.mode = mode;
	in_theirs.ptr = kser_buf_cstr(&theirs);
	in_theirs.size = theirs.len;
	in_theirs.path = path;
	in_theirs.mode = mode;
	if (git_merge_file(&res, &in_base, &in_ours, &in_theirs, NULL) < 0) {
		err = kser_error_git("three-way merge of '%s' failed", path);
		goto done;
	}
	if (!res.automergeable) {
		err = kser_error_fmt(KSER_ERR_CONFLICT,
				     "three-way merge of '%s' left "
				     "conflicts", path);
		goto done;
	}
	kser_buf_clear(post);
	kser_buf_put(post, res.ptr, res.len);
	err = kser_buf_check(post);
	st->rep->three_way++;
	kser_buf_printf(&st->rep->notes, "'%s': applied with a three-way "
			"merge\n", path);
done:
	git_merge_file_result_free(&res);
	kser_buf_release(&base);
	kser_buf_release(&theirs);
	return err;
}

/* git diffs a submodule as one line naming its commit. */
#define GITLINK_PREFIX "Subproject commit "

/* The commit a gitlink's postimage names, as git apply reads it. */
static const struct kser_error *gitlink_id(git_oid *out,
					   const struct kser_buf *post)
{
	size_t n = sizeof(GITLINK_PREFIX) - 1;

	if (post->len < n + GIT_OID_HEXSZ ||
	    memcmp(post->ptr, GITLINK_PREFIX, n) ||
	    git_oid_fromstrn(out, post->ptr + n, GIT_OID_HEXSZ) < 0)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "corrupt patch for a submodule: no "
				      "'" GITLINK_PREFIX "<id>' line");
	if (git_oid_is_zero(out))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "corrupt patch for a submodule: it "
				      "names the null commit");
	return NULL;
}

static const struct kser_error *apply_file(struct state *st,
					   const struct kser_file_patch *fp)
{
	const struct kser_error *err = NULL;
	struct kser_buf pre = KSER_BUF_INIT, post = KSER_BUF_INIT;
	struct kser_buf notes = KSER_BUF_INIT;
	const char *old = fp->old_path, *new = fp->new_path;
	const char *name = old ? old : new;
	bool exists = false, new_exists, named = false;
	uint32_t old_mode = 0, new_mode, cur;
	git_oid oid, new_oid;
	size_t mark = st->rep->notes.len;

	/* Before anything looks at them; the errors name the paths. */
	if (old && (err = kser_path_check(old, 0)))
		return err;
	if (new && (err = kser_path_check(new, 0)))
		return err;

	if (old && !fp->is_new) {
		err = lookup(st, old, &exists, &old_mode, &oid);
		if (err)
			goto done;
		if (!exists || old_mode == GIT_FILEMODE_TREE) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s' does not exist in the tree",
					     old);
			goto done;
		}
		err = check_beyond_symlink(st, old);
		if (err)
			goto done;
		if (fp->old_mode && ((fp->old_mode ^ old_mode) & 0170000)) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s': wrong type (%o, the patch "
					     "expects %o)", old, old_mode,
					     fp->old_mode);
			goto done;
		}
		if (fp->old_mode && fp->old_mode != old_mode)
			kser_buf_printf(&st->rep->notes,
					"'%s' has mode %o, the patch "
					"expects %o\n", old, old_mode,
					fp->old_mode);
		if (old_mode == GIT_FILEMODE_COMMIT) {
			kser_buf_printf(&pre, GITLINK_PREFIX "%s\n",
					git_oid_tostr_s(&oid));
			err = kser_buf_check(&pre);
		} else {
			err = read_blob(&pre, st->repo, &oid);
		}
		if (err)
			goto done;
	}
	if (new && (fp->is_new || fp->is_rename || fp->is_copy)) {
		err = lookup(st, new, &new_exists, &cur, &new_oid);
		if (err)
			goto done;
		if (new_exists && cur != GIT_FILEMODE_TREE) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s' already exists in the tree",
					     new);
			goto done;
		}
		if (new_exists) {
			err = kser_error_fmt(KSER_ERR_APPLY,
					     "'%s' already exists in the tree "
					     "as a directory", new);
			goto done;
		}
	}
	if (new) {
		err = check_beyond_symlink(st, new);
		if (err)
			goto done;
	}

	new_mode = fp->new_mode ? fp->new_mode :
		   fp->is_new ? GIT_FILEMODE_BLOB : old_mode;
	if (old_mode && new && ((old_mode ^ new_mode) & 0170000) &&
	    !fp->is_new) {
		err = kser_error_fmt(KSER_ERR_APPLY,
				     "new mode (%o) of '%s' does not match "
				     "old mode (%o)", new_mode, new, old_mode);
		goto done;
	}
	/* Now with the mode: .gitmodules may not become a link. */
	if (new && !fp->is_delete && (err = kser_path_check(new, new_mode))) {
		named = true;
		goto done;
	}

	if (fp->is_binary) {
		err = apply_binary(st, fp, &pre, &post);
	} else {
		err = kser_apply_hunks(&post, kser_buf_cstr(&pre), pre.len,
				       fp, &notes);
		/* As in git, a submodule is never merged three-way. */
		if (err && err->code == KSER_ERR_APPLY &&
		    st->opts->three_way && !fp->is_new && exists &&
		    old_mode != GIT_FILEMODE_COMMIT &&
		    new_mode != GIT_FILEMODE_COMMIT) {
			const struct kser_error *direct =
				kser_error_fmt(err->code, "%s", err->msg);
			const struct kser_error *merged;

			merged = three_way(st, fp, &pre, old_mode, &post);
			if (merged && merged->code == KSER_ERR_CONFLICT)
				err = merged;
			else if (merged)
				err = kser_error_fmt(KSER_ERR_APPLY,
						     "%s; %s", direct->msg,
						     merged->msg);
			else
				err = NULL;
			kser_buf_clear(&notes);
		}
	}
	if (err)
		goto done;
	if (fp->is_delete && post.len) {
		err = kser_error_fmt(KSER_ERR_APPLY,
				     "removal patch leaves '%s' with "
				     "contents", name);
		goto done;
	}

	if (notes.len) {
		const char *p = notes.ptr;

		while (*p) {
			const char *nl = strchr(p, '\n');

			kser_buf_printf(&st->rep->notes, "'%s': %.*s\n", name,
					(int)(nl - p), p);
			p = nl + 1;
		}
	}
	if (old && (fp->is_rename || fp->is_delete)) {
		err = kser_tree_edit_remove(&st->edit, old);
		if (err)
			goto done;
	}
	if (new && !fp->is_delete) {
		if (new_mode == GIT_FILEMODE_COMMIT) {
			err = gitlink_id(&new_oid, &post);
			if (err)
				goto done;
		} else if (git_blob_create_from_buffer(&new_oid, st->repo,
						       kser_buf_cstr(&post),
						       post.len) < 0) {
			err = kser_error_git("cannot write '%s'", new);
			goto done;
		}
		err = kser_tree_edit_set(&st->edit, new, new_mode, &new_oid);
		if (err)
			goto done;
	}
	st->rep->nfiles++;
done:
	if (err) {
		kser_buf_truncate(&st->rep->notes, mark);
		if (err->code != KSER_ERR_NOMEM && !named)
			err = kser_error_wrap(err, "'%s'", name);
	}
	kser_buf_release(&pre);
	kser_buf_release(&post);
	kser_buf_release(&notes);
	return err;
}

const struct kser_error *kser_apply_to_tree(git_oid *out,
					    git_repository *repo,
					    const git_oid *tree,
					    const struct kser_patch *patch,
					    const struct kser_apply_options *opts,
					    struct kser_apply_report *rep)
{
	const struct kser_error *err = NULL;
	struct kser_apply_options defaults = KSER_APPLY_OPTIONS_INIT;
	struct kser_apply_report scratch;
	struct state st = { 0 };
	size_t i;

	kser_apply_report_init(&scratch);
	st.repo = repo;
	st.opts = opts ? opts : &defaults;
	st.rep = rep ? rep : &scratch;
	kser_tree_edit_init(&st.edit);
	if (tree && git_tree_lookup(&st.tree, repo, tree) < 0) {
		err = kser_error_git("cannot read the tree to patch");
		goto done;
	}
	for (i = 0; i < patch->nfiles && !err; i++) {
		/* A patch of thousands of files takes seconds: stay
		 * interruptible. */
		err = kser_cancel_check(st.opts->cancel, st.opts->cancel_arg);
		if (!err)
			err = apply_file(&st, &patch->files[i]);
	}
	if (!err)
		err = kser_tree_edit_write(out, repo, tree, &st.edit);
done:
	git_tree_free(st.tree);
	kser_tree_edit_release(&st.edit);
	kser_apply_report_release(&scratch);
	return err;
}
