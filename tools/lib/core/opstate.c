// SPDX-License-Identifier: GPL-2.0
/*
 * An operation's state as small files under the git dir, after git am's
 * rebase-apply/ (am_state_init, am_path, write_state_text, am_destroy):
 * each step's facts are written before the step, so --continue, --skip
 * and --abort can pick up after a crash.
 *
 * What differs from git: every file is replaced by a synced rename (git
 * am writes in place), and the directory keeps a list of the files this
 * module made (".files"), so release removes exactly those. Release
 * renames the list to ".released" first: a crash half-way through is
 * finished by the next open, and the operation already reads as over.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/opstate.h"

#define LIST_NAME ".files"
#define RELEASED_NAME ".released"
#define TMP_PREFIX ".tmp-"
#define NAME_MAX_LEN 64

struct kser_opstate {
	char *dir;		/* <gitdir>/kser/<op> */
	char *top;		/* <gitdir>/kser */
	int dfd;		/* the directory, once it exists */
	char **names;		/* sorted */
	size_t n, alloc;
};

static bool name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > NAME_MAX_LEN || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

static const struct kser_error *check_name(const char *name)
{
	if (name_ok(name))
		return NULL;
	return kser_error_fmt(KSER_ERR_USAGE, "bad state file name '%s'",
			      name);
}

static char *join(const char *dir, const char *name)
{
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_printf(&b, "%s/%s", dir, name);
	return kser_buf_detach(&b);
}

static void names_clear(struct kser_opstate *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->names[i]);
	st->n = 0;
}

static const struct kser_error *write_all(int fd, const char *p, size_t len,
					  const char *path)
{
	if (kser_write_all(fd, p, len) < 0)
		return kser_error_errno("cannot write '%s'", path);
	return NULL;
}

/* Replaces dir/fname by data: a temporary, fsync, rename, fsync(dir). */
static const struct kser_error *replace_file(struct kser_opstate *st,
					     const char *fname,
					     const void *data, size_t len)
{
	struct kser_buf tmp = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	char *path = join(st->dir, fname);
	int fd = -1;

	kser_buf_printf(&tmp, "%s/" TMP_PREFIX "%s-%ld", st->dir, fname,
			(long)getpid());
	if (!path || kser_buf_check(&tmp)) {
		err = kser_error_nomem();
		goto done;
	}
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = kser_error_errno("cannot create '%s'", tmp.ptr);
		goto done;
	}
	err = write_all(fd, data, len, tmp.ptr);
	if (!err && fsync(fd) < 0)
		err = kser_error_errno("cannot sync '%s'", tmp.ptr);
	if (close(fd) < 0 && !err)
		err = kser_error_errno("cannot write '%s'", tmp.ptr);
	fd = -1;
	if (!err && rename(tmp.ptr, path) < 0)
		err = kser_error_errno("cannot rename '%s' to '%s'", tmp.ptr,
				       path);
	if (err) {
		unlink(tmp.ptr);
		goto done;
	}
	if (fsync(st->dfd) < 0)
		err = kser_error_errno("cannot sync '%s'", st->dir);
done:
	if (fd >= 0)
		close(fd);
	kser_buf_release(&tmp);
	free(path);
	return err;
}

static const struct kser_error *write_list(struct kser_opstate *st,
					   const char *fname)
{
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;
	size_t i;

	for (i = 0; i < st->n; i++)
		kser_buf_printf(&b, "%s\n", st->names[i]);
	err = kser_buf_check(&b);
	if (!err)
		err = replace_file(st, fname, kser_buf_cstr(&b), b.len);
	kser_buf_release(&b);
	return err;
}

