/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_APPLY_H
#define KSER_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/buf.h"
#include "kser/cancel.h"

struct kser_error;
struct kser_patch;
struct kser_file_patch;

/*
 * The apply engine: patches applied to trees in memory, with git apply's
 * rules (exact context, offsets allowed, no fuzz). No work tree and no
 * index of the whole tree: only the blobs a patch touches are read and
 * only the trees on their paths are rewritten.
 */

struct kser_apply_options {
	unsigned int version;
	/* Fall back to a three-way merge, as `git am -3`. */
	bool three_way;
	/*
	 * Asked before each file of the patch (one of thousands of files
	 * takes seconds): an error it returns stops the application, which
	 * writes nothing and returns it. May be NULL.
	 */
	kser_cancel_cb cancel;
	void *cancel_arg;
};

#define KSER_APPLY_OPTIONS_VERSION 1
#define KSER_APPLY_OPTIONS_INIT { KSER_APPLY_OPTIONS_VERSION, false, NULL, \
				  NULL }

/* What applying one patch did, for the user. */
struct kser_apply_report {
	size_t nfiles;
	size_t three_way;	/* files merged three-way */
	/* Human-readable notes, one per line ("hunk #2 at offset 3"). */
	struct kser_buf notes;
};

void kser_apply_report_init(struct kser_apply_report *rep);
void kser_apply_report_release(struct kser_apply_report *rep);

/*
 * Applies a whole patch to tree (NULL: the empty tree) and writes the
 * resulting tree. On failure nothing is written that anything refers to,
 * and the error names the file, the hunk and why it failed.
 */
const struct kser_error *kser_apply_to_tree(git_oid *out,
					    git_repository *repo,
					    const git_oid *tree,
					    const struct kser_patch *patch,
					    const struct kser_apply_options *opts,
					    struct kser_apply_report *rep);

#endif
