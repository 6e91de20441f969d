// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal pack writer: every object is stored whole (no delta search),
 * deflated with libdeflate, and indexed by us rather than by libgit2's
 * indexer, which would inflate and hash every object a second time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser_lib_pack.h"

struct pack_entry {
	git_oid oid;
	uint64_t offset;
	uint32_t crc;
};

struct kser_pack_writer {
	git_repository *repo;
	int level;
	int fd;
	char *tmp_path;
	uint64_t offset;	/* end of data written so far */
	bool failed;

	pthread_mutex_t lock;	/* guards everything below */
	struct pack_entry *entries;
	size_t nentries, alloc;
	/* Open-addressing set of indices into entries, keyed by oid. */
	uint32_t *slots;
	size_t nslots;
	/* Objects being compressed by some thread right now. */
	git_oid *pending;
	size_t npending, pending_alloc;
	pthread_cond_t pending_done;
};

/* Thread-local compressor: libdeflate compressors are not thread-safe. */
static _Thread_local struct libdeflate_compressor *tls_compressor;
static _Thread_local int tls_level = -1;
static _Thread_local EVP_MD_CTX *tls_md;

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static const char *type_name(git_object_t type)
{
	switch (type) {
	case GIT_OBJECT_BLOB:
		return "blob";
	case GIT_OBJECT_TREE:
		return "tree";
	case GIT_OBJECT_COMMIT:
		return "commit";
	case GIT_OBJECT_TAG:
		return "tag";
	default:
		return NULL;
	}
}

void kser_pack_hash(git_oid *out, git_object_t type, const void *data,
		    size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu", type_name(type), len);
	unsigned int mdlen;

	if (!tls_md)
		tls_md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(tls_md, EVP_sha1(), NULL);
	EVP_DigestUpdate(tls_md, hdr, (size_t)n + 1);
	EVP_DigestUpdate(tls_md, data, len);
	EVP_DigestFinal_ex(tls_md, out->id, &mdlen);
}

static size_t oid_slot(const git_oid *oid, size_t nslots)
{
	uint64_t h;

	memcpy(&h, oid->id, sizeof(h));
	return (size_t)(h & (nslots - 1));
}

/* With pw->lock held. */
static bool set_contains(struct kser_pack_writer *pw, const git_oid *oid)
{
	size_t i;

	if (!pw->nslots)
		return false;
	for (i = oid_slot(oid, pw->nslots);; i = (i + 1) & (pw->nslots - 1)) {
		uint32_t e = pw->slots[i];

		if (e == UINT32_MAX)
			return false;
		if (git_oid_equal(&pw->entries[e].oid, oid))
			return true;
	}
}

static void set_insert_index(uint32_t *slots, size_t nslots,
			     const struct pack_entry *entries, uint32_t idx)
{
	size_t i = oid_slot(&entries[idx].oid, nslots);

	while (slots[i] != UINT32_MAX)
		i = (i + 1) & (nslots - 1);
	slots[i] = idx;
}

/* With pw->lock held: make room for one more entry. */
static const struct kser_error *entries_grow(struct kser_pack_writer *pw)
{
	if (pw->nentries >= UINT32_MAX - 1)
		return kser_error_fmt(KSER_ERR_GENERIC, "too many objects");
	if (pw->nentries == pw->alloc) {
		size_t alloc = pw->alloc ? pw->alloc * 2 : 4096;
		struct pack_entry *e = realloc(pw->entries,
					       alloc * sizeof(*e));

		if (!e)
			return kser_error_nomem();
		pw->entries = e;
		pw->alloc = alloc;
	}
	/* Keep the set at most half full. */
	if ((pw->nentries + 1) * 2 > pw->nslots) {
		size_t nslots = pw->nslots ? pw->nslots * 2 : 8192;
		uint32_t *slots = malloc(nslots * sizeof(*slots));
		size_t i;

		if (!slots)
			return kser_error_nomem();
		memset(slots, 0xff, nslots * sizeof(*slots));
		for (i = 0; i < pw->nentries; i++)
			set_insert_index(slots, nslots, pw->entries,
					 (uint32_t)i);
		free(pw->slots);
		pw->slots = slots;
		pw->nslots = nslots;
	}
	return NULL;
}

