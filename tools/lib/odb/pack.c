// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal pack writer: every object is stored whole (no delta search),
 * deflated with libdeflate, and indexed by us rather than by libgit2's
 * indexer, which would inflate and hash every object a second time.
 *
 * The pack is written to an unnamed file (O_TMPFILE) in objects/pack, so
 * that a crash or a kill -9 leaves nothing behind; it gets its name only
 * when it is complete. Objects the repository already has are left out,
 * so that writing what is already there writes nothing at all.
 */
#include <dirent.h>
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

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/hash.h"
#include "kser/util.h"
#include "kser/pack.h"
#include "kser_lib_odb.h"

/* Thread-local compressor: libdeflate compressors are not thread-safe. */
static _Thread_local struct libdeflate_compressor *tls_compressor;
static _Thread_local int tls_level = -1;
static _Thread_local struct kser_sha1 *tls_sha1;

void pack_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

const char *pack_type_name(git_object_t type)
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

/* Starts an object's name: its header goes first. h is fresh. */
void pack_hash_begin(struct kser_sha1 *h, git_object_t type, uint64_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %llu", pack_type_name(type),
			 (unsigned long long)len);

	kser_sha1_update(h, hdr, (size_t)n + 1);
}

/* The object ID of (type, data) as git computes it. */
static void pack_hash(git_oid *out, git_object_t type, const void *data,
		      size_t len)
{
	if (!tls_sha1)
		tls_sha1 = kser_sha1_new();
	pack_hash_begin(tls_sha1, type, len);
	kser_sha1_update(tls_sha1, data, len);
	kser_sha1_final(tls_sha1, out->id);
}

static size_t oid_slot(const git_oid *oid, size_t nslots)
{
	uint64_t h;

	memcpy(&h, oid->id, sizeof(h));
	return (size_t)(h & (nslots - 1));
}

