/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_AM_H
#define KSER_AM_H

#include <stdbool.h>
#include <git2.h>

#include "kser/apply.h"
#include "kser/cancel.h"

struct kser_error;
struct kser_series;
struct kser_series_patch;

/*
 * Commits a series on top of a base, in memory, as `git am` would: same
 * trees, messages and authorship. No ref is touched: the caller decides
 * what to point at the tip.
 */
struct kser_am_options {
	unsigned int version;
	bool three_way;
	/* The committer; NULL means as git finds it (env, then config). */
	const git_signature *committer;
	/*
	 * Asked before each patch and between the files of one: an error
	 * it returns stops kser_am_apply(), which returns it. May be NULL.
	 */
	kser_cancel_cb cancel;
	void *cancel_arg;
};

#define KSER_AM_OPTIONS_VERSION 1
#define KSER_AM_OPTIONS_INIT { KSER_AM_OPTIONS_VERSION, false, NULL, NULL, \
			       NULL }

/*
 * Called after each patch is committed, with the commit and what applying
 * it did; an error it returns stops kser_am_apply(), which returns it.
 */
typedef const struct kser_error *(*kser_am_progress_fn)(
	const struct kser_series_patch *patch, size_t total,
	const git_oid *commit, const struct kser_apply_report *rep, void *arg);

/*
 * Commits series on top of base (the commit the first patch applies to)
 * and puts the last commit in *tip. Nothing is referred to until the
 * caller points a ref at *tip: on failure the objects written so far are
 * unreachable, and the error names the patch. progress may be NULL.
 */
const struct kser_error *kser_am_apply(git_oid *tip, git_repository *repo,
				       const struct kser_series *series,
				       const git_oid *base,
				       const struct kser_am_options *opts,
				       kser_am_progress_fn progress,
				       void *arg);

#endif
