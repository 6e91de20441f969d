// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what only the kernel's fork of ctnr provides: the
 * GFP_KERNEL functions, their try_ variants, per-vec allocators and the
 * slice helpers.
 */
#include <kunit/test.h>
#include <linux/kalloc.h>
#include "../ctnr_test.h"

static int at(const struct ctnr_vec *v, size_t i)
{
	return *(int *)ctnr_vec_get(v, i);
}

static void seq(struct ctnr_vec *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ctnr_vec_push(v, &i);
}

static void fork_vec_infallible_test(struct kunit *test)
{
	struct ctnr_vec v, w, tail;
	int x = 9, more[] = { 20, 21 };

	ctnr_vec_with_capacity(&v, sizeof(int), __alignof__(int), 3);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 3);
	seq(&v, 4);				/* 0 1 2 3 */
	ctnr_vec_insert(&v, 1, &x);		/* 0 9 1 2 3 */
	KUNIT_EXPECT_EQ(test, at(&v, 1), 9);
	ctnr_vec_extend_from_slice(&v, more, 2);	/* ... 20 21 */
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 7);
	KUNIT_EXPECT_EQ(test, at(&v, 6), 21);
	ctnr_vec_insert_slice(&v, 0, more, 2);	/* 20 21 0 9 1 2 3 20 21 */
	KUNIT_EXPECT_EQ(test, at(&v, 2), 0);
	ctnr_vec_extend_from_within(&v, 3, 5);	/* ... 9 1 */
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 11);
	KUNIT_EXPECT_EQ(test, at(&v, 10), 1);
	ctnr_vec_resize(&v, 13, &x);
	KUNIT_EXPECT_EQ(test, at(&v, 12), 9);
	ctnr_vec_resize(&v, 4, &x);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 4);
	ctnr_vec_reserve(&v, 100);
	KUNIT_EXPECT_GE(test, ctnr_vec_capacity(&v), 104);
	ctnr_vec_reserve_exact(&v, 200);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 204);
	ctnr_vec_shrink_to_fit(&v);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 4);

	ctnr_vec_clone(&w, &v);
	KUNIT_EXPECT_TRUE(test, ctnr_vec_equal(&v, &w));
	ctnr_vec_append(&v, &w);		/* 20 21 0 9 20 21 0 9 */
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 8);
	KUNIT_EXPECT_TRUE(test, ctnr_vec_is_empty(&w));
	ctnr_vec_split_off(&v, 6, &tail);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 6);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&tail), 2);
	KUNIT_EXPECT_EQ(test, at(&tail, 1), 9);
	ctnr_vec_free(&tail);
	ctnr_vec_free(&w);
	ctnr_vec_clear(&v);
	ctnr_vec_shrink_to_fit(&v);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 0);
	ctnr_vec_free(&v);
}

static void fork_vec_try_test(struct kunit *test)
{
	struct ctnr_vec v, w, tail;
	int x = 5, more[] = { 7, 8, 9 };

	KUNIT_ASSERT_EQ(test, ctnr_vec_try_with_capacity(&v, sizeof(int),
							 __alignof__(int), 2),
			0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_push(&v, &x), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_insert(&v, 0, &more[0]), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_extend_from_slice(&v, more, 3), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_insert_slice(&v, 1, more, 2), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_extend_from_within(&v, 0, 2), 0);
	/* 7 7 8 5 7 8 9 7 7 */
	KUNIT_ASSERT_EQ(test, ctnr_vec_len(&v), 9);
	KUNIT_EXPECT_EQ(test, at(&v, 3), 5);
	KUNIT_EXPECT_EQ(test, at(&v, 8), 7);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_resize(&v, 10, &x), 0);
	KUNIT_EXPECT_EQ(test, at(&v, 9), 5);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_resize(&v, 3, &x), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_shrink_to_fit(&v), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&v), 3);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_clone(&w, &v), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_append(&v, &w), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 6);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_split_off(&v, 2, &tail), 0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&tail), 4);
	KUNIT_EXPECT_EQ(test, at(&tail, 0), 8);

	/* Out of memory: -ENOMEM and nothing changed. */
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_shrink_to_fit(&v), 0);
	ctnr_vec_free(&w);
	ctnr_test_fail_after(0);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_push(&v, &x), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_insert(&v, 0, &x), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_extend_from_slice(&v, more, 3),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_extend_from_within(&v, 0, 2),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_resize(&v, 40, &x), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_clone(&w, &tail), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_append(&v, &tail), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_split_off(&tail, 1, &w), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_with_capacity(&w, 4, 4, 1),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&v), 2);
	KUNIT_EXPECT_EQ(test, ctnr_vec_len(&tail), 4);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_push(&tail, &x), -ENOMEM);
	ctnr_vec_truncate(&tail, 3);
	KUNIT_EXPECT_EQ(test, ctnr_vec_try_shrink_to_fit(&tail), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctnr_vec_capacity(&tail), 4);
	ctnr_test_fail_after(-1);
	ctnr_vec_free(&tail);
	ctnr_vec_free(&v);
}

