// SPDX-License-Identifier: GPL-2.0
/*
 * Base import from a tarball: libarchive reads it, liblzma's
 * multi-threaded decoder decodes .xz, each member goes to the queue
 * (base.c). Uses the import layer's queue and core.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>

#include "kser/base.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/pack.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser_lib_import.h"

/* --- tarballs ---------------------------------------------------------- */

/*
 * The input of libarchive: the file, through liblzma's multi-threaded
 * decoder for .xz (libarchive's is single-threaded), in pieces small
 * enough that Ctrl-C is noticed between them even in a zip bomb.
 */
struct tar_source {
	struct import *im;
	int fd;
	bool xz;
	lzma_stream strm;
	bool in_eof, done;
	uint8_t in[1 << 20];
	uint8_t out[1 << 20];
};

#define PLAIN_READ_BYTES (64u << 10)

static la_ssize_t plain_read(struct archive *a, struct tar_source *ts,
			     const void **buf)
{
	ssize_t n;

	*buf = ts->in;
	do {
		if (base_cancelled(ts->im)) {
			archive_set_error(a, EINTR, "interrupted");
			return -1;
		}
		n = read(ts->fd, ts->in, PLAIN_READ_BYTES);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read error: %s", strerror(errno));
		return -1;
	}
	return (la_ssize_t)n;
}

static la_ssize_t xz_read(struct archive *a, struct tar_source *xs,
			  const void **buf)
{
	*buf = xs->out;
	if (xs->done)
		return 0;
	xs->strm.next_out = xs->out;
	xs->strm.avail_out = sizeof(xs->out);
	while (xs->strm.avail_out) {
		lzma_ret ret;

		if (base_cancelled(xs->im)) {
			archive_set_error(a, EINTR, "interrupted");
			return -1;
		}
		if (!xs->strm.avail_in && !xs->in_eof) {
			ssize_t n = read(xs->fd, xs->in, sizeof(xs->in));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				archive_set_error(a, errno, "read error: %s",
						  strerror(errno));
				return -1;
			}
			xs->strm.next_in = xs->in;
			xs->strm.avail_in = (size_t)n;
			xs->in_eof = n == 0;
		}
		ret = lzma_code(&xs->strm, xs->in_eof ? LZMA_FINISH : LZMA_RUN);
		if (ret == LZMA_STREAM_END) {
			xs->done = true;
			break;
		}
		if (ret == LZMA_MEMLIMIT_ERROR) {
			archive_set_error(a, ENOMEM, "xz data needs more than "
					  "%llu MB to decode",
					  XZ_MEM_STOP >> 20);
			return -1;
		}
		if (ret != LZMA_OK) {
			archive_set_error(a, EIO,
					  ret == LZMA_DATA_ERROR ||
					  ret == LZMA_BUF_ERROR ?
					  "xz data is corrupt or truncated" :
					  "xz decoder error %d", (int)ret);
			return -1;
		}
		if (xs->in_eof && !xs->strm.avail_in &&
		    xs->strm.avail_out == sizeof(xs->out))
			continue;
	}
	return (la_ssize_t)(sizeof(xs->out) - xs->strm.avail_out);
}

static la_ssize_t tar_source_read(struct archive *a, void *arg,
				  const void **buf)
{
	struct tar_source *ts = arg;

	return ts->xz ? xz_read(a, ts, buf) : plain_read(a, ts, buf);
}

static const struct kser_error *tar_source_open(struct tar_source **out,
						struct import *im, int fd,
						bool xz)
{
	lzma_mt mt = {
		.flags = LZMA_CONCATENATED,
		.threads = im->opts->threads ? im->opts->threads : 1,
		.timeout = 0,
		.memlimit_threading = XZ_MEM_THREADS,
		.memlimit_stop = XZ_MEM_STOP,
	};
	struct tar_source *ts;
	lzma_stream init = LZMA_STREAM_INIT;

	*out = NULL;
	ts = malloc(sizeof(*ts));
	if (!ts)
		return kser_error_nomem();
	ts->im = im;
	ts->fd = fd;
	ts->xz = xz;
	ts->strm = init;
	ts->in_eof = false;
	ts->done = false;
	if (xz && lzma_stream_decoder_mt(&ts->strm, &mt) != LZMA_OK) {
		free(ts);
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "cannot start the xz decoder");
	}
	*out = ts;
	return NULL;
}

static void tar_source_free(struct tar_source *ts)
{
	if (!ts)
		return;
	if (ts->xz)
		lzma_end(&ts->strm);
	free(ts);
}

static const struct kser_error *archive_err(struct import *im,
					    struct archive *a,
					    const char *source)
{
	const char *msg = archive_error_string(a);

	if (im->stopped)
		return im->stopped;
	return kser_error_fmt(KSER_ERR_BAD_INPUT, "'%s': %s", source,
			      msg ? msg : "unreadable archive");
}

/*
 * The data of the current archive entry, as libarchive gives it: blocks
 * at offsets, with holes between them in sparse files, and a hole at
 * the end that only the entry's size shows.
 */
struct archive_member {
	struct import *im;
	struct archive *a;
	const char *source, *path;
	bool sparse, eof;
	const char *blk;
	size_t blk_len;
	uint64_t blk_off, pos;
};

