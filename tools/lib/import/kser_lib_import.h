/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_IMPORT_H
#define KSER_LIB_IMPORT_H

/*
 * The import layer, private to its files: the state of a base import
 * that its files share, and the overlay. What the layers above use is
 * public: kser/base.h. The import layer uses core, odb (the pack writer,
 * tree edits), patch (the overlay's patches) and libgit2.
 *
 * Its files, each using only those before it:
 *   base.c         the queue of files and its worker threads, the driver
 *   base_tar.c     tarballs (libarchive, liblzma)
 *   base_dir.c     directories
 *   base_tree.c    the files sorted and written as trees
 *   base_commit.c  the name, kernel version, commit, tag; staging
 *   overlay.c      an overlay laid over an imported tree
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/base.h"
#include "kser/cancel.h"

struct kser_error;
struct kser_pack_writer;

/* --- a base import ---------------------------------------------------- */

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
 * The data of one source entry, read in pieces: each call fills buf with
 * 1 to len bytes, or fails (a member that ends early is an error).
 */
struct member {
	uint64_t size;
	const struct kser_error *(*read)(void *arg, char *buf, size_t len,
					 size_t *got);
	void *arg;
};

/* base.c: the caller's cancel callback, asked on the importing thread. */
const struct kser_error *base_cancelled(struct import *im);
void base_src_file_release(struct src_file *f);
/*
 * base.c: adds one source entry: m gives its data, or hardlink the path
 * whose data it shares. path is normalised and checked here, so both
 * readers share the same rules.
 */
const struct kser_error *base_add_entry(struct import *im, const char *name,
					uint32_t mode, int64_t mtime,
					const struct member *m,
					const char *hardlink);
const struct kser_error *base_add_symlink(struct import *im,
					  const char *path,
					  const char *target, int64_t mtime);

/* base_tar.c, base_dir.c: every entry of the source to the queue. */
const struct kser_error *base_read_tarball(struct import *im,
					   const char *source);
const struct kser_error *base_read_directory(struct import *im,
					     const char *source);

/*
 * base_tree.c: strips a common top-level directory
 * ("linux-source-6.12/"), drops all but the last entry for a path,
 * resolves hard links, and sorts.
 */
const struct kser_error *base_finish_files(struct import *im);
/* base_tree.c: the tree for files[lo, hi), of prefix length plen. */
const struct kser_error *base_write_tree(struct import *im,
					 struct src_file *files, size_t lo,
					 size_t hi, size_t plen, git_oid *out);

/* base_commit.c: the tag's state when it was checked, before anything
 * is installed. */
struct tag_plan {
	bool exists;
	git_oid cur;
};

/* "6.12.117" from a kernel's top Makefile, or NULL. */
char *base_kernel_version(const char *mk);
/* "linux-6.12.tar.xz" -> "linux-6.12"; a directory keeps its name. */
char *base_label_from_source(const char *source);
const struct kser_error *base_make_commit(git_oid *out, git_repository *repo,
					  const git_oid *tree_oid,
					  const git_oid *parent_oid,
					  int64_t when, const char *msg);
const struct kser_error *base_tag_prepare(struct kser_base_result *res,
					  struct tag_plan *plan,
					  git_repository *repo,
					  const git_oid *oid, bool force);
/* Moves the tag only from where base_tag_prepare() saw it. */
const struct kser_error *base_tag_write(const struct kser_base_result *res,
					const struct tag_plan *plan,
					git_repository *repo,
					const git_oid *oid);
/* A repository writing into the pack being made (see base_commit.c). */
const struct kser_error *base_open_staging(git_repository **out,
					   git_repository *repo,
					   struct kser_pack_writer *pw);

/* --- the overlay ------------------------------------------------------ */

/*
 * An overlay is a directory with
 *   files/     new files, laid over the tree as they are; a file that
 *              already exists in the tree is an error (edits to existing
 *              files belong in patches, so the overlay fits several
 *              versions of the tree);
 *   patches/   *.patch, edits to existing files, applied in name order
 *              with git apply's rules.
 */
struct kser_overlay_result {
	git_oid commit;
	size_t nfiles;
	size_t npatches;
};

/* Checks the overlay's shape before any work starts. */
const struct kser_error *kser_overlay_check(const char *dir);

/*
 * Commits the overlay on top of parent, dated `when`. cancel (may be
 * NULL) is asked before each patch and each file: an error it returns
 * stops the overlay and is returned.
 */
const struct kser_error *kser_overlay_lay(struct kser_overlay_result *out,
					  git_repository *repo,
					  const git_oid *parent,
					  const char *dir, const char *version,
					  int64_t when, kser_cancel_cb cancel,
					  void *cancel_arg);

/*
 * The first half of kser_base_import() alone, for the fuzzer and tests:
 * reads the source (a tarball or a directory) exactly as an import reads
 * it (its members, their paths, hard links and symlinks, file/directory
 * clashes, big and sparse members) and writes its blobs and trees into a
 * new pack of repo, which is never installed: nothing reaches repo. *tree
 * gets the source tree's ID. threads as in kser_base_import_options (0:
 * one per CPU). fn (may be NULL) is called before the pack goes, with a
 * repository that reads its objects (and repo's), to look at the tree;
 * an error it returns is returned.
 */
typedef const struct kser_error *(*kser_base_tree_fn)(git_repository *objects,
						      const git_oid *tree,
						      void *arg);

const struct kser_error *kser_base_read_tree(git_oid *tree,
					     git_repository *repo,
					     const char *source,
					     unsigned int threads,
					     kser_base_tree_fn fn, void *arg);

#endif
