// SPDX-License-Identifier: GPL-2.0
/*
 * Files and directories (core): whole files read and written (atomically
 * too), trees made and removed, sorted directory listings, path joins,
 * and the array growth every module uses. Uses the error and buffer
 * types only.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/util.h"

const struct kser_error *kser_read_file(struct kser_buf *out,
					const char *path)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	const struct kser_error *err = NULL;

	kser_buf_clear(out);
	if (fd < 0)
		return kser_error_errno("cannot open '%s'", path);
	for (;;) {
		ssize_t n;

		kser_buf_grow(out, 65536);
		if (kser_buf_check(out)) {
			err = kser_error_nomem();
			break;
		}
		n = read(fd, out->ptr + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = kser_error_errno("cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
	}
	if (fd)
		close(fd);
	return err;
}

int kser_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const struct kser_error *kser_write_file_atomic(const char *path,
						const void *data, size_t len)
{
	struct kser_buf tmp = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	int fd;

	kser_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (kser_buf_check(&tmp))
		return kser_error_nomem();
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = kser_error_errno("cannot create '%s'", tmp.ptr);
		goto done;
	}
	if (kser_write_all(fd, data, len) < 0)
		err = kser_error_errno("cannot write '%s'", tmp.ptr);
	if (close(fd) < 0 && !err)
		err = kser_error_errno("cannot write '%s'", tmp.ptr);
	if (!err && rename(tmp.ptr, path) < 0)
		err = kser_error_errno("cannot rename '%s' to '%s'", tmp.ptr,
				       path);
	if (err)
		unlink(tmp.ptr);
done:
	kser_buf_release(&tmp);
	return err;
}

const struct kser_error *kser_array_grow(void **v, size_t *alloc, size_t n,
					 size_t elem, size_t first)
{
	size_t want;
	void *p;

	if (n < *alloc)
		return NULL;
	want = *alloc ? *alloc * 2 : first;
	if (want <= n || want > SIZE_MAX / elem)
		return kser_error_nomem();
	p = realloc(*v, want * elem);
	if (!p)
		return kser_error_nomem();
	*v = p;
	*alloc = want;
	return NULL;
}

/* nftw() passes no argument: the removal under way on this thread. */
struct removal {
	kser_cancel_cb cancel;
	void *cancel_arg;
	const struct kser_error *err;
};

static _Thread_local struct removal *removing;

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	removing->err = kser_cancel_check(removing->cancel,
					  removing->cancel_arg);
	if (removing->err)
		return 1;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

const struct kser_error *kser_remove_tree(const char *path,
					  kser_cancel_cb cancel,
					  void *cancel_arg)
{
	struct removal rm = { cancel, cancel_arg, NULL }, *outer = removing;
	struct stat st;
	int r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? NULL :
		       kser_error_errno("cannot remove '%s'", path);
	removing = &rm;
	r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	removing = outer;
	if (r > 0)
		return rm.err;
	if (r < 0)
		return kser_error_errno("cannot remove '%s'", path);
	return NULL;
}

bool kser_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const struct kser_error *kser_mkdir_p(const char *path)
{
	char *copy = strdup(path), *p;
	const struct kser_error *err = NULL;

	if (!copy)
		return kser_error_nomem();
	for (p = copy + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(copy, 0777) < 0 && errno != EEXIST) {
				err = kser_error_errno("cannot create '%s'",
						       copy);
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(copy);
	return err;
}

const struct kser_error *kser_path_join(struct kser_buf *out, const char *dir,
					const char *name)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	kser_buf_clear(out);
	kser_buf_put(out, dir, len);
	if (len && dir[len - 1] != '/')
		kser_buf_putc(out, '/');
	kser_buf_puts(out, name);
	return kser_buf_check(out);
}

static int dirent_cmp(const void *a, const void *b)
{
	const struct kser_dirent *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void kser_dir_list_release(struct kser_dir_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->v[i].name);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

const struct kser_error *kser_dir_list(struct kser_dir_list *out, int dirfd,
				       const char *path)
{
	const struct kser_error *err = NULL;
	struct dirent *de;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if (dirfd >= 0) {
		int fd = dup(dirfd);

		if (fd < 0)
			return kser_error_errno("cannot read '%s'", path);
		d = fdopendir(fd);
		if (!d)
			close(fd);
	} else {
		d = opendir(path);
	}
	if (!d)
		return kser_error_errno("cannot read '%s'", path);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				err = kser_error_errno("cannot read '%s'",
						       path);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = kser_array_grow((void **)&out->v, &out->alloc, out->n,
				      sizeof(*out->v), 64);
		if (!err && !(out->v[out->n].name = strdup(de->d_name)))
			err = kser_error_nomem();
		if (err)
			break;
		out->v[out->n++].type = de->d_type;
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), dirent_cmp);
	return err;
}
