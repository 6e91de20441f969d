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

#include <git2/sys/odb_backend.h>
#include <libdeflate.h>
#include <zlib.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/hash.h"
#include "kser/util.h"
#include "kser/pack.h"

/* The offset of an object the repository has, so the pack leaves out. */
#define OFFSET_HAVE UINT64_MAX

struct pack_entry {
	git_oid oid;
	uint64_t offset;	/* or OFFSET_HAVE */
	uint64_t len;		/* entry header and deflated data */
	uint32_t crc;
};

struct kser_pack_writer {
	git_repository *repo;
	int level;
	int fd;
	char *dir;		/* objects/pack/, ending in '/' */
	char *tmp_path;		/* the temporary's name, if it has one */
	uint64_t offset;	/* end of data written so far */
	bool failed, closed;
	/* The .pack and .idx that commit created, for uninstall. */
	char *installed[2];

	/* The repository's objects, NULL when it has none; own lock. */
	git_odb *have;
	pthread_mutex_t have_lock;

	pthread_mutex_t lock;	/* guards everything below */
	struct pack_entry *entries;
	size_t nentries, alloc;
	size_t npacked;		/* entries that are in the pack */
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
static _Thread_local struct kser_sha1 *tls_sha1;

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

/* Starts an object's name: its header goes first. h is fresh. */
static void hash_begin(struct kser_sha1 *h, git_object_t type, uint64_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %llu", type_name(type),
			 (unsigned long long)len);

	kser_sha1_update(h, hdr, (size_t)n + 1);
}

