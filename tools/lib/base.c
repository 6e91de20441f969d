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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#include "kser_lib_overlay.h"
#include "kser_lib_pack.h"

#define QUEUE_MAX_BYTES (256u << 20)
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
	size_t queued_bytes;
	bool closed;
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
};

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
		const struct kser_error *err;
		struct job *j;

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
		im->queued_bytes -= j->len;
		pthread_cond_signal(&im->not_full);
		pthread_mutex_unlock(&im->lock);

		err = im->worker_err ? NULL :
			kser_pack_writer_add(im->pw, &j->file.oid,
					     GIT_OBJECT_BLOB, j->data, j->len);
		pthread_mutex_lock(&im->lock);
		if (!err && !im->worker_err) {
			err = files_push(im, &j->file);
			if (!err)
				memset(&j->file, 0, sizeof(j->file));
		}
		if (err && !im->worker_err) {
			/* Errors live in a per-thread ring: keep a copy. */
			im->worker_err = kser_error_fmt(err->code, "%s",
							err->msg);
		}
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
	const struct kser_error *err;

	pthread_mutex_lock(&im->lock);
	while (im->queued_bytes && im->queued_bytes + j->len > QUEUE_MAX_BYTES &&
	       !im->worker_err)
		pthread_cond_wait(&im->not_full, &im->lock);
	err = im->worker_err;
	if (!err) {
		j->next = NULL;
		if (im->tail)
			im->tail->next = j;
		else
			im->head = j;
		im->tail = j;
		im->queued_bytes += j->len;
		pthread_cond_signal(&im->not_empty);
	}
	pthread_mutex_unlock(&im->lock);
	if (err) {
		job_free(j);
		return kser_error_fmt(err->code, "%s", err->msg);
	}
	return NULL;
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
 * Queues one source entry. Takes ownership of data. path is normalised
 * and checked here, so both readers share the same rules.
 */
static const struct kser_error *add_entry(struct import *im, const char *name,
					  uint32_t mode, int64_t mtime,
					  char *data, size_t len,
					  const char *hardlink)
{
	const struct kser_error *err;
	struct job *j;

	j = calloc(1, sizeof(*j));
	if (!j) {
		free(data);
		return kser_error_nomem();
	}
	j->data = data;
	j->len = len;
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
	if (err) {
		job_free(j);
		return err;
	}
	if (mtime > im->newest_mtime)
		im->newest_mtime = mtime;
	if (mode != GIT_FILEMODE_LINK && data)
		note_makefile(im, j->file.path, data, len);
	if (hardlink) {
		/* Resolved once every file is known. */
		free(j->data);
		j->data = NULL;
		pthread_mutex_lock(&im->lock);
		err = files_push(im, &j->file);
		pthread_mutex_unlock(&im->lock);
		if (!err)
			memset(&j->file, 0, sizeof(j->file));
		job_free(j);
		return err;
	}
	return enqueue(im, j);
}

/* --- tarballs ---------------------------------------------------------- */

struct xz_source {
	int fd;
	lzma_stream strm;
	bool in_eof, done;
	uint8_t in[1 << 20];
	uint8_t out[1 << 20];
};

