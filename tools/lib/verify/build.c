// SPDX-License-Identifier: GPL-2.0
/*
 * The build check: the build directory configured for the row's
 * kunitconfig (kunit.py config, again when Kconfig changed under it),
 * then the fast path (fastpath.c) or make through kser-cc; in the paranoid
 * mode, make after the fast path, which must find nothing to do.
 * Uses the run's context, the rows (range.c), the keys (keys.c), the
 * results (record.c), the events (events.c), how children end
 * (outcome.c), the build's diagnostics (warnings.c, diag.c) and the fast
 * path (fastpath.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

static void cc_string(struct verify_ctx *c, struct kser_buf *out, bool host)
{
	if (host)
		kser_buf_printf(out, "HOSTCC=%sgcc",
				c->tc.ccache ? "ccache " : "");
	else
		kser_buf_printf(out, "CC=%s %sgcc", c->st.wrapper,
				c->tc.ccache ? "ccache " : "");
}

/* The value .config gives an option ("y", "m", "\"x\""), or NULL when it
 * is not set. */
static char *config_value(const char *cfg, const char *name, size_t nlen)
{
	const char *p = cfg;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > nlen && !strncmp(p, name, nlen) && p[nlen] == '=')
			return strndup(p + nlen + 1, n - nlen - 1);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Does .config hold every option the kunitconfig asks for, as kunit.py's
 * validation wants? */
static bool config_satisfied(const char *build_dir, const char *kunitconfig,
			     struct kser_buf *missing)
{
	struct kser_buf cfg = KSER_BUF_INIT;
	char *path = verify_path_join(build_dir, ".config");
	const char *p = kunitconfig;
	bool ok = true;

	if (!path || kser_read_file(&cfg, path)) {
		free(path);
		kser_buf_release(&cfg);
		return false;
	}
	free(path);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		const char *name = p, *want = NULL;
		size_t nlen = 0, wlen = 0;

		if (n > 7 && !strncmp(p, "CONFIG_", 7) && eq) {
			nlen = (size_t)(eq - p);
			want = eq + 1;
			wlen = n - nlen - 1;
		} else if (n > 9 && !strncmp(p, "# CONFIG_", 9) &&
			   memmem(p, n, " is not set", 11)) {
			name = p + 2;
			nlen = (size_t)((const char *)memchr(name, ' ',
							     n - 2) - name);
			want = "n";
			wlen = 1;
		}
		if (nlen) {
			char *have = config_value(kser_buf_cstr(&cfg), name,
						  nlen);
			bool good = (wlen == 1 && *want == 'n') ?
				    !have || !strcmp(have, "n") :
				    have && strlen(have) == wlen &&
				    !strncmp(have, want, wlen);

			if (!good) {
				ok = false;
				kser_buf_printf(missing, "%s%.*s", missing->len ?
						", " : "", (int)n, p);
			}
			free(have);
		}
		p = nl ? nl + 1 : NULL;
	}
	kser_buf_release(&cfg);
	return ok;
}

/* Runs kunit.py config when the build directory was configured for
 * something else (a new kunitconfig, a new build directory). */