/* Loads a list of names (one a line); bad lines are dropped. */
static const struct kser_error *read_list(struct kser_opstate *st,
					  const char *fname)
{
	struct kser_buf text = KSER_BUF_INIT;
	const struct kser_error *err;
	char *path = join(st->dir, fname), *line, *save = NULL;

	names_clear(st);
	if (!path)
		return kser_error_nomem();
	err = kser_read_file(&text, path);
	free(path);
	if (err)
		goto done;
	for (line = strtok_r(text.ptr ? text.ptr : "", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!name_ok(line))
			continue;
		err = kser_array_grow((void **)&st->names, &st->alloc, st->n,
				      sizeof(*st->names), 16);
		if (err)
			goto done;
		st->names[st->n] = strdup(line);
		if (!st->names[st->n]) {
			err = kser_error_nomem();
			goto done;
		}
		st->n++;
	}
done:
	kser_buf_release(&text);
	return err;
}

static bool file_exists(const struct kser_opstate *st, const char *fname)
{
	char *path = join(st->dir, fname);
	struct stat sb;
	bool r = path && lstat(path, &sb) == 0;

	free(path);
	return r;
}

/* ".tmp-<name>-<digits>" for a name in the list, or for the list. */
static bool is_our_temporary(const struct kser_opstate *st, const char *d)
{
	const char *dash;
	size_t i, len;

	if (strncmp(d, TMP_PREFIX, strlen(TMP_PREFIX)))
		return false;
	d += strlen(TMP_PREFIX);
	dash = strrchr(d, '-');
	if (!dash || !dash[1] || strspn(dash + 1, "0123456789") !=
	    strlen(dash + 1))
		return false;
	len = (size_t)(dash - d);
	if (len == strlen(LIST_NAME) && !strncmp(d, LIST_NAME, len))
		return true;
	if (len == strlen(RELEASED_NAME) && !strncmp(d, RELEASED_NAME, len))
		return true;
	for (i = 0; i < st->n; i++)
		if (strlen(st->names[i]) == len &&
		    !strncmp(st->names[i], d, len))
			return true;
	return false;
}

/* Removes the listed files and their temporaries, then the record. */
static const struct kser_error *finish_release(struct kser_opstate *st)
{
	const struct kser_error *err = NULL;
	struct kser_dir_list list;
	size_t i;

	for (i = 0; i < st->n && !err; i++)
		if (unlinkat(st->dfd, st->names[i], 0) < 0 && errno != ENOENT)
			err = kser_error_errno("cannot remove '%s/%s'",
					       st->dir, st->names[i]);
	if (err)
		return err;
	err = kser_dir_list(&list, -1, st->dir);
	for (i = 0; i < list.n && !err; i++)
		if (is_our_temporary(st, list.v[i].name))
			unlinkat(st->dfd, list.v[i].name, 0);
	kser_dir_list_release(&list);
	if (err)
		return err;
	names_clear(st);
	if (unlinkat(st->dfd, RELEASED_NAME, 0) < 0 && errno != ENOENT)
		return kser_error_errno("cannot remove '%s/%s'", st->dir,
					RELEASED_NAME);
	/* Something of someone else's still there: leave the directory. */
	if (rmdir(st->dir) < 0 && errno != ENOTEMPTY && errno != EEXIST &&
	    errno != ENOENT)
		return kser_error_errno("cannot remove '%s'", st->dir);
	return NULL;
}

static const struct kser_error *open_dir(struct kser_opstate *st)
{
	if (st->dfd >= 0)
		return NULL;
	st->dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dfd < 0)
		return kser_error_errno("cannot open '%s'", st->dir);
	return NULL;
}

