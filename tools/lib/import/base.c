// SPDX-License-Identifier: GPL-2.0
/*
 * kser base import: stream a source tree into a pack, build its trees, and
 * commit it deterministically.
 *
 * The main thread reads the source (a tarball through libarchive, with
 * .xz decoded by liblzma's multi-threaded decoder, or a directory) and
 * queues each file; worker threads hash and deflate the files into one
 * pack. When the source is exhausted the main thread sorts the paths,
 * writes the trees into the same pack, installs it and makes the commits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <git2/sys/odb_backend.h>
#include <lzma.h>

#include "kser/base.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/path.h"
#include "kser_lib_import.h"
#include "kser/pack.h"

/*
 * Memory stays bounded whatever the source: the files queued or being
 * compressed hold at most QUEUE_MAX_BYTES (plus one file), and a file of
 * STREAM_MIN_BYTES or more is never held whole: the reading thread
 * streams it into the pack. The kernel's biggest file is 24 MB.
 */
#define QUEUE_MAX_BYTES (64u << 20)
#define STREAM_MIN_BYTES (32u << 20)
#define CHUNK_BYTES (1u << 20)
/* The xz decoder's memory: threads share the first, the second stops it. */
#define XZ_MEM_THREADS (256ull << 20)
#define XZ_MEM_STOP (512ull << 20)

#define IMPORT_NAME "kser base import"
#define IMPORT_EMAIL "kser@localhost"

/* One file of the source, as read. */
struct src_file {
	char *path;
	uint32_t mode;		/* GIT_FILEMODE_* */
	size_t seq;		/* position in the source, for "last wins" */
	git_oid oid;
	char *hardlink;		/* tar hard link: take the oid of this path */
};

struct job {
	struct job *next;
	struct src_file file;
	char *data;
	size_t len;
};

struct import {
	git_repository *repo;
	const struct kser_base_import_options *opts;
	struct kser_pack_writer *pw;

	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	struct job *head, *tail;
	size_t held_bytes;	/* data queued or being compressed */
	bool closed;
	bool stop;		/* the import failed: drop what is queued */
	const struct kser_error *worker_err;

	/* Finished files; appended by workers under lock. */
	struct src_file *files;
	size_t nfiles, files_alloc;

	size_t seq;
	int64_t newest_mtime;
	/* Top-level Makefiles seen, for the kernel version. */
	char *makefile[2];	/* "Makefile", "<dir>/Makefile" */
	char *makefile_dir;	/* the <dir> of makefile[1] */
	char *stripped;		/* the top directory removed, "" if none */

	/* What stopped the import (opts->cancel or progress said so). */
	const struct kser_error *stopped;
	/* Set with it, for the workers, which never call the callbacks. */
	atomic_bool stopping;
};

/*
 * Asks the caller's cancel callback, on the importing thread; once it
 * has said stop, says so every time after.
 */
static const struct kser_error *cancelled(struct import *im)
{
	const struct kser_error *err;

	if (im->stopped)
		return im->stopped;
	err = kser_cancel_check(im->opts->cancel, im->opts->cancel_arg);
	if (err) {
		im->stopped = err;
		atomic_store(&im->stopping, true);
	}
	return err;
}

/* One more file read: the progress callback hears of every so many. */
static const struct kser_error *progressed(struct import *im)
{
	const struct kser_error *err;

	if (!im->opts->progress || im->seq % KSER_BASE_PROGRESS_FILES)
		return NULL;
	err = im->opts->progress(im->seq, im->opts->progress_arg);
	if (err && !im->stopped) {
		im->stopped = err;
		atomic_store(&im->stopping, true);
	}
	return err;
}

static void src_file_release(struct src_file *f)
{
	free(f->path);
	free(f->hardlink);
}

static void job_free(struct job *j)
{
	src_file_release(&j->file);
	free(j->data);
	free(j);
}

static const struct kser_error *files_push(struct import *im,
					   const struct src_file *f)
{
	const struct kser_error *err = kser_array_grow(
		(void **)&im->files, &im->files_alloc, im->nfiles,
		sizeof(*im->files), 16384);

	if (err)
		return err;
	im->files[im->nfiles++] = *f;
	return NULL;
}

