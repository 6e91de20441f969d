// SPDX-License-Identifier: GPL-2.0
/*
 * Binary patches as git format-patch writes them. libgit2 makes the same
 * kind of data (a literal or a delta of git's delta format, each way) but
 * deflates it at zlib's default level, where git deflates at level 1 (its
 * core.loosecompression), and chooses between literal and delta by those
 * sizes. Here libgit2's data is inflated, deflated again at git's level,
 * and the choice made again by git's rule: the delta when it exists, is no
 * larger than the deflated literal, and deflates smaller than it.
 *
 * One case stays apart: when libgit2 found no delta worth keeping by its
 * own sizes, it hands over no delta at all, and a literal is written
 * where git, with its larger literal, might have taken a delta. Both
 * apply to the same result.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

struct bin {
	const git_diff_delta *delta;
	/* [0]: old to new (new_file), [1]: new to old (old_file). */
	git_diff_binary_t type[2];
	char *data[2];		/* libgit2's deflated data */
	size_t len[2], inflated[2];
};

struct kser_commitpatch_binaries {
	struct bin *v;
	size_t n, alloc;
	const struct kser_error *err;
};

static const char b85[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	"!#$%&()*+-;<=>?@^_`{|}~";

static char *dup_data(const char *p, size_t n)
{
	char *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

static int on_binary(const git_diff_delta *delta,
		     const git_diff_binary *binary, void *payload)
{
	struct kser_commitpatch_binaries *b = payload;
	const git_diff_binary_file *f[2] = { &binary->new_file,
					     &binary->old_file };
	struct bin *x;
	int k;

	if (!binary->contains_data)
		return 0;
	b->err = kser_array_grow((void **)&b->v, &b->alloc, b->n,
				 sizeof(*b->v), 4);
	if (b->err)
		return -1;
	x = &b->v[b->n++];
	memset(x, 0, sizeof(*x));
	x->delta = delta;
	for (k = 0; k < 2; k++) {
		x->type[k] = f[k]->type;
		x->len[k] = f[k]->datalen;
		x->inflated[k] = f[k]->inflatedlen;
		x->data[k] = dup_data(f[k]->data, f[k]->datalen);
		if (!x->data[k]) {
			b->err = kser_error_nomem();
			return -1;
		}
	}
	return 0;
}

void kser_commitpatch_binaries_free(struct kser_commitpatch_binaries *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->v[i].data[0]);
		free(b->v[i].data[1]);
	}
	free(b->v);
	free(b);
}

const struct kser_error *
kser_commitpatch_binaries_load(struct kser_commitpatch_binaries **out,
			       git_diff *diff)
{
	struct kser_commitpatch_binaries *b = calloc(1, sizeof(*b));
	const struct kser_error *err = NULL;

	*out = NULL;
	if (!b)
		return kser_error_nomem();
	if (git_diff_foreach(diff, NULL, on_binary, NULL, NULL, b) < 0)
		err = b->err ? b->err :
		      kser_error_git("cannot read the binary changes");
	if (err) {
		kser_commitpatch_binaries_free(b);
		return err;
	}
	*out = b;
	return NULL;
}

int kser_commitpatch_zlib_level(git_repository *repo)
{
	static const char *const keys[] = { "core.loosecompression",
					    "core.compression" };
	git_config *cfg = NULL;
	int32_t v = Z_BEST_SPEED;
	size_t i;

	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return Z_BEST_SPEED;
	for (i = 0; i < 2; i++) {
		int32_t x;

		if (git_config_get_int32(&x, cfg, keys[i]) == 0 && x >= -1 &&
		    x <= 9) {
			v = x == -1 ? Z_DEFAULT_COMPRESSION : x;
			break;
		}
	}
	git_config_free(cfg);
	return v;
}

static const struct kser_error *deflate_at(struct kser_buf *out,
					   const void *data, size_t len,
					   int level)
{
	z_stream z;
	uLong bound;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, level) != Z_OK)
		return kser_error_fmt(KSER_ERR_GENERIC, "cannot deflate");
	bound = deflateBound(&z, (uLong)len);
	kser_buf_clear(out);
	kser_buf_grow(out, bound + 1);
	if (kser_buf_check(out)) {
		deflateEnd(&z);
		return kser_error_nomem();
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->ptr;
	z.avail_out = (uInt)bound;
	r = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	out->ptr[out->len] = '\0';
	deflateEnd(&z);
	return r == Z_STREAM_END ? NULL :
	       kser_error_fmt(KSER_ERR_GENERIC, "cannot deflate");
}

