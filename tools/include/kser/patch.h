/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_PATCH_H
#define KSER_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kser_error;

/*
 * A parsed patch: what `git apply` reads. Git's extended diffs (renames,
 * copies, modes, binary) and traditional unified diffs are understood;
 * anything between file patches (a commit message, diffstat, signature)
 * is skipped as git does.
 */

struct kser_hunk_line {
	char type;		/* ' ', '-' or '+' */
	bool noeol;		/* followed by "\ No newline at end of file" */
	const char *text;	/* the line's content, without its newline */
	size_t len;
};

struct kser_hunk {
	size_t old_start, old_count;
	size_t new_start, new_count;
	size_t leading, trailing;	/* context lines before/after changes */
	const char *header;		/* "@@ -1,3 +1,4 @@ ...", not owned */
	size_t header_len;
	size_t lineno;			/* of the header in the patch text */
	struct kser_hunk_line *lines;
	size_t nlines;
};

enum kser_binary_kind {
	KSER_BINARY_NONE = 0,
	KSER_BINARY_LITERAL,
	KSER_BINARY_DELTA,
};

struct kser_binary {
	enum kser_binary_kind kind;
	size_t inflated_len;	/* of the literal, or of the delta */
	unsigned char *data;	/* deflated bytes, owned */
	size_t len;
};

struct kser_file_patch {
	char *old_path;		/* NULL when the file is created */
	char *new_path;		/* NULL when the file is deleted */
	uint32_t old_mode, new_mode;	/* 0 when not given */
	bool is_new, is_delete, is_rename, is_copy;
	char old_id[41], new_id[41];	/* from "index", maybe abbreviated */
	bool is_binary;
	bool binary_without_data;	/* "Binary files ... differ" */
	struct kser_binary forward, reverse;
	struct kser_hunk *hunks;
	size_t nhunks;
	size_t lineno;		/* where the file's header starts */
};

struct kser_patch {
	char *text;		/* owned copy: hunk lines point into it */
	size_t len;
	struct kser_file_patch *files;
	size_t nfiles;
};

/*
 * Parses text (need not be NUL-terminated). strip is the number of leading
 * path components to drop from names in headers, as `git apply -p`; git
 * uses 1. A patch with no file patches at all is an error, as in git.
 */
const struct kser_error *kser_patch_parse(struct kser_patch **out,
					  const char *text, size_t len,
					  int strip);
void kser_patch_free(struct kser_patch *patch);

#endif
