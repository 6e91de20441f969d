// SPDX-License-Identifier: GPL-2.0
/*
 * Base import from a directory: walked in name order without following
 * links, each file to the queue (base.c). Uses the import layer's
 * queue and core.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/base.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/pack.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser_lib_import.h"

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
	err = base_add_entry(im, path,
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

		err = base_cancelled(im);
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
			err = base_add_symlink(im, rel->ptr, target,
					       st.st_mtime);
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

const struct kser_error *base_read_directory(struct import *im,
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
