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
 *   series.c           subjects, inputs (mbox, quilt, format-patch
 *                      directories), selection, threading, trailers
 *   assign.c           the linear assignment git range-diff pairs by
 *   rangediff_input.c  the two sides of a range-diff made texts
 *   rangediff_diff.c   the diff of two texts: its size, its rendering
 *   rangediff.c        the pairing and the output
 */

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
