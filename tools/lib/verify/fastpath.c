// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path of the build check. A plain make spends seconds walking
 * the whole kernel tree to find the few objects a patch made stale; the
 * build directory already says what they are. Every object's .cmd file
 * (kbuild.c reads them) holds the command that made it and the files it
 * depends on, and the thin archives list what goes into the kernel. When
 * the patch changed only files that kbuild learns of through those lists
 * (C sources and headers), kser recompiles exactly the stale objects with
 * their recorded commands (through kser-cc, so diagnostics are recorded as
 * ever), updates their .cmd files with fixdep as kbuild does, re-archives
 * the thin archives that hold them, and runs kbuild's own final steps:
 * vmlinux.a, scripts/Makefile.vmlinux_o, Makefile.modpost,
 * Makefile.vmlinux (link-vmlinux.sh with its kallsyms passes and
 * init/version-timestamp.o) and UML's `linux`, in the environment kbuild's
 * top Makefile gives them (captured once from make itself).
 *
 * Anything else falls back to plain make, with the reason: a build
 * directory not known to be complete, options the fast path has no steps
 * for, new, deleted or renamed files, kbuild's own files, a file some
 * command names that no dependency list explains, a stale target that is
 * not an object of the kernel's archives. Staleness is decided as make
 * decides it, by modification times against every recorded dependency.
 *
 * Uses the run's context, the kbuild readers (kbuild.c), the events
 * (events.c), how children end (outcome.c), libgit2's tree diff and the
 * core.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

#define STAMP_NAME ".kser-built"
#define ENV_NAME ".kser-make-env"

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

static bool is_archive(const char *target)
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

		if (!is_archive(x->t[i].cmd.target))
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

/* --- deciding -------------------------------------------------------- */

/* Files kbuild itself reads: any change to them is make's to judge. */
static bool kbuild_file(const char *path, const char *kunitconfig)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!strncmp(b, "Makefile", 8) || !strncmp(b, "Kbuild", 6) ||
	    !strncmp(b, "Kconfig", 7) || !strncmp(b, "localversion", 12) ||
	    !strcmp(b, ".kunitconfig"))
		return true;
	if (strlen(b) > 3 && !strcmp(b + strlen(b) - 3, ".mk"))
		return true;
	if (!strncmp(path, "scripts/", 8) || !strncmp(path, "tools/", 6) ||
	    !strncmp(path, "usr/", 4))
		return true;
	return kunitconfig && !strcmp(path, kunitconfig);
}

/*
 * A file no dependency list names may still be read by the build: only
 * C sources and headers (which kbuild learns of through fixdep alone)
 * and files for readers only are taken to be outside it.
 */
static bool inert_when_unlisted(const char *path)
{
	static const char *const exts[] = { ".c", ".h", ".S" };
	static const char *const people[] = {
		"MAINTAINERS", "CREDITS", "README", ".mailmap",
	};
	size_t i, n = strlen(path);

	for (i = 0; i < sizeof(people) / sizeof(*people); i++)
		if (!strcmp(path, people[i]))
			return true;
	if (!strncmp(path, "Documentation/", 14) && n > 4 &&
	    !strcmp(path + n - 4, ".rst"))
		return true;
	for (i = 0; i < sizeof(exts) / sizeof(*exts); i++)
		if (n > 2 && !strcmp(path + n - 2, exts[i]))
			return true;
	return false;
}

/* Does cmd name base as a file ("/base" or " base", then an end)? */
static bool names_file(const char *cmd, const char *base)
{
	size_t n = strlen(base);
	const char *p = cmd;

	while ((p = strstr(p, base))) {
		char before = p == cmd ? ' ' : p[-1];
		char after = p[n];

		if ((before == '/' || before == ' ' || before == '\'' ||
		     before == '"' || before == '=') &&
		    (!after || after == ' ' || after == '\'' || after == '"' ||
		     after == ';' || after == ')'))
			return true;
		p++;
	}
	return false;
}

/* The kernel configuration: the options the fast path has no steps for. */
bool verify_fp_config_allows(struct fp_index *x)
{
	static const char *const refuse[] = {
		"CONFIG_MODULES", "CONFIG_IKHEADERS", "CONFIG_MODVERSIONS",
		"CONFIG_OBJTOOL", "CONFIG_LTO_CLANG", "CONFIG_RUST",
		"CONFIG_DEBUG_INFO_BTF", "CONFIG_GDB_SCRIPTS",
		"CONFIG_FTRACE_MCOUNT_USE_RECORDMCOUNT",
		"CONFIG_OF_EARLY_FLATTREE", "CONFIG_TRIM_UNUSED_KSYMS",
		"CONFIG_BUILTIN_MODULE_RANGES", "CONFIG_GCC_PLUGINS",
	};
	struct kser_buf conf = KSER_BUF_INIT, path = KSER_BUF_INIT;
	size_t i;
	bool ok = true;

	kser_buf_printf(&path, "%s/include/config/auto.conf", x->bdir);
	if (kser_buf_check(&path) || kser_read_file(&conf, path.ptr)) {
		kser_buf_release(&path);
		kser_buf_release(&conf);
		return verify_fp_fallback(x, "the build directory has no "
					  "include/config/auto.conf");
	}
	for (i = 0; ok && i < sizeof(refuse) / sizeof(*refuse); i++) {
		struct kser_buf line = KSER_BUF_INIT;

		kser_buf_printf(&line, "\n%s=", refuse[i]);
		if (!kser_buf_check(&line) &&
		    memmem(conf.ptr, conf.len, line.ptr, line.len))
			ok = verify_fp_fallback(x, "%s is set: the fast path "
						"has no steps for what it "
						"builds", refuse[i]);
		kser_buf_release(&line);
	}
	kser_buf_release(&path);
	kser_buf_release(&conf);
	return ok;
}

