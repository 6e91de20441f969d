// SPDX-License-Identifier: GPL-2.0
/*
 * Jonker-Volgenant linear assignment: column reduction, reduction
 * transfer, two rounds of augmenting row reduction, then a shortest
 * augmenting path for each row still free. The steps and their tie
 * breaks follow the order in which git range-diff takes them, because
 * equal-cost assignments must come out equal to git's.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kser_lib_series.h"
#include "kser/error.h"

struct lap {
	int ncols, nrows;
	const int *cost;
	int *col2row, *row2col;
	int *price;		/* the column duals */
	int *free_rows;
	int nfree;
};

static inline int cost_at(const struct lap *l, int col, int row)
{
	return l->cost[(size_t)col + (size_t)l->ncols * (size_t)row];
}

static inline int reduced(const struct lap *l, int col, int row)
{
	return cost_at(l, col, row) - l->price[col];
}

/*
 * Each column takes its cheapest row (the first on a tie), from the last
 * column to the first; a row wanted by several columns keeps the first
 * that took it and is marked (as -2 - col) for the transfer step.
 */
static void reduce_columns(struct lap *l)
{
	int c, r;

	for (c = l->ncols - 1; c >= 0; c--) {
		int best = 0;

		for (r = 1; r < l->nrows; r++)
			if (cost_at(l, c, r) < cost_at(l, c, best))
				best = r;
		l->price[c] = cost_at(l, c, best);
		if (l->row2col[best] == -1) {
			l->row2col[best] = c;
			l->col2row[c] = best;
		} else {
			if (l->row2col[best] >= 0)
				l->row2col[best] = -2 - l->row2col[best];
			l->col2row[c] = -1;
		}
	}
}

/* Rows that own one column lower its price by their second-best slack. */
static void transfer_reduction(struct lap *l)
{
	int r, c;

	l->nfree = 0;
	for (r = 0; r < l->nrows; r++) {
		int own = l->row2col[r], slack, other;

		if (own == -1) {
			l->free_rows[l->nfree++] = r;
			continue;
		}
		if (own < -1) {
			l->row2col[r] = -2 - own;
			continue;
		}
		other = own == 0 ? 1 : 0;
		slack = reduced(l, other, r);
		for (c = 1; c < l->ncols; c++)
			if (c != own && reduced(l, c, r) < slack)
				slack = reduced(l, c, r);
		l->price[own] -= slack;
	}
}

/*
 * A free row takes its cheapest column; when that column's price can be
 * lowered the displaced row is tried again at once, else it waits for
 * the next round.
 */
static void augment_rows(struct lap *l)
{
	int round;

	for (round = 0; round < 2; round++) {
		int todo = l->nfree, k = 0;

		l->nfree = 0;
		while (k < todo) {
			int r = l->free_rows[k++];
			int best = 0, second = -1, displaced, c;
			int u1 = reduced(l, 0, r), u2 = INT_MAX;

			for (c = 1; c < l->ncols; c++) {
				int h = reduced(l, c, r);

				if (h >= u2)
					continue;
				if (h > u1) {
					u2 = h;
					second = c;
				} else {
					u2 = u1;
					u1 = h;
					second = best;
					best = c;
				}
			}
			if (second < 0) {
				second = best;
				u2 = u1;
			}
			displaced = l->col2row[best];
			if (u1 < u2) {
				l->price[best] -= u2 - u1;
			} else if (displaced >= 0) {
				best = second;
				displaced = l->col2row[best];
			}
			if (displaced >= 0) {
				if (u1 < u2)
					l->free_rows[--k] = displaced;
				else
					l->free_rows[l->nfree++] = displaced;
			}
			l->row2col[r] = best;
			l->col2row[best] = r;
		}
	}
}

/*
 * Dijkstra over reduced costs from one free row until a free column is
 * reached, then the path is flipped. Like git, the path is flipped from
 * the column the scan for the least distance looked at last, which is
 * not always the free column that ended the search; keeping that makes
 * the pairs git's.
 */
static void augment_path(struct lap *l, int start, int *dist, int *pred,
			 int *cols)
{
	int low = 0, up = 0, last = 0, min = 0, c = -1, k, r;

	for (k = 0; k < l->ncols; k++) {
		dist[k] = reduced(l, k, start);
		pred[k] = start;
		cols[k] = k;
	}
	for (;;) {
		last = low;
		min = dist[cols[up++]];
		for (k = up; k < l->ncols; k++) {
			c = cols[k];
			if (dist[c] > min)
				continue;
			if (dist[c] < min) {
				up = low;
				min = dist[c];
			}
			cols[k] = cols[up];
			cols[up++] = c;
		}
		for (k = low; k < up; k++)
			if (l->col2row[cols[k]] == -1)
				goto flip;
		do {
			int scanned = cols[low++], u;

			r = l->col2row[scanned];
			u = reduced(l, scanned, r) - min;
			for (k = up; k < l->ncols; k++) {
				int h;

				c = cols[k];
				h = reduced(l, c, r) - u;
				if (h >= dist[c])
					continue;
				dist[c] = h;
				pred[c] = r;
				if (h != min)
					continue;
				if (l->col2row[c] == -1)
					goto flip;
				cols[k] = cols[up];
				cols[up++] = c;
			}
		} while (low != up);
	}
flip:
	for (k = 0; k < last; k++)
		l->price[cols[k]] += dist[cols[k]] - min;
	if (c < 0)
		return;
	do {
		int prev;

		r = pred[c];
		l->col2row[c] = r;
		prev = l->row2col[r];
		l->row2col[r] = c;
		c = prev;
	} while (r != start && c >= 0);
}

const struct kser_error *kser_assign(int ncols, int nrows, const int *cost,
				     int *col2row, int *row2col)
{
	struct lap l = { ncols, nrows, cost, col2row, row2col, NULL, NULL, 0 };
	int *dist = NULL, *pred = NULL, *cols = NULL, i, todo;
	const struct kser_error *err = NULL;

	if (ncols < 2) {
		memset(col2row, 0, sizeof(int) * (size_t)(ncols > 0 ? ncols : 0));
		memset(row2col, 0, sizeof(int) * (size_t)(nrows > 0 ? nrows : 0));
		return NULL;
	}
	memset(col2row, -1, sizeof(int) * (size_t)ncols);
	memset(row2col, -1, sizeof(int) * (size_t)nrows);
	l.price = calloc((size_t)ncols, sizeof(int));
	l.free_rows = calloc((size_t)nrows, sizeof(int));
	if (!l.price || !l.free_rows) {
		err = kser_error_nomem();
		goto done;
	}
	reduce_columns(&l);
	transfer_reduction(&l);
	if (l.nfree == (ncols < nrows ? nrows - ncols : 0))
		goto done;
	augment_rows(&l);

	dist = calloc((size_t)ncols, sizeof(int));
	pred = calloc((size_t)ncols, sizeof(int));
	cols = calloc((size_t)ncols, sizeof(int));
	if (!dist || !pred || !cols) {
		err = kser_error_nomem();
		goto done;
	}
	todo = l.nfree;
	for (i = 0; i < todo; i++)
		augment_path(&l, l.free_rows[i], dist, pred, cols);
done:
	free(cols);
	free(pred);
	free(dist);
	free(l.free_rows);
	free(l.price);
	return err;
}
