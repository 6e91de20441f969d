/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_COMMITPATCH_H
#define KSER_LIB_COMMITPATCH_H

/*
 * The parts of commitpatch.c that make its text git's where libgit2's
 * differs: rename detection with git's similarity score
 * (commitpatch_rename.c) and binary patches compressed and chosen as git
 * chooses them (commitpatch_binary.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/buf.h"

struct kser_error;

/*
 * Finds renames in diff (a tree diff without any) as git diff does by
 * default: diffcore-rename's exact renames, unique basenames and the
 * similarity matrix at 50 %, diff.renameLimit candidates; the deltas are
 * marked renamed with git's similarity percent.
 */
const struct kser_error *kser_commitpatch_find_renames(git_diff *diff,
						       git_repository *repo);

/*
 * git's zlib level for the deflated data of binary patches
 * (core.loosecompression, else core.compression, else 1).
 */
int kser_commitpatch_zlib_level(git_repository *repo);

/*
 * The binary data of the deltas of diff (made with GIT_DIFF_SHOW_BINARY),
 * kept to write them as git does.
 */
struct kser_commitpatch_binaries;

const struct kser_error *
kser_commitpatch_binaries_load(struct kser_commitpatch_binaries **out,
			       git_diff *diff);
void kser_commitpatch_binaries_free(struct kser_commitpatch_binaries *b);

/*
 * Appends the patch text of a binary delta from "GIT binary patch" on,
 * as git writes it: for each direction a literal or a delta, deflated at
 * level, whichever git would take. Returns false (and writes nothing)
 * when delta has no binary data.
 */
const struct kser_error *
kser_commitpatch_binary_write(struct kser_buf *out, bool *written,
			      const struct kser_commitpatch_binaries *b,
			      git_repository *repo,
			      const git_diff_delta *delta, int level);

#endif