/* What kbuild's checksyscalls depends on (.missing-syscalls.d). */
static bool syscalls_check_allows(struct fp_index *x, const char *rel)
{
	struct kser_buf d = KSER_BUF_INIT, path = KSER_BUF_INIT;
	bool ok = true;

	kser_buf_printf(&path, "%s/.missing-syscalls.d", x->bdir);
	if (!kser_buf_check(&path) && !kser_read_file(&d, path.ptr)) {
		const char *p = kser_buf_cstr(&d);
		size_t n = strlen(rel);

		while ((p = strstr(p, rel))) {
			if ((p[-1] == '/' || p[-1] == ' ') &&
			    (p[n] == ' ' || p[n] == '\n' || !p[n])) {
				ok = verify_fp_fallback(x, "kbuild's "
							"checksyscalls.sh "
							"reads '%s'", rel);
				break;
			}
			p++;
		}
	}
	kser_buf_release(&d);
	kser_buf_release(&path);
	return ok;
}

/*
 * The paths that differ between the tree the build directory was last
 * completely built from and the row's; false (with the reason) when one
 * is not a modification of an existing file.
 */
const struct kser_error *verify_fp_changes(struct fp_index *x,
					   git_repository *repo,
					   const git_oid *from,
					   const git_oid *to,
					   struct fp_change **out,
					   size_t *nout)
{
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	const struct kser_error *err = NULL;
	size_t i, n, alloc = 0;

	*out = NULL;
	*nout = 0;
	if (git_tree_lookup(&a, repo, from) < 0 ||
	    git_tree_lookup(&b, repo, to) < 0 ||
	    git_diff_tree_to_tree(&diff, repo, a, b, NULL) < 0) {
		err = kser_error_git("cannot compare the trees");
		goto done;
	}
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		const git_diff_delta *dd = git_diff_get_delta(diff, i);
		const char *p = dd->new_file.path ? dd->new_file.path :
				dd->old_file.path;

		err = kser_array_grow((void **)out, &alloc, *nout,
				      sizeof(**out), 16);
		if (err)
			break;
		(*out)[*nout].path = strdup(p);
		(*out)[*nout].status = dd->status;
		if (!(*out)[*nout].path) {
			err = kser_error_nomem();
			break;
		}
		(*nout)++;
	}
done:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return err;
}

static int cmp_size(const void *a, const void *b, void *arg)
{
	const struct fp_index *x = arg;
	const struct fp_archive *p = a, *q = b;
	const char *tp = x->t[p->target].cmd.target;
	const char *tq = x->t[q->target].cmd.target;
	size_t dp = 0, dq = 0;

	if (p->nmembers != q->nmembers)
		return p->nmembers < q->nmembers ? -1 : 1;
	/* The same members: the deeper one is the one inside. */
	for (; *tp; tp++)
		dp += *tp == '/';
	for (; *tq; tq++)
		dq += *tq == '/';
	return dp > dq ? -1 : dp < dq ? 1 : 0;
}

/*
 * A kbuild file whose change a directory's kbuild pass may take care of:
 * a Makefile or Kbuild, or a file one includes (kbdirs.c says whose).
 */
static bool dir_passable(const char *path, const char *kunitconfig)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (kunitconfig && !strcmp(path, kunitconfig))
		return false;
	return !strncmp(b, "Makefile", 8) || !strncmp(b, "Kbuild", 6) ||
	       (n > 3 && !strcmp(b + n - 3, ".mk"));
}

/* The reasons no index is needed for: the fast path's own cost spared. */
bool verify_fp_cheap_allows(struct fp_index *x, const struct fp_change *ch,
			    size_t nch, const char *kunitconfig)
{
	size_t i;

	for (i = 0; i < nch; i++) {
		const char *p = ch[i].path;

		if (ch[i].status != GIT_DELTA_ADDED &&
		    ch[i].status != GIT_DELTA_DELETED &&
		    ch[i].status != GIT_DELTA_MODIFIED)
			return verify_fp_fallback(x, "'%s' changed its type",
						  p);
		if (kbuild_file(p, kunitconfig) &&
		    !dir_passable(p, kunitconfig))
			return verify_fp_fallback(x, "'%s' is read by kbuild "
						  "itself", p);
	}
	return true;
}

/* The target of the archive of directory dir ("" is the top's). */
static struct fp_smap_entry *dir_archive(struct fp_index *x, const char *dir,
					 size_t len)
{
	struct kser_buf b = KSER_BUF_INIT;
	struct fp_smap_entry *e;

	if (len)
		kser_buf_printf(&b, "%.*s/built-in.a", (int)len, dir);
	else
		kser_buf_puts(&b, "built-in.a");
	e = kser_buf_check(&b) ? NULL : verify_fp_smap_find(&x->targets, b.ptr);
	kser_buf_release(&b);
	return e;
}

/*
 * The directories of the kbuild passes: those whose kbuild files
 * changed (kbdirs.c), and for a new or deleted file the deepest
 * directory holding it that kbuild builds. Each must be one kbuild
 * descends into for this configuration: its built-in.a is in an
 * enclosing directory's.
 */
