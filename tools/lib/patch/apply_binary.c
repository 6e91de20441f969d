// SPDX-License-Identifier: GPL-2.0
/*
 * Binary patches applied: a literal inflated to the size it states, or a
 * git delta applied to the preimage, whose id must be the one the patch
 * names. Uses the blobs and lookups of apply.c, libdeflate and core.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/treeedit.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

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

/*
 * As git apply: the preimage must be the blob the index line names (an
 * id of zeros names none, so it matches nothing but a creation), a
 * creation starts from nothing, and the result must be the blob named.
 */
const struct kser_error *apply_binary(struct apply_state *st,
				      const struct kser_file_patch *fp,
				      const struct kser_buf *pre,
				      struct kser_buf *post)
{
	const struct kser_error *err;
	const char *path = kser_file_patch_path(fp);
	char hex[GIT_OID_HEXSZ + 1];
	git_oid old, want, got;

	if (!apply_full_id(&old, fp->old_id) || !apply_full_id(&want, fp->new_id))
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
		if (!apply_resolve_blob(st->repo, fp->new_id, &got))
			return kser_error_fmt(KSER_ERR_APPLY,
					      "the patch for '%s' has no "
					      "binary data (made without "
					      "--binary)", path);
		return apply_read_blob(post, st->repo, &got);
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
