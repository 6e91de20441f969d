// SPDX-License-Identifier: GPL-2.0
/*
 * The paranoid mode's snapshots of a build directory: every file's
 * modification time, size and inode, taken before and after the make
 * that follows the fast path, which must find nothing to do (build.c).
 * Uses the string map of the index (fpindex.c) and the core.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser_lib_verify.h"

/* --- paranoia: what make does after the fast path -------------------- */

void verify_snapshot_release(struct verify_snapshot *s)
{
	verify_fp_smap_release(s->map);
	free(s->map);
	s->map = NULL;
}

/* Files every make rewrites, whatever it has to do. */
static bool always_rewritten(const char *rel)
{
	const char *b = strrchr(rel, '/');

	b = b ? b + 1 : rel;
	return !strcmp(rel, "Makefile") || !strcmp(rel, "source") ||
	       !strcmp(rel, ".missing-syscalls.d") ||
	       !strncmp(b, ".kser-", 6);
}

static const struct kser_error *snap_walk(struct fp_smap *m, const char *root,
					  const char *rel, int depth)
{
	struct kser_buf path = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	struct dirent *d;
	DIR *dir;

	kser_buf_printf(&path, "%s/%s", root, rel);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	dir = opendir(path.ptr);
	if (!dir) {
		err = kser_error_errno("cannot read '%s'", path.ptr);
		kser_buf_release(&path);
		return err;
	}
	while (!err && (d = readdir(dir))) {
		struct kser_buf sub = KSER_BUF_INIT, full = KSER_BUF_INIT;
		struct stat st;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		kser_buf_printf(&sub, "%s%s", rel, d->d_name);
		kser_buf_printf(&full, "%s/%s", root, sub.ptr ? sub.ptr : "");
		if (kser_buf_check(&sub) || kser_buf_check(&full)) {
			err = kser_error_nomem();
		} else if (lstat(full.ptr, &st) < 0) {
			err = kser_error_errno("cannot stat '%s'", full.ptr);
		} else if (S_ISDIR(st.st_mode)) {
			kser_buf_putc(&sub, '/');
			if (depth < 64)
				err = kser_buf_check(&sub) ?
				      kser_error_nomem() :
				      snap_walk(m, root, sub.ptr, depth + 1);
		} else if (!always_rewritten(sub.ptr)) {
			struct fp_smap_entry *e = verify_fp_smap_get(m, sub.ptr,
								     NULL);

			if (!e) {
				err = kser_error_nomem();
			} else {
				e->mtime_ns = verify_fp_mtime_of(&st);
				e->value = (size_t)st.st_size ^
					   ((size_t)st.st_ino << 20);
			}
		}
		kser_buf_release(&sub);
		kser_buf_release(&full);
	}
	closedir(dir);
	kser_buf_release(&path);
	return err;
}

const struct kser_error *verify_snapshot_take(struct verify_snapshot *s,
					      const char *bdir)
{
	const struct kser_error *err;

	s->map = calloc(1, sizeof(struct fp_smap));
	if (!s->map)
		return kser_error_nomem();
	err = snap_walk(s->map, bdir, "", 0);
	if (err)
		verify_snapshot_release(s);
	return err;
}

static void note_path(struct kser_buf *why, size_t *n, const char *what,
		      const char *path)
{
	if (*n < 5)
		kser_buf_printf(why, "%s%s '%s'", *n ? ", " : "", what, path);
	(*n)++;
}

size_t verify_snapshot_diff(const struct verify_snapshot *a,
			    const struct verify_snapshot *b,
			    struct kser_buf *why)
{
	const struct fp_smap *ma = a->map, *mb = b->map;
	size_t i, n = 0;

	for (i = 0; i < mb->cap; i++) {
		const struct fp_smap_entry *e = &mb->v[i], *o;

		if (!e->used)
			continue;
		o = verify_fp_smap_find(ma, e->key);
		if (!o)
			note_path(why, &n, "made", e->key);
		else if (o->mtime_ns != e->mtime_ns || o->value != e->value)
			note_path(why, &n, "rebuilt", e->key);
	}
	for (i = 0; i < ma->cap; i++)
		if (ma->v[i].used && !verify_fp_smap_find(mb, ma->v[i].key))
			note_path(why, &n, "removed", ma->v[i].key);
	if (n > 5)
		kser_buf_printf(why, " and %zu more", n - 5);
	return n;
}