static la_ssize_t xz_read(struct archive *a, void *arg, const void **buf)
{
	struct xz_source *xs = arg;

	*buf = xs->out;
	if (xs->done)
		return 0;
	xs->strm.next_out = xs->out;
	xs->strm.avail_out = sizeof(xs->out);
	while (xs->strm.avail_out) {
		lzma_ret ret;

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

static const struct kser_error *xz_open(struct xz_source **out, int fd,
					unsigned int threads)
{
	lzma_mt mt = {
		.flags = LZMA_CONCATENATED,
		.threads = threads ? threads : 1,
		.timeout = 0,
		.memlimit_threading = 1ull << 30,
		.memlimit_stop = UINT64_MAX,
	};
	struct xz_source *xs;
	lzma_stream init = LZMA_STREAM_INIT;

	*out = NULL;
	xs = malloc(sizeof(*xs));
	if (!xs)
		return kser_error_nomem();
	xs->fd = fd;
	xs->strm = init;
	xs->in_eof = false;
	xs->done = false;
	if (lzma_stream_decoder_mt(&xs->strm, &mt) != LZMA_OK) {
		free(xs);
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "cannot start the xz decoder");
	}
	*out = xs;
	return NULL;
}

static void xz_free(struct xz_source *xs)
{
	if (!xs)
		return;
	lzma_end(&xs->strm);
	free(xs);
}

static const struct kser_error *archive_err(struct archive *a,
					    const char *source)
{
	const char *msg = archive_error_string(a);

	return kser_error_fmt(KSER_ERR_BAD_INPUT, "'%s': %s", source,
			      msg ? msg : "unreadable archive");
}

static const struct kser_error *read_entry_data(struct archive *a,
						const char *source,
						const char *path, size_t size,
						char **out)
{
	char *data;
	size_t got = 0;

	*out = NULL;
	data = malloc(size ? size : 1);
	if (!data)
		return kser_error_nomem();
	while (got < size) {
		la_ssize_t n = archive_read_data(a, data + got, size - got);

		if (n < 0) {
			free(data);
			return kser_error_wrap(archive_err(a, source),
					       "reading '%s'", path);
		}
		if (n == 0) {
			free(data);
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "'%s': truncated archive: '%s' "
					      "ends early", source, path);
		}
		got += (size_t)n;
	}
	*out = data;
	return NULL;
}

static const struct kser_error *read_tarball(struct import *im,
					     const char *source)
{
	const struct kser_error *err = NULL;
	struct archive *a = NULL;
	struct archive_entry *ae;
	struct xz_source *xs = NULL;
	unsigned char magic[6];
	int fd, r;

	fd = open(source, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kser_error_errno("cannot open '%s'", source);
	a = archive_read_new();
	if (!a) {
		err = kser_error_nomem();
		goto done;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "\xfd" "7zXZ\0", 6) == 0) {
		err = xz_open(&xs, fd, im->opts->threads);
		if (err)
			goto done;
		r = archive_read_open(a, xs, NULL, xz_read, NULL);
	} else {
		archive_read_support_filter_all(a);
		r = archive_read_open_fd(a, fd, 1 << 20);
	}
	if (r != ARCHIVE_OK) {
		err = archive_err(a, source);
		goto done;
	}

	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ae);
		const char *hardlink = archive_entry_hardlink(ae);
		mode_t type = archive_entry_filetype(ae);
		mode_t perm = archive_entry_perm(ae);
		int64_t mtime = archive_entry_mtime(ae);
		la_int64_t size = archive_entry_size(ae);
		char *data = NULL;
		uint32_t mode;

		if (kser_cancel_requested()) {
			err = kser_error_fmt(KSER_ERR_CANCELLED,
					     "interrupted");
			goto done;
		}
		if (!path) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': entry without a name",
					     source);
			goto done;
		}
		if (hardlink && !archive_entry_size_is_set(ae))
			size = 0;
		if (hardlink && size == 0) {
			err = add_entry(im, path,
					(perm & 0100) ? GIT_FILEMODE_BLOB_EXECUTABLE
						      : GIT_FILEMODE_BLOB,
					mtime, NULL, 0, hardlink);
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
			mode = (perm & 0100) ? GIT_FILEMODE_BLOB_EXECUTABLE
					     : GIT_FILEMODE_BLOB;
			if (size < 0 || (uint64_t)size > SIZE_MAX / 2) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': bad size for '%s'",
						     source, path);
				goto done;
			}
			err = read_entry_data(a, source, path, (size_t)size,
					      &data);
			if (err)
				goto done;
			break;
		case AE_IFLNK: {
			const char *target = archive_entry_symlink(ae);

			mode = GIT_FILEMODE_LINK;
			if (!target || !*target) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': symlink '%s' has "
						     "no target", source,
						     path);
				goto done;
			}
			data = strdup(target);
			if (!data) {
				err = kser_error_nomem();
				goto done;
			}
			size = (la_int64_t)strlen(data);
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
		err = add_entry(im, path, mode, mtime, data, (size_t)size,
				NULL);
		if (err)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		err = archive_err(a, source);
		goto done;
	}
	/*
	 * libarchive stops at the tar end marker; read the xz stream to its
	 * end so that its checksums and index are verified too.
	 */
	while (xs) {
		const void *buf;
		la_ssize_t n = xz_read(a, xs, &buf);

		if (n < 0) {
			err = archive_err(a, source);
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
	xz_free(xs);
	close(fd);
	return err;
}

/* --- directories ------------------------------------------------------- */

static const struct kser_error *read_file_at(int dirfd, const char *name,
					     const char *path, size_t size,
					     char **out)
{
	char *data = malloc(size ? size : 1);
	size_t got = 0;
	int fd;

	*out = NULL;
	if (!data)
		return kser_error_nomem();
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		free(data);
		return kser_error_errno("cannot open '%s'", path);
	}
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			const struct kser_error *err = n < 0 ?
				kser_error_errno("cannot read '%s'", path) :
				kser_error_fmt(KSER_ERR_GENERIC,
					       "'%s' shrank while reading",
					       path);
			close(fd);
			free(data);
			return err;
		}
		got += (size_t)n;
	}
	close(fd);
	*out = data;
	return NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rel is the path below the source ("" at the top). */