const struct kser_error *kser_opstate_open(struct kser_opstate **out,
					   const char *gitdir,
					   const char *op)
{
	const struct kser_error *err = NULL;
	struct kser_opstate *st;
	struct kser_buf b = KSER_BUF_INIT;
	size_t len = strlen(gitdir);

	*out = NULL;
	err = check_name(op);
	if (err)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return kser_error_nomem();
	st->dfd = -1;
	while (len > 1 && gitdir[len - 1] == '/')
		len--;
	kser_buf_printf(&b, "%.*s/kser", (int)len, gitdir);
	st->top = kser_buf_detach(&b);
	st->dir = st->top ? join(st->top, op) : NULL;
	if (!st->top || !st->dir) {
		err = kser_error_nomem();
		goto done;
	}
	if (file_exists(st, RELEASED_NAME)) {
		/* A release was interrupted: finish it. */
		err = open_dir(st);
		if (!err)
			err = read_list(st, RELEASED_NAME);
		if (!err)
			err = finish_release(st);
		if (st->dfd >= 0)
			close(st->dfd);
		st->dfd = -1;
	}
	if (!err && file_exists(st, LIST_NAME)) {
		err = open_dir(st);
		if (!err)
			err = read_list(st, LIST_NAME);
	}
done:
	if (err) {
		kser_opstate_free(st);
		return err;
	}
	*out = st;
	return NULL;
}

void kser_opstate_free(struct kser_opstate *st)
{
	if (!st)
		return;
	names_clear(st);
	free(st->names);
	if (st->dfd >= 0)
		close(st->dfd);
	free(st->dir);
	free(st->top);
	free(st);
}

const char *kser_opstate_dir(const struct kser_opstate *st)
{
	return st->dir;
}

bool kser_opstate_in_progress(const struct kser_opstate *st)
{
	return file_exists(st, LIST_NAME);
}

const struct kser_error *kser_opstate_begin(struct kser_opstate *st)
{
	const struct kser_error *err;
	int tfd;

	if (kser_opstate_in_progress(st))
		return kser_error_fmt(KSER_ERR_EXISTS,
				      "an operation is already in progress "
				      "in '%s'", st->dir);
	err = kser_mkdir_p(st->top);
	if (err)
		return err;
	if (mkdir(st->dir, 0777) < 0 && errno != EEXIST)
		return kser_error_errno("cannot create '%s'", st->dir);
	/* The new directory's entry must last too. */
	tfd = open(st->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd >= 0) {
		fsync(tfd);
		close(tfd);
	}
	err = open_dir(st);
	if (err)
		return err;
	names_clear(st);
	return write_list(st, LIST_NAME);
}

static const struct kser_error *check_active(const struct kser_opstate *st)
{
	if (st->dfd < 0)
		return kser_error_fmt(KSER_ERR_USAGE,
				      "no operation in progress in '%s'",
				      st->dir);
	return NULL;
}

static size_t name_pos(const struct kser_opstate *st, const char *name,
		       bool *found)
{
	size_t lo = 0, hi = st->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->names[mid], name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct kser_error *kser_opstate_write(struct kser_opstate *st,
					    const char *name,
					    const void *data, size_t len)
{
	const struct kser_error *err;
	bool found;
	size_t pos;
	char *copy;

	err = check_name(name);
	if (!err)
		err = check_active(st);
	if (err)
		return err;
	pos = name_pos(st, name, &found);
	if (!found) {
		/* Recorded before it exists: a crash leaves no stray file. */
		err = kser_array_grow((void **)&st->names, &st->alloc, st->n,
				      sizeof(*st->names), 16);
		if (err)
			return err;
		copy = strdup(name);
		if (!copy)
			return kser_error_nomem();
		memmove(st->names + pos + 1, st->names + pos,
			(st->n - pos) * sizeof(*st->names));
		st->names[pos] = copy;
		st->n++;
		err = write_list(st, LIST_NAME);
		if (err)
			return err;
	}
	return replace_file(st, name, data, len);
}

const struct kser_error *kser_opstate_write_str(struct kser_opstate *st,
						const char *name,
						const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;

	kser_buf_printf(&b, "%s\n", s);
	err = kser_buf_check(&b);
	if (!err)
		err = kser_opstate_write(st, name, b.ptr, b.len);
	kser_buf_release(&b);
	return err;
}

const struct kser_error *kser_opstate_write_int(struct kser_opstate *st,
						const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return kser_opstate_write_str(st, name, buf);
}

const struct kser_error *kser_opstate_write_oid(struct kser_opstate *st,
						const char *name,
						const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	return kser_opstate_write_str(st, name, hex);
}

const struct kser_error *kser_opstate_read(struct kser_opstate *st,
					   const char *name,
					   struct kser_buf *out)
{
	const struct kser_error *err = check_name(name);
	char *path;

	if (err)
		return err;
	path = join(st->dir, name);
	if (!path)
		return kser_error_nomem();
	err = kser_read_file(out, path);
	if (err && err->errno_value == ENOENT)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND, "no '%s'", path);
	free(path);
	return err;
}

