/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_TREEEDIT_H
#define KSER_TREEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

struct kser_error;

/*
 * A set of path changes to a tree. kser_tree_edit_write() rebuilds only the
 * trees on the changed paths, so its cost grows with the number of paths
 * changed, not with the size of the tree.
 */
struct kser_tree_change {
	char *path;
	uint32_t mode;		/* GIT_FILEMODE_*; 0 means remove */
	git_oid oid;
};

struct kser_tree_edit {
	struct kser_tree_change *changes;
	size_t nchanges, alloc;
};

void kser_tree_edit_init(struct kser_tree_edit *ed);
void kser_tree_edit_release(struct kser_tree_edit *ed);
/* Records a change; a later change to the same path replaces it. */
const struct kser_error *kser_tree_edit_set(struct kser_tree_edit *ed,
					    const char *path, uint32_t mode,
					    const git_oid *oid);
const struct kser_error *kser_tree_edit_remove(struct kser_tree_edit *ed,
					       const char *path);
/* The pending change for path, or NULL. */
const struct kser_tree_change *
kser_tree_edit_find(const struct kser_tree_edit *ed, const char *path);

/* Writes base (may be NULL: the empty tree) with the changes applied. */
const struct kser_error *kser_tree_edit_write(git_oid *out,
					      git_repository *repo,
					      const git_oid *base,
					      struct kser_tree_edit *ed);

#endif
