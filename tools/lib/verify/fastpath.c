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
 * Its files: fpindex.c reads the build directory, fpplan.c decides from
 * it, fpenv.c keeps make's environment and the stamp, fpsnap.c the
 * paranoid mode's snapshots; this one runs what was decided. Uses them,
 * the run's context, the kbuild readers (kbuild.c, kbdirs.c), the events
 * (events.c), child processes, kser's checkout and the core.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* --- running --------------------------------------------------------- */

/* Is the target one the fast path recompiles itself? */
static bool to_recompile(const struct fp_index *x, const struct fp_target *t)
{
	return t->stale && t->archived && t->cmd.has_deps &&
	       !verify_dirs_holding(&x->dirs, t->cmd.target);
}

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

/*
 * After the passes: an object outside them that depends on a file a
 * pass made anew (a generated header under its directory) is stale now,
 * though it was not when the index was read. Marks each (and the
 * archives holding it); false (with the reason) for one kser does not
 * recompile itself.
 */
static bool mark_remade(struct fp_index *x, const char *bdir)
{
	size_t i, k;

	for (i = 0; i < x->n; i++) {
		struct fp_target *t = &x->t[i];
		struct kser_buf path = KSER_BUF_INIT;
		struct stat st;

		if (!t->cmd.has_deps || t->stale ||
		    verify_dirs_holding(&x->dirs, t->cmd.target))
			continue;
		for (k = 0; k < t->cmd.ndeps && !t->stale; k++) {
			const char *p = t->cmd.deps[k].path;
			size_t bl = strlen(bdir);
			char *norm;
			bool under;

			if (*p == '/' || t->cmd.deps[k].wildcard)
				continue;
			/* A build directory's file ("./include/../lib/x.h"). */
			kser_buf_clear(&path);
			kser_buf_printf(&path, "%s/%s", bdir, p);
			norm = kser_buf_check(&path) ? NULL :
			       verify_path_normalize(path.ptr);
			under = norm && !strncmp(norm, bdir, bl) &&
				norm[bl] == '/' &&
				verify_dirs_holding(&x->dirs, norm + bl + 1);
			if (under && stat(norm, &st) == 0 &&
			    verify_fp_mtime_of(&st) > t->mtime_ns) {
				t->stale = true;
				t->why_stale = p;
			}
			free(norm);
		}
		kser_buf_release(&path);
		if (!t->stale)
			continue;
		if (!t->archived || t->orphan || !verify_fp_is_compile(&t->cmd))
			return verify_fp_fallback(x, "'%s' depends on '%s', "
						  "which kbuild's pass made "
						  "anew", t->cmd.target,
						  t->why_stale);
		for (k = 0; k < x->nar; k++) {
			struct fp_archive *a = &x->ar[k];
			size_t m;

			for (m = 0; m < a->nmembers && !a->rerun; m++)
				if (a->members[m] &&
				    !strcmp(a->members[m], t->cmd.target) &&
				    !verify_dirs_holding(&x->dirs,
					    x->t[a->target].cmd.target))
					a->rerun = true;
		}
	}
	return true;
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
			if (x->t[i].orphan || !verify_fp_is_compile(&x->t[i].cmd)) {
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

	/*
	 * The passes first, as make's walk reaches the directories before
	 * the link: what they generate, others may include.
	 */
	t0 = kser_now_ms();
	for (i = 0; i < x->dirs.n && !err && !status; i++)
		err = run_dir_pass(r, x->dirs.v[i], &status);
	if (err || status) {
		r->out->compile_s = since(t0);
		return err;
	}
	if (x->dirs.n && !mark_remade(x, r->bdir)) {
		/* make goes on from here: the log starts anew. */
		r->out->taken = false;
		return NULL;
	}
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
	r->out->compile_s = since(t0);
	if (err)
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
