// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the ctnr API the kernel uses: the fallible primitives and
 * the operations that do not allocate, whichever copy of ctnr is built.
 */
#include <kunit/test.h>
#include <linux/kalloc.h>
#include "ctnr_test.h"

static void fill_vec(struct kunit *test, struct ctnr_vec *v, int n)
{
	int i;

	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve_exact(v, n), 0);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, ctnr_vec_push_within_capacity(v, &i), 0);
}

static int vec_int(const struct ctnr_vec *v, size_t i)
{
	return *(int *)ctnr_vec_get(v, i);
}

static void ctnr_vec_init_test(struct kunit *test)
{
	struct ctnr_vec a = CTNR_VEC_INIT(u64), b;

	ctnr_vec_init(&b, sizeof(u16), __alignof__(u16));
	KUNIT_EXPECT_EQ(test, a.elem_size, sizeof(u64));
	KUNIT_EXPECT_EQ(test, a.align, __alignof__(u64));
	KUNIT_EXPECT_EQ(test, b.elem_size, sizeof(u16));
	KUNIT_EXPECT_TRUE(test, ctnr_vec_is_empty(&a));
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&b), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&b), 0);
	KUNIT_EXPECT_NULL(test, ctnr_vec_data(&b));
	KUNIT_EXPECT_NULL(test, ctnr_vec_get(&b, 0));
	ctnr_vec_free(&a);
	ctnr_vec_free(&b);
}

static void ctnr_vec_reserve_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);

	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve(&v, 1), 0);
	/* Small elements never get a buffer of fewer than four. */
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 4);
	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve(&v, 4), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 4);
	fill_vec(test, &v, 4);
	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve(&v, 1), 0);
	/* Amortised growth doubles. */
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 8);
	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve_exact(&v, 9), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 13);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 3), 3);
	KUNIT_EXPECT_EQ(test, ctnr_test_live(), 1);
	ctnr_vec_free(&v);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 0);
}

static void ctnr_vec_reserve_fail_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);

	fill_vec(test, &v, 3);
	ctnr_test_fail_after(0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_reserve(&v, 10), CTNR_ERR_ALLOC);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_reserve_exact(&v, 1), CTNR_ERR_ALLOC);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_reserve(&v, SIZE_MAX),
			CTNR_ERR_OVERFLOW);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_reserve(&v, SIZE_MAX / 8),
			CTNR_ERR_OVERFLOW);
	/* A failed reservation leaves the vec as it was. */
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 3);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 3);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 2), 2);
	ctnr_vec_free(&v);
}

static void ctnr_vec_push_within_capacity_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);
	int x = 7;

	KUNIT_EXPECT_EQ(test, ctnr_vec_push_within_capacity(&v, &x),
			CTNR_ERR_FULL);
	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve_exact(&v, 1), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_push_within_capacity(&v, &x), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_push_within_capacity(&v, &x),
			CTNR_ERR_FULL);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 1);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 0), 7);
	ctnr_vec_free(&v);
}

static void ctnr_vec_raw_parts_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);
	size_t len, cap, spare;
	int *p;

	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve_exact(&v, 5), 0);
	p = ctnr_vec_spare_capacity(&v, &spare);
	KUNIT_ASSERT_EQ(test, spare, 5);
	p[0] = 10;
	p[1] = 11;
	ctnr_vec_set_len(&v, 2);
	p = ctnr_vec_spare_capacity(&v, &spare);
	KUNIT_EXPECT_EQ(test, spare, 3);
	KUNIT_EXPECT_PTR_EQ(test, (void *)p, ctnr_vec_at(&v, 2));

	p = ctnr_vec_into_raw_parts(&v, &len, &cap);
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, cap, 5);
	KUNIT_EXPECT_EQ(test, p[1], 11);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 0);

	ctnr_vec_from_raw_parts(&v, p, len, cap, sizeof(int),
				__alignof__(int));
	KUNIT_EXPECT_EQ(test, vec_int(&v, 0), 10);
	KUNIT_EXPECT_NULL(test, ctnr_vec_get(&v, 2));
	ctnr_vec_free(&v);
}