static void *worker_main(void *arg)
{
	struct import *im = arg;

	for (;;) {
		const struct kser_error *err = NULL;
		struct job *j;
		bool skip;

		pthread_mutex_lock(&im->lock);
		while (!im->head && !im->closed)
			pthread_cond_wait(&im->not_empty, &im->lock);
		j = im->head;
		if (!j) {
			pthread_mutex_unlock(&im->lock);
			break;
		}
		im->head = j->next;
		if (!im->head)
			im->tail = NULL;
		skip = im->stop || im->worker_err;
		pthread_mutex_unlock(&im->lock);

		/* After a failure or Ctrl-C, the queue is dropped unread. */
		if (!skip && !atomic_load(&im->stopping))
			err = kser_pack_writer_add(im->pw, &j->file.oid,
						   GIT_OBJECT_BLOB, j->data,
						   j->len);
		else
			skip = true;
		pthread_mutex_lock(&im->lock);
		if (!skip && !err && !im->worker_err) {
			err = files_push(im, &j->file);
			if (!err)
				memset(&j->file, 0, sizeof(j->file));
		}
		if (err && !im->worker_err) {
			/* Errors live in a per-thread ring: keep a copy. */
			im->worker_err = kser_error_fmt(err->code, "%s",
							err->msg);
		}
		im->held_bytes -= j->len;
		pthread_cond_signal(&im->not_full);
		pthread_mutex_unlock(&im->lock);
		job_free(j);
	}
	kser_pack_thread_cleanup();
	return NULL;
}

/*
 * The worker's copy of an error lives in the worker's ring, which dies with
 * it; make a copy on the calling thread before the workers are joined.
 */
static const struct kser_error *take_worker_error(struct import *im)
{
	const struct kser_error *err;

	pthread_mutex_lock(&im->lock);
	err = im->worker_err;
	pthread_mutex_unlock(&im->lock);
	return err;
}

static const struct kser_error *enqueue(struct import *im, struct job *j)
{
	const struct kser_error *err = NULL;

	const struct kser_error *stop = cancelled(im);

	pthread_mutex_lock(&im->lock);
	while (im->held_bytes && im->held_bytes + j->len > QUEUE_MAX_BYTES &&
	       !im->worker_err && !stop) {
		struct timespec ts;

		/* Wake up now and then to notice Ctrl-C. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000 * 1000 * 1000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_cond_timedwait(&im->not_full, &im->lock, &ts);
		/* The callback is the caller's: never under our lock. */
		pthread_mutex_unlock(&im->lock);
		stop = cancelled(im);
		pthread_mutex_lock(&im->lock);
	}
	if (im->worker_err)
		err = im->worker_err;
	if (!err && !stop) {
		j->next = NULL;
		if (im->tail)
			im->tail->next = j;
		else
			im->head = j;
		im->tail = j;
		im->held_bytes += j->len;
		pthread_cond_signal(&im->not_empty);
		j = NULL;
	}
	pthread_mutex_unlock(&im->lock);
	if (!j)
		return NULL;
	job_free(j);
	return err ? kser_error_fmt(err->code, "%s", err->msg) : stop;
}

/* Keeps a copy of a top-level Makefile, where the kernel version lives. */
static void note_makefile(struct import *im, const char *path,
			  const char *data, size_t len)
{
	const char *slash = strchr(path, '/');
	int which;
	char *copy;

	if (strcmp(path, "Makefile") == 0)
		which = 0;
	else if (slash && strcmp(slash + 1, "Makefile") == 0 && !im->makefile[1])
		which = 1;
	else
		return;
	copy = strndup(data, len);
	if (!copy)
		return;
	free(im->makefile[which]);
	im->makefile[which] = copy;
	if (which == 1) {
		free(im->makefile_dir);
		im->makefile_dir = strndup(path, (size_t)(slash - path));
	}
}

/*
 * The data of one source entry, read in pieces: each call fills buf with
 * 1 to len bytes, or fails (a member that ends early is an error).
 */
struct member {
	uint64_t size;
	const struct kser_error *(*read)(void *arg, char *buf, size_t len,
					 size_t *got);
	void *arg;
};

static const struct kser_error *read_member(struct import *im,
					    const struct member *m, char *data)
{
	const struct kser_error *err = NULL;
	uint64_t done = 0;

	while (!err && done < m->size) {
		size_t want = m->size - done > CHUNK_BYTES ? CHUNK_BYTES :
			      (size_t)(m->size - done), got = 0;

		err = cancelled(im);
		if (err)
			return err;
		err = m->read(m->arg, data + done, want, &got);
		done += got;
	}
	return err;
}

/* A member too big to hold: straight into the pack, in pieces. */
static const struct kser_error *stream_member(struct import *im,
					      const struct member *m,
					      git_oid *out)
{
	const struct kser_error *err;
	struct kser_pack_stream *s = NULL;
	uint64_t done = 0;
	char *buf = malloc(CHUNK_BYTES);

	if (!buf)
		return kser_error_nomem();
	err = kser_pack_stream_begin(&s, im->pw, GIT_OBJECT_BLOB, m->size);
	while (!err && done < m->size) {
		size_t want = m->size - done > CHUNK_BYTES ? CHUNK_BYTES :
			      (size_t)(m->size - done), got = 0;

		err = cancelled(im);
		if (err)
			break;
		err = m->read(m->arg, buf, want, &got);
		if (!err)
			err = kser_pack_stream_write(s, buf, got);
		done += got;
	}
	if (!err) {
		err = kser_pack_stream_finish(s, out);
		s = NULL;
	}
	kser_pack_stream_abort(s);
	free(buf);
	return err;
}

