/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation tracking for the ctnr KUnit suites: while a test runs, the
 * allocator glue is redirected to these stubs, which count live blocks and
 * can be told to fail after a number of successful allocations.
 */
#ifndef _CTNR_TEST_H
#define _CTNR_TEST_H

#include <kunit/test.h>
#include <kunit/static_stub.h>
#include <linux/kalloc.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/slab.h>

/**
 * struct ctnr_test_alloc - allocation state of the running test
 * @fail_after: allocations left before they start failing; -1 for never
 * @live: blocks allocated and not yet freed
 * @calls: calls to the allocator, successful or not
 */
struct ctnr_test_alloc {
	int fail_after;
	int live;
	int calls;
};

static inline struct ctnr_test_alloc *ctnr_test_state(void)
{
	return kunit_get_current_test()->priv;
}

static inline void *ctnr_test_realloc(void *ptr, size_t size, size_t align,
				      gfp_t flags)
{
	struct ctnr_test_alloc *st = ctnr_test_state();
	void *p;

	st->calls++;
	if (!st->fail_after)
		return NULL;
	if (st->fail_after > 0)
		st->fail_after--;
	/* A power-of-two kmalloc() size is aligned to itself. */
	p = krealloc(ptr, roundup_pow_of_two(max(size, align)), flags);
	if (p && !ptr)
		st->live++;
	return p;
}

static inline void ctnr_test_free(void *ptr, size_t size, size_t align)
{
	if (ptr)
		ctnr_test_state()->live--;
	kfree(ptr);
}

/* Make the next @n allocations succeed and the ones after them fail. */
static inline void ctnr_test_fail_after(int n)
{
	ctnr_test_state()->fail_after = n;
}

static inline int ctnr_test_live(void)
{
	return ctnr_test_state()->live;
}

static inline int ctnr_test_init(struct kunit *test)
{
	struct ctnr_test_alloc *st = kunit_kzalloc(test, sizeof(*st),
						   GFP_KERNEL);

	if (!st)
		return -ENOMEM;
	st->fail_after = -1;
	test->priv = st;
	kunit_activate_static_stub(test, kalloc_realloc, ctnr_test_realloc);
	kunit_activate_static_stub(test, __ctnr_free, ctnr_test_free);
	return 0;
}

/* Every test must free what it allocated. */
static inline void ctnr_test_exit(struct kunit *test)
{
	struct ctnr_test_alloc *st = test->priv;

	KUNIT_EXPECT_EQ_MSG(test, st->live, 0, "leaked blocks");
}

#endif /* _CTNR_TEST_H */