/* With pw->lock held: the entry for oid, or NULL. */
struct pack_entry *pack_set_find(struct kser_pack_writer *pw,
				 const git_oid *oid)
{
	size_t i;

	if (!pw->nslots)
		return NULL;
	for (i = oid_slot(oid, pw->nslots);; i = (i + 1) & (pw->nslots - 1)) {
		uint32_t e = pw->slots[i];

		if (e == UINT32_MAX)
			return NULL;
		if (git_oid_equal(&pw->entries[e].oid, oid))
			return &pw->entries[e];
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
	const struct kser_error *err;

	if (pw->nentries >= UINT32_MAX - 1)
		return kser_error_fmt(KSER_ERR_GENERIC, "too many objects");
	err = kser_array_grow((void **)&pw->entries, &pw->alloc, pw->nentries,
			      sizeof(*pw->entries), 4096);
	if (err)
		return err;
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

/* With pw->lock held: records an object written at offset, or had. */
const struct kser_error *pack_record(struct kser_pack_writer *pw,
				     const git_oid *oid, uint64_t offset,
				     uint64_t len, uint32_t crc)
{
	const struct kser_error *err = entries_grow(pw);
	struct pack_entry *e;

	if (err)
		return err;
	e = &pw->entries[pw->nentries];
	e->oid = *oid;
	e->offset = offset;
	e->len = len;
	e->crc = crc;
	set_insert_index(pw->slots, pw->nslots, pw->entries,
			 (uint32_t)pw->nentries);
	pw->nentries++;
	if (offset != OFFSET_HAVE)
		pw->npacked++;
	return NULL;
}

bool pack_pending_contains(struct kser_pack_writer *pw, const git_oid *oid)
{
	size_t i;

	for (i = 0; i < pw->npending; i++)
		if (git_oid_equal(&pw->pending[i], oid))
			return true;
	return false;
}

static void pack_pending_remove(struct kser_pack_writer *pw, const git_oid *oid)
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

/* Whether the repository already has the object; any thread. */
bool pack_repo_has(struct kser_pack_writer *pw, const git_oid *oid)
{
	bool has;

	if (!pw->have)
		return false;
	pthread_mutex_lock(&pw->have_lock);
	has = git_odb_exists_ext(pw->have, oid,
				 GIT_ODB_LOOKUP_NO_REFRESH) == 1;
	pthread_mutex_unlock(&pw->have_lock);
	return has;
}

const struct kser_error *pack_write_all(int fd, const void *buf, size_t len)
{
	if (kser_write_all(fd, buf, len) < 0)
		return kser_error_errno("cannot write pack");
	return NULL;
}

static bool is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/*
 * Whether the object directory holds anything at all: a fresh repository
 * needs no lookups, and asking its empty loose store about every object
 * would cost a stat() each.
 */
static bool has_objects(const char *objdir)
{
	struct kser_buf path = KSER_BUF_INIT;
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(objdir);

	if (!d)
		return true;
	while (!found && (de = readdir(d)))
		found = is_hex2(de->d_name);
	closedir(d);
	kser_buf_printf(&path, "%sinfo/alternates", objdir);
	if (!found && (kser_buf_check(&path) || access(path.ptr, F_OK) == 0))
		found = true;
	kser_buf_clear(&path);
	kser_buf_printf(&path, "%spack", objdir);
	if (!found && !kser_buf_check(&path) && (d = opendir(path.ptr))) {
		while (!found && (de = readdir(d))) {
			size_t n = strlen(de->d_name);

			found = n > 4 && !strcmp(de->d_name + n - 4, ".idx");
		}
		closedir(d);
	}
	kser_buf_release(&path);
	return found;
}

/*
 * An unnamed file in dir (*named = NULL), or, where the file system or a
 * missing /proc cannot link one into place later, a named temporary.
 */
const struct kser_error *pack_open_temporary(int *fd, char **named,
					     const char *dir)
{
	struct kser_buf path = KSER_BUF_INIT;

	*named = NULL;
	if (access("/proc/self/fd", X_OK) == 0) {
		*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0444);
		if (*fd >= 0)
			return NULL;
	}
	kser_buf_printf(&path, "%stmp_kser_XXXXXX", dir);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	*fd = mkstemp(path.ptr);
	if (*fd < 0) {
		const struct kser_error *err =
			kser_error_errno("cannot create a file in '%s'", dir);

		kser_buf_release(&path);
		return err;
	}
	*named = kser_buf_detach(&path);
	if (!*named) {
		close(*fd);
		*fd = -1;
		return kser_error_nomem();
	}
	return NULL;
}

const struct kser_error *kser_pack_writer_new(struct kser_pack_writer **out,
					      git_repository *repo,
					      int level)
{
	const struct kser_error *err = NULL;
	struct kser_pack_writer *pw;
	git_buf item = GIT_BUF_INIT;
	struct kser_buf objdir = KSER_BUF_INIT;
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };

	*out = NULL;
	pw = calloc(1, sizeof(*pw));
	if (!pw)
		return kser_error_nomem();
	pw->fd = -1;
	pw->repo = repo;
	pw->level = level;
	pthread_mutex_init(&pw->lock, NULL);
	pthread_mutex_init(&pw->have_lock, NULL);
	pthread_cond_init(&pw->pending_done, NULL);

	/* The common directory's, for linked worktrees too. */
	if (git_repository_item_path(&item, repo,
				     GIT_REPOSITORY_ITEM_OBJECTS) < 0) {
		err = kser_error_git("cannot find the object directory");
		goto done;
	}
	kser_buf_puts(&objdir, item.ptr);
	if (!objdir.len || objdir.ptr[objdir.len - 1] != '/')
		kser_buf_putc(&objdir, '/');
	kser_buf_printf(&objdir, "pack/");
	err = kser_buf_check(&objdir);
	if (err)
		goto done;
	pw->dir = strdup(objdir.ptr);
	if (!pw->dir) {
		err = kser_error_nomem();
		goto done;
	}
	kser_buf_truncate(&objdir, objdir.len - strlen("pack/"));
	if (has_objects(objdir.ptr) &&
	    git_odb_open(&pw->have, objdir.ptr) < 0) {
		err = kser_error_git("cannot read the objects in '%s'",
				     objdir.ptr);
		goto done;
	}
	err = pack_open_temporary(&pw->fd, &pw->tmp_path, pw->dir);
	if (err)
		goto done;
	err = pack_write_all(pw->fd, hdr, sizeof(hdr));
	pw->offset = sizeof(hdr);
done:
	git_buf_dispose(&item);
	kser_buf_release(&objdir);
	if (err)
		kser_pack_writer_free(pw);
	else
		*out = pw;
	return err;
}