/*
 * Adds one source entry: m gives its data, or hardlink the path whose
 * data it shares. path is normalised and checked here, so both readers
 * share the same rules.
 */
static const struct kser_error *add_entry(struct import *im, const char *name,
					  uint32_t mode, int64_t mtime,
					  const struct member *m,
					  const char *hardlink)
{
	const struct kser_error *err;
	struct job *j;

	err = progressed(im);
	if (err)
		return err;
	j = calloc(1, sizeof(*j));
	if (!j)
		return kser_error_nomem();
	j->file.mode = mode;
	j->file.seq = im->seq++;
	j->file.path = strdup(name);
	if (hardlink)
		j->file.hardlink = strdup(hardlink);
	if (!j->file.path || (hardlink && !j->file.hardlink)) {
		job_free(j);
		return kser_error_nomem();
	}
	kser_path_normalize(j->file.path);
	err = kser_path_check(j->file.path, mode);
	if (!err && hardlink) {
		kser_path_normalize(j->file.hardlink);
		err = kser_path_check(j->file.hardlink, 0);
	}
	if (err)
		goto fail;
	if (mtime > im->newest_mtime)
		im->newest_mtime = mtime;
	if (!hardlink && m->size >= STREAM_MIN_BYTES)
		err = stream_member(im, m, &j->file.oid);
	if (err)
		goto fail;
	if (hardlink || m->size >= STREAM_MIN_BYTES) {
		/* Hard links are resolved once every file is known. */
		pthread_mutex_lock(&im->lock);
		err = files_push(im, &j->file);
		pthread_mutex_unlock(&im->lock);
		if (!err)
			memset(&j->file, 0, sizeof(j->file));
		goto fail;
	}
	j->len = (size_t)m->size;
	j->data = malloc(j->len ? j->len : 1);
	if (!j->data) {
		err = kser_error_nomem();
		goto fail;
	}
	err = read_member(im, m, j->data);
	if (err)
		goto fail;
	if (mode != GIT_FILEMODE_LINK)
		note_makefile(im, j->file.path, j->data, j->len);
	return enqueue(im, j);
fail:
	job_free(j);
	return err;
}

/* A symlink's target, as a member's data. */
struct text_source {
	const char *text;
	size_t off;
};

static const struct kser_error *text_read(void *arg, char *buf, size_t len,
					  size_t *got)
{
	struct text_source *t = arg;

	memcpy(buf, t->text + t->off, len);
	t->off += len;
	*got = len;
	return NULL;
}