void kser_pack_hash(git_oid *out, git_object_t type, const void *data,
		    size_t len)
{
	if (!tls_sha1)
		tls_sha1 = kser_sha1_new();
	hash_begin(tls_sha1, type, len);
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
static struct pack_entry *set_find(struct kser_pack_writer *pw,
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
static const struct kser_error *record(struct kser_pack_writer *pw,
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

/* Whether the repository already has the object; any thread. */
static bool repo_has(struct kser_pack_writer *pw, const git_oid *oid)
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

static const struct kser_error *write_all(int fd, const void *buf, size_t len)
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
static const struct kser_error *open_temporary(int *fd, char **named,
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

/*
 * Gives the temporary its final name, never replacing a file: one that
 * exists already has this content, since the name is its hash. *created
 * gets dest when this call made the file, for kser_pack_writer_uninstall.
 */
static const struct kser_error *install(int fd, char **named,
					const char *dest, char **created)
{
	bool made = false;
	char proc[64];

	*created = NULL;
	if (*named) {
		if (link(*named, dest) == 0) {
			made = true;
		} else if (errno != EEXIST && access(dest, F_OK) < 0) {
			/* File systems without hard links. */
			if (rename(*named, dest) < 0)
				return kser_error_errno("cannot install '%s'",
							dest);
			made = true;
		}
		unlink(*named);
		free(*named);
		*named = NULL;
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, dest,
			   AT_SYMLINK_FOLLOW) == 0)
			made = true;
		else if (errno != EEXIST)
			return kser_error_errno("cannot install '%s'", dest);
	}
	if (made) {
		*created = strdup(dest);
		if (!*created) {
			unlink(dest);
			return kser_error_nomem();
		}
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
	err = open_temporary(&pw->fd, &pw->tmp_path, pw->dir);
	if (err)
		goto done;
	err = write_all(pw->fd, hdr, sizeof(hdr));
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

static size_t entry_header(unsigned char *hdr, git_object_t type,
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
static size_t parse_entry_header(const unsigned char *p, size_t avail,
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

	if (!type_name(type))
		return kser_error_fmt(KSER_ERR_USAGE, "bad object type %d",
				      (int)type);
	kser_pack_hash(&oid, type, data, len);
	if (out)
		git_oid_cpy(out, &oid);

	/* Claim the object, or wait for whoever is writing it. */
	pthread_mutex_lock(&pw->lock);
	if (pw->closed) {
		pthread_mutex_unlock(&pw->lock);
		return kser_error_fmt(KSER_ERR_USAGE, "the pack is closed");
	}
	while (pending_contains(pw, &oid))
		pthread_cond_wait(&pw->pending_done, &pw->lock);
	if (set_find(pw, &oid)) {
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

	if (repo_has(pw, &oid)) {
		pthread_mutex_lock(&pw->lock);
		err = record(pw, &oid, OFFSET_HAVE, 0, 0);
		pending_remove(pw, &oid);
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
	crc = libdeflate_crc32(0, zbuf, hdrlen + zlen);

	pthread_mutex_lock(&pw->lock);
	if (pw->failed) {
		err = kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	} else {
		err = entries_grow(pw);
		if (!err)
			err = write_all(pw->fd, zbuf, hdrlen + zlen);
	}
	if (!err) {
		err = record(pw, &oid, pw->offset, hdrlen + zlen, crc);
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

/* --- streamed objects ------------------------------------------------- */

struct kser_pack_stream {
	struct kser_pack_writer *pw;
	uint64_t size, got;
	uint64_t start, written;
	uint32_t crc;
	z_stream z;
	struct kser_sha1 *md;
	unsigned char out[1 << 16];
};

static const struct kser_error *stream_flush(struct kser_pack_stream *s)
{
	size_t n = sizeof(s->out) - s->z.avail_out;
	const struct kser_error *err;

	if (!n)
		return NULL;
	err = write_all(s->pw->fd, s->out, n);
	if (err)
		return err;
	s->crc = libdeflate_crc32(s->crc, s->out, n);
	s->written += n;
	s->z.next_out = s->out;
	s->z.avail_out = sizeof(s->out);
	return NULL;
}

/* Drops what the stream wrote and lets the other writers go on. */
static void stream_end(struct kser_pack_stream *s, bool rewind)
{
	struct kser_pack_writer *pw = s->pw;

	if (rewind && (ftruncate(pw->fd, (off_t)s->start) < 0 ||
		       lseek(pw->fd, (off_t)s->start, SEEK_SET) < 0))
		pw->failed = true;
	pthread_mutex_unlock(&pw->lock);
	deflateEnd(&s->z);
	kser_sha1_free(s->md);
	free(s);
}

const struct kser_error *
kser_pack_stream_begin(struct kser_pack_stream **out,
		       struct kser_pack_writer *pw, git_object_t type,
		       uint64_t size)
{
	const struct kser_error *err = NULL;
	struct kser_pack_stream *s;
	unsigned char hdr[16];
	size_t hdrlen;

	*out = NULL;
	if (!type_name(type))
		return kser_error_fmt(KSER_ERR_USAGE, "bad object type %d",
				      (int)type);
	s = calloc(1, sizeof(*s));
	if (!s)
		return kser_error_nomem();
	s->md = kser_sha1_new();
	if (!s->md || deflateInit(&s->z, pw->level) != Z_OK) {
		kser_sha1_free(s->md);
		free(s);
		return kser_error_nomem();
	}
	s->pw = pw;
	s->size = size;
	s->z.next_out = s->out;
	s->z.avail_out = sizeof(s->out);
	hash_begin(s->md, type, size);

	/* The object must be contiguous: the writer is ours until the end. */
	pthread_mutex_lock(&pw->lock);
	if (pw->failed || pw->closed) {
		stream_end(s, false);
		return kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	}
	s->start = pw->offset;
	hdrlen = entry_header(hdr, type, size);
	err = write_all(pw->fd, hdr, hdrlen);
	if (err) {
		pw->failed = true;
		stream_end(s, false);
		return err;
	}
	s->crc = libdeflate_crc32(0, hdr, hdrlen);
	s->written = hdrlen;
	*out = s;
	return NULL;
}

const struct kser_error *kser_pack_stream_write(struct kser_pack_stream *s,
						const void *data, size_t len)
{
	const struct kser_error *err;

	if (len > s->size - s->got)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "more data than the %llu bytes announced",
				      (unsigned long long)s->size);
	s->got += len;
	kser_sha1_update(s->md, data, len);
	s->z.next_in = (unsigned char *)data;
	while (len) {
		uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;

		s->z.avail_in = chunk;
		while (s->z.avail_in) {
			if (deflate(&s->z, Z_NO_FLUSH) == Z_STREAM_ERROR)
				return kser_error_fmt(KSER_ERR_GENERIC,
						      "cannot compress object");
			if (!s->z.avail_out) {
				err = stream_flush(s);
				if (err) {
					s->pw->failed = true;
					return err;
				}
			}
		}
		len -= chunk;
	}
	return NULL;
}

const struct kser_error *kser_pack_stream_finish(struct kser_pack_stream *s,
						 git_oid *out)
{
	struct kser_pack_writer *pw = s->pw;
	const struct kser_error *err = NULL;
	int r;

	if (s->got != s->size) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "%llu bytes of the %llu announced",
				     (unsigned long long)s->got,
				     (unsigned long long)s->size);
		stream_end(s, true);
		return err;
	}
	do {
		r = deflate(&s->z, Z_FINISH);
		if (r == Z_STREAM_ERROR)
			err = kser_error_fmt(KSER_ERR_GENERIC,
					     "cannot compress object");
		else
			err = stream_flush(s);
	} while (!err && r != Z_STREAM_END);
	if (err) {
		pw->failed = true;
		stream_end(s, false);
		return err;
	}
	kser_sha1_final(s->md, out->id);
	if (set_find(pw, out) || pending_contains(pw, out)) {
		stream_end(s, true);
		return NULL;
	}
	if (repo_has(pw, out)) {
		err = record(pw, out, OFFSET_HAVE, 0, 0);
		stream_end(s, true);
		return err;
	}
	err = record(pw, out, s->start, s->written, s->crc);
	if (!err)
		pw->offset = s->start + s->written;
	stream_end(s, err != NULL);
	return err;
}

void kser_pack_stream_abort(struct kser_pack_stream *s)
{
	if (s)
		stream_end(s, true);
}

/* --- reading back ------------------------------------------------------ */

/* A copy of the entry for oid, if the pack holds it. */
static bool lookup(struct kser_pack_writer *pw, const git_oid *oid,
		   struct pack_entry *out)
{
	struct pack_entry *e;

	pthread_mutex_lock(&pw->lock);
	e = pw->closed ? NULL : set_find(pw, oid);
	if (e && e->offset != OFFSET_HAVE)
		*out = *e;
	else
		e = NULL;
	pthread_mutex_unlock(&pw->lock);
	return e != NULL;
}

static int read_raw(struct kser_pack_writer *pw, const struct pack_entry *e,
		    size_t max, unsigned char *buf)
{
	size_t want = e->len < max ? (size_t)e->len : max, got = 0;

	while (got < want) {
		ssize_t n = pread(pw->fd, buf + got, want - got,
				  (off_t)(e->offset + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			git_error_set(GIT_ERROR_ODB,
				      "cannot read the new pack: %s",
				      n < 0 ? strerror(errno) :
				      "unexpected end");
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

struct pack_backend {
	git_odb_backend parent;
	struct kser_pack_writer *pw;
};

static int backend_read_header(size_t *len, git_object_t *type,
			       git_odb_backend *b, const git_oid *oid)
{
	struct pack_backend *pb = (struct pack_backend *)b;
	struct pack_entry e;
	unsigned char hdr[16];
	uint64_t size;

	if (!lookup(pb->pw, oid, &e))
		return GIT_ENOTFOUND;
	if (read_raw(pb->pw, &e, sizeof(hdr), hdr) < 0)
		return -1;
	if (!parse_entry_header(hdr, e.len < sizeof(hdr) ? e.len : sizeof(hdr),
				type, &size) || size > SIZE_MAX) {
		git_error_set_str(GIT_ERROR_ODB, "bad entry in the new pack");
		return -1;
	}
	*len = (size_t)size;
	return 0;
}

static int backend_read(void **out, size_t *len, git_object_t *type,
			git_odb_backend *b, const git_oid *oid)
{
	struct pack_backend *pb = (struct pack_backend *)b;
	struct libdeflate_decompressor *d = NULL;
	unsigned char *raw = NULL;
	void *data = NULL;
	struct pack_entry e;
	size_t hdrlen, actual;
	uint64_t size;
	int r = -1;

	if (!lookup(pb->pw, oid, &e))
		return GIT_ENOTFOUND;
	raw = malloc(e.len);
	if (!raw || read_raw(pb->pw, &e, e.len, raw) < 0)
		goto done;
	hdrlen = parse_entry_header(raw, e.len, type, &size);
	if (!hdrlen || size >= SIZE_MAX)
		goto bad;
	data = git_odb_backend_data_alloc(b, (size_t)size + 1);
	d = libdeflate_alloc_decompressor();
	if (!data || !d)
		goto done;
	if (libdeflate_zlib_decompress(d, raw + hdrlen, e.len - hdrlen, data,
				       (size_t)size, &actual) !=
	    LIBDEFLATE_SUCCESS || actual != size)
		goto bad;
	*out = data;
	*len = (size_t)size;
	data = NULL;
	r = 0;
	goto done;
bad:
	git_error_set_str(GIT_ERROR_ODB, "bad entry in the new pack");
done:
	if (r < 0 && !git_error_last())
		git_error_set_oom();
	if (data)
		git_odb_backend_data_free(b, data);
	libdeflate_free_decompressor(d);
	free(raw);
	return r;
}

static int backend_exists(git_odb_backend *b, const git_oid *oid)
{
	struct pack_backend *pb = (struct pack_backend *)b;
	struct pack_entry e;

	return lookup(pb->pw, oid, &e);
}

static int backend_exists_prefix(git_oid *out, git_odb_backend *b,
				 const git_oid *prefix, size_t len)
{
	struct kser_pack_writer *pw = ((struct pack_backend *)b)->pw;
	size_t i, full = len / 2, found = 0;

	pthread_mutex_lock(&pw->lock);
	for (i = 0; !pw->closed && i < pw->nentries && found < 2; i++) {
		const struct pack_entry *e = &pw->entries[i];

		if (e->offset == OFFSET_HAVE ||
		    memcmp(e->oid.id, prefix->id, full) ||
		    (len % 2 && (e->oid.id[full] ^ prefix->id[full]) & 0xf0))
			continue;
		if (!found++)
			git_oid_cpy(out, &e->oid);
	}
	pthread_mutex_unlock(&pw->lock);
	if (found > 1) {
		git_error_set_str(GIT_ERROR_ODB, "ambiguous object prefix");
		return GIT_EAMBIGUOUS;
	}
	return found ? 0 : GIT_ENOTFOUND;
}

static int backend_read_prefix(git_oid *out_oid, void **out, size_t *len,
			       git_object_t *type, git_odb_backend *b,
			       const git_oid *prefix, size_t plen)
{
	int r = backend_exists_prefix(out_oid, b, prefix, plen);

	return r < 0 ? r : backend_read(out, len, type, b, out_oid);
}

static int backend_write(git_odb_backend *b, const git_oid *oid,
			 const void *data, size_t len, git_object_t type)
{
	struct pack_backend *pb = (struct pack_backend *)b;
	const struct kser_error *err;
	git_oid got;

	err = kser_pack_writer_add(pb->pw, &got, type, data, len);
	if (!err && !git_oid_equal(&got, oid))
		err = kser_error_fmt(KSER_ERR_GENERIC, "object id mismatch");
	if (err) {
		git_error_set_str(GIT_ERROR_ODB, err->msg);
		return -1;
	}
	return 0;
}

static void backend_free(git_odb_backend *b)
{
	free(b);
}

const struct kser_error *kser_pack_writer_backend(git_odb_backend **out,
						  struct kser_pack_writer *pw)
{
	struct pack_backend *pb = calloc(1, sizeof(*pb));

	*out = NULL;
	if (!pb)
		return kser_error_nomem();
	git_odb_init_backend(&pb->parent, GIT_ODB_BACKEND_VERSION);
	pb->parent.read = backend_read;
	pb->parent.read_prefix = backend_read_prefix;
	pb->parent.read_header = backend_read_header;
	pb->parent.write = backend_write;
	pb->parent.exists = backend_exists;
	pb->parent.exists_prefix = backend_exists_prefix;
	pb->parent.free = backend_free;
	pb->pw = pw;
	*out = &pb->parent;
	return NULL;
}

/* --- finishing --------------------------------------------------------- */

size_t kser_pack_writer_count(const struct kser_pack_writer *pw)
{
	return pw->npacked;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pack_entry *x = a, *y = b;

	return git_oid_cmp(&x->oid, &y->oid);
}

/* Hashes the whole temporary pack, which must be complete but unsealed. */
static const struct kser_error *hash_file(int fd, uint64_t len,
					  unsigned char *md,
					  kser_cancel_cb cancel,
					  void *cancel_arg)
{
	struct kser_sha1 *ctx = kser_sha1_new();
	const struct kser_error *err = NULL;
	char *buf = malloc(1 << 20);
	uint64_t off = 0;

	if (!ctx || !buf) {
		err = kser_error_nomem();
		goto done;
	}
	while (off < len) {
		size_t want = len - off > (1 << 20) ? (1 << 20) : len - off;
		ssize_t n;

		err = kser_cancel_check(cancel, cancel_arg);
		if (err)
			goto done;
		n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = kser_error_errno("cannot read back pack");
			goto done;
		}
		kser_sha1_update(ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	kser_sha1_final(ctx, md);
done:
	free(buf);
	kser_sha1_free(ctx);
	return err;
}

static const struct kser_error *build_index(struct kser_pack_writer *pw,
					    const unsigned char *pack_sha,
					    struct kser_buf *idx)
{
	unsigned char be[8];
	uint32_t fanout[256] = { 0 };
	size_t i, nlarge = 0;
	unsigned char md[20];

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

	kser_sha1(md, idx->ptr, idx->len);
	kser_buf_put(idx, md, 20);
	return kser_buf_check(idx);
}

/* Drops the entries of objects the repository has: they are not packed. */
static void drop_had(struct kser_pack_writer *pw)
{
	size_t i, w = 0;

	for (i = 0; i < pw->nentries; i++)
		if (pw->entries[i].offset != OFFSET_HAVE)
			pw->entries[w++] = pw->entries[i];
	pw->nentries = w;
	/* The set no longer matches the entries. */
	free(pw->slots);
	pw->slots = NULL;
	pw->nslots = 0;
}

const struct kser_error *kser_pack_writer_commit(struct kser_pack_writer *pw,
						 kser_cancel_cb cancel,
						 void *cancel_arg)
{
	const struct kser_error *err = NULL;
	struct kser_buf idx = KSER_BUF_INIT, name = KSER_BUF_INIT;
	unsigned char be[4], sha[20];
	char hex[41], *idx_named = NULL;
	git_odb *odb = NULL;
	int idx_fd = -1;
	size_t i;

	pthread_mutex_lock(&pw->lock);
	if (pw->closed || pw->failed || pw->npending) {
		pthread_mutex_unlock(&pw->lock);
		return kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	}
	pw->closed = true;
	pthread_mutex_unlock(&pw->lock);
	drop_had(pw);
	if (!pw->nentries)
		return NULL;
	put_be32(be, (uint32_t)pw->nentries);
	if (pwrite(pw->fd, be, 4, 8) != 4)
		return kser_error_errno("cannot write pack header");
	err = hash_file(pw->fd, pw->offset, sha, cancel, cancel_arg);
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
	err = open_temporary(&idx_fd, &idx_named, pw->dir);
	if (err)
		goto done;
	err = write_all(idx_fd, idx.ptr, idx.len);
	if (!err && fsync(idx_fd) < 0)
		err = kser_error_errno("cannot sync pack index");
	if (err)
		goto done;

	/* The pack first: git finds packs through their index. */
	if (pw->tmp_path)
		fchmod(pw->fd, 0444);
	if (idx_named)
		fchmod(idx_fd, 0444);
	kser_buf_printf(&name, "%spack-%s.pack", pw->dir, hex);
	err = kser_buf_check(&name);
	if (!err)
		err = install(pw->fd, &pw->tmp_path, name.ptr,
			      &pw->installed[0]);
	if (err)
		goto done;
	memcpy(name.ptr + name.len - 4, "idx", 4);
	name.len--;
	err = install(idx_fd, &idx_named, name.ptr, &pw->installed[1]);
	if (err)
		goto done;

	if (git_repository_odb(&odb, pw->repo) < 0 || git_odb_refresh(odb) < 0)
		err = kser_error_git("cannot refresh the object database");
done:
	if (err)
		kser_pack_writer_uninstall(pw);
	if (idx_fd >= 0)
		close(idx_fd);
	if (idx_named)
		unlink(idx_named);
	free(idx_named);
	git_odb_free(odb);
	kser_buf_release(&idx);
	kser_buf_release(&name);
	return err;
}

bool kser_pack_writer_installed(const struct kser_pack_writer *pw)
{
	return pw->installed[0] || pw->installed[1];
}

void kser_pack_writer_uninstall(struct kser_pack_writer *pw)
{
	int i;

	/* The index first, so that git never sees an index without pack. */
	for (i = 1; i >= 0; i--) {
		if (pw->installed[i])
			unlink(pw->installed[i]);
		free(pw->installed[i]);
		pw->installed[i] = NULL;
	}
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
