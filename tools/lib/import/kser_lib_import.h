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

#endif
