// SPDX-License-Identifier: GPL-2.0
/*
 * What the build check's fast path decides before it runs (fastpath.c):
 * whether it may be taken at all (the kernel configuration, what changed
 * between the stamp's tree and the row's, kbuild's own files) and then,
 * over the index of the build directory (fpindex.c), which stale objects
 * it recompiles, which directories' kbuild passes it runs and which
 * archives it makes again; or why make builds instead. Uses the index,
 * the kbuild readers (kbuild.c, kbdirs.c), libgit2's tree diff and the
 * core.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

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
			if ((p == kser_buf_cstr(&d) || p[-1] == '/' ||
			     p[-1] == ' ') &&
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

/* Is it a compile of target, as rule_cc_o_c and rule_as_o_S run it? */
bool verify_fp_is_compile(const struct verify_cmd *c)
{
	struct kser_buf want = KSER_BUF_INIT;
	bool yes;

	kser_buf_printf(&want, " -c -o %s ", c->target);
	yes = !kser_buf_check(&want) && strstr(c->savedcmd, want.ptr) &&
	      c->source;
	kser_buf_release(&want);
	return yes;
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
 * Adds the deepest directory holding path that kbuild builds (its
 * built-in.a is a target), below the directories the top Makefile reads;
 * *found: there is one.
 */
static const struct kser_error *add_built_dir(struct fp_index *x,
					      const char *p, bool *found)
{
	const char *e;

	*found = false;
	for (e = strrchr(p, '/'); e;
	     e = e > p ? memrchr(p, '/', (size_t)(e - p)) : NULL) {
		size_t len = (size_t)(e - p);

		if (verify_kbuild_top_read(p, len))
			break;
		if (dir_archive(x, p, len)) {
			*found = true;
			return verify_dirs_add(&x->dirs, p, len);
		}
	}
	return NULL;
}

static bool dirs_entered(struct fp_index *x);

/* No pass's directory inherits what an enclosing one sets for it. */
static const struct kser_error *dirs_inherit(struct fp_index *x,
					     git_repository *repo,
					     const git_oid *tree)
{
	const struct kser_error *err = NULL;
	size_t i;

	for (i = 0; !err && !x->why.len && i < x->dirs.n; i++)
		err = verify_kbuild_inherits(repo, tree, x->dirs.v[i],
					     &x->why);
	return err;
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
		const char *p = ch[i].path;
		bool found;

		if (ch[i].status == GIT_DELTA_MODIFIED ||
		    verify_dirs_holding(&x->dirs, p))
			continue;
		err = add_built_dir(x, p, &found);
		if (!found && !err)
			verify_fp_fallback(x, ch[i].status == GIT_DELTA_ADDED ?
					   "'%s' is a new file outside every "
					   "directory kbuild builds" :
					   "'%s' was deleted, outside every "
					   "directory kbuild builds", p);
	}
	if (!err && !x->why.len)
		dirs_entered(x);
	return err ? err : dirs_inherit(x, repo, tree);
}

/* Each pass's directory is one kbuild descends into here. */
static bool dirs_entered(struct fp_index *x)
{
	size_t i;

	for (i = 0; !x->why.len && i < x->dirs.n; i++) {
		const char *d = x->dirs.v[i], *e;
		bool entered = false;

		if (!dir_archive(x, d, strlen(d))) {
			size_t k, n = strlen(d);

			/*
			 * Nothing built under it: kbuild does not descend
			 * into it in this configuration (its parent's
			 * Makefile, unchanged, says so), and its pass is no
			 * part of make's either.
			 */
			for (k = 0; k < x->n; k++)
				if (!strncmp(x->t[k].cmd.target, d, n) &&
				    x->t[k].cmd.target[n] == '/')
					break;
			if (k == x->n) {
				free(x->dirs.v[i]);
				memmove(&x->dirs.v[i], &x->dirs.v[i + 1],
					(x->dirs.n - i - 1) *
					sizeof(*x->dirs.v));
				x->dirs.n--;
				i--;
				continue;
			}
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
	return !x->why.len;
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
	/*
	 * An object no archive holds, compiled in a directory kbuild builds
	 * (one an earlier tree of the series listed, say): whether make
	 * builds it is that directory's Makefile's to say, so its pass runs.
	 */
	for (i = 0; i < x->n; i++) {
		const struct fp_target *t = &x->t[i];
		bool found;

		if (!t->stale || t->archived || t->orphan || !t->cmd.has_deps ||
		    !verify_fp_is_compile(&t->cmd) ||
		    verify_dirs_holding(&x->dirs, t->cmd.target) ||
		    !strcmp(t->cmd.target, "init/version-timestamp.o"))
			continue;
		err = add_built_dir(x, t->cmd.target, &found);
		if (err)
			return err;
	}
	if (x->dirs.n && !dirs_entered(x))
		return NULL;
	err = dirs_inherit(x, repo, tree);
	if (err || x->why.len)
		return err;
	for (i = 0; i < x->n; i++) {
		const struct fp_target *t = &x->t[i];
		const char *tg = t->cmd.target;

		if (!t->stale)
			continue;
		/*
		 * A pass makes its directory's objects and archives; a
		 * stale target of another kind there may be the top
		 * Makefile's to make (kernel/bounds.s, in prepare).
		 */
		if (verify_dirs_holding(&x->dirs, tg)) {
			if (!verify_fp_is_compile(&t->cmd) && !verify_fp_is_archive(tg) &&
			    !(t->orphan && !t->archived))
				return verify_fp_fallback(x, "'%s' is stale "
							  "('%s'), and not "
							  "an object or "
							  "archive kbuild's "
							  "pass of its "
							  "directory makes",
							  tg, t->why_stale),
				       NULL;
			continue;
		}
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
