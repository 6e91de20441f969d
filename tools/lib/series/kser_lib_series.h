/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_RANGEDIFF_H
#define KSER_LIB_RANGEDIFF_H

#include <stddef.h>

struct kser_error;

/*
 * The number of lines (hunk headers included) of the diff of two texts
 * with three lines of context, as git range-diff measures the cost of
 * pairing two patches.
 */
const struct kser_error *kser_rangediff_diffsize(int *out, const char *a,
						 size_t alen, const char *b,
						 size_t blen);

#endif
