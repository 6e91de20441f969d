/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_RANGEDIFF_H
#define KSER_LIB_RANGEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/buf.h"

struct kser_commitpatch_info;
struct kser_commitpatch_options;
struct kser_error;

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
