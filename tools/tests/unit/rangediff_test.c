// SPDX-License-Identifier: GPL-2.0
/* The linear assignment and range-diff's pairing. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/rangediff.h"
#include "series/kser_lib_series.h"
#include "test_helpers.h"

static long total(int n, const int *cost, const int *col2row)
{
	long sum = 0;
	int c;

	for (c = 0; c < n; c++)
		sum += cost[c + n * col2row[c]];
	return sum;
}

/* The least total cost over all permutations, by brute force. */
static long best(int n, const int *cost, int *perm, int k, bool *used)
{
	long min = LONG_MAX;
	int r;

	if (k == n)
		return total(n, cost, perm);
	for (r = 0; r < n; r++) {
		long t;

		if (used[r])
			continue;
		used[r] = true;
		perm[k] = r;
		t = best(n, cost, perm, k + 1, used);
		if (t < min)
			min = t;
		used[r] = false;
	}
	return min;
}

static void check_permutation(int n, const int *col2row, const int *row2col)
{
	int c;

	for (c = 0; c < n; c++) {
		assert_true(col2row[c] >= 0 && col2row[c] < n);
		assert_int_equal(row2col[col2row[c]], c);
	}
}

static void known_optimum(void **state)
{
	/* cost[c + 3 * r]: the optimum is c0-r1, c1-r0, c2-r2, cost 5. */
	static const int cost[] = {
		4, 1, 3,
		2, 0, 5,
		3, 2, 2,
	};
	int c2r[3], r2c[3];

	(void)state;
	assert_ok(kser_assign(3, 3, cost, c2r, r2c));
	check_permutation(3, c2r, r2c);
	assert_int_equal(total(3, cost, c2r), 5);
	assert_int_equal(c2r[0], 1);
	assert_int_equal(c2r[1], 0);
	assert_int_equal(c2r[2], 2);
}

static void diagonal_and_ties(void **state)
{
	int cost[16], c2r[4], r2c[4], i, j;

	(void)state;
	/* Zero on the diagonal, one elsewhere: the identity. */
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			cost[i + 4 * j] = i == j ? 0 : 1;
	assert_ok(kser_assign(4, 4, cost, c2r, r2c));
	for (i = 0; i < 4; i++)
		assert_int_equal(c2r[i], i);
	/*
	 * All equal: git's implementation ends its augmenting path at the
	 * column it scanned last, and leaves column 2 without a row; the
	 * pairs must be git's all the same, so this is what we expect.
	 */
	for (i = 0; i < 16; i++)
		cost[i] = 7;
	assert_ok(kser_assign(4, 4, cost, c2r, r2c));
	assert_int_equal(c2r[0], 2);
	assert_int_equal(c2r[1], 1);
	assert_int_equal(c2r[2], -1);
	assert_int_equal(c2r[3], 3);
}

static void fewer_than_two_columns(void **state)
{
	int cost[1] = { 3 }, c2r[1] = { -1 }, r2c[1] = { -1 };

	(void)state;
	assert_ok(kser_assign(1, 1, cost, c2r, r2c));
	assert_int_equal(c2r[0], 0);
	assert_int_equal(r2c[0], 0);
}

/* Random matrices up to 7 by 7 without ties, against brute force. */
static void random_against_brute_force(void **state)
{
	unsigned int seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 400; round++) {
		int n = 2 + round % 6, cost[49], c2r[7], r2c[7], perm[7], i;
		int range = 1000000;
		bool used[7] = { false };

		for (i = 0; i < n * n; i++) {
			seed = seed * 1103515245 + 12345;
			cost[i] = (int)((seed >> 16) % (unsigned int)range);
		}
		assert_ok(kser_assign(n, n, cost, c2r, r2c));
		check_permutation(n, c2r, r2c);
		assert_int_equal(total(n, cost, c2r),
				 best(n, cost, perm, 0, used));
	}
}

/* Costs as range-diff builds them: dummies for unpaired patches. */
static void range_diff_shape(void **state)
{
	/* Two old, two new patches; old 0 ~ new 1 cheaply, old 1 is
	 * nothing like new 0, so both are better left unpaired. */
	enum { N = 4, BIG = KSER_ASSIGN_COST_MAX };
	int cost[N * N], c2r[N], r2c[N], i, j;
	const int pair[2][2] = { { 50, 2 }, { 40, 60 } };
	const int alone_a[2] = { 6, 12 }, alone_b[2] = { 9, 6 };

	(void)state;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++)
			cost[i + N * j] = pair[i][j];
		for (j = 2; j < N; j++)
			cost[i + N * j] = alone_a[i];
	}
	for (j = 0; j < 2; j++)
		for (i = 2; i < N; i++)
			cost[i + N * j] = alone_b[j];
	for (i = 2; i < N; i++)
		for (j = 2; j < N; j++)
			cost[i + N * j] = 0;
	cost[0] = BIG;
	assert_ok(kser_assign(N, N, cost, c2r, r2c));
	check_permutation(N, c2r, r2c);
	assert_int_equal(c2r[0], 1);	/* old 0 -> new 1 */
	assert_true(c2r[1] >= 2);	/* old 1 dropped */
	assert_true(r2c[0] >= 2);	/* new 0 added */
}

static void add_patch(struct kser_rangediff_list *l, const char *id,
		      const char *diff)
{
	struct kser_buf msg = KSER_BUF_INIT, patch = KSER_BUF_INIT;
	char *ident = strdup(id);

	kser_buf_printf(&msg, "%s\n", id);
	kser_buf_printf(&patch, "diff --git a/f b/f\n--- a/f\n+++ b/f\n"
			"@@ -1,1 +1,1 @@\n%s", diff);
	assert_ok(kser_rangediff_list_add_mail(l, "A U Thor", "a@example.com",
					       msg.ptr, patch.ptr, patch.len,
					       ident, id));
	kser_buf_release(&msg);
	kser_buf_release(&patch);
}

static void pairs_in_git_order(void **state)
{
	struct kser_rangediff_list a, b;
	struct kser_rangediff rd;
	struct kser_rangediff_output o = { false, true, false };
	struct kser_buf out = KSER_BUF_INIT;

	(void)state;
	kser_rangediff_list_init(&a);
	kser_rangediff_list_init(&b);
	add_patch(&a, "one", "-a\n+b\n");
	add_patch(&a, "two", "-c\n+d\n");
	add_patch(&a, "gone", "-x\n+totally different content here\n");
	add_patch(&b, "two", "-c\n+d\n");
	add_patch(&b, "one", "-a\n+b\n");
	add_patch(&b, "new", "-q\n+something else entirely, long\n");
	assert_ok(kser_rangediff_compare(&rd, &a, &b, NULL));
	assert_ok(kser_rangediff_write(&out, &rd, &a, &b, &o));
	assert_string_equal(out.ptr,
			    "2:  two = 1:  two two\n"
			    "1:  one = 2:  one one\n"
			    "3:  gone < -:  --- gone\n"
			    "-:  --- > 3:  new new\n");
	kser_rangediff_release(&rd);
	kser_rangediff_list_release(&a);
	kser_rangediff_list_release(&b);
	kser_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_optimum),
		cmocka_unit_test(diagonal_and_ties),
		cmocka_unit_test(fewer_than_two_columns),
		cmocka_unit_test(random_against_brute_force),
		cmocka_unit_test(range_diff_shape),
		cmocka_unit_test(pairs_in_git_order),
	};

	int r;

	git_libgit2_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return r;
}
