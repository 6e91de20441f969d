/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_WORKTREE_H
#define KSER_WORKTREE_H

#include <stddef.h>
#include <git2.h>

#include "kser/cancel.h"

struct kser_error;

/*
 * kser's own checkout of a tree, for builds: never the user's work tree.
 * Moving it to another tree rewrites only the paths that differ, so that
 * kbuild rebuilds only what a patch touched. A state file beside the
 * directory (DIR.state) records the tree it holds; a move that was
 * interrupted is detected and the directory is written anew.
 */
struct kser_worktree;

/*
 * Opens the checkout in dir (which need not exist yet) for repo's trees.
 * Free it with kser_worktree_free().
 */
const struct kser_error *kser_worktree_open(struct kser_worktree **out,
					    git_repository *repo,
					    const char *dir);

/* Frees wt (NULL is fine); the directory stays. */
void kser_worktree_free(struct kser_worktree *wt);

/* The directory of the checkout. */
const char *kser_worktree_path(const struct kser_worktree *wt);

/* The tree the checkout holds, or NULL when it is not known to hold one. */
const git_oid *kser_worktree_tree(const struct kser_worktree *wt);

/*
 * Called every few dozen files while a move writes: done so far, and the
 * total when it is known (0 when not). An error it returns stops the move.
 */
typedef const struct kser_error *(*kser_worktree_progress_fn)(size_t done,
							      size_t total,
							      void *arg);

/*
 * Moves the checkout to tree; *written counts the files written. progress
 * and cancel may be NULL. cancel is asked before the move and between two
 * files: an error it returns stops the move within a file and is
 * returned, and the directory is then written anew by the next move.
 */
const struct kser_error *kser_worktree_move(struct kser_worktree *wt,
					    const git_oid *tree,
					    size_t *written,
					    kser_worktree_progress_fn progress,
					    void *progress_arg,
					    kser_cancel_cb cancel,
					    void *cancel_arg);

#endif