static const struct kser_error *configure(struct verify_ctx *c, size_t row,
					  size_t check, struct kser_job *job,
					  bool force)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	const struct kser_verify_config *vc = &c->settings->configs[ck->config];
	const char *bdir = c->st.build_dirs[ck->config];
	char hash[GIT_OID_HEXSZ + 1];
	struct kser_buf stamp_path = KSER_BUF_INIT, stamp = KSER_BUF_INIT;
	struct kser_buf kc = KSER_BUF_INIT, bd = KSER_BUF_INIT;
	struct kser_buf mo = KSER_BUF_INIT, arch = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	char *argv[9];

	verify_config_hash(c->repo, &c->rep->rows[row].tree, vc, hash);
	kser_buf_printf(&stamp_path, "%s/.kser-config", bdir);
	if (kser_buf_check(&stamp_path))
		return kser_error_nomem();
	if (!force && !kser_read_file(&stamp, stamp_path.ptr) &&
	    stamp.len >= GIT_OID_HEXSZ && !strncmp(stamp.ptr, hash,
						   GIT_OID_HEXSZ))
		goto done;
	err = kser_mkdir_p(bdir);
	if (err)
		goto done;
	/* A new .config: make alone knows what that rebuilds. */
	verify_fastpath_forget(bdir);
	kser_buf_printf(&bd, "--build_dir=%s", bdir);
	if (vc->kconfig)
		kser_buf_printf(&kc, "--kunitconfig=%s", vc->kconfig);
	else
		kser_buf_printf(&kc, "--kunitconfig=%s/%s",
				kser_worktree_path(c->st.wt), vc->kunitconfig);
	kser_buf_printf(&arch, "--arch=%s", vc->arch);
	kser_buf_puts(&mo, "--make_options=");
	cc_string(c, &mo, false);
	if (kser_buf_check(&bd) || kser_buf_check(&kc) ||
	    kser_buf_check(&arch) || kser_buf_check(&mo)) {
		err = kser_error_nomem();
		goto done;
	}
	argv[0] = "python3";
	argv[1] = "tools/testing/kunit/kunit.py";
	argv[2] = "config";
	argv[3] = bd.ptr;
	argv[4] = kc.ptr;
	argv[5] = arch.ptr;
	argv[6] = mo.ptr;
	argv[7] = NULL;
	memset(job, 0, sizeof(*job));
	job->name = "kunit.py config";
	job->argv = argv;
	job->cwd = kser_worktree_path(c->st.wt);
	job->env = c->st.env;
	job->log_path = c->rep->rows[row].results[check].log_path;
	job->timeout_ms = 600000;
	err = verify_run_jobs(c, job, 1);
	if (!err && (job->status || job->timed_out)) {
		err = kser_error_fmt(KSER_ERR_CHILD,
				     "kunit.py config failed: %s",
				     kser_buf_cstr(&job->tail));
	}
	if (!err)
		err = kser_write_file_atomic(stamp_path.ptr, hash,
					     GIT_OID_HEXSZ);
	/* argv points at our buffers: the job must not keep them. */
	job->argv = NULL;
done:
	kser_buf_release(&stamp_path);
	kser_buf_release(&stamp);
	kser_buf_release(&kc);
	kser_buf_release(&bd);
	kser_buf_release(&mo);
	kser_buf_release(&arch);
	return err;
}

struct make_argv {
	struct kser_buf o, cc, hostcc, arch, jobs;
	unsigned int njobs;
	char *argv[8];
};

static void make_argv_init(struct verify_ctx *c, struct make_argv *m,
			   size_t cfg)
{
	memset(m, 0, sizeof(*m));
	kser_buf_printf(&m->arch, "ARCH=%s", c->settings->configs[cfg].arch);
	kser_buf_printf(&m->o, "O=%s", c->st.build_dirs[cfg]);
	/* Scaled to the distcc hosts' slots, unless --jobs said. */
	m->njobs = verify_farm_jobs(&c->st.farm, c->jobs, c->opts->jobs != 0);
	kser_buf_printf(&m->jobs, "-j%u", m->njobs);
	cc_string(c, &m->cc, false);
	cc_string(c, &m->hostcc, true);
	m->argv[0] = "make";
	m->argv[1] = (char *)kser_buf_cstr(&m->arch);
	m->argv[2] = (char *)kser_buf_cstr(&m->o);
	m->argv[3] = (char *)kser_buf_cstr(&m->jobs);
	m->argv[4] = (char *)kser_buf_cstr(&m->cc);
	m->argv[5] = (char *)kser_buf_cstr(&m->hostcc);
	m->argv[6] = NULL;
}

static void make_argv_release(struct make_argv *m)
{
	kser_buf_release(&m->o);
	kser_buf_release(&m->cc);
	kser_buf_release(&m->hostcc);
	kser_buf_release(&m->arch);
	kser_buf_release(&m->jobs);
}