static const struct kser_error *inflate_to(struct kser_buf *out,
					   const char *data, size_t len,
					   size_t size)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	kser_buf_clear(out);
	kser_buf_grow(out, size + 1);
	if (kser_buf_check(out))
		return kser_error_nomem();
	if (inflateInit(&z) != Z_OK)
		return kser_error_fmt(KSER_ERR_GENERIC, "cannot inflate");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->ptr;
	z.avail_out = (uInt)size;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (r != Z_STREAM_END || z.total_out != size)
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "libgit2's binary data does not inflate");
	out->len = size;
	out->ptr[size] = '\0';
	return NULL;
}

/* git's base85 lines: a length letter, then 5 digits per 4 bytes. */
static void base85_lines(struct kser_buf *out, const unsigned char *p,
			 size_t len)
{
	while (len) {
		size_t n = len > 52 ? 52 : len, i;

		kser_buf_putc(out, (char)(n <= 26 ? 'A' + n - 1 :
					  'a' + n - 27));
		for (i = 0; i < n; i += 4) {
			uint32_t acc = 0;
			char digits[5];
			int k;

			for (k = 0; k < 4; k++)
				acc = (acc << 8) |
				      (i + (size_t)k < n ? p[i + (size_t)k] : 0);
			for (k = 4; k >= 0; k--) {
				digits[k] = b85[acc % 85];
				acc /= 85;
			}
			kser_buf_put(out, digits, 5);
		}
		kser_buf_putc(out, '\n');
		p += n;
		len -= n;
	}
	kser_buf_putc(out, '\n');
}

static const struct kser_error *blob_data(git_blob **out,
					  git_repository *repo,
					  const git_oid *id)
{
	if (git_oid_is_zero(id)) {
		*out = NULL;
		return NULL;
	}
	if (git_blob_lookup(out, repo, id) < 0)
		return kser_error_git("cannot read blob %s",
				      git_oid_tostr_s(id));
	return NULL;
}

/* One direction: to is the side the data makes. */
static const struct kser_error *one_way(struct kser_buf *out,
					const struct bin *x, int k,
					git_blob *to, int level)
{
	struct kser_buf lit = KSER_BUF_INIT, raw = KSER_BUF_INIT;
	struct kser_buf del = KSER_BUF_INIT;
	const void *to_data = to ? git_blob_rawcontent(to) : "";
	size_t to_len = to ? (size_t)git_blob_rawsize(to) : 0;
	const struct kser_error *err;
	bool use_delta = false;

	err = deflate_at(&lit, to_data, to_len, level);
	if (!err && x->type[k] == GIT_DIFF_BINARY_DELTA) {
		err = inflate_to(&raw, x->data[k], x->len[k], x->inflated[k]);
		if (!err)
			err = deflate_at(&del, raw.ptr, raw.len, level);
		use_delta = !err && raw.len <= lit.len && del.len < lit.len;
	}
	if (!err && use_delta) {
		kser_buf_printf(out, "delta %zu\n", raw.len);
		base85_lines(out, (const unsigned char *)del.ptr, del.len);
	} else if (!err) {
		kser_buf_printf(out, "literal %zu\n", to_len);
		base85_lines(out, (const unsigned char *)lit.ptr, lit.len);
	}
	kser_buf_release(&lit);
	kser_buf_release(&raw);
	kser_buf_release(&del);
	return err;
}

const struct kser_error *
kser_commitpatch_binary_write(struct kser_buf *out, bool *written,
			      const struct kser_commitpatch_binaries *b,
			      git_repository *repo,
			      const git_diff_delta *delta, int level)
{
	const struct kser_error *err;
	const struct bin *x = NULL;
	git_blob *old_blob = NULL, *new_blob = NULL;
	size_t i;

	*written = false;
	for (i = 0; b && i < b->n; i++)
		if (b->v[i].delta == delta ||
		    (!strcmp(b->v[i].delta->new_file.path,
			     delta->new_file.path) &&
		     git_oid_equal(&b->v[i].delta->new_file.id,
				   &delta->new_file.id) &&
		     git_oid_equal(&b->v[i].delta->old_file.id,
				   &delta->old_file.id))) {
			x = &b->v[i];
			break;
		}
	if (!x)
		return NULL;
	err = blob_data(&old_blob, repo, &delta->old_file.id);
	if (!err)
		err = blob_data(&new_blob, repo, &delta->new_file.id);
	if (!err) {
		kser_buf_puts(out, "GIT binary patch\n");
		err = one_way(out, x, 0, new_blob, level);
	}
	if (!err)
		err = one_way(out, x, 1, old_blob, level);
	if (!err)
		*written = true;
	git_blob_free(old_blob);
	git_blob_free(new_blob);
	return err ? err : kser_buf_check(out);
}
