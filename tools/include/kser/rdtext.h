/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_RDTEXT_H
#define KSER_RDTEXT_H

/*
 * The pieces of the text git range-diff compares for one patch, shared by
 * commits (patch/commitpatch.c) and mails (series/rangediff_input.c), so
 * that a commit and the mail format-patch made of it give the same text.
 * Of the patch layer (patch/rdtext.c); what it offers the layers above.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kser/buf.h"

struct kser_rdtext {
	struct kser_buf *out;
	size_t diff_offset;	/* after the newline before the first file */
	int diffsize;		/* lines from the first file on */
	bool in_files;
	const char *filename;	/* for hunk headers, borrowed */
};

void kser_rdtext_init(struct kser_rdtext *t, struct kser_buf *out);

/* " ## Metadata ##", the author, " ## Commit message ##", the message
 * as git log --pretty=medium indents it (tabs expanded). */
void kser_rdtext_meta(struct kser_rdtext *t, const char *name,
		      const char *email, const char *message);

/* A notes block; header is "Notes" or "Notes (name)". */
void kser_rdtext_notes(struct kser_rdtext *t, const char *header,
		       const char *note);

enum kser_rdtext_kind {
	KSER_RDTEXT_MODIFIED = 0,
	KSER_RDTEXT_NEW,
	KSER_RDTEXT_DELETED,
	KSER_RDTEXT_RENAMED,
};

/* " ## path ##" and its variants; paths stay borrowed until the next. */
void kser_rdtext_file(struct kser_rdtext *t, enum kser_rdtext_kind kind,
		      const char *old_path, const char *new_path,
		      uint32_t old_mode, uint32_t new_mode);

/* "@@ path: function", or "@@" without a function. */
void kser_rdtext_hunk(struct kser_rdtext *t, const char *func, size_t len);

/* One line of a hunk: origin ' ', '+' or '-', text without newline. */
void kser_rdtext_line(struct kser_rdtext *t, char origin, const char *text,
		      size_t len);

void kser_rdtext_noeol(struct kser_rdtext *t);

/* "Binary files OLD and NEW differ"; NULL for /dev/null. */
void kser_rdtext_binary(struct kser_rdtext *t, const char *old_path,
			const char *new_path);

/*
 * A path as git writes it in diff headers (core.quotePath): prefix and
 * path, in C quotes when the path has bytes that need them.
 */
void kser_quote_path(struct kser_buf *out, const char *prefix,
		     const char *path);

/* The subject git shows in one-line formats: the first paragraph of
 * message, its lines joined by spaces. */
void kser_message_subject(struct kser_buf *out, const char *message);

/* git's isspace(): space, tab, newline, carriage return. */
static inline bool kser_git_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The length of s up to the first byte that does not start a valid UTF-8
 * character, as git's utf8_width() sees validity.
 */
size_t kser_utf8_valid_prefix(const char *s, size_t len);

/*
 * The columns of the character at s as git's utf8_width() counts them
 * (-1 for a control character); *used is its length in bytes, 0 when s
 * does not start a valid UTF-8 character.
 */
int kser_git_char_width(const char *s, size_t len, size_t *used);

#endif
