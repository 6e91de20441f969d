// SPDX-License-Identifier: GPL-2.0
/*
 * A libgit2 odb backend on the pack being written: it reads back the
 * objects written so far and writes new ones into the pack, so that
 * libgit2 can build commits and trees on them before anything is
 * installed. Uses the pack writer (pack.c) and core.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <libdeflate.h>

#include "kser/error.h"
#include "kser/pack.h"
#include "kser_lib_odb.h"

/* --- reading back ------------------------------------------------------ */

/* A copy of the entry for oid, if the pack holds it. */
static bool lookup(struct kser_pack_writer *pw, const git_oid *oid,
		   struct pack_entry *out)
{
	struct pack_entry *e;

	pthread_mutex_lock(&pw->lock);
	e = pw->closed ? NULL : pack_set_find(pw, oid);
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
	if (!pack_parse_entry_header(hdr, e.len < sizeof(hdr) ? e.len : sizeof(hdr),
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
	hdrlen = pack_parse_entry_header(raw, e.len, type, &size);
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
