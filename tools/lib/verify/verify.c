// SPDX-License-Identifier: GPL-2.0
/*
 * kser verify's driver: kser_verify().
 *
 * checkpatch.pl starts for every patch at once, beside everything else
 * (cpool.c). For each row (the base, then every patch) the private
 * worktree is moved to the row's tree, the tree is built in a persistent
 * build directory per configuration (by the fast path when the build
 * directory explains all that changed, fastpath.c, or make), and the UML
 * kernel is booted to run KUnit. Every result is stored in the repository
 * as soon as it is known, keyed by what determines it, so nothing is ever
 * verified twice and an interruption loses nothing that finished.
 *
 * Compiler warnings are recorded per object by kser's compiler wrapper
 * (kser-cc), so the full set of warnings of a build is known even when
 * only a few files were recompiled; a patch fails its build check when it
 * adds a warning the previous row did not have, compared by fingerprint.
 *
 * Uses every other file of tools/lib/verify/ (kser_lib_verify.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/error.h"
#include "kser/proc.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

static bool needs_run(const struct kser_verify_result *r)
{
	return r->status == KSER_VERIFY_PENDING;
}

/* Builds row's configurations if that is needed, then KUnit. */
static const struct kser_error *verify_row(struct verify_ctx *c, size_t row)
{
	struct kser_verify_row *rw = &c->rep->rows[row];
	size_t i, k;
	bool any = false;
	const struct kser_error *err;

	/* checkpatch runs in the pool, on checkouts of its own. */
	for (i = 0; i < c->rep->nchecks; i++)
		if (c->rep->checks[i].kind != KSER_CHECK_CHECKPATCH &&
		    needs_run(&rw->results[i]))
			any = true;
	if (!any)
		return NULL;
	if (!kser_worktree_tree(c->st.wt) ||
	    !git_oid_equal(kser_worktree_tree(c->st.wt), &rw->tree)) {
		verify_busy(c, row, KSER_VERIFY_CHECKOUT);
		verify_emit(c, KSER_VERIFY_EVENT_CHECKOUT, row,
			    KSER_VERIFY_CHECKOUT);
	}
	err = verify_checkout(c, &rw->tree);
	if (err)
		return err;

	for (i = 0; i < c->rep->nchecks; i++) {
		const struct kser_verify_check *ck = &c->rep->checks[i];
		size_t kunit = SIZE_MAX;

		if (ck->kind != KSER_CHECK_BUILD)
			continue;
		for (k = 0; k < c->rep->nchecks; k++)
			if (c->rep->checks[k].kind == KSER_CHECK_KUNIT &&
			    c->rep->checks[k].config == ck->config)
				kunit = k;
		/* KUnit boots this row's kernel: it must be built now. */
		if (!needs_run(&rw->results[i]) &&
		    !(kunit != SIZE_MAX && needs_run(&rw->results[kunit])))
			continue;
		rw->results[i].status = KSER_VERIFY_RUNNING;
		rw->results[i].cached = false;
		verify_busy(c, row, i);
		verify_emit(c, KSER_VERIFY_EVENT_CHECK_START, row, i);
		verify_run_build(c, row, i);
		verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, i);
		err = verify_stop(c);
		if (err)
			return err;
		if (kunit == SIZE_MAX || !needs_run(&rw->results[kunit]))
			continue;
		if (verify_record(&rw->results[i]) &&
		    !verify_built(&rw->results[i])) {
			rw->results[kunit].status = KSER_VERIFY_SKIPPED;
			verify_summary(&rw->results[kunit],
				       "not run: the build failed");
			verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row,
				    kunit);
			continue;
		}
		if (rw->results[i].status == KSER_VERIFY_ERROR) {
			rw->results[kunit].status = KSER_VERIFY_SKIPPED;
			verify_summary(&rw->results[kunit],
				       "not run: the build could not run");
			verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row,
				    kunit);
			continue;
		}
		rw->results[kunit].status = KSER_VERIFY_RUNNING;
		verify_busy(c, row, kunit);
		verify_emit(c, KSER_VERIFY_EVENT_CHECK_START, row, kunit);
		verify_run_kunit(c, row, kunit);
		verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, kunit);
		err = verify_stop(c);
		if (err)
			return err;
	}
	return NULL;
}

/* Row's cached builds, judged against the row before. */
static void resolve_cached_builds(struct kser_verify_report *out, size_t row)
{
	size_t j;

	for (j = 0; j < out->nchecks; j++)
		if (out->checks[j].kind == KSER_CHECK_BUILD &&
		    out->rows[row].results[j].cached)
			verify_resolve_build(out, row, j);
}

/*
 * Without running anything, a cached build's new warnings are known only
 * when the build it is compared with is: the last row before it that
 * built, with every row between cached (and failed); or, when no row
 * before it built (a base that fails to build, as expected), every row
 * before it cached.
 */
static void unknown_builds_pending(struct kser_verify_report *out)
{
	size_t i, j, r;

	for (j = 0; j < out->nchecks; j++) {
		if (out->checks[j].kind != KSER_CHECK_BUILD)
			continue;
		for (i = 1; i < out->nrows; i++) {
			struct kser_verify_result *res =
				&out->rows[i].results[j];
			bool known = true;

			if (!res->cached || !verify_built(res))
				continue;
			for (r = i; r-- > 0;) {
				const struct kser_verify_result *pr =
					&out->rows[r].results[j];

				if (!pr->cached) {
					known = false;
					break;
				}
				if (verify_built(pr))
					break;
			}
			if (known)
				continue;
			res->status = KSER_VERIFY_PENDING;
			verify_summary(res, "the build before it is not "
				       "cached: its new warnings are unknown");
		}
	}
}