static const struct kser_error *walk_dir(struct import *im, int dirfd,
					 struct kser_buf *rel,
					 const char *source)
{
	const struct kser_error *err = NULL;
	char **names = NULL;
	size_t nnames = 0, alloc = 0, i, rel_len = rel->len;
	struct dirent *de;
	DIR *d;
	int dup_fd = dup(dirfd);

	if (dup_fd < 0)
		return kser_error_errno("cannot read '%s'", source);
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return kser_error_errno("cannot read '%s/%s'", source,
					kser_buf_cstr(rel));
	}
	/* Sorted, so that the order of work does not depend on readdir. */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strcmp(de->d_name, ".git"))
			continue;
		if (nnames == alloc) {
			char **p;

			alloc = alloc ? alloc * 2 : 64;
			p = realloc(names, alloc * sizeof(*p));
			if (!p) {
				err = kser_error_nomem();
				goto done;
			}
			names = p;
		}
		names[nnames] = strdup(de->d_name);
		if (!names[nnames]) {
			err = kser_error_nomem();
			goto done;
		}
		nnames++;
	}
	qsort(names, nnames, sizeof(*names), name_cmp);

	for (i = 0; i < nnames && !err; i++) {
		struct stat st;
		char *data = NULL;

		if (kser_cancel_requested()) {
			err = kser_error_fmt(KSER_ERR_CANCELLED,
					     "interrupted");
			break;
		}
		kser_buf_truncate(rel, rel_len);
		if (rel_len)
			kser_buf_putc(rel, '/');
		kser_buf_puts(rel, names[i]);
		err = kser_buf_check(rel);
		if (err)
			break;
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = kser_error_errno("cannot stat '%s/%s'", source,
					       rel->ptr);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i],
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
			err = read_file_at(dirfd, names[i], rel->ptr,
					   (size_t)st.st_size, &data);
			if (!err)
				err = add_entry(im, rel->ptr,
						(st.st_mode & S_IXUSR) ?
						GIT_FILEMODE_BLOB_EXECUTABLE :
						GIT_FILEMODE_BLOB,
						st.st_mtime, data,
						(size_t)st.st_size, NULL);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlinkat(dirfd, names[i], target,
					       sizeof(target) - 1);

			if (n <= 0) {
				err = kser_error_errno("cannot read link "
						       "'%s/%s'", source,
						       rel->ptr);
				break;
			}
			data = strndup(target, (size_t)n);
			if (!data) {
				err = kser_error_nomem();
				break;
			}
			err = add_entry(im, rel->ptr, GIT_FILEMODE_LINK,
					st.st_mtime, data, (size_t)n, NULL);
		} else {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s/%s' is a special file, which "
					     "a git tree cannot hold", source,
					     rel->ptr);
		}
	}
done:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(d);
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
 * of length plen (empty, or ending in '/').
 */
