/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_IMPORT_H
#define KSER_LIB_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/cancel.h"

struct kser_error;

/*
 * An overlay is a directory with
 *   files/     new files, laid over the tree as they are; a file that
 *              already exists in the tree is an error (edits to existing
 *              files belong in patches, so the overlay fits several
 *              versions of the tree);
 *   patches/   *.patch, edits to existing files, applied in name order
 *              with git apply's rules.
 */
struct kser_overlay_result {
	git_oid commit;
	size_t nfiles;
	size_t npatches;
};

/* Checks the overlay's shape before any work starts. */
const struct kser_error *kser_overlay_check(const char *dir);

/*
 * Commits the overlay on top of parent, dated `when`. cancel (may be
 * NULL) is asked before each patch and each file: an error it returns
 * stops the overlay and is returned.
 */
const struct kser_error *kser_overlay_lay(struct kser_overlay_result *out,
					  git_repository *repo,
					  const git_oid *parent,
					  const char *dir, const char *version,
					  int64_t when, kser_cancel_cb cancel,
					  void *cancel_arg);

/*
 * The first half of kser_base_import() alone, for the fuzzer and tests:
 * reads the source (a tarball or a directory) exactly as an import reads
 * it (its members, their paths, hard links and symlinks, file/directory
 * clashes, big and sparse members) and writes its blobs and trees into a
 * new pack of repo, which is never installed: nothing reaches repo. *tree
 * gets the source tree's ID. threads as in kser_base_import_options (0:
 * one per CPU). fn (may be NULL) is called before the pack goes, with a
 * repository that reads its objects (and repo's), to look at the tree;
 * an error it returns is returned.
 */
typedef const struct kser_error *(*kser_base_tree_fn)(git_repository *objects,
						      const git_oid *tree,
						      void *arg);

const struct kser_error *kser_base_read_tree(git_oid *tree,
					     git_repository *repo,
					     const char *source,
					     unsigned int threads,
					     kser_base_tree_fn fn, void *arg);

#endif
