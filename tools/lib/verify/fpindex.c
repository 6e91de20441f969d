// SPDX-License-Identifier: GPL-2.0
/*
 * The index of a build directory, for the build check's fast path
 * (fastpath.c): every .cmd file under it read (kbuild.c parses them),
 * each target's modification time and whether it is stale, decided as
 * make decides it, by modification times against every recorded
 * dependency; which targets each source file is a dependency of; and
 * the members of the thin archives. A small string map (a path to a
 * modification time or an index) holds them, and the paranoid mode's
 * snapshots (fpsnap.c) too. Uses the kbuild readers (kbuild.c, kbdirs.c)
 * and the core.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

/* --- a small string map: path -> value ------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void verify_fp_smap_release(struct fp_smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The entry of key, added (zeroed, key copied) when absent; NULL: nomem. */
struct fp_smap_entry *verify_fp_smap_get(struct fp_smap *m, const char *key,
					 bool *added)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 1024, k;
		struct fp_smap_entry *nv = calloc(ncap, sizeof(*nv));

		if (!nv)
			return NULL;
		for (k = 0; k < m->cap; k++) {
			if (!m->v[k].used)
				continue;
			i = hash_str(m->v[k].key) & (ncap - 1);
			while (nv[i].used)
				i = (i + 1) & (ncap - 1);
			nv[i] = m->v[k];
		}
		free(m->v);
		m->v = nv;
		m->cap = ncap;
	}
	i = hash_str(key) & (m->cap - 1);
	while (m->v[i].used) {
		if (!strcmp(m->v[i].key, key)) {
			if (added)
				*added = false;
			return &m->v[i];
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->v[i].key = strdup(key);
	if (!m->v[i].key)
		return NULL;
	m->v[i].used = true;
	m->v[i].mtime_ns = 0;
	m->v[i].value = 0;
	m->n++;
	if (added)
		*added = true;
	return &m->v[i];
}

struct fp_smap_entry *verify_fp_smap_find(const struct fp_smap *m,
					  const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = hash_str(key) & (m->cap - 1);
	while (m->v[i].used) {
		if (!strcmp(m->v[i].key, key))
			return &m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

int64_t verify_fp_mtime_of(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* --- the index of a build directory ---------------------------------- */

void verify_fp_index_release(struct fp_index *x)
{
	size_t i, k;

	for (i = 0; i < x->n; i++)
		verify_cmd_release(&x->t[i].cmd);
	free(x->t);
	for (i = 0; i < x->nar; i++) {
		for (k = 0; k < x->ar[i].nmembers; k++)
			free(x->ar[i].members[k]);
		free(x->ar[i].members);
	}
	free(x->ar);
	verify_fp_smap_release(&x->files);
	verify_fp_smap_release(&x->srcdeps);
	verify_fp_smap_release(&x->targets);
	verify_dirs_release(&x->dirs);
	kser_buf_release(&x->why);
}

/* Records why (the first reason stands); always false. */
bool verify_fp_fallback(struct fp_index *x, const char *fmt, ...)
{
	va_list ap;

	if (x->why.len)
		return false;
	va_start(ap, fmt);
	kser_buf_vprintf(&x->why, fmt, ap);
	va_end(ap);
	return false;
}

/* The modification time of an absolute path, from the cache. */
static const struct kser_error *file_mtime(struct fp_index *x,
					   const char *path, int64_t *out)
{
	bool added;
	struct fp_smap_entry *e = verify_fp_smap_get(&x->files, path, &added);
	struct stat st;

	if (!e)
		return kser_error_nomem();
	if (added)
		e->mtime_ns = stat(path, &st) == 0 ? verify_fp_mtime_of(&st) :
			      -1;
	*out = e->mtime_ns;
	return NULL;
}

/* A .cmd file read into the index (dir is relative, "" at the top). */
static const struct kser_error *add_cmd_file(struct fp_index *x,
					     const char *rel)
{
	struct kser_buf text = KSER_BUF_INIT, path = KSER_BUF_INIT;
	const struct kser_error *err;
	struct fp_target *t;

	kser_buf_printf(&path, "%s/%s", x->bdir, rel);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	err = kser_read_file(&text, path.ptr);
	if (err)
		goto done;
	err = kser_array_grow((void **)&x->t, &x->alloc, x->n, sizeof(*x->t),
			      1024);
	if (err)
		goto done;
	t = &x->t[x->n];
	memset(t, 0, sizeof(*t));
	if (verify_cmd_parse(&t->cmd, kser_buf_cstr(&text), text.len)) {
		verify_fp_fallback(x, "'%s' is not a .cmd file as kbuild 6.12 "
				   "writes it", rel);
		goto done;
	}
	x->n++;
done:
	kser_buf_release(&text);
	kser_buf_release(&path);
	return err;
}

/* Every .cmd file under the build directory (rel: "" or "dir/"). */
static const struct kser_error *walk(struct fp_index *x, const char *rel,
				     int depth)
{
	struct kser_buf path = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	struct dirent *d;
	DIR *dir;

	kser_buf_printf(&path, "%s/%s", x->bdir, rel);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	dir = opendir(path.ptr);
	if (!dir) {
		err = kser_error_errno("cannot read '%s'", path.ptr);
		kser_buf_release(&path);
		return err;
	}
	while (!err && (d = readdir(dir))) {
		const char *nm = d->d_name;
		size_t n = strlen(nm);
		struct kser_buf sub = KSER_BUF_INIT;
		unsigned char type = d->d_type;

		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		kser_buf_printf(&sub, "%s%s", rel, nm);
		if (kser_buf_check(&sub)) {
			err = kser_error_nomem();
			break;
		}
		if (type == DT_UNKNOWN) {
			struct stat st;
			struct kser_buf full = KSER_BUF_INIT;

			kser_buf_printf(&full, "%s/%s", x->bdir, sub.ptr);
			if (!kser_buf_check(&full) &&
			    lstat(full.ptr, &st) == 0)
				type = S_ISDIR(st.st_mode) ? DT_DIR :
				       S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
			kser_buf_release(&full);
		}
		if (type == DT_DIR && depth < 64) {
			kser_buf_putc(&sub, '/');
			err = kser_buf_check(&sub) ? kser_error_nomem() :
			      walk(x, sub.ptr, depth + 1);
		} else if (type == DT_REG && n > 5 && nm[0] == '.' &&
			   !strcmp(nm + n - 4, ".cmd")) {
			err = add_cmd_file(x, sub.ptr);
		}
		kser_buf_release(&sub);
	}
	closedir(dir);
	kser_buf_release(&path);
	return err;
}

/* A path of a .cmd file as an absolute, normalized one (owned). */
static char *absolute(const struct fp_index *x, const char *p)
{
	struct kser_buf b = KSER_BUF_INIT;
	char *n;

	if (*p == '/')
		kser_buf_puts(&b, p);
	else
		kser_buf_printf(&b, "%s/%s", x->bdir, p);
	if (kser_buf_check(&b)) {
		kser_buf_release(&b);
		return NULL;
	}
	n = verify_path_normalize(b.ptr);
	kser_buf_release(&b);
	return n;
}

/* The path relative to the source tree, or NULL when it is not in it. */
static const char *in_src(const struct fp_index *x, const char *abs)
{
	size_t n = strlen(x->src);

	return !strncmp(abs, x->src, n) && abs[n] == '/' ? abs + n + 1 : NULL;
}

bool verify_fp_is_archive(const char *target)
{
	const char *b = strrchr(target, '/');

	b = b ? b + 1 : target;
	return !strcmp(b, "built-in.a") || !strcmp(b, "lib.a");
}

/*
 * Modification times and staleness of every target, the map from source
 * files to the targets that depend on them, and the archives' members.
 */
const struct kser_error *verify_fp_index_build(struct fp_index *x)
{
	const struct kser_error *err;
	size_t i, k;

	err = walk(x, "", 0);
	if (err || x->why.len)
		return err;
	for (i = 0; i < x->n; i++) {
		struct fp_smap_entry *e =
			verify_fp_smap_get(&x->targets, x->t[i].cmd.target,
					   NULL);

		if (!e)
			return kser_error_nomem();
		e->value = i;
	}
	for (i = 0; i < x->n; i++) {
		struct fp_target *t = &x->t[i];
		char *abs = absolute(x, t->cmd.target);

		if (!abs)
			return kser_error_nomem();
		err = file_mtime(x, abs, &t->mtime_ns);
		free(abs);
		if (err)
			return err;
		if (t->mtime_ns < 0) {
			t->stale = true;
			t->why_stale = "(the target is missing)";
		}
		for (k = 0; k <= t->cmd.ndeps; k++) {
			const char *p = k < t->cmd.ndeps ?
					t->cmd.deps[k].path : t->cmd.source;
			bool wild = k < t->cmd.ndeps && t->cmd.deps[k].wildcard;
			const char *rel;
			int64_t m;

			if (!p)
				continue;
			abs = absolute(x, p);
			if (!abs)
				return kser_error_nomem();
			err = file_mtime(x, abs, &m);
			rel = in_src(x, abs);
			if (!err && p == t->cmd.source && rel && m < 0)
				t->orphan = true;
			if (!err && rel) {
				struct fp_smap_entry *e =
					verify_fp_smap_get(&x->srcdeps, rel,
							   NULL);

				if (!e)
					err = kser_error_nomem();
				else if (!e->value)
					e->value = i + 1;
			}
			free(abs);
			if (err)
				return err;
			/* As make: a missing file made by no rule is remade. */
			if ((m < 0 && !wild) || m > t->mtime_ns) {
				if (!t->stale)
					t->why_stale = p;
				t->stale = true;
			}
		}
	}
	for (i = 0; i < x->n; i++) {
		struct fp_archive *a;
		struct kser_buf data = KSER_BUF_INIT;
		char *abs, *dir, **m;
		size_t nm;

		if (!verify_fp_is_archive(x->t[i].cmd.target))
			continue;
		abs = absolute(x, x->t[i].cmd.target);
		if (!abs)
			return kser_error_nomem();
		err = kser_read_file(&data, abs);
		if (!err && verify_thin_members(&m, &nm, kser_buf_cstr(&data),
						data.len)) {
			verify_fp_fallback(x, "'%s' is not a thin archive",
					   x->t[i].cmd.target);
			m = NULL;
			nm = 0;
		}
		kser_buf_release(&data);
		if (err || x->why.len) {
			free(abs);
			return err;
		}
		err = kser_array_grow((void **)&x->ar, &x->aralloc, x->nar,
				      sizeof(*x->ar), 64);
		if (err) {
			free(abs);
			while (nm)
				free(m[--nm]);
			free(m);
			return err;
		}
		a = &x->ar[x->nar++];
		memset(a, 0, sizeof(*a));
		a->target = i;
		a->members = m;
		a->nmembers = nm;
		/* Members are named relative to the archive's directory. */
		dir = strrchr(abs, '/');
		*dir = '\0';
		for (k = 0; k < nm; k++) {
			struct kser_buf full = KSER_BUF_INIT;
			char *norm;
			size_t bl = strlen(x->bdir);
			struct fp_smap_entry *e;

			kser_buf_printf(&full, "%s/%s", abs, m[k]);
			norm = kser_buf_check(&full) ? NULL :
			       verify_path_normalize(full.ptr);
			kser_buf_release(&full);
			if (!norm) {
				free(abs);
				return kser_error_nomem();
			}
			free(m[k]);
			m[k] = NULL;
			if (strncmp(norm, x->bdir, bl) || norm[bl] != '/') {
				verify_fp_fallback(x, "'%s' holds '%s', "
						   "outside the build "
						   "directory",
						   x->t[i].cmd.target, norm);
				free(norm);
				continue;
			}
			m[k] = strdup(norm + bl + 1);
			free(norm);
			if (!m[k]) {
				free(abs);
				return kser_error_nomem();
			}
			e = verify_fp_smap_find(&x->targets, m[k]);
			if (e)
				x->t[e->value].archived = true;
		}
		free(abs);
		if (x->why.len)
			return NULL;
	}
	return NULL;
}