/*
 * The build's cache and distribution figures, in its record and at the
 * end of its log. They are not the patch's: whatever becomes of them,
 * the build's result is what it is.
 */
static void add_farm_figures(struct verify_ctx *c, json_t *rec,
			     const char *log_path, unsigned int jobs)
{
	const struct kser_error *err;
	struct kser_buf line = KSER_BUF_INIT;
	json_t *fig = NULL;
	const char *sum;
	FILE *log;

	err = verify_farm_figures(&fig, &c->st.farm, jobs);
	if (err)
		fig = json_pack("{s:I, s:o}", "jobs", (json_int_t)jobs,
				"summary", kser_verify_json_text(err->msg));
	if (!fig || json_object_set_new(rec, "farm", fig) < 0)
		return;
	sum = json_string_value(json_object_get(fig, "summary"));
	kser_buf_printf(&line, "kser: farm: %s\n", sum ? sum : "");
	log = log_path && !kser_buf_check(&line) ? fopen(log_path, "a") : NULL;
	if (log) {
		fputs(line.ptr, log);
		fclose(log);
	}
	kser_buf_release(&line);
}

/* One make job of the build, as kser runs it (the plain path). */
static void make_job(struct verify_ctx *c, struct kser_job *job,
		     struct make_argv *m, const char *log_path)
{
	memset(job, 0, sizeof(*job));
	job->name = "make";
	job->argv = m->argv;
	job->cwd = kser_worktree_path(c->st.wt);
	job->env = c->st.env;
	job->log_path = log_path;
	job->tail_cap = 1u << 20;
	job->timeout_ms = (uint64_t)c->settings->build_timeout * 1000;
}

/* Appends a line to a log that a job wrote. */
static void log_append(const char *path, const char *line)
{
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;

	if (fd < 0)
		return;
	(void)kser_write_all(fd, line, strlen(line));
	(void)kser_write_all(fd, "\n", 1);
	close(fd);
}

/*
 * The paranoid mode: after the fast path built, make must find nothing
 * to do. Returns false, with why, when it did something (or failed).
 */
static bool paranoid_make(struct verify_ctx *c, size_t cfg,
			  struct make_argv *m, const char *log_path,
			  double *seconds, struct kser_buf *why,
			  const struct kser_error **errp)
{
	struct verify_snapshot before = { 0 }, after = { 0 };
	struct kser_buf plog = KSER_BUF_INIT;
	struct kser_job job;
	const struct kser_error *err;
	bool ok = false;
	size_t n;

	kser_buf_printf(&plog, "%s.paranoid", log_path);
	if (kser_buf_check(&plog)) {
		*errp = kser_error_nomem();
		return false;
	}
	err = verify_snapshot_take(&before, c->st.build_dirs[cfg]);
	if (!err) {
		make_job(c, &job, m, plog.ptr);
		err = verify_run_jobs(c, &job, 1);
		*seconds += job.seconds;
		if (!err && (job.status || job.timed_out))
			kser_buf_printf(why, "paranoid: make failed (status "
					"%d) after the fast path built; see "
					"'%s'", job.status, plog.ptr);
		kser_job_release(&job);
	}
	if (!err && !why->len)
		err = verify_snapshot_take(&after, c->st.build_dirs[cfg]);
	if (!err && !why->len) {
		struct kser_buf what = KSER_BUF_INIT;

		n = verify_snapshot_diff(&before, &after, &what);
		if (n)
			kser_buf_printf(why, "paranoid: make found %zu file%s "
					"to rebuild after the fast path: %s",
					n, n == 1 ? "" : "s",
					kser_buf_cstr(&what));
		else
			ok = true;
		kser_buf_release(&what);
	}
	if (why->len)
		log_append(log_path, kser_buf_cstr(why));
	else if (!err)
		log_append(log_path, "kser verify: paranoid: make found "
			   "nothing to rebuild after the fast path");
	verify_snapshot_release(&before);
	verify_snapshot_release(&after);
	kser_buf_release(&plog);
	*errp = err;
	return ok;
}