static bool pending_contains(struct kser_pack_writer *pw, const git_oid *oid)
{
	size_t i;

	for (i = 0; i < pw->npending; i++)
		if (git_oid_equal(&pw->pending[i], oid))
			return true;
	return false;
}

static void pending_remove(struct kser_pack_writer *pw, const git_oid *oid)
{
	size_t i;

	for (i = 0; i < pw->npending; i++) {
		if (git_oid_equal(&pw->pending[i], oid)) {
			pw->pending[i] = pw->pending[--pw->npending];
			break;
		}
	}
	pthread_cond_broadcast(&pw->pending_done);
}

static const struct kser_error *write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kser_error_errno("cannot write pack");
		}
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

const struct kser_error *kser_pack_writer_new(struct kser_pack_writer **out,
					      git_repository *repo,
					      int level)
{
	const struct kser_error *err = NULL;
	struct kser_pack_writer *pw;
	struct kser_buf path = KSER_BUF_INIT;
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };

	*out = NULL;
	pw = calloc(1, sizeof(*pw));
	if (!pw)
		return kser_error_nomem();
	pw->fd = -1;
	pw->repo = repo;
	pw->level = level;
	pthread_mutex_init(&pw->lock, NULL);
	pthread_cond_init(&pw->pending_done, NULL);

	kser_buf_printf(&path, "%sobjects/pack/tmp_kser_XXXXXX",
			git_repository_path(repo));
	err = kser_buf_check(&path);
	if (err)
		goto done;
	pw->fd = mkstemp(path.ptr);
	if (pw->fd < 0) {
		err = kser_error_errno("cannot create '%s'", path.ptr);
		goto done;
	}
	pw->tmp_path = kser_buf_detach(&path);
	if (!pw->tmp_path) {
		err = kser_error_nomem();
		goto done;
	}
	err = write_all(pw->fd, hdr, sizeof(hdr));
	pw->offset = sizeof(hdr);
done:
	kser_buf_release(&path);
	if (err)
		kser_pack_writer_free(pw);
	else
		*out = pw;
	return err;
}

static size_t entry_header(unsigned char *hdr, git_object_t type, size_t len)
{
	size_t n = 0;
	unsigned char c = (unsigned char)((type << 4) | (len & 15));

	len >>= 4;
	while (len) {
		hdr[n++] = c | 0x80;
		c = len & 0x7f;
		len >>= 7;
	}
	hdr[n++] = c;
	return n;
}

const struct kser_error *kser_pack_writer_add(struct kser_pack_writer *pw,
					      git_oid *out, git_object_t type,
					      const void *data, size_t len)
{
	const struct kser_error *err = NULL;
	unsigned char hdr[16];
	size_t hdrlen, bound, zlen;
	void *zbuf = NULL;
	uint32_t crc;
	git_oid oid;

	if (!type_name(type))
		return kser_error_fmt(KSER_ERR_USAGE, "bad object type %d",
				      (int)type);
	kser_pack_hash(&oid, type, data, len);
	if (out)
		git_oid_cpy(out, &oid);

	/* Claim the object, or wait for whoever is writing it. */
	pthread_mutex_lock(&pw->lock);
	while (pending_contains(pw, &oid))
		pthread_cond_wait(&pw->pending_done, &pw->lock);
	if (set_contains(pw, &oid)) {
		pthread_mutex_unlock(&pw->lock);
		return NULL;
	}
	if (pw->npending == pw->pending_alloc) {
		size_t alloc = pw->pending_alloc ? pw->pending_alloc * 2 : 16;
		git_oid *p = realloc(pw->pending, alloc * sizeof(*p));

		if (!p) {
			pthread_mutex_unlock(&pw->lock);
			return kser_error_nomem();
		}
		pw->pending = p;
		pw->pending_alloc = alloc;
	}
	pw->pending[pw->npending++] = oid;
	pthread_mutex_unlock(&pw->lock);

	if (!tls_compressor || tls_level != pw->level) {
		libdeflate_free_compressor(tls_compressor);
		tls_compressor = libdeflate_alloc_compressor(pw->level);
		tls_level = pw->level;
		if (!tls_compressor) {
			err = kser_error_nomem();
			goto unclaim;
		}
	}
	hdrlen = entry_header(hdr, type, len);
	bound = libdeflate_zlib_compress_bound(tls_compressor, len);
	zbuf = malloc(hdrlen + bound);
	if (!zbuf) {
		err = kser_error_nomem();
		goto unclaim;
	}
	memcpy(zbuf, hdr, hdrlen);
	zlen = libdeflate_zlib_compress(tls_compressor, data, len,
					(char *)zbuf + hdrlen, bound);
	if (!zlen) {
		err = kser_error_fmt(KSER_ERR_GENERIC,
				     "cannot compress object");
		goto unclaim;
	}
	crc = (uint32_t)crc32(0, zbuf, (uInt)(hdrlen + zlen));

	pthread_mutex_lock(&pw->lock);
	if (pw->failed) {
		err = kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	} else {
		err = entries_grow(pw);
		if (!err)
			err = write_all(pw->fd, zbuf, hdrlen + zlen);
	}
	if (!err) {
		struct pack_entry *e = &pw->entries[pw->nentries];

		e->oid = oid;
		e->offset = pw->offset;
		e->crc = crc;
		set_insert_index(pw->slots, pw->nslots, pw->entries,
				 (uint32_t)pw->nentries);
		pw->nentries++;
		pw->offset += hdrlen + zlen;
	} else {
		pw->failed = true;
	}
	pending_remove(pw, &oid);
	pthread_mutex_unlock(&pw->lock);
	free(zbuf);
	return err;

unclaim:
	pthread_mutex_lock(&pw->lock);
	pending_remove(pw, &oid);
	pthread_mutex_unlock(&pw->lock);
	free(zbuf);
	return err;
}

