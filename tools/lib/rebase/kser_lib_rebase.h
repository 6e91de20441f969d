/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_REBASE_H
#define KSER_LIB_REBASE_H

/*
 * The parts of kser rebase: tree differences that skip equal subtrees
 * (rebase_diff.c), the three-way tree merge of one pick (rebase_merge.c,
 * with git's rename detection, kser/rename.h of the patch layer), patch-ids
 * (rebase_patchid.c), the state of a stopped rebase (rebase_state.c) and
 * the work tree a stopped rebase is resolved in (rebase_wt.c).
 */

#include <stdbool.h>
#include <stdint.h>
#include <git2.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/rename.h"

struct kser_error;

/* One side of a path: mode 0 means absent. */
struct rb_entry {
	uint32_t mode;
	git_oid oid;
};

struct rb_change {
	char *path;
	struct rb_entry old, new;
};

struct rb_changes {
	struct rb_change *v;
	size_t n, alloc;
};

void rb_changes_release(struct rb_changes *c);

/*
 * The files that differ between trees a and b (NULL: the empty tree), in
 * git's tree order. Subtrees with equal IDs are not read, so the cost
 * grows with what differs. A path that is a file on one side and a
 * directory on the other appears as the file's removal or addition plus
 * the directory's files.
 */
const struct kser_error *rb_tree_diff(struct rb_changes *out,
				      git_repository *repo, const git_oid *a,
				      const git_oid *b);

/* The entry at path in tree (mode 0 when absent or a directory). */
const struct kser_error *rb_tree_lookup(struct rb_entry *out, bool *is_dir,
					git_repository *repo,
					const git_tree *tree,
					const char *path);

static inline bool rb_entry_eq(const struct rb_entry *a,
			       const struct rb_entry *b)
{
	return a->mode == b->mode &&
	       (!a->mode || git_oid_equal(&a->oid, &b->oid));
}

/* git's test for binary content: a NUL in the first 8000 bytes. */
bool rb_is_binary(const void *data, size_t len);

/* The three-way merge of one pick. */
struct rb_conflict {
	char *path;
	struct rb_entry stage[3];	/* base, ours, theirs */
};

struct rb_merge_result {
	bool clean;
	/* The new base had every path the commit changes as the commit's
	 * parent had it: the pick's diff is the commit's own. */
	bool same_patch;
	/* The merged tree; with conflicts, files hold the conflict
	 * markers (what the work tree shows). */
	git_oid tree;
	struct rb_conflict *conflicts;
	size_t nconflicts, alloc;
	struct kser_buf messages;	/* "CONFLICT (...): ..." lines */
};

void rb_merge_result_init(struct rb_merge_result *r);
void rb_merge_result_release(struct rb_merge_result *r);

struct rb_merge_opts {
	const char *ancestor_label, *ours_label, *theirs_label;
	unsigned int style;	/* GIT_MERGE_FILE_STYLE_* */
	int rename_score;	/* git's scale; 0: the default 50% */
};

const struct kser_error *rb_merge_trees(struct rb_merge_result *out,
					git_repository *repo,
					const git_oid *base,
					const git_oid *ours,
					const git_oid *theirs,
					const struct rb_merge_opts *opts);

/*
 * The patch-id of the change from tree a to tree b, as
 * `git diff-tree -p A B | git patch-id --stable` computes it.
 */
const struct kser_error *rb_patch_id(git_oid *out, git_repository *repo,
				     const git_oid *a, const git_oid *b);

/*
 * The state of a stopped rebase: one small file of core's operation state
 * (kser/opstate.h), <common git dir>/kser/rebase/state, always replaced
 * whole, so a kill at any moment leaves the previous state or the next
 * one. Core's lock file beside it (rebase.lock, kser/lockfile.h), naming
 * the process, keeps two kser rebases apart; a lock whose process is gone
 * is taken over.
 */
enum rb_phase {
	RB_PHASE_CONFLICT = 1,	/* stopped at list[next], to resolve */
	RB_PHASE_EMPTY,		/* stopped at list[next], which is empty */
	RB_PHASE_FINISHING,	/* moving the branch and the work tree */
};

