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
 *   rangediff_cost.c   the size of the diff of two texts, git's pair cost,
 *                      on lines numbered once (xdiff's steps)
 *   rangediff_commit.c a range's commits read as range-diff texts, trees
 *                      kept from one commit to the next
 *   rangediff_diff.c   the rendering of the diff of two texts
 *   rangediff.c        the pairing and the output
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/buf.h"

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

/* --- rangediff_cost.c and rangediff_commit.c ------------------------ */

struct kser_commitpatch_info;
struct kser_commitpatch_options;

/*
 * The lines of many texts, numbered so that equal lines (newline
 * included) have equal numbers: text i is ids[first[i]] up to
 * ids[first[i + 1]].
 */
struct kser_rdlines {
	uint32_t *ids;
	size_t *first;
	size_t ntexts;
	uint32_t nids;		/* different lines */
};

/* The texts are only read; out owns what it holds. */
const struct kser_error *kser_rdlines_build(struct kser_rdlines *out,
					    size_t ntexts,
					    const char *const *texts,
					    const size_t *lens);
void kser_rdlines_release(struct kser_rdlines *l);

/* Scratch space for kser_rdsize_count(), one per thread. */
struct kser_rdsize {
	uint32_t *count1, *count2;	/* by line number, 0 between pairs */
	uint32_t nids;
	char *changed, *dis;
	uint32_t *kept;
	long *at, *kv;
	size_t changed_alloc, dis_alloc, kept_alloc, at_alloc, kv_alloc;
};

void kser_rdsize_init(struct kser_rdsize *s);
void kser_rdsize_release(struct kser_rdsize *s);

/*
 * The number of lines (hunk headers included) of the diff of texts ia
 * and ib of l with three lines of context, as git's xdiff makes it with
 * its default options: the cost git range-diff gives the pair.
 */
const struct kser_error *kser_rdsize_count(struct kser_rdsize *s, int *out,
					   const struct kser_rdlines *l,
					   size_t ia, size_t ib);

/* The same for two texts alone. */
const struct kser_error *kser_rangediff_diffsize(int *out, const char *a,
						 size_t alen, const char *b,
						 size_t blen);

/*
 * Reads the range-diff texts of a range's commits (as kser_commitpatch()
 * writes them, byte for byte), faster when each commit's parent is the
 * commit read before it. One per thread; repo and copts are borrowed.
 */
struct kser_rdreader {
	git_repository *repo;
	git_odb *odb;				/* the repo's, once read */
	const struct kser_commitpatch_options *copts;
	struct kser_kept_tree *last, *now;	/* trees of the commits */
	size_t nlast, last_alloc, nnow, now_alloc;
	struct kser_rdchange *changes;		/* the commit's */
	size_t nchanges, changes_alloc;
	struct kser_rdattr *attrs;		/* by path */
	size_t nattrs, attrs_size;
	struct kser_buf path;
	bool unusual, adds, deletes;
	size_t fast, slow;	/* commits read each way (for tests) */
};

void kser_rdreader_init(struct kser_rdreader *r, git_repository *repo,
			const struct kser_commitpatch_options *copts);
void kser_rdreader_release(struct kser_rdreader *r);

/* Appends the text of commit to out; info may be NULL. */
const struct kser_error *kser_rdreader_text(struct kser_rdreader *r,
					    struct kser_buf *out,
					    struct kser_commitpatch_info *info,
					    git_commit *commit);

#endif