static const struct kser_error *plan_dirs(struct fp_index *x,
					  git_repository *repo,
					  const git_oid *tree,
					  const struct fp_change *ch,
					  size_t nch, const char *kunitconfig)
{
	const struct kser_error *err = NULL;
	const char **kb = calloc(nch ? nch : 1, sizeof(*kb));
	size_t i, nkb = 0;

	if (!kb)
		return kser_error_nomem();
	for (i = 0; i < nch; i++)
		if (kbuild_file(ch[i].path, kunitconfig))
			kb[nkb++] = ch[i].path;
	if (nkb)
		err = verify_kbuild_readers(repo, tree, kb, nkb, &x->dirs,
					    &x->why);
	free(kb);
	for (i = 0; !err && !x->why.len && i < nch; i++) {
		const char *p = ch[i].path, *e;
		bool found = false;

		if (ch[i].status == GIT_DELTA_MODIFIED ||
		    verify_dirs_holding(&x->dirs, p))
			continue;
		for (e = strrchr(p, '/'); e && !found;
		     e = e > p ? memrchr(p, '/', (size_t)(e - p)) : NULL) {
			size_t len = (size_t)(e - p);

			if (verify_kbuild_top_read(p, len))
				break;
			if (dir_archive(x, p, len)) {
				found = true;
				err = verify_dirs_add(&x->dirs, p, len);
			}
		}
		if (!found && !err)
			verify_fp_fallback(x, ch[i].status == GIT_DELTA_ADDED ?
					   "'%s' is a new file outside every "
					   "directory kbuild builds" :
					   "'%s' was deleted, outside every "
					   "directory kbuild builds", p);
	}
	for (i = 0; !err && !x->why.len && i < x->dirs.n; i++) {
		const char *d = x->dirs.v[i], *e;
		bool entered = false;

		if (!dir_archive(x, d, strlen(d))) {
			verify_fp_fallback(x, "kbuild builds no "
					   "%s/built-in.a here", d);
			break;
		}
		for (e = strrchr(d, '/'); !entered;
		     e = e && e > d ? memrchr(d, '/', (size_t)(e - d)) : NULL) {
			size_t len = e ? (size_t)(e - d) : 0;
			struct fp_smap_entry *a = dir_archive(x, d, len);
			struct kser_buf want = KSER_BUF_INIT;

			kser_buf_printf(&want, "%s/built-in.a",
					e ? e + 1 : d);
			entered = a && !kser_buf_check(&want) &&
				  names_file(x->t[a->value].cmd.savedcmd,
					     want.ptr);
			kser_buf_release(&want);
			if (!e)
				break;
		}
		if (!entered)
			verify_fp_fallback(x, "no enclosing directory's "
					   "built-in.a holds %s/built-in.a",
					   d);
	}
	return err;
}

/* Is the archive target in a directory some pass's directory is in? */
static bool encloses_a_dir(const struct fp_index *x, const char *target)
{
	const char *slash = strrchr(target, '/');
	size_t len = slash ? (size_t)(slash - target) : 0, i;

	for (i = 0; i < x->dirs.n; i++)
		if (!len || (!strncmp(x->dirs.v[i], target, len) &&
			     x->dirs.v[i][len] == '/'))
			return true;
	return false;
}

/*
 * The targets the fast path rebuilds itself and the kbuild passes it
 * runs, or x->why says why not.
 */
const struct kser_error *verify_fp_plan(struct fp_index *x,
					git_repository *repo,
					const git_oid *tree,
					const struct fp_change *ch, size_t nch,
					const char *kunitconfig)
{
	const struct kser_error *err;
	size_t i, k;

	if (!verify_fp_cheap_allows(x, ch, nch, kunitconfig))
		return NULL;
	err = plan_dirs(x, repo, tree, ch, nch, kunitconfig);
	if (err || x->why.len)
		return err;
	for (i = 0; i < nch; i++) {
		const char *p = ch[i].path, *base = strrchr(p, '/');
		bool passed = verify_dirs_holding(&x->dirs, p) != NULL;

		base = base ? base + 1 : p;
		if (!passed && !verify_fp_smap_find(&x->srcdeps, p) &&
		    !inert_when_unlisted(p))
			return verify_fp_fallback(x, "no object depends on "
						  "'%s', and the build may "
						  "read it", p), NULL;
		/* What a command names but no dependency list holds. */
		for (k = 0; k < x->n; k++)
			if (!x->t[k].cmd.has_deps &&
			    !verify_dirs_holding(&x->dirs, x->t[k].cmd.target) &&
			    names_file(x->t[k].cmd.savedcmd, base))
				return verify_fp_fallback(x, "the command of "
							  "'%s' names '%s'",
							  x->t[k].cmd.target,
							  base), NULL;
		if (!syscalls_check_allows(x, p))
			return NULL;
	}
	for (i = 0; i < x->n; i++) {
		const struct fp_target *t = &x->t[i];
		const char *tg = t->cmd.target;

		if (!t->stale || verify_dirs_holding(&x->dirs, tg))
			continue;
		/*
		 * What the tree no longer has the source of is left over
		 * from an older build: make has no rule for it any more.
		 */
		if (t->orphan && !t->archived)
			continue;
		/* Remade by the final steps, as make remakes them. */
		if (!strcmp(tg, "init/version-timestamp.o") ||
		    !strcmp(tg, "vmlinux"))
			continue;
		if (!t->archived || !t->cmd.has_deps)
			return verify_fp_fallback(x, "'%s' is stale ('%s') "
						  "and is not an object of "
						  "the kernel's archives",
						  tg, t->why_stale), NULL;
	}
	for (i = 0; i < x->nar; i++) {
		struct fp_archive *a = &x->ar[i];
		const char *tg = x->t[a->target].cmd.target;

		/* A pass's own archives are its to make. */
		if (verify_dirs_holding(&x->dirs, tg))
			continue;
		a->rerun = encloses_a_dir(x, tg);
		for (k = 0; k < a->nmembers && !a->rerun; k++) {
			struct fp_smap_entry *e = a->members[k] ?
				verify_fp_smap_find(&x->targets,
						    a->members[k]) : NULL;

			if (e && x->t[e->value].stale)
				a->rerun = true;
		}
	}
	qsort_r(x->ar, x->nar, sizeof(*x->ar), cmp_size, x);
	return NULL;
}