enum rb_wt {
	RB_WT_NONE,
	RB_WT_MAIN,		/* the repository's own work tree */
	RB_WT_LINKED,		/* a work tree kser made for the stop */
};

struct rb_state {
	enum rb_phase phase;
	char *branch;		/* refs/heads/NAME */
	git_oid orig, onto, upstream, head, final;
	git_oid *list;
	size_t nlist, next;
	int empty;		/* enum kser_rebase_empty */
	enum rb_wt wt;
	char *wt_path;		/* RB_WT_LINKED: its directory */
	char *head_ref;		/* RB_WT_MAIN: HEAD before (ref or hex) */
	git_oid head_tree;	/* RB_WT_MAIN: the tree HEAD had */
	git_oid wt_tree;	/* the tree being checked out */
	bool checked_out;	/* ... and the checkout finished */
	bool branch_checked_out;
	char **paths;		/* conflicted at the stop */
	size_t npaths;
	size_t picked, dropped, changed;
};

void rb_state_init(struct rb_state *st);
void rb_state_release(struct rb_state *st);
/* ENOENT-like: *found false when no rebase is in progress. */
const struct kser_error *rb_state_read(struct rb_state *st, bool *found,
				       git_repository *repo);
const struct kser_error *rb_state_write(git_repository *repo,
					const struct rb_state *st);
const struct kser_error *rb_state_remove(git_repository *repo);
bool rb_state_exists(git_repository *repo);
const struct kser_error *rb_state_add_path(struct rb_state *st,
					   const char *path);

struct kser_lockfile;

struct rb_lock {
	struct kser_lockfile *lf;
};

const struct kser_error *rb_lock_take(struct rb_lock *lk,
				      git_repository *repo);
void rb_lock_release(struct rb_lock *lk);

/* <common git dir>/kser/<name>. */
const struct kser_error *rb_path(struct kser_buf *out, git_repository *repo,
				 const char *name);

/* Test hook for the crash test: KSER_TEST_CRASH_AT=N kills the process
 * at its Nth crash point. Compiled in only with -DKSER_TEST_HOOKS. */
#ifdef KSER_TEST_HOOKS
void rb_crash_point(const char *where);
#else
static inline void rb_crash_point(const char *where)
{
	(void)where;
}
#endif

/*
 * The work tree a stopped rebase is resolved in (rebase_wt.c): the
 * repository's own when it is free (clean, or holding the branch), else
 * a linked work tree kser makes under the git directory.
 */
struct rb_stop {
	const git_oid *head;		/* the commit the resolution is on */
	const git_oid *tree;		/* what to check out (with markers) */
	const struct rb_conflict *conflicts;
	size_t nconflicts;
};

/* Refuses changes to tracked files, staged or not, as git rebase does. */
const struct kser_error *rb_wt_check_clean(git_repository *repo,
					   const char *what);
/* Records the work tree in st, writes st, then checks the stop out. */
const struct kser_error *rb_wt_stop(git_repository *repo,
				    struct rb_state *st,
				    const struct rb_stop *stop);
/* The tree of the resolution: refused while unmerged, with conflict
 * markers in a conflicted file, or with unstaged changes. */
const struct kser_error *rb_wt_resolution(git_oid *tree,
					  git_repository *repo,
					  const struct rb_state *st);
/* Detaches the resolution work tree's HEAD at commit; with reset, also
 * makes index and files match it (for --skip). */
const struct kser_error *rb_wt_move(git_repository *repo,
				    struct rb_state *st,
				    const git_oid *commit, bool reset);
/* Gives the work tree back: HEAD as it was, checked out at what its ref
 * now names; a linked work tree is removed, cancel (may be NULL) asked
 * before each of its files. */
const struct kser_error *rb_wt_release(git_repository *repo,
				       const struct rb_state *st, bool force,
				       kser_cancel_cb cancel, void *cancel_arg);
/* Moves a checked-out branch's files from tree from to tree to; force
 * overwrites (for --abort). */
const struct kser_error *rb_wt_checkout(git_repository *repo,
					const git_oid *from,
					const git_oid *to, bool force);

#endif