static const struct kser_error *add_symlink(struct import *im,
					    const char *path,
					    const char *target, int64_t mtime)
{
	struct text_source t = { target, 0 };
	struct member m = { strlen(target), text_read, &t };

	if (m.size > KSER_PATH_MAX_LEN)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "symlink '%s': its target is %zu bytes "
				      "long, more than the %d a symlink can "
				      "have", path, (size_t)m.size,
				      KSER_PATH_MAX_LEN);
	return add_entry(im, path, GIT_FILEMODE_LINK, mtime, &m, NULL);
}

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
		if (cancelled(ts->im)) {
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

		if (cancelled(xs->im)) {
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

static const struct kser_error *read_tarball(struct import *im,
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

		err = cancelled(im);
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
			err = add_entry(im, path, mode, mtime, &m, hardlink);
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
			err = add_entry(im, path, mode, mtime, &m, NULL);
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
			err = add_symlink(im, path, target, mtime);
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

/* --- directories ------------------------------------------------------- */

struct file_member {
	int fd;
	const char *path;
};

static const struct kser_error *file_member_read(void *arg, char *buf,
						 size_t len, size_t *got)
{
	struct file_member *fm = arg;
	ssize_t n;

	*got = 0;
	do
		n = read(fm->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kser_error_errno("cannot read '%s'", fm->path);
	if (n == 0)
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "'%s' shrank while reading", fm->path);
	*got = (size_t)n;
	return NULL;
}

static const struct kser_error *add_file_at(struct import *im, int dirfd,
					    const char *name,
					    const char *path,
					    const struct stat *st)
{
	const struct kser_error *err;
	struct file_member fm = { -1, path };
	struct member m = { (uint64_t)st->st_size, file_member_read, &fm };

	fm.fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fm.fd < 0)
		return kser_error_errno("cannot open '%s'", path);
	err = add_entry(im, path,
			(st->st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE :
						  GIT_FILEMODE_BLOB,
			st->st_mtime, &m, NULL);
	close(fm.fd);
	return err;
}

/* The sorted names in a directory, so work does not depend on readdir. */
static const struct kser_error *list_names(struct kser_dir_list *out,
					   int dirfd, const char *source,
					   const char *rel)
{
	const struct kser_error *err;
	struct kser_buf what = KSER_BUF_INIT;
	size_t i, n = 0;

	kser_buf_printf(&what, "%s/%s", source, rel);
	err = kser_buf_check(&what);
	if (!err)
		err = kser_dir_list(out, dirfd, what.ptr);
	kser_buf_release(&what);
	if (err)
		return err;
	for (i = 0; i < out->n; i++) {
		if (!strcmp(out->v[i].name, ".git")) {
			free(out->v[i].name);
			continue;
		}
		out->v[n++] = out->v[i];
	}
	out->n = n;
	return NULL;
}

/* rel is the path below the source ("" at the top). */
static const struct kser_error *walk_dir(struct import *im, int dirfd,
					 struct kser_buf *rel,
					 const char *source)
{
	const struct kser_error *err = NULL;
	struct kser_dir_list names;
	size_t i, rel_len = rel->len;

	err = list_names(&names, dirfd, source, kser_buf_cstr(rel));
	if (err) {
		kser_dir_list_release(&names);
		return err;
	}
	for (i = 0; i < names.n && !err; i++) {
		const char *name = names.v[i].name;
		struct stat st;

		err = cancelled(im);
		if (err)
			break;
		kser_buf_truncate(rel, rel_len);
		if (rel_len)
			kser_buf_putc(rel, '/');
		kser_buf_puts(rel, name);
		err = kser_buf_check(rel);
		/* Before going deeper: this bounds the recursion. */
		if (!err)
			err = kser_path_check(rel->ptr, 0);
		if (err)
			break;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = kser_error_errno("cannot stat '%s/%s'", source,
					       rel->ptr);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					 O_NOFOLLOW);

			if (sub < 0) {
				err = kser_error_errno("cannot open '%s/%s'",
						       source, rel->ptr);
				break;
			}
			err = walk_dir(im, sub, rel, source);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			err = add_file_at(im, dirfd, name, rel->ptr, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlinkat(dirfd, name, target,
					       sizeof(target) - 1);

			if (n <= 0) {
				err = kser_error_errno("cannot read link "
						       "'%s/%s'", source,
						       rel->ptr);
				break;
			}
			target[n] = '\0';
			err = add_symlink(im, rel->ptr, target, st.st_mtime);
		} else {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s/%s' is a special file, which "
					     "a git tree cannot hold", source,
					     rel->ptr);
		}
	}
	kser_dir_list_release(&names);
	kser_buf_truncate(rel, rel_len);
	return err;
}

static const struct kser_error *read_directory(struct import *im,
					       const char *source)
{
	const struct kser_error *err;
	struct kser_buf rel = KSER_BUF_INIT;
	int fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return kser_error_errno("cannot open '%s'", source);
	err = walk_dir(im, fd, &rel, source);
	close(fd);
	kser_buf_release(&rel);
	if (!err && im->seq == 0)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' holds no files", source);
	return err;
}

/* --- trees ------------------------------------------------------------- */

static int file_cmp(const void *a, const void *b)
{
	const struct src_file *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct tree_entry {
	const char *name;
	size_t len;
	uint32_t mode;
	git_oid oid;
};

/* git's tree order: a directory sorts as if its name ended in '/'. */
static int tree_entry_cmp(const void *a, const void *b)
{
	const struct tree_entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	unsigned char cx, cy;

	if (c)
		return c;
	cx = n < x->len ? (unsigned char)x->name[n] :
	     x->mode == GIT_FILEMODE_TREE ? '/' : 0;
	cy = n < y->len ? (unsigned char)y->name[n] :
	     y->mode == GIT_FILEMODE_TREE ? '/' : 0;
	return cx < cy ? -1 : cx > cy;
}

/*
 * Writes the tree for files[lo, hi), all of which start with the prefix
 * of length plen (empty, or ending in '/'). The recursion is as deep as
 * the tree, which kser_path_check() bounds (KSER_PATH_MAX_DEPTH).
 */
static const struct kser_error *write_tree(struct import *im,
					   struct src_file *files, size_t lo,
					   size_t hi, size_t plen, git_oid *out)
{
	const struct kser_error *err = NULL;
	struct tree_entry *ents = NULL;
	struct kser_buf tree = KSER_BUF_INIT;
	size_t n = 0, i = lo;

	err = cancelled(im);
	if (err)
		return err;
	ents = malloc((hi - lo) * sizeof(*ents));
	if (!ents)
		return kser_error_nomem();
	while (i < hi) {
		const char *name = files[i].path + plen;
		const char *slash = strchr(name, '/');
		struct tree_entry *e = &ents[n];

		e->name = name;
		if (!slash) {
			e->len = strlen(name);
			e->mode = files[i].mode;
			e->oid = files[i].oid;
			i++;
		} else {
			size_t j = i + 1;

			e->len = (size_t)(slash - name);
			e->mode = GIT_FILEMODE_TREE;
			while (j < hi &&
			       strncmp(files[j].path + plen, name,
				       e->len + 1) == 0)
				j++;
			err = write_tree(im, files, i, j, plen + e->len + 1,
					 &e->oid);
			if (err)
				goto done;
			i = j;
		}
		n++;
	}
	qsort(ents, n, sizeof(*ents), tree_entry_cmp);
	/*
	 * A file and a directory of the same name need not be neighbours
	 * ("foo", "foo.c", "foo/"): look for the file of each directory.
	 */
	for (i = 0; i < n; i++) {
		struct tree_entry key = ents[i];

		if (key.mode != GIT_FILEMODE_TREE)
			continue;
		key.mode = GIT_FILEMODE_BLOB;
		if (bsearch(&key, ents, n, sizeof(*ents), tree_entry_cmp)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%.*s%.*s' is both a file and "
					     "a directory", (int)plen,
					     files[lo].path, (int)key.len,
					     key.name);
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		kser_buf_printf(&tree, "%o ", ents[i].mode);
		kser_buf_put(&tree, ents[i].name, ents[i].len);
		kser_buf_putc(&tree, '\0');
		kser_buf_put(&tree, ents[i].oid.id, GIT_OID_RAWSZ);
	}
	err = kser_buf_check(&tree);
	if (!err)
		err = kser_pack_writer_add(im->pw, out, GIT_OBJECT_TREE,
					   tree.ptr, tree.len);
done:
	kser_buf_release(&tree);
	free(ents);
	return err;
}

static const struct src_file *find_file(const struct src_file *files,
					size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(files[mid].path, path);

		if (c == 0)
			return &files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Strips a common top-level directory ("linux-source-6.12/"), drops all
 * but the last entry for a path, resolves hard links, and sorts.
 */
static const struct kser_error *finish_files(struct import *im)
{
	size_t i, w, plen = 0;
	const struct kser_error *err;
	const char *first, *slash;
	char *prefix = NULL;

	if (!im->nfiles)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "no files");
	first = im->files[0].path;
	slash = strchr(first, '/');
	if (slash) {
		plen = (size_t)(slash - first) + 1;
		prefix = strndup(first, plen);
		if (!prefix)
			return kser_error_nomem();
		for (i = 0; i < im->nfiles; i++) {
			if (strncmp(im->files[i].path, prefix, plen) != 0) {
				plen = 0;
				break;
			}
		}
	}
	for (i = 0; plen && i < im->nfiles; i++) {
		struct src_file *f = &im->files[i];

		memmove(f->path, f->path + plen, strlen(f->path) - plen + 1);
		if (f->hardlink && !strncmp(f->hardlink, prefix, plen))
			memmove(f->hardlink, f->hardlink + plen,
				strlen(f->hardlink) - plen + 1);
	}
	im->stripped = plen ? strndup(prefix, plen - 1) : strdup("");
	free(prefix);
	if (!im->stripped)
		return kser_error_nomem();
	qsort(im->files, im->nfiles, sizeof(*im->files), file_cmp);
	for (i = 0, w = 0; i < im->nfiles; i++) {
		if (i + 1 < im->nfiles &&
		    !strcmp(im->files[i].path, im->files[i + 1].path)) {
			src_file_release(&im->files[i]);
			continue;
		}
		im->files[w++] = im->files[i];
	}
	im->nfiles = w;
	for (i = 0; i < im->nfiles; i++) {
		struct src_file *f = &im->files[i];
		const struct src_file *target;

		if (!f->hardlink)
			continue;
		target = find_file(im->files, im->nfiles, f->hardlink);
		if (!target || target->hardlink)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "hard link '%s' points at '%s', "
					      "which the archive does not hold",
					      f->path, f->hardlink);
		/*
		 * A hard link is the same inode as its target once
		 * extracted: a symlink if that is one, and its mode.
		 */
		f->oid = target->oid;
		f->mode = target->mode;
		/* The mode is known only now: ".gitmodules" as a symlink. */
		err = kser_path_check(f->path, f->mode);
		if (err)
			return err;
	}
	return NULL;
}

/* --- version and commit ------------------------------------------------ */

static char *makefile_var(const char *mk, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = mk;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && !strncmp(p, name, nlen)) {
			const char *v = p + nlen;
			const char *end = p + len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v < end && *v == '=') {
				v++;
				while (v < end && (*v == ' ' || *v == '\t'))
					v++;
				while (end > v && (end[-1] == ' ' ||
						   end[-1] == '\t'))
					end--;
				return strndup(v, (size_t)(end - v));
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* "6.12.117" from a kernel's top Makefile, or NULL. */
static char *kernel_version(const char *mk)
{
	char *v = makefile_var(mk, "VERSION");
	char *pl = makefile_var(mk, "PATCHLEVEL");
	char *sl = makefile_var(mk, "SUBLEVEL");
	char *ev = makefile_var(mk, "EXTRAVERSION");
	struct kser_buf b = KSER_BUF_INIT;
	char *res = NULL;

	if (v && pl && *v && *pl) {
		kser_buf_printf(&b, "%s.%s", v, pl);
		if (sl && *sl && strcmp(sl, "0"))
			kser_buf_printf(&b, ".%s", sl);
		if (ev)
			kser_buf_puts(&b, ev);
		res = kser_buf_detach(&b);
	}
	kser_buf_release(&b);
	free(v);
	free(pl);
	free(sl);
	free(ev);
	return res;
}

/* "linux-6.12.tar.xz" -> "linux-6.12"; a directory keeps its name. */
static char *label_from_source(const char *source)
{
	static const char *const exts[] = {
		".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".txz", ".tgz",
		".tar",
	};
	const char *base = strrchr(source, '/');
	size_t len, i;
	char *s;

	s = strdup(base && base[1] ? base + 1 : source);
	if (!s)
		return NULL;
	len = strlen(s);
	while (len > 1 && s[len - 1] == '/')
		s[--len] = '\0';
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);

		if (len > el && !strcmp(s + len - el, exts[i])) {
			s[len - el] = '\0';
			break;
		}
	}
	return s;
}

