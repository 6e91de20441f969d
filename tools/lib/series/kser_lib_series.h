/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_SERIES_H
#define KSER_LIB_SERIES_H

/*
 * The series layer, private to its files: what they share. What the
 * layers above use is public: kser/series.h and kser/rangediff.h. The
 * series layer uses core, odb (abbreviations, revision ranges), patch
 * (the parser, a commit's patch text, kser/rdtext.h) and libgit2.
 *
 * Its files, each using only those before it:
 *   series_map.c       a set of strings by hash
 *   series_input.c     the inputs of a mailset (mbox, quilt,
 *                      format-patch directories)
 *   series_trailers.c  trailers from replies; a patch's commit message
 *                      with them
 *   series.c           subjects, the selection of a series, threading
 *   assign.c           the linear assignment git range-diff pairs by
 *   rangediff_input.c  the two sides of a range-diff made texts
 *   rangediff_diff.c   the diff of two texts: its size, its rendering
 *   rangediff.c        the pairing and the output
 */

#include <stdbool.h>
#include <stddef.h>

struct kser_error;
struct kser_mail;
struct kser_rangediff_list;
struct kser_series_patch;

/* --- series_map.c ------------------------------------------------------ */

/*
 * A set of strings, by hash, so that a thread of thousands of replies is
 * read in linear time. Keys are borrowed; each has a value.
 */
struct series_map {
	const char **keys;
	size_t *vals;
	size_t cap, n;		/* cap is 0 or a power of two */
	bool icase;
};

void series_map_release(struct series_map *m);
/* Sets key to val, replacing what it was. */
const struct kser_error *series_map_put(struct series_map *m, const char *key,
					size_t val);
/* Whether key is there; its value into *val unless val is NULL. */
bool series_map_get(const struct series_map *m, const char *key, size_t *val);

/* --- series_trailers.c ------------------------------------------------- */

/* The next line of a text that may hold NUL bytes; false at its end. */
bool series_body_line(const char **p, const char *end, const char **line,
		      size_t *len);
/* The trailers a reply gives: unquoted lines above its signature. */
const struct kser_error *series_reply_trailers(const struct kser_mail *mail,
					      char ***out, size_t *n);
/* Adds trailer t to p unless seen (p's trailers, case aside) has it. */
const struct kser_error *series_add_trailer(struct kser_series_patch *p,
					    struct series_map *seen,
					    const char *t);

/* --- assign.c --------------------------------------------------------- */

/* A cost that keeps a pairing out of any sensible assignment. */
#define KSER_ASSIGN_COST_MAX (1 << 16)

/*
 * The linear assignment problem: pair each of ncols columns with one of
 * nrows rows so that the sum of costs is least, by the shortest
 * augmenting path method of Jonker and Volgenant (Computing 38, 1987),
 * the method git range-diff uses, with the same order of steps so that
 * ties are broken the same way.
 *
 * cost[c + ncols * r] is the cost of giving column c row r. On return
 * col2row[c] is the row of column c and row2col[r] the column of row r,
 * -1 where none. With fewer than two columns every entry is 0, as in git.
 */
const struct kser_error *kser_assign(int ncols, int nrows, const int *cost,
				     int *col2row, int *row2col);

/* --- rangediff_input.c ------------------------------------------------ */

/* Appends one patch from a parsed mail; for the tests and the fuzz target. */
const struct kser_error *
kser_rangediff_list_add_mail(struct kser_rangediff_list *out,
			     const char *name, const char *email,
			     const char *message, const char *patch,
			     size_t patch_len, char *id, const char *subject);

/* --- rangediff_diff.c -------------------------------------------------- */

/*
 * The number of lines (hunk headers included) of the diff of two texts
 * with three lines of context, as git range-diff measures the cost of
 * pairing two patches.
 */
const struct kser_error *kser_rangediff_diffsize(int *out, const char *a,
						 size_t alen, const char *b,
						 size_t blen);

#endif
