/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_ASSIGN_H
#define KSER_ASSIGN_H

struct kser_error;

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

#endif