static const struct kser_error *make_commit(git_oid *out, git_repository *repo,
					    const git_oid *tree_oid,
					    const git_oid *parent_oid,
					    int64_t when, const char *msg)
{
	const struct kser_error *err = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	const git_commit *parents[1];

	if (git_signature_new(&sig, IMPORT_NAME, IMPORT_EMAIL, when, 0) < 0) {
		err = kser_error_git("cannot make the import identity");
		goto done;
	}
	if (git_tree_lookup(&tree, repo, tree_oid) < 0) {
		err = kser_error_git("cannot read the imported tree");
		goto done;
	}
	if (parent_oid && git_commit_lookup(&parent, repo, parent_oid) < 0) {
		err = kser_error_git("cannot read the source commit");
		goto done;
	}
	parents[0] = parent;
	if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree,
			      parent ? 1 : 0, parents) < 0)
		err = kser_error_git("cannot create the commit");
done:
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	return err;
}

/* The tag's state when it was checked, before anything is installed. */
struct tag_plan {
	bool exists;
	git_oid cur;
};

static const struct kser_error *tag_prepare(struct kser_base_result *res,
					    struct tag_plan *plan,
					    git_repository *repo,
					    const git_oid *oid, bool force)
{
	const struct kser_error *err = NULL;
	struct kser_buf name = KSER_BUF_INIT;
	int valid = 0;

	memset(plan, 0, sizeof(*plan));
	kser_buf_printf(&name, "refs/tags/%s", res->label);
	err = kser_buf_check(&name);
	if (err)
		goto done;
	if (git_reference_name_is_valid(&valid, name.ptr) < 0 || !valid) {
		err = kser_error_fmt(KSER_ERR_USAGE,
				     "'%s' is not a valid tag name",
				     res->label);
		goto done;
	}
	if (git_reference_name_to_id(&plan->cur, repo, name.ptr) == 0) {
		plan->exists = true;
		if (git_oid_equal(&plan->cur, oid)) {
			res->ref_unchanged = true;
		} else if (!force) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), &plan->cur);
			err = kser_error_fmt(KSER_ERR_EXISTS,
					     "tag '%s' already exists and "
					     "points at %s; use --force to "
					     "move it", res->label, hex);
			goto done;
		}
	}
	res->refname = kser_buf_detach(&name);
	if (!res->refname)
		err = kser_error_nomem();
