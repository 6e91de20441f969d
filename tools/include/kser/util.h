/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_UTIL_H
#define KSER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "kser/cancel.h"

struct kser_buf;
struct kser_error;

/* Reads a whole file into out (replacing its contents); "-" is stdin. */
const struct kser_error *kser_read_file(struct kser_buf *out,
					const char *path);

/*
 * Writes all len bytes to fd, going on after EINTR and short writes.
 * Returns 0, or -1 with errno set (EIO when write wrote nothing).
 */
int kser_write_all(int fd, const void *data, size_t len);

/* Writes a file through a temporary and a rename, so readers never see
 * half of it. */
const struct kser_error *kser_write_file_atomic(const char *path,
						const void *data, size_t len);

/*
 * Removes a directory tree (not following symlinks); a path that is not
 * there is no error. cancel (may be NULL) is asked before each file: an
 * error it returns stops the removal, which returns it, and leaves what
 * is not removed yet.
 */
const struct kser_error *kser_remove_tree(const char *path,
					  kser_cancel_cb cancel,
					  void *cancel_arg);

/*
 * Makes room for one more element in the array *v of *n elements, of which
 * *alloc are allocated, doubling from `first`. The array is untouched when
 * memory runs out.
 */
const struct kser_error *kser_array_grow(void **v, size_t *alloc, size_t n,
					 size_t elem, size_t first);

/* Does path name a directory (following symbolic links)? */
bool kser_is_dir(const char *path);

/*
 * "dir/name" into out (replacing its contents), with one '/' between
 * them however many dir ends with; just name when dir is empty.
 */
const struct kser_error *kser_path_join(struct kser_buf *out, const char *dir,
					const char *name);

/* One entry of a directory: its name and readdir's d_type (DT_UNKNOWN
 * when the file system does not say). */
struct kser_dirent {
	char *name;
	unsigned char type;
};

struct kser_dir_list {
	struct kser_dirent *v;
	size_t n, alloc;
};

/*
 * The entries of a directory but "." and "..", sorted by name (strcmp),
 * so that work done over them does not depend on readdir's order. The
 * directory is dirfd when it is not -1 (it stays open), else path; path
 * names it in errors ("cannot read '<path>'"). Release out with
 * kser_dir_list_release(), also after an error.
 */
const struct kser_error *kser_dir_list(struct kser_dir_list *out, int dirfd,
				       const char *path);
void kser_dir_list_release(struct kser_dir_list *list);

/* Creates a directory and its parents, like mkdir -p. */
const struct kser_error *kser_mkdir_p(const char *path);

#endif