size_t pack_entry_header(unsigned char *hdr, git_object_t type,
			 uint64_t len)
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

/* Parses an entry header; returns its length, or 0 when it is bad. */
size_t pack_parse_entry_header(const unsigned char *p, size_t avail,
			       git_object_t *type, uint64_t *len)
{
	size_t n = 0;
	unsigned int shift = 4;

	if (!avail)
		return 0;
	*type = (git_object_t)((p[0] >> 4) & 7);
	*len = p[0] & 15;
	while (p[n++] & 0x80) {
		if (n >= avail || shift > 57)
			return 0;
		*len |= (uint64_t)(p[n] & 0x7f) << shift;
		shift += 7;
	}
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

	if (!pack_type_name(type))
		return kser_error_fmt(KSER_ERR_USAGE, "bad object type %d",
				      (int)type);
	pack_hash(&oid, type, data, len);
	if (out)
		git_oid_cpy(out, &oid);

	/* Claim the object, or wait for whoever is writing it. */
	pthread_mutex_lock(&pw->lock);
	if (pw->closed) {
		pthread_mutex_unlock(&pw->lock);
		return kser_error_fmt(KSER_ERR_USAGE, "the pack is closed");
	}
	while (pack_pending_contains(pw, &oid))
		pthread_cond_wait(&pw->pending_done, &pw->lock);
	if (pack_set_find(pw, &oid)) {
		pthread_mutex_unlock(&pw->lock);
		return NULL;
	}
	err = kser_array_grow((void **)&pw->pending, &pw->pending_alloc,
			      pw->npending, sizeof(*pw->pending), 16);
	if (err) {
		pthread_mutex_unlock(&pw->lock);
		return err;
	}
	pw->pending[pw->npending++] = oid;
	pthread_mutex_unlock(&pw->lock);

	if (pack_repo_has(pw, &oid)) {
		pthread_mutex_lock(&pw->lock);
		err = pack_record(pw, &oid, OFFSET_HAVE, 0, 0);
		pack_pending_remove(pw, &oid);
		pthread_mutex_unlock(&pw->lock);
		return err;
	}
	if (!tls_compressor || tls_level != pw->level) {
		libdeflate_free_compressor(tls_compressor);
		tls_compressor = libdeflate_alloc_compressor(pw->level);
		tls_level = pw->level;
		if (!tls_compressor) {
			err = kser_error_nomem();
			goto unclaim;
		}
	}
	hdrlen = pack_entry_header(hdr, type, len);
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
	crc = libdeflate_crc32(0, zbuf, hdrlen + zlen);

	pthread_mutex_lock(&pw->lock);
	if (pw->failed) {
		err = kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	} else {
		err = entries_grow(pw);
		if (!err)
			err = pack_write_all(pw->fd, zbuf, hdrlen + zlen);
	}
	if (!err) {
		err = pack_record(pw, &oid, pw->offset, hdrlen + zlen, crc);
		pw->offset += hdrlen + zlen;
	} else {
		pw->failed = true;
	}
	pack_pending_remove(pw, &oid);
	pthread_mutex_unlock(&pw->lock);
	free(zbuf);
	return err;

unclaim:
	pthread_mutex_lock(&pw->lock);
	pack_pending_remove(pw, &oid);
	pthread_mutex_unlock(&pw->lock);
	free(zbuf);
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
	free(pw->dir);
	free(pw->installed[0]);
	free(pw->installed[1]);
	git_odb_free(pw->have);
	free(pw->entries);
	free(pw->slots);
	free(pw->pending);
	pthread_mutex_destroy(&pw->lock);
	pthread_mutex_destroy(&pw->have_lock);
	pthread_cond_destroy(&pw->pending_done);
	free(pw);
}

void kser_pack_thread_cleanup(void)
{
	libdeflate_free_compressor(tls_compressor);
	tls_compressor = NULL;
	tls_level = -1;
	kser_sha1_free(tls_sha1);
	tls_sha1 = NULL;
}
