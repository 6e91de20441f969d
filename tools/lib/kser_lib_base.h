/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_BASE_H
#define KSER_LIB_BASE_H

#include <git2.h>

struct kser_error;

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