static const struct kser_error *write_tree(struct import *im,
					   struct src_file *files, size_t lo,
					   size_t hi, size_t plen, git_oid *out)
{
	const struct kser_error *err = NULL;
	struct tree_entry *ents = NULL;
	struct kser_buf tree = KSER_BUF_INIT;
	size_t n = 0, i = lo;

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
		if (n && ents[n - 1].len == e->len &&
		    !memcmp(ents[n - 1].name, e->name, e->len)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%.*s%.*s' is both a file and "
					     "a directory", (int)plen,
					     files[lo].path, (int)e->len,
					     e->name);
			goto done;
		}
		n++;
	}
	qsort(ents, n, sizeof(*ents), tree_entry_cmp);
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
		f->oid = target->oid;
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

const struct kser_error *
kser_base_import(struct kser_base_result *out, git_repository *repo,
		 const char *source,
		 const struct kser_base_import_options *opts)
{
	const struct kser_error *err = NULL;
	struct kser_base_import_options defaults =
		KSER_BASE_IMPORT_OPTIONS_INIT;
	struct kser_base_result res = { 0 };
	struct import im = { 0 };
	struct kser_buf msg = KSER_BUF_INIT;
	pthread_t *threads = NULL;
	unsigned int nthreads, started = 0, i;
	git_repository *staging = NULL;
	struct tag_plan plan;
	git_oid tree_oid;
	struct stat st;
	int level;

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

	level = opts->compression < 0 ? 1 : opts->compression;
	if (level > 9)
		level = 9;
	im.repo = repo;
	im.opts = opts;
	im.newest_mtime = 0;
	pthread_mutex_init(&im.lock, NULL);
	pthread_cond_init(&im.not_empty, NULL);
	pthread_cond_init(&im.not_full, NULL);

	err = kser_pack_writer_new(&im.pw, repo, level);
	if (err)
		goto done;

	nthreads = opts->threads ? opts->threads : online_cpus();
	threads = calloc(nthreads, sizeof(*threads));
	if (!threads) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker_main, &im)) {
			err = kser_error_errno("cannot start a thread");
			break;
		}
		started++;
	}
	if (!err)
		err = S_ISDIR(st.st_mode) ? read_directory(&im, source) :
					    read_tarball(&im, source);

	pthread_mutex_lock(&im.lock);
	im.closed = true;
	pthread_cond_broadcast(&im.not_empty);
	pthread_mutex_unlock(&im.lock);
	if (!err)
		err = take_worker_error(&im);
	if (err) {
		/* Copy before joining: it may live in a worker's ring. */
		err = kser_error_fmt(err->code, "%s", err->msg);
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (err)
		goto done;
	if (kser_cancel_requested()) {
		err = kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
		goto done;
	}

	err = finish_files(&im);
	if (err)
		goto done;
	err = write_tree(&im, im.files, 0, im.nfiles, 0, &tree_oid);
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
				       im.newest_mtime);
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
	if (kser_cancel_requested()) {
		err = kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
		goto done;
	}
	err = kser_pack_writer_commit(im.pw);
	if (err)
		goto done;
	err = tag_write(&res, &plan, repo, &res.commit);
	if (err)
		kser_pack_writer_uninstall(im.pw);
done:
	if (threads && started < nthreads && !err)
		err = kser_error_fmt(KSER_ERR_GENERIC,
				     "cannot start worker threads");
	free(threads);
	for (i = 0; i < im.nfiles; i++)
		src_file_release(&im.files[i]);
	free(im.files);
	while (im.head) {
		struct job *j = im.head;

		im.head = j->next;
		job_free(j);
	}
	free(im.makefile[0]);
	free(im.makefile[1]);
	free(im.makefile_dir);
	free(im.stripped);
	git_repository_free(staging);
	kser_pack_writer_free(im.pw);
	kser_pack_thread_cleanup();
	pthread_mutex_destroy(&im.lock);
	pthread_cond_destroy(&im.not_empty);
	pthread_cond_destroy(&im.not_full);
	kser_buf_release(&msg);
	if (err)
		kser_base_result_release(&res);
	else
		*out = res;
	return err;
}