done:
	kser_buf_release(&name);
	return err;
}

/* Moves the tag only from where tag_prepare() saw it. */
static const struct kser_error *tag_write(const struct kser_base_result *res,
					  const struct tag_plan *plan,
					  git_repository *repo,
					  const git_oid *oid)
{
	const struct kser_error *err = NULL;
	struct kser_buf log = KSER_BUF_INIT;
	git_reference *ref = NULL;
	int r;

	if (res->ref_unchanged)
		return NULL;
	kser_buf_printf(&log, "kser base import: %s", res->label);
	err = kser_buf_check(&log);
	if (err)
		return err;
	if (plan->exists)
		r = git_reference_create_matching(&ref, repo, res->refname, oid,
						  1, &plan->cur, log.ptr);
	else
		r = git_reference_create(&ref, repo, res->refname, oid, 0,
					 log.ptr);
	if (r < 0)
		err = kser_error_git("cannot create '%s'", res->refname);
	git_reference_free(ref);
	kser_buf_release(&log);
	return err;
}

/*
 * A repository whose object database writes into the pack being made and
 * reads the repository's objects beside it, never writing there: the
 * commits and the overlay are made in it, so nothing reaches the
 * repository until the finished pack is installed.
 */
static const struct kser_error *open_staging(git_repository **out,
					     git_repository *repo,
					     struct kser_pack_writer *pw)
{
	const struct kser_error *err = NULL;
	git_odb_backend *backend = NULL;
	git_buf objdir = GIT_BUF_INIT;
	git_odb *odb = NULL;