static const struct kser_error *archive_member_read(void *arg, char *buf,
						    size_t len, size_t *got)
{
	struct archive_member *am = arg;
	size_t n;

	*got = 0;
	for (;;) {
		const void *p;
		la_int64_t off;
		int r;

		if (am->pos < am->blk_off || (am->eof && am->sparse)) {
			n = am->eof ? len : (size_t)(am->blk_off - am->pos);
			n = n < len ? n : len;
			memset(buf, 0, n);
			break;
		}
		if (am->pos < am->blk_off + am->blk_len) {
			n = (size_t)(am->blk_off + am->blk_len - am->pos);
			n = n < len ? n : len;
			memcpy(buf, am->blk + (am->pos - am->blk_off), n);
			break;
		}
		if (am->eof)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "'%s': truncated archive: '%s' "
					      "ends early", am->source,
					      am->path);
		r = archive_read_data_block(am->a, &p, &n, &off);
		if (r == ARCHIVE_EOF) {
			am->eof = true;
			continue;
		}
		if (r != ARCHIVE_OK)
			return kser_error_wrap(archive_err(am->im, am->a,
							   am->source),
					       "reading '%s'", am->path);
		if (off < 0 || (uint64_t)off < am->pos)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "'%s': '%s' has overlapping "
					      "sparse blocks", am->source,
					      am->path);
		am->blk = p;
		am->blk_len = n;
		am->blk_off = (uint64_t)off;
	}
	am->pos += n;
	*got = n;
	return NULL;
}

/*
 * libarchive gives names in the locale's charset and refuses UTF-8 names
 * (pax archives) that the locale cannot show: read archives in C.UTF-8,
 * on this thread only, so that names come as the bytes the archive holds.
 */
struct utf8_locale {
	locale_t utf8, saved;
};

static void utf8_locale_enter(struct utf8_locale *l)
{
	l->utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	l->saved = l->utf8 ? uselocale(l->utf8) : (locale_t)0;
}

static void utf8_locale_leave(struct utf8_locale *l)
{
	if (!l->utf8)
		return;
	uselocale(l->saved);
	freelocale(l->utf8);
	l->utf8 = (locale_t)0;
}

const struct kser_error *base_read_tarball(struct import *im,
					   const char *source)
{
	const struct kser_error *err = NULL;
	struct archive *a = NULL;
	struct archive_entry *ae;
	struct tar_source *ts = NULL;
	struct utf8_locale loc;
	unsigned char magic[6];
	bool xz;
	int fd, r;

	fd = open(source, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kser_error_errno("cannot open '%s'", source);
	utf8_locale_enter(&loc);
	a = archive_read_new();
	if (!a) {
		err = kser_error_nomem();
		goto done;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	xz = pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	     memcmp(magic, "\xfd" "7zXZ\0", 6) == 0;
	if (!xz) {
		/* Libraries only: never a helper program named by the input. */
		archive_read_support_filter_gzip(a);
		archive_read_support_filter_bzip2(a);
		archive_read_support_filter_zstd(a);
		archive_read_support_filter_lzma(a);
		archive_read_support_filter_xz(a);
	}
	err = tar_source_open(&ts, im, fd, xz);
	if (err)
		goto done;
	r = archive_read_open(a, ts, NULL, tar_source_read, NULL);
	if (r != ARCHIVE_OK) {
		err = archive_err(im, a, source);
		goto done;
	}

	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ae);
		const char *hardlink = archive_entry_hardlink(ae);
		mode_t type = archive_entry_filetype(ae);
		mode_t perm = archive_entry_perm(ae);
		int64_t mtime = archive_entry_mtime(ae);
		la_int64_t size = archive_entry_size(ae);
		struct archive_member am = {
			.im = im, .a = a, .source = source, .path = path,
			.sparse = archive_entry_sparse_count(ae) > 0,
		};
		struct member m = { 0, archive_member_read, &am };
		uint32_t mode = (perm & 0100) ? GIT_FILEMODE_BLOB_EXECUTABLE
					      : GIT_FILEMODE_BLOB;

		err = base_cancelled(im);
		if (err)
			goto done;
		if (!path) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': entry without a name",
					     source);
			goto done;
		}
		if (hardlink && !archive_entry_size_is_set(ae))
			size = 0;
		if (hardlink && size == 0) {
			err = base_add_entry(im, path, mode, mtime, &m,
					     hardlink);
			if (err)
				goto done;
			continue;
		}
		switch (type) {
		case AE_IFDIR:
			/* Directories' times are not content; a directory
			 * source has no way to match them either. */
			continue;
		case AE_IFREG:
			if (size < 0) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': bad size for '%s'",
						     source, path);
				goto done;
			}
			m.size = (uint64_t)size;
			err = base_add_entry(im, path, mode, mtime, &m, NULL);
			break;
		case AE_IFLNK: {
			const char *target = archive_entry_symlink(ae);

			if (!target || !*target) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': symlink '%s' has "
						     "no target", source,
						     path);
				goto done;
			}
			err = base_add_symlink(im, path, target, mtime);
			break;
		}
		default:
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': '%s' is a %s, which a git "
					     "tree cannot hold", source, path,
					     type == AE_IFCHR ? "character device" :
					     type == AE_IFBLK ? "block device" :
					     type == AE_IFIFO ? "fifo" :
					     type == AE_IFSOCK ? "socket" :
					     "special file");
			goto done;
		}
		if (err)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		err = archive_err(im, a, source);
		goto done;
	}
	/*
	 * libarchive stops at the tar end marker; read the xz stream to its
	 * end so that its checksums and index are verified too.
	 */
	while (xz) {
		const void *buf;
		la_ssize_t n = xz_read(a, ts, &buf);

		if (n < 0) {
			err = archive_err(im, a, source);
			goto done;
		}
		if (n == 0)
			break;
	}
	if (im->seq == 0)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s': the archive holds no files",
				     source);
done:
	if (a)
		archive_read_free(a);
	utf8_locale_leave(&loc);
	tar_source_free(ts);
	close(fd);
	return err;
}
