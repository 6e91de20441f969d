/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_PATCH_H
#define KSER_LIB_PATCH_H

/*
 * The patch layer, private to its files: the parser's state and the
 * pieces of the parser and of the apply engine that their files share.
 * What the layers above use is public: kser/patch.h, kser/apply.h,
 * kser/commitpatch.h, kser/rdtext.h and kser/rename.h. The patch layer
 * uses core, odb (tree edits, abbreviations), libgit2, and zlib where
 * git's own deflated bytes must be reproduced (commitpatch_binary.c).
 *
 * Its files, each using only those before it:
 *   patch.c          the parser's lines and its driver: where file
 *                    patches start, traditional diffs
 *   patch_hunk.c     hunk headers and lines
 *   patch_binary.c   git binary patches (base85, kept deflated)
 *   patch_header.c   names and git's extended headers
 *   apply_hunks.c    hunks applied to a preimage in memory
 *   apply.c          a patch applied to a tree; the blobs and lookups
 *                    the two below use, which it calls back
 *   apply_binary.c   binary literals and deltas
 *   apply_merge.c    the three-way fallback
 *   rdtext.c         the text git range-diff compares, piece by piece
 *                    (with width_table.inc, made by gen_width.pl)
 *   diffstat.c       the diffstat and summary git format-patch writes
 *   rename.c         git's rename detection and scores (public:
 *                    kser/rename.h), for rebase and commitpatch
 *   commitpatch_rename.c, commitpatch_binary.c
 *                    commitpatch's text where libgit2's differs from
 *                    git's: similarity scores, binary patches
 *   commitpatch.c    a commit's change as git log -p and format-patch
 *                    show it
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/treeedit.h"

struct kser_apply_options;
struct kser_apply_report;
struct kser_buf;
struct kser_error;
struct kser_file_patch;
struct kser_hunk;

/* --- the parser ------------------------------------------------------- */


struct parser {
	const char *text;
	size_t len;
	size_t pos;		/* start of the current line */
	size_t lineno;		/* 1-based number of the current line */
	int strip;
	/* The current line. */
	const char *line;
	size_t line_len;	/* including the newline, if any */
};

bool patch_parser_line(struct parser *p);

void patch_parser_next(struct parser *p);

bool patch_peek_line(const struct parser *p, size_t skip, const char **line,
		     size_t *len);

bool patch_starts_with(const char *s, size_t len, const char *prefix);

size_t patch_chomp_len(const char *s, size_t len);

const struct kser_error *patch_parse_error(const struct parser *p,
					   const char *what);

const struct kser_error *patch_parse_name(const struct parser *p,
					  const char *s, size_t len, int strip,
					  char **out, bool *dev_null);

bool patch_parse_hunk_header(const char *s, size_t len, struct kser_hunk *h);

const struct kser_error *patch_parse_hunks(struct parser *p,
					   struct kser_file_patch *fp);

const struct kser_error *patch_parse_binary(struct parser *p,
					    struct kser_file_patch *fp);

const struct kser_error *patch_parse_git_patch(struct parser *p,
					       struct kser_file_patch *fp);

void patch_file_patch_release(struct kser_file_patch *fp);

/* --- the apply engine ------------------------------------------------- */

/* One application of a patch to a tree (apply.c). */

/* --- files in a tree --------------------------------------------------- */

struct apply_state {
	git_repository *repo;
	git_tree *tree;
	struct kser_tree_edit edit;
	const struct kser_apply_options *opts;
	struct kser_apply_report *rep;
};

/* apply.c: the blob oid names, into out. */
const struct kser_error *apply_read_blob(struct kser_buf *out,
					 git_repository *repo,
					 const git_oid *oid);
/* apply.c: the blob an abbreviated id names, if exactly one. */
bool apply_resolve_blob(git_repository *repo, const char *hex, git_oid *out);
/* apply.c: hex as a whole, lowercase object id. */
bool apply_full_id(git_oid *out, const char *hex);

/* apply_binary.c: a binary file patch applied to pre. */
const struct kser_error *apply_binary(struct apply_state *st,
				      const struct kser_file_patch *fp,
				      const struct kser_buf *pre,
				      struct kser_buf *post);

/*
 * apply_merge.c: the hunks applied to the preimage the patch names, then
 * merged three-way into ours (of mode); NULL when post is the merge.
 */
const struct kser_error *apply_three_way(struct apply_state *st,
					 const struct kser_file_patch *fp,
					 const struct kser_buf *ours,
					 uint32_t mode, struct kser_buf *post);

/* --- a commit made patch text ----------------------------------------- */

/*
 * diffstat.c: what git format-patch writes after the message: "---", one
 * line per file scaled to 72 columns, "N files changed, ...", and the
 * summary (create, delete, rename, mode change). NULL entries are
 * skipped.
 */
const struct kser_error *kser_diffstat_write(struct kser_buf *out,
					     git_patch *const *patches,
					     size_t n);

/* --- for the parser, the engine and the tests -------------------------- */

/* patch.c: the path a file patch is best known by: new, else old. */
const char *kser_file_patch_path(const struct kser_file_patch *fp);

/*
 * patch_header.c: decodes git's C-style quoted path ("a\303\244b\n") into out, which must
 * hold at least len bytes. Returns the decoded length, or -1 if malformed.
 * in points after the opening quote; *consumed receives the number of
 * bytes used including the closing quote.
 */
long kser_unquote_c(const char *in, size_t len, char *out, size_t *consumed);

/*
 * apply_hunks.c: applies one file patch's hunks to a preimage held in memory (no binary
 * patches), for the engine, the three-way fallback and the tests; notes
 * receive a description of the failure when the error is KSER_ERR_APPLY.
 */
const struct kser_error *kser_apply_hunks(struct kser_buf *out,
					  const char *pre, size_t prelen,
					  const struct kser_file_patch *fp,
					  struct kser_buf *notes);

/* apply_binary.c: applies a git binary delta to base. */
const struct kser_error *kser_apply_delta(struct kser_buf *out,
					  const unsigned char *base,
					  size_t base_len,
					  const unsigned char *delta,
					  size_t delta_len);


/* commitpatch_rename.c and commitpatch_binary.c, for commitpatch.c. */

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