/* Is the target one the fast path recompiles itself? */
static bool to_recompile(const struct fp_index *x, const struct fp_target *t)
{
	return t->stale && t->archived && t->cmd.has_deps &&
	       !verify_dirs_holding(&x->dirs, t->cmd.target);
}

/* --- running --------------------------------------------------------- */

static void log_line(struct fp_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_line(struct fp_run *r, const char *fmt, ...)
{
	struct kser_buf b = KSER_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	kser_buf_putc(&b, '\n');
	if (!kser_buf_check(&b) && r->log_fd >= 0)
		(void)kser_write_all(r->log_fd, b.ptr, b.len);
	kser_buf_release(&b);
}

/* Runs jobs, their output appended to the log in order. */
static const struct kser_error *run_logged(struct fp_run *r,
					   struct kser_job *jobs, size_t n)
{
	const struct kser_error *err;
	size_t i;

	for (i = 0; i < n; i++) {
		jobs[i].cwd = r->bdir;
		jobs[i].env = r->env;
		if (!jobs[i].tail_cap)
			jobs[i].tail_cap = 4u << 20;
		if (!jobs[i].timeout_ms)
			jobs[i].timeout_ms =
				(uint64_t)r->c->settings->build_timeout * 1000;
	}
	err = verify_run_jobs(r->c, jobs, n);
	for (i = 0; i < n; i++)
		if (r->log_fd >= 0 && jobs[i].tail.len)
			(void)kser_write_all(r->log_fd, jobs[i].tail.ptr,
					     jobs[i].tail.len);
	return err;
}

/* A shell command of kbuild, as make runs it ("sh -c", set -e). */
static const struct kser_error *run_shell(struct fp_run *r, const char *name,
					  const char *savedcmd, int *status)
{
	char *sh = verify_cmd_shell(savedcmd);
	struct kser_buf full = KSER_BUF_INIT;
	struct kser_job job = { 0 };
	const struct kser_error *err;
	char *argv[4];

	if (!sh)
		return kser_error_nomem();
	kser_buf_printf(&full, "set -e; %s", sh);
	free(sh);
	if (kser_buf_check(&full))
		return kser_error_nomem();
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = full.ptr;
	argv[3] = NULL;
	job.name = name;
	job.argv = argv;
	err = run_logged(r, &job, 1);
	*status = job.timed_out ? 124 : job.status;
	if (!err && job.spawn_failed)
		err = kser_error_fmt(KSER_ERR_CHILD, "cannot run /bin/sh");
	kser_job_release(&job);
	kser_buf_release(&full);
	return err;
}

/* The depfile a compile writes: its -Wp,-MMD,FILE or -Wp,-MD,FILE. */
static char *depfile_of(const char *cmd)
{
	const char *p = strstr(cmd, "-Wp,-MMD,");
	size_t skip = 9;

	if (!p) {
		p = strstr(cmd, "-Wp,-MD,");
		skip = 8;
	}
	if (!p)
		return NULL;
	p += skip;
	return strndup(p, strcspn(p, " \t"));
}

/* Is it a compile of target, as rule_cc_o_c and rule_as_o_S run it? */
static bool is_compile(const struct verify_cmd *c)
{
	struct kser_buf want = KSER_BUF_INIT;
	bool yes;

	kser_buf_printf(&want, " -c -o %s ", c->target);
	yes = !kser_buf_check(&want) && strstr(c->savedcmd, want.ptr) &&
	      c->source;
	kser_buf_release(&want);
	return yes;
}

/* Recompiles one object as cmd_and_fixdep does; *ok: it compiled. */
static const struct kser_error *recompile(struct fp_run *r,
					  const struct verify_cmd *cmd,
					  bool *ok)
{
	const struct kser_error *err;
	struct kser_buf dot = KSER_BUF_INIT, fixdep = KSER_BUF_INIT;
	struct kser_buf objpath = KSER_BUF_INIT;
	struct kser_job job = { 0 };
	char *dep = depfile_of(cmd->savedcmd), *argv[5];
	const char *slash = strrchr(cmd->target, '/');
	int status = 0;
	struct stat before, after;
	bool had;

	*ok = false;
	if (!dep)
		return kser_error_nomem();
	kser_buf_printf(&objpath, "%s/%s", r->bdir, cmd->target);
	if (kser_buf_check(&objpath)) {
		free(dep);
		return kser_error_nomem();
	}
	had = stat(objpath.ptr, &before) == 0;
	/* What kbuild's quiet output says of it, for the log's reader. */
	log_line(r, "  %-7s %s", !strcmp(cmd->source + strlen(cmd->source) -
					  (strlen(cmd->source) > 2 ? 2 : 0),
					  ".S") ? "AS" : "CC", cmd->target);
	err = run_shell(r, cmd->target, cmd->savedcmd, &status);
	if (err || status) {
		/* .DELETE_ON_ERROR: a target the failed recipe touched. */
		if (!err && stat(objpath.ptr, &after) == 0 &&
		    (!had || verify_fp_mtime_of(&after) !=
			     verify_fp_mtime_of(&before)))
			unlink(objpath.ptr);
		goto done;
	}
	if (slash)
		kser_buf_printf(&dot, "%s/%.*s/.%s.cmd", r->bdir,
				(int)(slash - cmd->target), cmd->target,
				slash + 1);
	else
		kser_buf_printf(&dot, "%s/.%s.cmd", r->bdir, cmd->target);
	kser_buf_printf(&fixdep, "%s/scripts/basic/fixdep", r->bdir);
	if (kser_buf_check(&dot) || kser_buf_check(&fixdep)) {
		err = kser_error_nomem();
		goto done;
	}
	argv[0] = fixdep.ptr;
	argv[1] = dep;
	argv[2] = (char *)cmd->target;
	argv[3] = (char *)cmd->savedcmd;
	argv[4] = NULL;
	job.name = "fixdep";
	job.argv = argv;
	job.cwd = r->bdir;
	job.env = r->env;
	job.tail_cap = 64u << 20;
	job.timeout_ms = 600000;
	err = verify_run_jobs(r->c, &job, 1);
	if (err)
		goto done;
	if (job.status || job.tail.len >= job.tail_cap) {
		log_line(r, "kser verify: fixdep failed on '%s' (status %d)",
			 cmd->target, job.status);
		unlink(objpath.ptr);
		goto done;
	}
	err = kser_write_file_atomic(dot.ptr, job.tail.ptr, job.tail.len);
	if (!err) {
		struct kser_buf d = KSER_BUF_INIT;

		kser_buf_printf(&d, "%s/%s", r->bdir, dep);
		if (!kser_buf_check(&d))
			unlink(d.ptr);
		kser_buf_release(&d);
		*ok = true;
	}
done:
	kser_job_release(&job);
	kser_buf_release(&dot);
	kser_buf_release(&fixdep);
	kser_buf_release(&objpath);
	free(dep);
	return err;
}

/* A sub-make of kbuild's top Makefile: make -f SRC/scripts/NAME ARGS. */
static const struct kser_error *run_submake(struct fp_run *r,
					    const char *makefile,
					    char *const *args, int *status)
{
	struct kser_buf mf = KSER_BUF_INIT, ld = KSER_BUF_INIT;
	struct kser_job job = { 0 };
	const struct kser_error *err;
	char *argv[8], **env = r->env, **ldenv = NULL;
	size_t na = 3;

	kser_buf_printf(&mf, "%s/scripts/%s", r->src, makefile);
	if (kser_buf_check(&mf))
		return kser_error_nomem();
	if (!strcmp(makefile, "Makefile.vmlinux")) {
		/* vmlinux: export LDFLAGS_vmlinux, in the top Makefile. */
		size_t n = 0;

		while (r->env[n])
			n++;
		ldenv = calloc(n + 2, sizeof(*ldenv));
		kser_buf_printf(&ld, "LDFLAGS_vmlinux=%s",
				r->ldflags_vmlinux ? r->ldflags_vmlinux : "");
		if (!ldenv || kser_buf_check(&ld)) {
			free(ldenv);
			kser_buf_release(&mf);
			kser_buf_release(&ld);
			return kser_error_nomem();
		}
		memcpy(ldenv, r->env, n * sizeof(*ldenv));
		ldenv[n] = ld.ptr;
		env = ldenv;
	}
	argv[0] = "make";
	argv[1] = "-f";
	argv[2] = mf.ptr;
	while (args && *args && na < 7)
		argv[na++] = *args++;
	argv[na] = NULL;
	job.name = makefile;
	job.argv = argv;
	job.cwd = r->bdir;
	job.env = env;
	job.tail_cap = 4u << 20;
	job.timeout_ms = (uint64_t)r->c->settings->build_timeout * 1000;
	err = verify_run_jobs(r->c, &job, 1);
	if (r->log_fd >= 0 && job.tail.len)
		(void)kser_write_all(r->log_fd, job.tail.ptr, job.tail.len);
	*status = job.timed_out ? 124 : job.status;
	kser_job_release(&job);
	free(ldenv);
	kser_buf_release(&mf);
	kser_buf_release(&ld);
	return err;
}

/* --- make's environment ---------------------------------------------- */

void verify_fp_env_free(char **env)
{
	size_t i;

	for (i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/*
 * MAKEFLAGS as the top Makefile's recipes see it, less the jobserver of
 * the make that is gone: a sub-make started anew makes its own.
 */
static char *sanitize_makeflags(const char *v)
{
	struct kser_buf b = KSER_BUF_INIT;
	const char *p = v;
	bool vars = false;

	while (*p) {
		const char *e = p;
		size_t n;

		while (*e && *e != ' ')
			e += (*e == '\\' && e[1]) ? 2 : 1;
		n = (size_t)(e - p);
		if (n == 2 && !strncmp(p, "--", 2))
			vars = true;
		if (vars || !(n > 17 && !strncmp(p, "--jobserver-auth=", 17)) ||
		    !n) {
			if (!(n > 16 && !vars &&
			      !strncmp(p, "--jobserver-fds=", 16))) {
				kser_buf_put(&b, p, n);
				if (*e)
					kser_buf_putc(&b, ' ');
			}
		}
		p = *e ? e + 1 : e;
	}
	kser_buf_rtrim(&b);
	if (kser_buf_check(&b)) {
		kser_buf_release(&b);
		return NULL;
	}
	return kser_buf_detach(&b);
}

/* What the environment of kser's make is (for the capture's key). */
static void env_key(struct fp_run *r, const struct verify_make *mi,
		    char out[GIT_OID_HEXSZ + 1])
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t i;
	git_oid id;

	for (i = 0; mi->argv[i]; i++)
		kser_buf_printf(&b, "%s\n", mi->argv[i]);
	for (i = 0; r->c->st.env[i]; i++)
		kser_buf_printf(&b, "%s\n", r->c->st.env[i]);
	git_odb_hash(&id, kser_buf_cstr(&b), b.len, GIT_OBJECT_BLOB);
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
	kser_buf_release(&b);
}

/* Loads "KEY\0VAR=VALUE\0...", the capture, if its key is key. */
static bool env_load(struct fp_run *r, const char *path, const char *key)
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t n = 0, k = 0, i;
	const char *p, *end;
	bool ok = false;

	if (kser_read_file(&b, path) || !b.len || b.ptr[b.len - 1])
		goto done;
	end = b.ptr + b.len;
	if (strcmp(b.ptr, key))
		goto done;
	for (p = b.ptr; p < end; p += strlen(p) + 1)
		n++;
	r->env = calloc(n + 1, sizeof(*r->env));
	if (!r->env)
		goto done;
	p = b.ptr + strlen(b.ptr) + 1;	/* the key */
	if (p >= end)
		goto done;
	r->ldflags_vmlinux = strdup(p);
	for (p += strlen(p) + 1; p < end; p += strlen(p) + 1) {
		if (!strncmp(p, "MAKEFLAGS=", 10) || !strncmp(p, "MFLAGS=", 7)) {
			const char *eq = strchr(p, '=') + 1;
			char *v = sanitize_makeflags(eq);
			struct kser_buf e = KSER_BUF_INIT;

			kser_buf_printf(&e, "%.*s%s", (int)(eq - p), p,
					v ? v : "");
			free(v);
			r->env[k] = kser_buf_detach(&e);
		} else {
			r->env[k] = strdup(p);
		}
		if (!r->env[k])
			goto done;
		k++;
	}
	ok = r->ldflags_vmlinux != NULL;
done:
	if (!ok) {
		for (i = 0; r->env && r->env[i]; i++)
			free(r->env[i]);
		free(r->env);
		r->env = NULL;
		free(r->ldflags_vmlinux);
		r->ldflags_vmlinux = NULL;
	}
	kser_buf_release(&b);
	return ok;
}

/*
 * The environment kbuild's top Makefile gives its recipes, captured by a
 * recipe of make itself (the same Makefile, options and environment as
 * kser's make), with LDFLAGS_vmlinux, which it exports to the vmlinux
 * link alone. Kept in the build directory until the next plain make.
 */
const struct kser_error *verify_fp_env_capture(struct fp_run *r,
					       const struct verify_make *mi)
{
	struct kser_buf mk = KSER_BUF_INIT, path = KSER_BUF_INIT;
	struct kser_buf out = KSER_BUF_INIT, data = KSER_BUF_INIT;
	struct kser_buf ld = KSER_BUF_INIT;
	char key[GIT_OID_HEXSZ + 1];
	const struct kser_error *err = NULL;
	struct kser_job job = { 0 };
	char *argv[16];
	size_t i, n = 0;

	env_key(r, mi, key);
	kser_buf_printf(&path, "%s/%s", r->bdir, ENV_NAME);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	if (env_load(r, path.ptr, key))
		goto done;
	kser_buf_printf(&mk, "%s/kser-env.mk", r->c->st.tmp_dir);
	kser_buf_printf(&out, "%s/kser-env.out", r->c->st.tmp_dir);
	kser_buf_printf(&ld, "%s/kser-env.ld", r->c->st.tmp_dir);
	kser_buf_printf(&data,
			"kser-make-env:\n"
			"\t$(file >%s,$(LDFLAGS_vmlinux))\n"
			"\t@env -0 >%s\n", ld.ptr, out.ptr);
	if (kser_buf_check(&mk) || kser_buf_check(&out) ||
	    kser_buf_check(&data) || kser_buf_check(&ld)) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_write_file_atomic(mk.ptr, data.ptr, data.len);
	if (err)
		goto done;
	/* make ARCH=.. O=.. -jN CC=.. HOSTCC=.., from the build directory. */
	argv[n++] = "make";
	argv[n++] = "--no-print-directory";
	argv[n++] = "-f";
	argv[n++] = "Makefile";
	argv[n++] = "-f";
	argv[n++] = mk.ptr;
	for (i = 1; mi->argv[i] && n < 14; i++)
		argv[n++] = mi->argv[i];
	argv[n++] = "kser-make-env";
	argv[n] = NULL;
	job.name = "make (environment)";
	job.argv = argv;
	job.cwd = r->bdir;
	job.env = r->c->st.env;
	job.timeout_ms = 600000;
	err = verify_run_jobs(r->c, &job, 1);
	if (!err && (job.status || job.timed_out))
		err = kser_error_fmt(KSER_ERR_CHILD,
				     "cannot learn make's environment: %s",
				     kser_buf_cstr(&job.tail));
	if (err)
		goto done;
	kser_buf_clear(&data);
	kser_buf_puts(&data, key);
	kser_buf_putc(&data, '\0');
	{
		struct kser_buf v = KSER_BUF_INIT, e = KSER_BUF_INIT;

		err = kser_read_file(&v, ld.ptr);
		if (!err)
			err = kser_read_file(&e, out.ptr);
		if (!err) {
			kser_buf_rtrim(&v);
			kser_buf_put(&data, kser_buf_cstr(&v), v.len);
			kser_buf_putc(&data, '\0');
			kser_buf_put(&data, e.ptr ? e.ptr : "", e.len);
		}
		kser_buf_release(&v);
		kser_buf_release(&e);
	}
	if (!err && kser_buf_check(&data))
		err = kser_error_nomem();
	if (!err)
		err = kser_write_file_atomic(path.ptr, data.ptr, data.len);
	if (!err && !env_load(r, path.ptr, key))
		err = kser_error_fmt(KSER_ERR_CHILD,
				     "cannot read make's environment back");
done:
	unlink(kser_buf_cstr(&out));
	unlink(kser_buf_cstr(&ld));
	kser_job_release(&job);
	kser_buf_release(&mk);
	kser_buf_release(&path);
	kser_buf_release(&out);
	kser_buf_release(&data);
	kser_buf_release(&ld);
	return err;
}

/* --- the stamp: what the build directory was last completely built of - */

static char *stamp_text(const struct verify_make *mi, const git_oid *tree)
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t i;

	kser_buf_printf(&b, "tree %s\n", git_oid_tostr_s(tree));
	for (i = 0; mi->argv[i]; i++)
		kser_buf_printf(&b, "arg %s\n", mi->argv[i]);
	return kser_buf_detach(&b);
}

