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
 * This file is the queue, its workers and that driver; the readers, the
 * trees and the commits are base_tar.c, base_dir.c, base_tree.c and
 * base_commit.c (kser_lib_import.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kser/base.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/pack.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser_lib_import.h"

/*
 * Asks the caller's cancel callback, on the importing thread; once it
 * has said stop, says so every time after.
 */
const struct kser_error *base_cancelled(struct import *im)
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

void base_src_file_release(struct src_file *f)
{
	free(f->path);
	free(f->hardlink);
}

static void job_free(struct job *j)
{
	base_src_file_release(&j->file);
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

	const struct kser_error *stop = base_cancelled(im);

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
		stop = base_cancelled(im);
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

static const struct kser_error *read_member(struct import *im,
					    const struct member *m, char *data)
{
	const struct kser_error *err = NULL;
	uint64_t done = 0;

	while (!err && done < m->size) {
		size_t want = m->size - done > CHUNK_BYTES ? CHUNK_BYTES :
			      (size_t)(m->size - done), got = 0;

		err = base_cancelled(im);
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

		err = base_cancelled(im);
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
const struct kser_error *base_add_entry(struct import *im, const char *name,
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

const struct kser_error *base_add_symlink(struct import *im,
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
	return base_add_entry(im, path, GIT_FILEMODE_LINK, mtime, &m, NULL);
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
		base_src_file_release(&im->files[i]);
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
		err = is_dir ? base_read_directory(im, source) :
			       base_read_tarball(im, source);

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
	err = base_cancelled(im);
	if (err)
		return err;

	err = base_finish_files(im);
	if (!err)
		err = base_write_tree(im, im->files, 0, im->nfiles, 0,
				      tree_oid);
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
		err = base_open_staging(&objects, repo, im.pw);
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
	err = base_open_staging(&staging, repo, im.pw);
	if (err)
		goto done;

	/* The kernel's version names the import. */
	if (!*im.stripped && im.makefile[0])
		res.kernel_version = base_kernel_version(im.makefile[0]);
	else if (*im.stripped && im.makefile[1] &&
		 !strcmp(im.makefile_dir, im.stripped))
		res.kernel_version = base_kernel_version(im.makefile[1]);
	if (opts->label) {
		res.label = strdup(opts->label);
	} else if (res.kernel_version) {
		struct kser_buf l = KSER_BUF_INIT;

		kser_buf_printf(&l, "v%s", res.kernel_version);
		res.label = kser_buf_detach(&l);
	} else {
		res.label = base_label_from_source(source);
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
	err = base_make_commit(&res.source_commit, staging, &tree_oid, NULL,
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
	err = base_tag_prepare(&res, &plan, repo, &res.commit, opts->force);
	if (err)
		goto done;
	err = base_cancelled(&im);
	if (err)
		goto done;
	err = kser_pack_writer_commit(im.pw, opts->cancel, opts->cancel_arg);
	if (err)
		goto done;
	err = base_tag_write(&res, &plan, repo, &res.commit);
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
