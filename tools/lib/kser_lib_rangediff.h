/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_RANGEDIFF_H
#define KSER_LIB_RANGEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
