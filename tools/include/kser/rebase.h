/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_REBASE_H
#define KSER_REBASE_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/cancel.h"

struct kser_error;

/*
 * kser rebase: moves the commits of a branch onto a new base, in memory,
 * making the commits git rebase (merge backend) makes. The branch moves
 * once, atomically, at the end; a conflict stops the rebase with the
 * state kept under the git directory, to be resumed with
 * kser_rebase_continue() or kser_rebase_skip(), or undone with
 * kser_rebase_abort().
 */

/* What to do with a commit that becomes empty (git's --empty). */
enum kser_rebase_empty {
	KSER_REBASE_EMPTY_DROP,		/* git rebase's default */
	KSER_REBASE_EMPTY_KEEP,
	KSER_REBASE_EMPTY_STOP,		/* git's --empty=ask */
};

enum kser_rebase_event_kind {
	KSER_REBASE_PICKED,		/* committed (or kept as it was) */
	KSER_REBASE_DROPPED_UPSTREAM,	/* its patch-id is upstream */
	KSER_REBASE_DROPPED_EMPTY,	/* its changes are upstream */
	KSER_REBASE_SKIPPED,		/* dropped by kser_rebase_skip() */
};

struct kser_rebase_event {
	enum kser_rebase_event_kind kind;
	size_t index, total;		/* 1-based; 0 for upstream drops */
	const git_oid *old_commit;
	const git_oid *new_commit;	/* PICKED only */
	const char *subject;
	bool reused;			/* PICKED: the same commit, unchanged */
	bool patch_id_changed;		/* PICKED: git patch-id --stable */
};

/* A progress or cancel callback returning an error stops the rebase
 * where it is, as a conflict would not: nothing is changed. */
typedef const struct kser_error *(*kser_rebase_progress_fn)(
	const struct kser_rebase_event *ev, void *arg);

struct kser_rebase_options {
	unsigned int version;
	/* The branch (short name); NULL: the branch HEAD names. */
	const char *branch;
	/* The new base; required to start. */
	const char *onto;
	/* Commits of the branch not in upstream are moved; NULL: the base
	 * kser apply recorded (branch.<name>.kserbase). */
	const char *upstream;
	enum kser_rebase_empty empty;
	/* The committer; NULL means as git finds it (env, then config). */
	const git_signature *committer;
	kser_rebase_progress_fn progress;
	void *progress_arg;
	kser_cancel_cb cancel;
	void *cancel_arg;
};

#define KSER_REBASE_OPTIONS_VERSION 1
#define KSER_REBASE_OPTIONS_INIT { KSER_REBASE_OPTIONS_VERSION, NULL, NULL, \
				   NULL, KSER_REBASE_EMPTY_DROP, NULL, NULL, \
				   NULL, NULL, NULL }

enum kser_rebase_status {
	KSER_REBASE_DONE,		/* the branch was moved */
	KSER_REBASE_UP_TO_DATE,		/* nothing to move */
	KSER_REBASE_STOPPED_CONFLICT,	/* resolve, then continue */
	KSER_REBASE_STOPPED_EMPTY,	/* --empty=stop: continue or skip */
	KSER_REBASE_ABORTED,
};

struct kser_rebase_result {
	enum kser_rebase_status status;
	char *branch;			/* short name */
	git_oid orig, tip;		/* old tip; new tip when done */
	git_oid onto;
	size_t picked, dropped, changed_ids;
	/* When stopped: the patch, where to resolve it and what. */
	size_t index, total;
	git_oid commit;
	char *subject;
	char *workdir;
	bool linked_worktree;		/* kser made workdir for this */
	char **paths;
	size_t npaths;
	char *messages;			/* git's "CONFLICT (...)" lines */
};

void kser_rebase_result_free(struct kser_rebase_result *r);

const struct kser_error *kser_rebase_start(struct kser_rebase_result **out,
					   git_repository *repo,
					   const struct kser_rebase_options *o);

/* Commits the resolution (refused while conflicts or conflict markers
 * remain, or the work tree has unstaged changes) and goes on. Uses the
 * committer and callbacks of o, which may be NULL. */
const struct kser_error *
kser_rebase_continue(struct kser_rebase_result **out, git_repository *repo,
		     const struct kser_rebase_options *o);

/* Drops the patch the rebase stopped at and goes on. */
const struct kser_error *kser_rebase_skip(struct kser_rebase_result **out,
					  git_repository *repo,
					  const struct kser_rebase_options *o);

/* Puts branch, HEAD, index and work tree back as they were. */
const struct kser_error *kser_rebase_abort(struct kser_rebase_result **out,
					   git_repository *repo);

/* Is a rebase stopped (or interrupted) in this repository? */
bool kser_rebase_in_progress(git_repository *repo);

/*
 * The patch-id of the change from tree a to tree b, as
 * `git diff-tree -p A B | git patch-id --stable` computes it (zero when
 * nothing differs): for a layer above, as kser export's
 * prerequisite-patch-id lines.
 */
const struct kser_error *kser_rebase_patch_id(git_oid *out,
					      git_repository *repo,
					      const git_oid *a,
					      const git_oid *b);

#endif