	*out = NULL;
	if (git_odb_new(&odb) < 0)
		return kser_error_git("cannot make an object database");
	err = kser_pack_writer_backend(&backend, pw);
	if (err)
		goto done;
	if (git_odb_add_backend(odb, backend, 1000) < 0) {
		backend->free(backend);
		err = kser_error_git("cannot make an object database");
		goto done;
	}
	if (git_repository_item_path(&objdir, repo,
				     GIT_REPOSITORY_ITEM_OBJECTS) < 0 ||
	    git_odb_add_disk_alternate(odb, objdir.ptr) < 0 ||
	    git_repository_wrap_odb(out, odb) < 0)
		err = kser_error_git("cannot read the repository's objects");
done:
	git_buf_dispose(&objdir);
	git_odb_free(odb);
	return err;
}

void kser_base_result_release(struct kser_base_result *res)
{
	free(res->label);
	free(res->refname);
	free(res->kernel_version);
	memset(res, 0, sizeof(*res));
}

static unsigned int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

static void import_init(struct import *im, git_repository *repo,
			const struct kser_base_import_options *opts)
{
	memset(im, 0, sizeof(*im));
	im->repo = repo;
	im->opts = opts;
	pthread_mutex_init(&im->lock, NULL);
	pthread_cond_init(&im->not_empty, NULL);
	pthread_cond_init(&im->not_full, NULL);
}

static void import_release(struct import *im)
{
	size_t i;

	for (i = 0; i < im->nfiles; i++)
		src_file_release(&im->files[i]);
	free(im->files);
	while (im->head) {
		struct job *j = im->head;

		im->head = j->next;
		job_free(j);
	}
	free(im->makefile[0]);
	free(im->makefile[1]);
	free(im->makefile_dir);
	free(im->stripped);
	kser_pack_writer_free(im->pw);
	kser_pack_thread_cleanup();
	pthread_mutex_destroy(&im->lock);
	pthread_cond_destroy(&im->not_empty);
	pthread_cond_destroy(&im->not_full);
}

/*
 * Reads the source (a directory, or a tarball) into a new pack, its
 * files hashed and deflated by worker threads while this one reads, and
 * writes its tree there too.
 */
static const struct kser_error *import_tree(struct import *im,
					    const char *source, bool is_dir,
					    git_oid *tree_oid)
{
	const struct kser_error *err = NULL;
	pthread_t *threads = NULL;
	unsigned int nthreads, started = 0, i;
	int level;

	level = im->opts->compression < 0 ? 1 : im->opts->compression;
	if (level > 9)
		level = 9;
	err = kser_pack_writer_new(&im->pw, im->repo, level);
	if (err)
		return err;

	nthreads = im->opts->threads ? im->opts->threads : online_cpus();
	threads = calloc(nthreads, sizeof(*threads));
	if (!threads)
		return kser_error_nomem();
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker_main, im)) {
			err = kser_error_errno("cannot start a thread");
			break;
		}
		started++;
	}
	if (!err)
		err = is_dir ? read_directory(im, source) :
			       read_tarball(im, source);

	pthread_mutex_lock(&im->lock);
	im->closed = true;
	im->stop = err != NULL;
	pthread_cond_broadcast(&im->not_empty);
	pthread_mutex_unlock(&im->lock);
	if (!err)
		err = take_worker_error(im);
	if (err) {
		/* Copy before joining: it may live in a worker's ring. */
		err = kser_error_fmt(err->code, "%s", err->msg);
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (err)
		return err;
	err = cancelled(im);
	if (err)
		return err;

	err = finish_files(im);
	if (!err)
		err = write_tree(im, im->files, 0, im->nfiles, 0, tree_oid);
	return err;
}

