// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the allocator glue in lib/ctnr/allocator.c.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/kalloc.h>
#include <linux/slab.h>

static void kalloc_realloc_align_test(struct kunit *test)
{
	static const size_t aligns[] = { 1, 8, 16, 64, 256, 1024, PAGE_SIZE };
	static const size_t sizes[] = { 1, 24, 100, 3000 };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			void *p = kalloc_realloc(NULL, sizes[j], aligns[i],
						 GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_TRUE_MSG(test,
					      IS_ALIGNED((unsigned long)p,
							 aligns[i]),
					      "size %zu align %zu", sizes[j],
					      aligns[i]);
			KUNIT_EXPECT_GE(test, ksize(p), sizes[j]);
			kfree(p);
		}
	}
}

static void kalloc_realloc_resize_test(struct kunit *test)
{
	u8 *p = kalloc_realloc(NULL, 16, 16, GFP_KERNEL), *q;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < 16; i++)
		p[i] = i;
	q = kalloc_realloc(p, 4000, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)q, 16));
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ(test, q[i], i);
	p = kalloc_realloc(q, 8, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, p[7], 7);
	kfree(p);

	/* Sizes whose padding would overflow are refused. */
	KUNIT_EXPECT_NULL(test, kalloc_realloc(NULL, SIZE_MAX - 2, 8,
					       GFP_KERNEL));
}

static void ctnr_hooks_test(struct kunit *test)
{
	u64 *p = __ctnr_realloc(NULL, 0, 3 * sizeof(*p), __alignof__(*p));

	KUNIT_ASSERT_NOT_NULL(test, p);
	p[2] = 5;
	p = __ctnr_realloc(p, 3 * sizeof(*p), 30 * sizeof(*p),
			   __alignof__(*p));
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, p[2], 5);
	__ctnr_free(p, 30 * sizeof(*p), __alignof__(*p));
	__ctnr_free(NULL, 0, 1);
}

static void *null_realloc(void *ptr, size_t size, size_t align, gfp_t flags)
{
	return NULL;
}

static void ctnr_hooks_fail_test(struct kunit *test)
{
	kunit_activate_static_stub(test, kalloc_realloc, null_realloc);
	KUNIT_EXPECT_NULL(test, __ctnr_realloc(NULL, 0, 8, 8));
	kunit_deactivate_static_stub(test, kalloc_realloc);
}

static void kalloc_errno_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kalloc_errno(0), 0);
	KUNIT_EXPECT_EQ(test, kalloc_errno(CTNR_ERR_ALLOC), -ENOMEM);
	KUNIT_EXPECT_EQ(test, kalloc_errno(CTNR_ERR_OVERFLOW), -ENOMEM);
	KUNIT_EXPECT_EQ(test, kalloc_errno(CTNR_ERR_FULL), -ENOSPC);
}

static struct kunit_case kalloc_allocator_test_cases[] = {
	KUNIT_CASE(kalloc_realloc_align_test),
	KUNIT_CASE(kalloc_realloc_resize_test),
	KUNIT_CASE(ctnr_hooks_test),
	KUNIT_CASE(ctnr_hooks_fail_test),
	KUNIT_CASE(kalloc_errno_test),
	{}
};

static struct kunit_suite kalloc_allocator_test_suite = {
	.name = "kalloc_allocator",
	.test_cases = kalloc_allocator_test_cases,
};

kunit_test_suite(kalloc_allocator_test_suite);

MODULE_DESCRIPTION("KUnit tests for the ctnr allocator glue");
MODULE_LICENSE("GPL");
