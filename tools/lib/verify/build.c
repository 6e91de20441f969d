// SPDX-License-Identifier: GPL-2.0
/*
 * The build check: the build directory configured for the row's
 * kunitconfig (kunit.py config, again when Kconfig changed under it),
 * then make through kser-cc, with checkpatch.pl beside it when it is due.
 * Uses the run's context, the rows (range.c), the keys (keys.c), the
 * results (record.c), the events (events.c), how children end
 * (outcome.c), the build's diagnostics (warnings.c, diag.c) and the
 * checkpatch check (checkpatch.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char *argv[8];
};

static void make_argv_init(struct verify_ctx *c, struct make_argv *m,
			   size_t cfg)
{
	memset(m, 0, sizeof(*m));
	kser_buf_printf(&m->arch, "ARCH=%s", c->settings->configs[cfg].arch);
	kser_buf_printf(&m->o, "O=%s", c->st.build_dirs[cfg]);
	kser_buf_printf(&m->jobs, "-j%u", c->jobs);
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

void verify_run_build(struct verify_ctx *c, size_t row, size_t check,
		      bool with_checkpatch, size_t cp_check)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	struct kser_verify_result *cpres = with_checkpatch ?
		&c->rep->rows[row].results[cp_check] : NULL;
	const struct kser_verify_config *vc = &c->settings->configs[ck->config];
	struct kser_job jobs[2];
	struct verify_checkpatch cj = { 0 };
	struct make_argv m;
	struct kser_diags errors = { 0 }, warnings = { 0 };
	struct kser_buf logtext = KSER_BUF_INIT, missing = KSER_BUF_INIT;
	struct kser_buf why = KSER_BUF_INIT;
	const struct kser_error *err;
	json_t *rec = NULL;
	size_t njobs = 1;
	int attempt;
	double seconds = 0;
	bool ok = false;
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
	kc = verify_config_text(c->repo, &c->rep->rows[row].tree, vc);
	for (attempt = 0; attempt < 2; attempt++) {
		memset(jobs, 0, sizeof(jobs));
		jobs[0].name = "make";
		jobs[0].argv = m.argv;
		jobs[0].cwd = kser_worktree_path(c->st.wt);
		jobs[0].env = c->st.env;
		jobs[0].log_path = res->log_path;
		jobs[0].tail_cap = 1u << 20;
		jobs[0].timeout_ms = (uint64_t)c->settings->build_timeout * 1000;
		njobs = 1;
		if (with_checkpatch && attempt == 0) {
			err = verify_checkpatch_prepare(c, row, cp_check, &cj,
							&jobs[1]);
			if (err) {
				cpres->status = KSER_VERIFY_ERROR;
				verify_summary(cpres, "%s", err->msg);
				verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE,
					    row, cp_check);
				with_checkpatch = false;
			} else {
				cpres->status = KSER_VERIFY_RUNNING;
				verify_emit(c, KSER_VERIFY_EVENT_CHECK_START,
					    row, cp_check);
				njobs = 2;
			}
		}
		err = verify_run_jobs(c, jobs, njobs);
		if (njobs == 2) {
			if (verify_finished_anyway(err, &jobs[1]))
				verify_checkpatch_finish(c, row, cp_check,
							 &jobs[1]);
			else
				verify_fail(cpres, err);
			verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row,
				    cp_check);
			verify_checkpatch_release(&cj);
			kser_job_release(&jobs[1]);
			with_checkpatch = false;
		}
		if (!verify_finished_anyway(err, &jobs[0])) {
			kser_job_release(&jobs[0]);
			verify_fail(res, err);
			goto done;
		}
		seconds += jobs[0].seconds;
		ok = jobs[0].status == 0 && !jobs[0].timed_out;
		kser_buf_clear(&missing);
		/* On the second attempt, missing is what is still missing. */
		if (ok && kc &&
		    !config_satisfied(c->st.build_dirs[ck->config], kc,
				      &missing) && attempt == 0) {
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
	if (verify_machine_trouble(&jobs[0], true, true, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = seconds;
		verify_summary(res, "%s", kser_buf_cstr(&why));
		kser_job_release(&jobs[0]);
		goto done;
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
	if (err) {
		kser_job_release(&jobs[0]);
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
	verify_finish(c->rep, row, check,
		      ok ? KSER_VERIFY_PASS : KSER_VERIFY_FAIL, seconds, rec);
	verify_resolve_build(c->rep, row, check);
	verify_store(c, row, check);
	kser_job_release(&jobs[0]);
done:
	free(kc);
	make_argv_release(&m);
	kser_diags_release(&errors);
	kser_diags_release(&warnings);
	kser_buf_release(&logtext);
	kser_buf_release(&missing);
	kser_buf_release(&why);
}