void verify_fastpath_forget(const char *bdir)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	if (!kser_buf_check(&p))
		unlink(p.ptr);
	kser_buf_clear(&p);
	kser_buf_printf(&p, "%s/%s", bdir, ENV_NAME);
	if (!kser_buf_check(&p))
		unlink(p.ptr);
	kser_buf_release(&p);
}

void verify_fastpath_unstamp(const char *bdir)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	if (!kser_buf_check(&p))
		unlink(p.ptr);
	kser_buf_release(&p);
}

const struct kser_error *
verify_fastpath_stamp(const char *bdir, const struct verify_make *mi,
		      const git_oid *tree)
{
	struct kser_buf p = KSER_BUF_INIT;
	char *text = stamp_text(mi, tree);
	const struct kser_error *err;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	err = !text || kser_buf_check(&p) ? kser_error_nomem() :
	      kser_write_file_atomic(p.ptr, text, strlen(text));
	free(text);
	kser_buf_release(&p);
	return err;
}

/* The tree of a valid stamp, or false. */
bool verify_fp_stamp_tree(const char *bdir, const struct verify_make *mi,
			  git_oid *tree)
{
	struct kser_buf p = KSER_BUF_INIT, have = KSER_BUF_INIT;
	char *want;
	bool ok = false;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	if (kser_buf_check(&p) || kser_read_file(&have, p.ptr) ||
	    have.len < 5 + GIT_OID_HEXSZ ||
	    git_oid_fromstrn(tree, have.ptr + 5, GIT_OID_HEXSZ) < 0)
		goto done;
	want = stamp_text(mi, tree);
	ok = want && !strcmp(want, kser_buf_cstr(&have));
	free(want);
done:
	kser_buf_release(&p);
	kser_buf_release(&have);
	return ok;
}