static void ctnr_vec_remove_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);
	int x;

	fill_vec(test, &v, 6);		/* 0 1 2 3 4 5 */
	KUNIT_EXPECT_TRUE(test, ctnr_vec_pop(&v, &x));
	KUNIT_EXPECT_EQ(test, x, 5);	/* 0 1 2 3 4 */
	KUNIT_EXPECT_TRUE(test, ctnr_vec_remove(&v, 1, &x));
	KUNIT_EXPECT_EQ(test, x, 1);	/* 0 2 3 4 */
	KUNIT_EXPECT_TRUE(test, ctnr_vec_swap_remove(&v, 0, &x));
	KUNIT_EXPECT_EQ(test, x, 0);	/* 4 2 3 */
	KUNIT_EXPECT_EQ(test, vec_int(&v, 0), 4);
	KUNIT_EXPECT_TRUE(test, ctnr_vec_swap_remove(&v, 2, NULL));
	KUNIT_EXPECT_FALSE(test, ctnr_vec_remove(&v, 2, NULL));
	KUNIT_EXPECT_FALSE(test, ctnr_vec_swap_remove(&v, 2, NULL));
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 2);
	ctnr_vec_truncate(&v, 5);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 2);
	ctnr_vec_truncate(&v, 1);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 1);
	ctnr_vec_clear(&v);
	KUNIT_EXPECT_FALSE(test, ctnr_vec_pop(&v, NULL));
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 6);
	ctnr_vec_free(&v);
}

static bool is_even(const void *elem, void *arg)
{
	(*(int *)arg)++;
	return !(*(const int *)elem % 2);
}

static bool same_int(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

static void ctnr_vec_reorder_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);
	int calls = 0, out[3], *pos, sum = 0;
	static const int dups[] = { 1, 1, 2, 2, 2, 3, 1 };

	fill_vec(test, &v, 7);		/* 0 1 2 3 4 5 6 */
	ctnr_vec_swap(&v, 0, 6);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 0), 6);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 6), 0);
	ctnr_vec_reverse(&v);		/* 0 5 4 3 2 1 6 */
	KUNIT_EXPECT_EQ(test, vec_int(&v, 0), 0);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 1), 5);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 6), 6);
	ctnr_vec_retain(&v, is_even, &calls);	/* 0 4 2 6 */
	KUNIT_EXPECT_EQ(test, calls, 7);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 4);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 1), 4);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 3), 6);
	KUNIT_EXPECT_EQ(test, ctnr_vec_drain(&v, 1, 3, out), 2);
	KUNIT_EXPECT_EQ(test, out[0], 4);
	KUNIT_EXPECT_EQ(test, out[1], 2);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 2);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 1), 6);
	ctnr_vec_for_each(pos, &v)
		sum += *pos + 1;
	KUNIT_EXPECT_EQ(test, sum, 8);
	ctnr_vec_free(&v);

	KUNIT_ASSERT_EQ(test, ctnr_vec_try_reserve_exact(&v, ARRAY_SIZE(dups)), 0);
	for (calls = 0; calls < ARRAY_SIZE(dups); calls++)
		ctnr_vec_push_within_capacity(&v, &dups[calls]);
	ctnr_vec_dedup_by(&v, same_int);
	KUNIT_ASSERT_EQ(test, ctnr_vec_len(&v), 4);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 0), 1);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 1), 2);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 2), 3);
	KUNIT_EXPECT_EQ(test, vec_int(&v, 3), 1);
	ctnr_vec_free(&v);
}

struct big {
	u64 word[3];
} __aligned(32);

static void ctnr_box_test(struct kunit *test)
{
	struct big val = { .word = { 1, 2, 3 } }, *b;
	u32 *z;

	b = ctnr_box_try_new(&val, sizeof(val), __alignof__(val));
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)b, 32));
	KUNIT_EXPECT_EQ(test, b->word[2], 3);
	CTNR_BOX_FREE(b);

	z = ctnr_box_try_new_zeroed(sizeof(*z), __alignof__(*z));
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_EXPECT_EQ(test, *z, 0);
	ctnr_box_free(z, sizeof(*z), __alignof__(*z));

	z = ctnr_box_try_new_uninit_in(&ctnr_global, sizeof(*z),
				       __alignof__(*z));
	KUNIT_ASSERT_NOT_NULL(test, z);
	ctnr_box_free_in(&ctnr_global, z, sizeof(*z), __alignof__(*z));
	ctnr_box_free(NULL, 0, 1);

	ctnr_test_fail_after(0);
	KUNIT_EXPECT_NULL(test, ctnr_box_try_new(&val, sizeof(val), 32));
	KUNIT_EXPECT_NULL(test, ctnr_box_try_new_uninit(8, 8));
	KUNIT_EXPECT_NULL(test, ctnr_box_try_new_zeroed(8, 8));
}

