// SPDX-License-Identifier: GPL-2.0
/*
 * Objects too big to hold in memory, streamed into the pack being
 * written as their data arrives: deflated with zlib's streaming deflate
 * (libdeflate has none), hashed as they go. Uses the pack writer
 * (pack.c) and core.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "kser/error.h"
#include "kser/hash.h"
#include "kser/pack.h"
#include "kser_lib_odb.h"

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
	err = pack_write_all(s->pw->fd, s->out, n);
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
	if (!pack_type_name(type))
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
	pack_hash_begin(s->md, type, size);

	/* The object must be contiguous: the writer is ours until the end. */
	pthread_mutex_lock(&pw->lock);
	if (pw->failed || pw->closed) {
		stream_end(s, false);
		return kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	}
	s->start = pw->offset;
	hdrlen = pack_entry_header(hdr, type, size);
	err = pack_write_all(pw->fd, hdr, hdrlen);
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
	if (pack_set_find(pw, out) || pack_pending_contains(pw, out)) {
		stream_end(s, true);
		return NULL;
	}
	if (pack_repo_has(pw, out)) {
		err = pack_record(pw, out, OFFSET_HAVE, 0, 0);
		stream_end(s, true);
		return err;
	}
	err = pack_record(pw, out, s->start, s->written, s->crc);
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