const struct kser_error *kser_opstate_read_str(struct kser_opstate *st,
					       const char *name, char **out)
{
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;

	*out = NULL;
	err = kser_opstate_read(st, name, &b);
	if (!err) {
		if (b.len && b.ptr[b.len - 1] == '\n')
			kser_buf_truncate(&b, b.len - 1);
		*out = kser_buf_detach(&b);
		if (!*out)
			err = kser_error_nomem();
	}
	kser_buf_release(&b);
	return err;
}

static const struct kser_error *malformed(const struct kser_opstate *st,
					  const char *name, const char *what)
{
	return kser_error_fmt(KSER_ERR_BAD_INPUT, "'%s/%s' does not hold %s",
			      st->dir, name, what);
}

const struct kser_error *kser_opstate_read_int(struct kser_opstate *st,
					       const char *name, int64_t *out)
{
	const struct kser_error *err;
	char *s = NULL, *end;
	long long v;

	*out = 0;
	err = kser_opstate_read_str(st, name, &s);
	if (err)
		return err;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || isspace((unsigned char)*s))
		err = malformed(st, name, "a number");
	else
		*out = (int64_t)v;
	free(s);
	return err;
}

const struct kser_error *kser_opstate_read_oid(struct kser_opstate *st,
					       const char *name, git_oid *out)
{
	const struct kser_error *err;
	char *s = NULL;

	err = kser_opstate_read_str(st, name, &s);
	if (err)
		return err;
	if (strlen(s) != GIT_OID_HEXSZ ||
	    strspn(s, "0123456789abcdef") != GIT_OID_HEXSZ ||
	    git_oid_fromstr(out, s) < 0)
		err = malformed(st, name, "an object id");
	free(s);
	return err;
}

bool kser_opstate_exists(struct kser_opstate *st, const char *name)
{
	return name_ok(name) && file_exists(st, name);
}

const struct kser_error *kser_opstate_remove(struct kser_opstate *st,
					     const char *name)
{
	const struct kser_error *err;
	bool found;
	size_t pos;

	err = check_name(name);
	if (!err)
		err = check_active(st);
	if (err)
		return err;
	if (unlinkat(st->dfd, name, 0) < 0 && errno != ENOENT)
		return kser_error_errno("cannot remove '%s/%s'", st->dir, name);
	pos = name_pos(st, name, &found);
	if (!found)
		return NULL;
	free(st->names[pos]);
	memmove(st->names + pos, st->names + pos + 1,
		(st->n - pos - 1) * sizeof(*st->names));
	st->n--;
	return write_list(st, LIST_NAME);
}

const struct kser_error *kser_opstate_list(struct kser_opstate *st,
					   const char *const **names,
					   size_t *n)
{
	*names = (const char *const *)st->names;
	*n = st->n;
	return NULL;
}

const struct kser_error *kser_opstate_release(struct kser_opstate *st)
{
	const struct kser_error *err;

	if (st->dfd < 0)
		return NULL;	/* nothing begun */
	/* From here on the operation is over, whatever happens next. */
	if (renameat(st->dfd, LIST_NAME, st->dfd, RELEASED_NAME) < 0 &&
	    errno != ENOENT)
		return kser_error_errno("cannot release '%s'", st->dir);
	fsync(st->dfd);
	err = finish_release(st);
	close(st->dfd);
	st->dfd = -1;
	return err;
}