const struct kser_error *kser_base_read_tree(git_oid *tree,
					     git_repository *repo,
					     const char *source,
					     unsigned int threads,
					     kser_base_tree_fn fn, void *arg)
{
	struct kser_base_import_options opts = KSER_BASE_IMPORT_OPTIONS_INIT;
	const struct kser_error *err;
	git_repository *objects = NULL;
	struct import im;
	struct stat st;

	if (stat(source, &st) < 0)
		return kser_error_errno("cannot read '%s'", source);
	opts.threads = threads;
	import_init(&im, repo, &opts);
	err = import_tree(&im, source, S_ISDIR(st.st_mode), tree);
	if (!err && fn)
		err = open_staging(&objects, repo, im.pw);
	if (!err && fn)
		err = fn(objects, tree, arg);
	git_repository_free(objects);
	import_release(&im);
	return err;
}

const struct kser_error *
kser_base_import(struct kser_base_result *out, git_repository *repo,
		 const char *source,
		 const struct kser_base_import_options *opts)
{
	const struct kser_error *err = NULL;
	struct kser_base_import_options defaults =
		KSER_BASE_IMPORT_OPTIONS_INIT;
	struct kser_base_result res = { 0 };
	struct import im;
	struct kser_buf msg = KSER_BUF_INIT;
	git_repository *staging = NULL;
	struct tag_plan plan;
	git_oid tree_oid;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &defaults;
	if (opts->version != KSER_BASE_IMPORT_OPTIONS_VERSION)
		return kser_error_fmt(KSER_ERR_USAGE,
				      "bad base import options version");
	if (stat(source, &st) < 0)
		return kser_error_errno("cannot read '%s'", source);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "'%s' is neither a tarball nor a "
				      "directory", source);
	if (opts->overlay_dir) {
		err = kser_overlay_check(opts->overlay_dir);
		if (err)
			return err;
	}

	import_init(&im, repo, opts);
	err = import_tree(&im, source, S_ISDIR(st.st_mode), &tree_oid);
	if (err)
		goto done;
	err = open_staging(&staging, repo, im.pw);
	if (err)
		goto done;

	/* The kernel's version names the import. */
	if (!*im.stripped && im.makefile[0])
		res.kernel_version = kernel_version(im.makefile[0]);
	else if (*im.stripped && im.makefile[1] &&
		 !strcmp(im.makefile_dir, im.stripped))
		res.kernel_version = kernel_version(im.makefile[1]);
	if (opts->label) {
		res.label = strdup(opts->label);
	} else if (res.kernel_version) {
		struct kser_buf l = KSER_BUF_INIT;

		kser_buf_printf(&l, "v%s", res.kernel_version);
		res.label = kser_buf_detach(&l);
	} else {
		res.label = label_from_source(source);
	}
	if (!res.label) {
		err = kser_error_nomem();
		goto done;
	}

	if (res.kernel_version)
		kser_buf_printf(&msg, "Linux %s\n\n", res.kernel_version);
	else
		kser_buf_printf(&msg, "Import %s\n\n", res.label);
	kser_buf_printf(&msg,
			"The source tree exactly as shipped: %zu files, "
			"imported by kser base\nimport with no ignore "
			"rules.\n", im.nfiles);
	err = kser_buf_check(&msg);
	if (err)
		goto done;
	err = make_commit(&res.source_commit, staging, &tree_oid, NULL,
			  im.newest_mtime, msg.ptr);
	if (err)
		goto done;
	res.nfiles = im.nfiles;
	res.commit = res.source_commit;

	if (opts->overlay_dir) {
		struct kser_overlay_result ov = { 0 };

		err = kser_overlay_lay(&ov, staging, &res.source_commit,
				       opts->overlay_dir,
				       res.kernel_version ?
				       res.kernel_version : res.label,
				       im.newest_mtime, opts->cancel,
				       opts->cancel_arg);
		if (err)
			goto done;
		res.commit = ov.commit;
		res.noverlay_files = ov.nfiles;
		res.noverlay_patches = ov.npatches;
	}
	git_repository_free(staging);
	staging = NULL;

	/* Everything that can refuse the import, before installing. */
	err = tag_prepare(&res, &plan, repo, &res.commit, opts->force);
	if (err)
		goto done;
	err = cancelled(&im);
	if (err)
		goto done;
	err = kser_pack_writer_commit(im.pw, opts->cancel, opts->cancel_arg);
	if (err)
		goto done;
	err = tag_write(&res, &plan, repo, &res.commit);
	if (err)
		kser_pack_writer_uninstall(im.pw);
done:
	/* The staging odb reads the pack writer: free it first. */
	git_repository_free(staging);
	import_release(&im);
	kser_buf_release(&msg);
	if (err)
		kser_base_result_release(&res);
	else
		*out = res;
	return err;
}