struct counting_allocator {
	struct ctnr_allocator base;
	int blocks;
};

static void *counting_realloc(const struct ctnr_allocator *a, void *ptr,
			      size_t old_size, size_t new_size, size_t align)
{
	struct counting_allocator *ca =
		container_of(a, struct counting_allocator, base);
	void *p = __ctnr_realloc(ptr, old_size, new_size, align);

	if (p && !ptr)
		ca->blocks++;
	return p;
}

static void counting_free(const struct ctnr_allocator *a, void *ptr,
			  size_t size, size_t align)
{
	struct counting_allocator *ca =
		container_of(a, struct counting_allocator, base);

	if (ptr)
		ca->blocks--;
	__ctnr_free(ptr, size, align);
}

static void fork_vec_allocator_test(struct kunit *test)
{
	struct counting_allocator ca = {
		.base = { .realloc = counting_realloc, .free = counting_free },
	};
	struct ctnr_vec v, w;

	KUNIT_ASSERT_EQ(test, ctnr_vec_try_with_capacity_in(&v, 8, 8, 4,
							    &ca.base), 0);
	KUNIT_EXPECT_EQ(test, ca.blocks, 1);
	KUNIT_EXPECT_PTR_EQ(test, v.alloc, &ca.base);
	seq(&v, 9);
	KUNIT_ASSERT_EQ(test, ctnr_vec_try_clone(&w, &v), 0);
	KUNIT_EXPECT_PTR_EQ(test, w.alloc, &ca.base);
	KUNIT_EXPECT_EQ(test, ca.blocks, 2);
	ctnr_vec_free(&w);
	ctnr_vec_free(&v);
	KUNIT_EXPECT_EQ(test, ca.blocks, 0);

	ctnr_vec_init_in(&v, 4, 4, &ca.base);
	seq(&v, 3);
	KUNIT_EXPECT_EQ(test, ca.blocks, 1);
	ctnr_vec_free(&v);
	KUNIT_EXPECT_EQ(test, ca.blocks, 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void fork_vec_slice_test(struct kunit *test)
{
	struct ctnr_vec v = CTNR_VEC_INIT(int);
	int vals[] = { 5, 3, 9, 1, 7 }, key = 7, zero = 0, *found;

	ctnr_vec_extend_from_slice(&v, vals, ARRAY_SIZE(vals));
	KUNIT_EXPECT_TRUE(test, ctnr_vec_contains(&v, &key));
	ctnr_vec_sort(&v, cmp_int);		/* 1 3 5 7 9 */
	KUNIT_EXPECT_EQ(test, at(&v, 0), 1);
	KUNIT_EXPECT_EQ(test, at(&v, 4), 9);
	found = ctnr_vec_bsearch(&v, &key, cmp_int);
	KUNIT_EXPECT_PTR_EQ(test, found, (int *)ctnr_vec_get(&v, 3));
	KUNIT_EXPECT_NULL(test, ctnr_vec_bsearch(&v, &zero, cmp_int));
	KUNIT_EXPECT_FALSE(test, ctnr_vec_contains(&v, &zero));
	ctnr_vec_rotate_left(&v, 2);		/* 5 7 9 1 3 */
	KUNIT_EXPECT_EQ(test, at(&v, 0), 5);
	KUNIT_EXPECT_EQ(test, at(&v, 3), 1);
	KUNIT_EXPECT_EQ(test, at(&v, 4), 3);
	ctnr_vec_fill(&v, &zero);
	KUNIT_EXPECT_EQ(test, at(&v, 2), 0);
	ctnr_vec_free(&v);
	KUNIT_EXPECT_NULL(test, ctnr_vec_bsearch(&v, &key, cmp_int));
}

static void fork_box_test(struct kunit *test)
{
	u64 val = 0x1234, *b, *c;
	char *s;

	b = ctnr_box_new(&val, sizeof(val), __alignof__(val));
	KUNIT_EXPECT_EQ(test, *b, 0x1234);
	c = ctnr_box_clone(b, sizeof(*b), __alignof__(*b));
	KUNIT_EXPECT_NE(test, (unsigned long)c, (unsigned long)b);
	KUNIT_EXPECT_EQ(test, *c, 0x1234);
	CTNR_BOX_FREE(c);
	c = ctnr_box_try_clone(b, sizeof(*b), __alignof__(*b));
	KUNIT_ASSERT_NOT_NULL(test, c);
	CTNR_BOX_FREE(c);
	CTNR_BOX_FREE(b);
	b = ctnr_box_new_zeroed(sizeof(*b), __alignof__(*b));
	KUNIT_EXPECT_EQ(test, *b, 0);
	CTNR_BOX_FREE(b);
	b = ctnr_box_new_uninit(sizeof(*b), __alignof__(*b));
	CTNR_BOX_FREE(b);

	s = ctnr_box_try_from_bytes("ab", 2, 4, 1);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_STREQ(test, s, "ab");
	KUNIT_EXPECT_EQ(test, s[3], 0);
	ctnr_box_free(s, 4, 1);

	ctnr_test_fail_after(0);
	KUNIT_EXPECT_NULL(test, ctnr_box_try_clone(&val, 8, 8));
	KUNIT_EXPECT_NULL(test, ctnr_box_try_from_bytes("ab", 2, 4, 1));
}

static void fork_arc_test(struct kunit *test)
{
	u64 val = 77, *a, *b;

	a = ctnr_arc_new(&val, sizeof(val), __alignof__(val));
	KUNIT_EXPECT_EQ(test, *a, 77);
	/* Unique: made unique in place. */
	KUNIT_EXPECT_PTR_EQ(test, ctnr_arc_try_make_unique(a), a);
	ctnr_arc_get(a);
	b = ctnr_arc_try_make_unique(a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NE(test, (unsigned long)b, (unsigned long)a);
	KUNIT_EXPECT_EQ(test, *b, 77);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_is_unique(a));
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(b, NULL));
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));

	a = ctnr_arc_new_zeroed(sizeof(*a), __alignof__(*a));
	KUNIT_EXPECT_EQ(test, *a, 0);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));
	a = ctnr_arc_new_uninit(sizeof(*a), __alignof__(*a));
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));
	a = ctnr_arc_try_new_zeroed(sizeof(*a), __alignof__(*a));
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, *a, 0);

	ctnr_arc_get(a);
	ctnr_test_fail_after(0);
	KUNIT_EXPECT_NULL(test, ctnr_arc_try_make_unique(a));
	KUNIT_EXPECT_EQ(test, ctnr_arc_count(a), 2);
	KUNIT_EXPECT_NULL(test, ctnr_arc_try_new_zeroed(8, 8));
	ctnr_arc_put(a, NULL);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));
}

static struct kunit_case fork_test_cases[] = {
	KUNIT_CASE(fork_vec_infallible_test),
	KUNIT_CASE(fork_vec_try_test),
	KUNIT_CASE(fork_vec_allocator_test),
	KUNIT_CASE(fork_vec_slice_test),
	KUNIT_CASE(fork_box_test),
	KUNIT_CASE(fork_arc_test),
	{}
};

static struct kunit_suite fork_test_suite = {
	.name = "ctnr_fork",
	.init = ctnr_test_init,
	.exit = ctnr_test_exit,
	.test_cases = fork_test_cases,
};

kunit_test_suite(fork_test_suite);

MODULE_DESCRIPTION("KUnit tests for the kernel's fork of ctnr");
MODULE_LICENSE("GPL");
