/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_COMMITPATCH_H
#define KSER_COMMITPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/buf.h"

struct kser_error;

/*
 * A commit's change as text, the way git shows it: the tree diff against
 * the first parent (the empty tree for a root commit), renames detected
 * as git log and format-patch detect them by default, files in git's
 * order, hunks with three lines of context and the function names of the
 * repository's diff drivers (.gitattributes "diff=cpp" and the like).
 *
 * KSER_COMMITPATCH_RANGEDIFF writes the text git range-diff compares: the
 * author, the commit message and notes as `git log --pretty=medium`
 * shows them, then each file as " ## path ##" and its hunks, hunk
 * headers without line numbers ("@@ path: function").
 *
 * KSER_COMMITPATCH_EMAIL writes what `git format-patch` puts between the
 * commit message and the signature: "---", the diffstat and summary, a
 * blank line, and the patch with a/ and b/ prefixes and index lines.
 */
enum kser_commitpatch_format {
	KSER_COMMITPATCH_RANGEDIFF = 0,
	KSER_COMMITPATCH_EMAIL,
};

struct kser_commitpatch_options {
	unsigned int version;
	enum kser_commitpatch_format format;
	/* RANGEDIFF: the author is mapped through it; may be NULL. */
	git_mailmap *mailmap;
	/* RANGEDIFF: the notes ref shown ("refs/notes/commits"), or NULL. */
	const char *notes_ref;
	/* EMAIL: hex digits of index lines; 0 means git's default. */
	int abbrev;
};

#define KSER_COMMITPATCH_OPTIONS_VERSION 1
#define KSER_COMMITPATCH_OPTIONS_INIT \
	{ KSER_COMMITPATCH_OPTIONS_VERSION, KSER_COMMITPATCH_RANGEDIFF, \
	  NULL, NULL, 0 }

/* What range-diff needs to know about a RANGEDIFF text. */
struct kser_commitpatch_info {
	/* Where the first file starts: exact matches compare from there.
	 * 0 when the commit changes no file (then the whole text counts). */
	size_t diff_offset;
	/* Lines from the first file on: the cost of leaving it unmatched. */
	int diffsize;
};

/* Appends the text of commit to out; info may be NULL. */
const struct kser_error *
kser_commitpatch(struct kser_buf *out, struct kser_commitpatch_info *info,
		 git_repository *repo, git_commit *commit,
		 const struct kser_commitpatch_options *opts);

/*
 * The diffstat and summary of the change from tree old_tree to new_tree,
 * as git format-patch's cover letter shows the series' (no "---" line).
 */
const struct kser_error *kser_commitpatch_diffstat(struct kser_buf *out,
						   git_repository *repo,
						   const git_oid *old_tree,
						   const git_oid *new_tree);

#endif