size_t kser_pack_writer_count(const struct kser_pack_writer *pw)
{
	return pw->nentries;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pack_entry *x = a, *y = b;

	return git_oid_cmp(&x->oid, &y->oid);
}

/* Hashes the whole temporary pack, which must be complete but unsealed. */
static const struct kser_error *hash_file(int fd, uint64_t len,
					  unsigned char *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const struct kser_error *err = NULL;
	unsigned int mdlen;
	char *buf = malloc(1 << 20);
	uint64_t off = 0;

	if (!ctx || !buf) {
		err = kser_error_nomem();
		goto done;
	}
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	while (off < len) {
		size_t want = len - off > (1 << 20) ? (1 << 20) : len - off;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = kser_error_errno("cannot read back pack");
			goto done;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
done:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return err;
}

static const struct kser_error *build_index(struct kser_pack_writer *pw,
					    const unsigned char *pack_sha,
					    struct kser_buf *idx)
{
	unsigned char be[8];
	uint32_t fanout[256] = { 0 };
	size_t i, nlarge = 0;
	EVP_MD_CTX *ctx;
	unsigned char md[20];
	unsigned int mdlen;

	qsort(pw->entries, pw->nentries, sizeof(*pw->entries), entry_cmp);
	for (i = 0; i < pw->nentries; i++)
		fanout[pw->entries[i].oid.id[0]]++;
	for (i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];

	kser_buf_put(idx, "\377tOc\0\0\0\2", 8);
	for (i = 0; i < 256; i++) {
		put_be32(be, fanout[i]);
		kser_buf_put(idx, be, 4);
	}
	for (i = 0; i < pw->nentries; i++)
		kser_buf_put(idx, pw->entries[i].oid.id, GIT_OID_RAWSZ);
	for (i = 0; i < pw->nentries; i++) {
		put_be32(be, pw->entries[i].crc);
		kser_buf_put(idx, be, 4);
	}
	for (i = 0; i < pw->nentries; i++) {
		uint64_t off = pw->entries[i].offset;

		if (off < 0x80000000u)
			put_be32(be, (uint32_t)off);
		else
			put_be32(be, 0x80000000u | (uint32_t)nlarge++);
		kser_buf_put(idx, be, 4);
	}
	for (i = 0; i < pw->nentries; i++) {
		uint64_t off = pw->entries[i].offset;

		if (off < 0x80000000u)
			continue;
		put_be32(be, (uint32_t)(off >> 32));
		put_be32(be + 4, (uint32_t)off);
		kser_buf_put(idx, be, 8);
	}
	kser_buf_put(idx, pack_sha, 20);
	if (kser_buf_check(idx))
		return kser_error_nomem();

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return kser_error_nomem();
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	EVP_DigestUpdate(ctx, idx->ptr, idx->len);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	kser_buf_put(idx, md, 20);
	return kser_buf_check(idx);
}

const struct kser_error *kser_pack_writer_commit(struct kser_pack_writer *pw)
{
	const struct kser_error *err = NULL;
	struct kser_buf idx = KSER_BUF_INIT, name = KSER_BUF_INIT;
	struct kser_buf idx_tmp = KSER_BUF_INIT;
	unsigned char be[4], sha[20];
	char hex[41];
	git_odb *odb = NULL;
	int idx_fd = -1;
	size_t i;

	if (pw->failed)
		return kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	put_be32(be, (uint32_t)pw->nentries);
	if (pwrite(pw->fd, be, 4, 8) != 4)
		return kser_error_errno("cannot write pack header");
	err = hash_file(pw->fd, pw->offset, sha);
	if (err)
		return err;
	if (pwrite(pw->fd, sha, 20, (off_t)pw->offset) != 20)
		return kser_error_errno("cannot write pack trailer");
	if (fsync(pw->fd) < 0)
		return kser_error_errno("cannot sync pack");

	err = build_index(pw, sha, &idx);
	if (err)
		goto done;
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha[i]);

	kser_buf_printf(&idx_tmp, "%s.idx", pw->tmp_path);
	kser_buf_printf(&name, "%sobjects/pack/pack-%s",
			git_repository_path(pw->repo), hex);
	err = kser_buf_check(&idx_tmp);
	if (!err)
		err = kser_buf_check(&name);
	if (err)
		goto done;
	idx_fd = open(idx_tmp.ptr, O_WRONLY | O_CREAT | O_EXCL, 0444);
	if (idx_fd < 0) {
		err = kser_error_errno("cannot create '%s'", idx_tmp.ptr);
		goto done;
	}
	err = write_all(idx_fd, idx.ptr, idx.len);
	if (!err && fsync(idx_fd) < 0)
		err = kser_error_errno("cannot sync pack index");
	if (err)
		goto done;

	/* The pack first: git finds packs through their index. */
	fchmod(pw->fd, 0444);
	kser_buf_puts(&name, ".pack");
	if (kser_buf_check(&name)) {
		err = kser_error_nomem();
		goto done;
	}
	if (rename(pw->tmp_path, name.ptr) < 0) {
		err = kser_error_errno("cannot install '%s'", name.ptr);
		goto done;
	}
	free(pw->tmp_path);
	pw->tmp_path = NULL;
	memcpy(name.ptr + name.len - 4, "idx", 4);
	name.len--;
	if (rename(idx_tmp.ptr, name.ptr) < 0) {
		err = kser_error_errno("cannot install '%s'", name.ptr);
		goto done;
	}
	kser_buf_clear(&idx_tmp);

	if (git_repository_odb(&odb, pw->repo) < 0 || git_odb_refresh(odb) < 0)
		err = kser_error_git("cannot refresh the object database");
done:
	if (idx_fd >= 0)
		close(idx_fd);
	if (idx_tmp.len)
		unlink(idx_tmp.ptr);
	git_odb_free(odb);
	kser_buf_release(&idx);
	kser_buf_release(&idx_tmp);
	kser_buf_release(&name);
	return err;
}

void kser_pack_writer_free(struct kser_pack_writer *pw)
{
	if (!pw)
		return;
	if (pw->fd >= 0)
		close(pw->fd);
	if (pw->tmp_path)
		unlink(pw->tmp_path);
	free(pw->tmp_path);
	free(pw->entries);
	free(pw->slots);
	free(pw->pending);
	pthread_mutex_destroy(&pw->lock);
	pthread_cond_destroy(&pw->pending_done);
	free(pw);
}

void kser_pack_thread_cleanup(void)
{
	libdeflate_free_compressor(tls_compressor);
	tls_compressor = NULL;
	tls_level = -1;
	EVP_MD_CTX_free(tls_md);
	tls_md = NULL;
}