/* --- the fast path --------------------------------------------------- */

void verify_fastpath_release(struct verify_fastpath *fp)
{
	kser_buf_release(&fp->why);
	memset(fp, 0, sizeof(*fp));
}

static double since(uint64_t t0)
{
	return (double)(kser_now_ms() - t0) / 1000.0;
}

/* The kbuild pass of directory dir, as kbuild's parent pass starts it. */
static const struct kser_error *run_dir_pass(struct fp_run *r,
					     const char *dir, int *status)
{
	struct kser_buf obj = KSER_BUF_INIT;
	const struct kser_error *err;
	char *args[4];

	kser_buf_printf(&obj, "obj=%s", dir);
	if (kser_buf_check(&obj))
		return kser_error_nomem();
	log_line(r, "kser verify: build: kbuild's pass of %s/", dir);
	args[0] = obj.ptr;
	args[1] = "need-builtin=1";
	args[2] = "need-modorder=1";
	args[3] = NULL;
	err = run_submake(r, "Makefile.build", args, status);
	kser_buf_release(&obj);
	return err;
}

static const struct kser_error *do_build(struct fp_run *r,
					 struct fp_index *x,
					 const struct verify_make *mi)
{
	const struct kser_error *err = NULL;
	size_t i, nstale = 0, shown = 0;
	uint64_t t0;
	int status = 0;

	for (i = 0; i < x->n; i++)
		if (to_recompile(x, &x->t[i])) {
			if (x->t[i].orphan || !is_compile(&x->t[i].cmd)) {
				verify_fp_fallback(x, "'%s' is not made by a "
						   "compile kser knows",
						   x->t[i].cmd.target);
				r->out->taken = false;
				return NULL;
			}
			nstale++;
		}
	r->out->objects = nstale;
	r->out->dirs = x->dirs.n;
	for (i = 0; i < x->dirs.n; i++)
		kser_buf_printf(&r->out->why, "%s%s/", i ? ", " : "kbuild's "
				"pass of ", x->dirs.v[i]);
	if (x->dirs.n)
		kser_buf_puts(&r->out->why, nstale ? "; " : "");
	if (nstale || !x->dirs.n)
		kser_buf_printf(&r->out->why, "%zu object%s to recompile",
				nstale, nstale == 1 ? "" : "s");
	for (i = 0; i < x->n && shown < 5; i++)
		if (to_recompile(x, &x->t[i]))
			kser_buf_printf(&r->out->why, "%s%s",
					shown++ ? ", " : ": ",
					x->t[i].cmd.target);
	if (nstale > shown)
		kser_buf_printf(&r->out->why, ", ...");
	log_line(r, "kser verify: build: the fast path: %s (%s)",
		 kser_buf_cstr(&r->out->why), x->dirs.n ?
		 "the rest of the tree has no kbuild file changed" :
		 "only existing sources and headers changed");
	if (!nstale && !x->dirs.n) {
		r->out->ok = true;
		return NULL;
	}
	err = verify_fp_env_capture(r, mi);
	if (err)
		return err;

	t0 = kser_now_ms();
	for (i = 0; i < x->n && !err; i++) {
		bool ok;

		if (!to_recompile(x, &x->t[i]))
			continue;
		err = recompile(r, &x->t[i].cmd, &ok);
		if (!err && !ok) {
			r->out->compile_s = since(t0);
			return NULL;	/* the build failed, as make's would */
		}
	}
	for (i = 0; i < x->dirs.n && !err && !status; i++)
		err = run_dir_pass(r, x->dirs.v[i], &status);
	r->out->compile_s = since(t0);
	if (err || status)
		return err;

	t0 = kser_now_ms();
	for (i = 0; i < x->nar && !err && !status; i++)
		if (x->ar[i].rerun)
			err = run_shell(r, x->t[x->ar[i].target].cmd.target,
					x->t[x->ar[i].target].cmd.savedcmd,
					&status);
	if (!err && !status) {
		struct fp_smap_entry *e = verify_fp_smap_find(&x->targets,
							      "vmlinux.a");

		if (!e) {
			log_line(r, "kser verify: the build directory has no "
				 ".vmlinux.a.cmd");
			status = 1;
		} else {
			err = run_shell(r, "vmlinux.a",
					x->t[e->value].cmd.savedcmd, &status);
		}
	}
	if (!err && !status)
		err = run_submake(r, "Makefile.vmlinux_o", NULL, &status);
	if (!err && !status)
		err = run_submake(r, "Makefile.modpost", NULL, &status);
	if (!err && !status)
		err = run_submake(r, "Makefile.vmlinux", NULL, &status);
	if (!err && !status) {
		/* arch/um/Makefile: linux: vmlinux; ln -f $< $@ */
		struct kser_buf a = KSER_BUF_INIT, b = KSER_BUF_INIT;

		kser_buf_printf(&a, "%s/vmlinux", r->bdir);
		kser_buf_printf(&b, "%s/linux", r->bdir);
		if (kser_buf_check(&a) || kser_buf_check(&b))
			err = kser_error_nomem();
		else if ((unlink(b.ptr) < 0 && errno != ENOENT) ||
			 link(a.ptr, b.ptr) < 0)
			err = kser_error_errno("cannot link '%s'", b.ptr);
		else
			log_line(r, "  LINK linux");
		kser_buf_release(&a);
		kser_buf_release(&b);
	}
	r->out->link_s = since(t0);
	if (!err && !status)
		r->out->ok = true;
	return err;
}

