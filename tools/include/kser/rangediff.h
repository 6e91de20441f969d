/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_RANGEDIFF_H
#define KSER_RANGEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/buf.h"

struct kser_error;
struct kser_mailset;

/*
 * Two versions of a series compared as git range-diff compares them:
 * every patch becomes a text (author, message, its diff with hunk headers
 * stripped of line numbers); patches whose diffs are equal are paired
 * first, the rest by a least-cost assignment where pairing two patches
 * costs the size of the diff between their texts and leaving one unpaired
 * costs its size times the creation factor. The output is git's.
 */

#define KSER_RANGEDIFF_CREATION_FACTOR_DEFAULT 60

/* One patch of a side. */
struct kser_rangediff_patch {
	char *text;		/* what is compared */
	size_t len;
	size_t diff_offset;	/* where its files start, 0 if none */
	int diffsize;		/* lines from there on */
	char *id;		/* abbreviated commit ID, or "v2-0001" */
	char *subject;		/* shown after the pair; may be NULL */
};

/* One side: a commit range, or a version of a series from mails. */
struct kser_rangediff_list {
	struct kser_rangediff_patch *v;
	size_t n, alloc;
	struct kser_buf warnings;	/* one line each, for the user */
};

void kser_rangediff_list_init(struct kser_rangediff_list *l);
void kser_rangediff_list_release(struct kser_rangediff_list *l);

/*
 * The non-merge commits of range ("A..B", "A...B", "A..", "..B"), oldest
 * first, in git log --reverse --date-order order.
 */
const struct kser_error *
kser_rangediff_list_from_range(struct kser_rangediff_list *out,
			       git_repository *repo, const char *range);

/* The same, commit IDs abbreviated to at least abbrev_len digits (0:
 * git's default length for repo). */
const struct kser_error *
kser_rangediff_list_from_range_abbrev(struct kser_rangediff_list *out,
				      git_repository *repo, const char *range,
				      int abbrev_len);

/*
 * The patches of version (0: the highest) of the series in set, by their
 * numbers. A missing patch is a warning naming it, not an error. IDs are
 * "v<version>-<number>" with four digits, as git format-patch names
 * files ("v3-0002"). repo may be NULL; with one, its mailmap is used.
 */
const struct kser_error *
kser_rangediff_list_from_mails(struct kser_rangediff_list *out,
			       struct kser_mailset *set, unsigned int version,
			       unsigned int *version_out);

enum kser_rangediff_status {
	KSER_RANGEDIFF_SAME = '=',
	KSER_RANGEDIFF_CHANGED = '!',
	KSER_RANGEDIFF_DROPPED = '<',
	KSER_RANGEDIFF_ADDED = '>',
};

struct kser_rangediff_pair {
	long a, b;		/* indices into the sides, -1 for none */
	char status;		/* enum kser_rangediff_status */
};

/* The pairs in git's output order. */
struct kser_rangediff {
	struct kser_rangediff_pair *pairs;
	size_t npairs;
};

struct kser_rangediff_options {
	unsigned int version;
	int creation_factor;	/* percent */
	/* The cost matrix is (n + m)^2 ints; more bytes than this is an
	 * error (0: 1 GiB). */
	size_t max_memory;
	int threads;		/* for the costs; 0: one per processor */
};

#define KSER_RANGEDIFF_OPTIONS_VERSION 1
#define KSER_RANGEDIFF_OPTIONS_INIT \
	{ KSER_RANGEDIFF_OPTIONS_VERSION, \
	  KSER_RANGEDIFF_CREATION_FACTOR_DEFAULT, 0, 0 }

const struct kser_error *
kser_rangediff_compare(struct kser_rangediff *out,
		       const struct kser_rangediff_list *a,
		       const struct kser_rangediff_list *b,
		       const struct kser_rangediff_options *opts);

void kser_rangediff_release(struct kser_rangediff *rd);

struct kser_rangediff_output {
	bool color;		/* git's dual colour */
	bool no_patch;		/* pair lines only */
	bool stat;		/* pair lines with +N -M counts */
};

/* The whole comparison in git range-diff's format. */
const struct kser_error *
kser_rangediff_write(struct kser_buf *out, const struct kser_rangediff *rd,
		     const struct kser_rangediff_list *a,
		     const struct kser_rangediff_list *b,
		     const struct kser_rangediff_output *o);

/*
 * The diff of two patch texts as range-diff shows it (indented by four,
 * hunk headers naming the section); adds and dels, when not NULL, count
 * its + and - lines.
 */
const struct kser_error *
kser_rangediff_diff(struct kser_buf *out, const struct kser_rangediff_patch *a,
		    const struct kser_rangediff_patch *b, bool color,
		    size_t *adds, size_t *dels);

#endif