static int drops;

static void count_drop(void *obj)
{
	drops++;
}

static void ctnr_arc_test(struct kunit *test)
{
	struct big val = { .word = { 4, 5, 6 } }, *a;

	drops = 0;
	a = ctnr_arc_try_new(&val, sizeof(val), __alignof__(val));
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)a, 32));
	KUNIT_EXPECT_EQ(test, a->word[0], 4);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_is_unique(a));
	KUNIT_EXPECT_PTR_EQ(test, ctnr_arc_get(a), a);
	KUNIT_EXPECT_EQ(test, ctnr_arc_count(a), 2);
	KUNIT_EXPECT_FALSE(test, ctnr_arc_is_unique(a));
	KUNIT_EXPECT_FALSE(test, ctnr_arc_put(a, count_drop));
	KUNIT_EXPECT_EQ(test, drops, 0);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, count_drop));
	KUNIT_EXPECT_EQ(test, drops, 1);
	KUNIT_EXPECT_FALSE(test, ctnr_arc_put(NULL, count_drop));

	a = ctnr_arc_try_new_uninit(sizeof(*a), __alignof__(*a));
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));

	a = ctnr_arc_try_new_uninit_in(&ctnr_global, sizeof(*a), 32);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));

	ctnr_test_fail_after(0);
	KUNIT_EXPECT_NULL(test, ctnr_arc_try_new(&val, sizeof(val), 32));
	KUNIT_EXPECT_NULL(test, ctnr_arc_try_new_uninit(8, 8));
}

static void ctnr_arc_raw_test(struct kunit *test)
{
	size_t size, align;
	void *block;
	u64 *a;

	size = ctnr_arc_layout(sizeof(*a), 64, &align);
	KUNIT_ASSERT_NE(test, size, 0);
	KUNIT_EXPECT_EQ(test, align, 64);
	KUNIT_EXPECT_GE(test, size, 64 + sizeof(*a));
	KUNIT_EXPECT_EQ(test, ctnr_arc_layout(SIZE_MAX - 8, 8, &align), 0);

	block = kalloc_realloc(NULL, size, align, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, block);
	a = ctnr_arc_init_raw(block, sizeof(*a), 64);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)a, 64));
	KUNIT_EXPECT_TRUE(test, ctnr_arc_is_unique(a));
	*a = 42;
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));

	block = kalloc_realloc(NULL, size, align, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, block);
	a = ctnr_arc_init_raw_in(block, sizeof(*a), 64, &ctnr_global);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));
}

static struct kunit_case ctnr_test_cases[] = {
	KUNIT_CASE(ctnr_vec_init_test),
	KUNIT_CASE(ctnr_vec_reserve_test),
	KUNIT_CASE(ctnr_vec_reserve_fail_test),
	KUNIT_CASE(ctnr_vec_push_within_capacity_test),
	KUNIT_CASE(ctnr_vec_raw_parts_test),
	KUNIT_CASE(ctnr_vec_remove_test),
	KUNIT_CASE(ctnr_vec_reorder_test),
	KUNIT_CASE(ctnr_box_test),
	KUNIT_CASE(ctnr_arc_test),
	KUNIT_CASE(ctnr_arc_raw_test),
	{}
};

static struct kunit_suite ctnr_test_suite = {
	.name = "ctnr",
	.init = ctnr_test_init,
	.exit = ctnr_test_exit,
	.test_cases = ctnr_test_cases,
};

kunit_test_suite(ctnr_test_suite);

MODULE_DESCRIPTION("KUnit tests for the ctnr container library");
MODULE_LICENSE("GPL");