const struct kser_error *verify_fastpath_run(struct verify_ctx *c,
					     size_t row, size_t cfg,
					     const struct verify_make *mi,
					     const char *log_path,
					     struct verify_fastpath *out)
{
	const struct kser_verify_config *vc = &c->settings->configs[cfg];
	struct fp_index x;
	struct fp_run r;
	struct fp_change *ch = NULL;
	size_t nch = 0, i;
	const struct kser_error *err = NULL;
	char bdir[PATH_MAX], src[PATH_MAX];
	git_oid from;
	uint64_t t0 = kser_now_ms();

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.out = out;
	r.log_fd = -1;
	if (!realpath(c->st.build_dirs[cfg], bdir) ||
	    !realpath(kser_worktree_path(c->st.wt), src)) {
		kser_buf_puts(&out->why, "the build directory is new");
		goto done;
	}
	x.bdir = r.bdir = bdir;
	x.src = r.src = src;
	if (strcmp(vc->arch, "um")) {
		verify_fp_fallback(&x, "the fast path knows the final steps "
				   "of ARCH=um only");
		goto decided;
	}
	if (!verify_fp_stamp_tree(bdir, mi, &from)) {
		verify_fp_fallback(&x, "the build directory is not known to "
				   "be completely built with these options");
		goto decided;
	}
	if (!verify_fp_config_allows(&x))
		goto decided;
	err = verify_fp_changes(&x, c->repo, &from, &c->rep->rows[row].tree,
				&ch, &nch);
	if (err)
		goto done;
	/* Cheap reasons first: the walk is the fast path's own cost. */
	if (!verify_fp_cheap_allows(&x, ch, nch, vc->kunitconfig))
		goto decided;
	err = verify_fp_index_build(&x);
	if (err || x.why.len)
		goto decided;
	err = verify_fp_plan(&x, c->repo, &c->rep->rows[row].tree, ch, nch,
			     vc->kunitconfig);
decided:
	out->plan_s = since(t0);
	if (err)
		goto done;
	if (x.why.len) {
		kser_buf_puts(&out->why, kser_buf_cstr(&x.why));
		goto done;
	}
	out->taken = true;
	r.log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (r.log_fd < 0) {
		err = kser_error_errno("cannot create '%s'", log_path);
		goto done;
	}
	err = do_build(&r, &x, mi);
	if (!err && !out->taken) {
		/* A late reason: the log starts anew with make. */
		kser_buf_clear(&out->why);
		kser_buf_puts(&out->why, kser_buf_cstr(&x.why));
	}
done:
	if (r.log_fd >= 0)
		close(r.log_fd);
	for (i = 0; i < nch; i++)
		free(ch[i].path);
	free(ch);
	verify_fp_env_free(r.env);
	free(r.ldflags_vmlinux);
	verify_fp_index_release(&x);
	return err;
}

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