/* Keys, cached answers, and which cells apply at all. */
static const struct kser_error *prepare_results(struct verify_ctx *c)
{
	struct kser_verify_report *out = c->rep;
	size_t i, j;

	for (i = 0; i < out->nrows; i++) {
		struct kser_verify_row *row = &out->rows[i];

		row->results = calloc(out->nchecks, sizeof(*row->results));
		if (!row->results)
			return kser_error_nomem();
		for (j = 0; j < out->nchecks; j++) {
			struct kser_verify_result *r = &row->results[j];

			/* The base is only built, as the reference. */
			if (i == 0 && out->checks[j].kind != KSER_CHECK_BUILD) {
				r->status = KSER_VERIFY_NA;
				continue;
			}
			verify_key(r->key, c->repo, out, c->settings, &c->tc, i,
				   j);
			if (!c->opts->cache_only)
				r->log_path = verify_log_path(&c->st, r->key);
			if (!c->opts->no_cache)
				verify_cache_load(c->repo, c->st.log_dir, r);
			if (r->cached)
				out->from_cache++;
		}
	}
	for (i = 0; i < out->nrows; i++)
		resolve_cached_builds(out, i);
	return NULL;
}

const struct kser_error *kser_verify(struct kser_verify_report *out,
				     git_repository *repo, const char *range,
				     const struct kser_verify_options *opts)
{
	static const struct kser_verify_options defaults =
		KSER_VERIFY_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_settings fallback = { 0 };
	struct verify_ctx c = { 0 };
	uint64_t start_ms = kser_now_ms();
	size_t i, j;

	memset(out, 0, sizeof(*out));
	c.repo = repo;
	c.opts = opts ? opts : &defaults;
	c.rep = out;
	c.st.lock_fd = -1;
	if (c.opts->settings) {
		c.settings = c.opts->settings;
	} else {
		err = kser_settings_defaults(&fallback);
		if (err)
			return err;
		c.settings = &fallback;
	}
	c.jobs = c.opts->jobs ? c.opts->jobs :
		 (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	c.fast_path = c.settings->fast_path && !c.opts->no_fast_path;
	c.paranoid = c.settings->paranoid || c.opts->paranoid;
	if (!c.jobs)
		c.jobs = 1;

	err = verify_load_rows(out, repo, range);
	if (!err)
		err = verify_choose_checks(out, c.settings, c.opts->checks,
					   c.opts->series_version);
	if (!err && !c.opts->cache_only)
		err = verify_preflight(out, repo, c.settings);
	if (!err)
		err = verify_toolchain_identify(&c.tc, verify_stop_cb, &c);
	if (!err && !c.opts->cache_only)
		err = verify_state_open(&c.st, repo, c.opts->state_dir,
					c.settings);
	if (!err)
		err = prepare_results(&c);
	if (err)
		goto done;
	if (c.opts->cache_only) {
		unknown_builds_pending(out);
		goto done;
	}
	verify_emit(&c, KSER_VERIFY_EVENT_START, 0, 0);
	err = verify_stop(&c);
	for (j = 0; j < out->nchecks && !err; j++)
		if (out->checks[j].kind == KSER_CHECK_CHECKPATCH)
			err = verify_cpool_start(&c, j);

	for (i = 0; i < out->nrows && !err; i++) {
		err = verify_stop(&c);
		if (err)
			break;
		err = verify_row(&c, i);
		if (err)
			break;
		/* A fresh build may change the next row's new warnings. */
		if (i + 1 < out->nrows)
			resolve_cached_builds(out, i + 1);
	}
	/* checkpatch goes on beside the builds, to its end. */
	if (err)
		verify_cpool_stop(&c, c.stop_hard ||
				  kser_error_cancel_is_hard(err));
	{
		const struct kser_error *werr = verify_cpool_wait(&c);

		if (!err)
			err = werr;
	}
	/* An event callback's error after the last check still counts. */
	if (!err && c.stopped)
		err = kser_error_cancelled(c.stop_hard);
	for (i = 0; i < out->nrows; i++)
		for (j = 0; j < out->nchecks; j++) {
			struct kser_verify_result *r = &out->rows[i].results[j];

			if (r->cached)
				verify_cache_extract_log(repo, r);
			else if (r->status != KSER_VERIFY_NA &&
				 r->status != KSER_VERIFY_PENDING)
				out->ran++;
		}
done:
	verify_cpool_free(&c);
	out->passed = !err;
	for (i = 0; i < out->nrows; i++)
		for (j = 0; out->rows[i].results && j < out->nchecks; j++) {
			struct kser_verify_result *r = &out->rows[i].results[j];

			r->expected_failure = verify_expected_failure(
				out, c.settings, i, j);
			if (r->status != KSER_VERIFY_PASS &&
			    r->status != KSER_VERIFY_NA && !r->expected_failure)
				out->passed = false;
		}
	out->seconds = (double)(kser_now_ms() - start_ms) / 1000.0;
	verify_state_release(&c.st);
	verify_toolchain_release(&c.tc);
	kser_settings_release(&fallback);
	if (err && err->code != KSER_ERR_CANCELLED && !out->rows)
		kser_verify_report_release(out);
	return verify_stop_error(&c, err);
}
