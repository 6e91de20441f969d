/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_RENAME_H
#define KSER_RENAME_H

/*
 * Rename detection as git's diffcore-rename does it for merge-ort (and,
 * given the pairs, as git diff -M scores them): kser rebase pairs the
 * files git rebase pairs with it, and kser export's patches name the
 * renames git format-patch names, with git's similarity index.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

struct kser_error;

/* One side of a path: mode 0 means absent. */
struct kser_rename_entry {
	uint32_t mode;
	git_oid oid;
};

struct kser_rename {
	size_t src, dst;	/* indexes into the sources and destinations */
	int score;
};

struct kser_rename_input {
	const char *path;
	struct kser_rename_entry e;
	bool relevant;		/* sources only: needed by the merge */
};

/*
 * Pairs deleted paths (srcs) with added ones (dsts): exact renames first
 * (all sources), then same-basename pairs, then git's similarity matrix
 * over the relevant sources; min_score of git's 60000 scale (50% is
 * 30000). *out (owned by the caller, free()) holds *nout pairs.
 */
const struct kser_error *kser_rename_find(struct kser_rename **out,
					  size_t *nout, git_repository *repo,
					  const struct kser_rename_input *srcs,
					  size_t nsrcs,
					  const struct kser_rename_input *dsts,
					  size_t ndsts, int min_score);

#endif