void verify_run_build(struct verify_ctx *c, size_t row, size_t check)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	const struct kser_verify_config *vc = &c->settings->configs[ck->config];
	const char *bdir = c->st.build_dirs[ck->config];
	struct kser_job jobs[1];
	struct make_argv m;
	struct verify_make mi;
	struct verify_fastpath fp = { 0 };
	struct kser_diags errors = { 0 }, warnings = { 0 };
	struct kser_buf logtext = KSER_BUF_INIT, missing = KSER_BUF_INIT;
	struct kser_buf why = KSER_BUF_INIT, line = KSER_BUF_INIT;
	const struct kser_error *err;
	json_t *rec = NULL;
	int attempt;
	double seconds = 0, make_s = 0;
	bool ok = false, fast = false;
	char *kc;

	memset(jobs, 0, sizeof(jobs));
	if (vc->kunitconfig && !verify_tree_has(c->repo,
						&c->rep->rows[row].tree,
						vc->kunitconfig)) {
		res->status = KSER_VERIFY_ERROR;
		verify_summary(res, "the commit has no kunitconfig '%s'",
			       vc->kunitconfig);
		return;
	}
	/* The figures are this build's, kunit.py config's included. */
	err = verify_farm_begin(&c->st.farm);
	if (!err)
		err = configure(c, row, check, &jobs[0], false);
	if (!err) {
		seconds += jobs[0].seconds;
		kser_job_release(&jobs[0]);
	}
	if (err) {
		kser_job_release(&jobs[0]);
		verify_fail(res, err);
		return;
	}
	make_argv_init(c, &m, ck->config);
	mi.argv = m.argv;
	kc = verify_config_text(c->repo, &c->rep->rows[row].tree, vc);
	if (c->fast_path) {
		err = verify_fastpath_run(c, row, ck->config, &mi,
					  res->log_path, &fp);
		seconds += fp.plan_s + fp.compile_s + fp.link_s;
		if (err) {
			verify_fail(res, err);
			goto done;
		}
		fast = fp.taken;
		ok = fp.taken && fp.ok;
		if (fast && ok && kc &&
		    !config_satisfied(bdir, kc, &missing)) {
			/* Cannot be, as nothing of Kconfig changed. */
			fast = false;
			kser_buf_clear(&fp.why);
			kser_buf_printf(&fp.why, "the fast path left '.config' "
					"without %s", kser_buf_cstr(&missing));
			kser_buf_clear(&missing);
		}
		if (fast && ok && c->paranoid &&
		    !paranoid_make(c, ck->config, &m, res->log_path, &seconds,
				   &why, &err)) {
			if (!err || err->code != KSER_ERR_CANCELLED) {
				res->status = KSER_VERIFY_ERROR;
				res->seconds = seconds;
				verify_summary(res, "%s", why.len ?
					       kser_buf_cstr(&why) :
					       err->msg);
			} else {
				verify_fail(res, err);
			}
			verify_fastpath_unstamp(bdir);
			goto done;
		}
	} else {
		kser_buf_puts(&fp.why, "the fast path is off");
	}
	if (!fast) {
		/* make decides anew: what the fast path knew goes stale. */
		verify_fastpath_forget(bdir);
		ok = false;
	}
	for (attempt = 0; !fast && attempt < 2; attempt++) {
		make_job(c, &jobs[0], &m, res->log_path);
		err = verify_run_jobs(c, jobs, 1);
		if (!verify_finished_anyway(err, &jobs[0])) {
			kser_job_release(&jobs[0]);
			verify_fail(res, err);
			goto done;
		}
		seconds += jobs[0].seconds;
		make_s += jobs[0].seconds;
		ok = jobs[0].status == 0 && !jobs[0].timed_out;
		kser_buf_clear(&missing);
		/* On the second attempt, missing is what is still missing. */
		if (ok && kc && !config_satisfied(bdir, kc, &missing) &&
		    attempt == 0) {
			/* Kconfig changed under the kunitconfig: redo it. */
			struct kser_job cfgjob;

			kser_job_release(&jobs[0]);
			err = configure(c, row, check, &cfgjob, true);
			seconds += cfgjob.seconds;
			kser_job_release(&cfgjob);
			if (err) {
				verify_fail(res, err);
				goto done;
			}
			continue;
		}
		break;
	}
	if (!fast) {
		kser_buf_printf(&line, "kser verify: build: plain make: %s",
				kser_buf_cstr(&fp.why));
		log_append(res->log_path, kser_buf_cstr(&line));
	}
	if (!fast && verify_machine_trouble(&jobs[0], true, true, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = seconds;
		verify_summary(res, "%s", kser_buf_cstr(&why));
		kser_job_release(&jobs[0]);
		goto done;
	}
	if (fast) {
		/* What the job of a plain make would say of the build. */
		jobs[0].status = ok ? 0 : 2;
		jobs[0].timed_out = false;
	}
	/* Diagnostics that cannot be read are an error: they would pass. */
	err = kser_read_file(&logtext, res->log_path);
	if (!err)
		err = kser_gcc_parse(&errors, kser_buf_cstr(&logtext),
				     logtext.len, kser_worktree_path(c->st.wt),
				     false);
	if (!err && ok && missing.len) {
		ok = false;
		err = kser_diags_add(&errors, "error", "kunitconfig", NULL, 0,
				     kser_buf_cstr(&missing));
	}
	if (!err && ok)
		err = verify_build_warnings(&c->st, ck->config, &warnings,
					    verify_stop_cb, c);
	if (!err)
		rec = verify_build_record(&jobs[0], ok, &errors, &warnings);
	if (!err && !rec)
		err = kser_error_nomem();
	if (!err)
		add_farm_figures(c, rec, res->log_path, m.njobs);
	if (rec) {
		json_t *ph = json_object();

		json_object_set_new(rec, "path",
				    json_string(fast ? "fast" : "make"));
		json_object_set_new(rec, "path_why",
				    kser_verify_json_text(kser_buf_cstr(&fp.why)));
		json_object_set_new(ph, "plan", json_real(fp.plan_s));
		json_object_set_new(ph, "compile", json_real(fp.compile_s));
		json_object_set_new(ph, "link", json_real(fp.link_s));
		json_object_set_new(ph, "make", json_real(make_s));
		json_object_set_new(rec, "phases", ph);
	}
	if (err) {
		kser_job_release(&jobs[0]);
		json_decref(rec);
		res->seconds = seconds;
		if (err->code == KSER_ERR_CANCELLED) {
			res->status = KSER_VERIFY_PENDING;
			goto done;
		}
		res->status = KSER_VERIFY_ERROR;
		verify_summary(res, "cannot read the build's diagnostics: %s",
			       err->msg);
		goto done;
	}
	/*
	 * Built: the next build may start from here. After a failed one,
	 * make judges what the failure left (a fast path that failed
	 * stopped at its first error, before the archives and the link).
	 */
	if (ok && verify_fastpath_stamp(bdir, &mi, &c->rep->rows[row].tree))
		verify_fastpath_unstamp(bdir);
	else if (!ok)
		verify_fastpath_unstamp(bdir);
	verify_finish(c->rep, row, check,
		      ok ? KSER_VERIFY_PASS : KSER_VERIFY_FAIL, seconds, rec);
	verify_resolve_build(c->rep, row, check);
	verify_store(c, row, check);
	kser_job_release(&jobs[0]);
done:
	free(kc);
	make_argv_release(&m);
	verify_fastpath_release(&fp);
	kser_diags_release(&errors);
	kser_diags_release(&warnings);
	kser_buf_release(&logtext);
	kser_buf_release(&missing);
	kser_buf_release(&why);
	kser_buf_release(&line);
}
