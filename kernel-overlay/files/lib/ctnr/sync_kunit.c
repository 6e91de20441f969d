// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the kernel's reference-counted objects in lib/ctnr/sync.c.
 */
#include <kunit/test.h>
#include <linux/kalloc.h>
#include "ctnr_test.h"

struct point {
	int x, y;
};

static void kalloc_arc_new_test(struct kunit *test)
{
	struct point val = { 3, 4 }, *a, *u;

	a = kalloc_arc_try_new(&val, sizeof(val), __alignof__(val));
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, a->y, 4);
	u = kalloc_arc_try_new_uninit(sizeof(*u), __alignof__(*u));
	KUNIT_ASSERT_NOT_NULL(test, u);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_is_unique(u));
	KUNIT_EXPECT_EQ(test, ctnr_test_live(), 2);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(u, NULL));
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(a, NULL));

	ctnr_test_fail_after(0);
	KUNIT_EXPECT_NULL(test, kalloc_arc_try_new(&val, sizeof(val),
						   __alignof__(val)));
	KUNIT_EXPECT_NULL(test, kalloc_arc_try_new_uninit(8, 8));
}

static int init_point(void *obj, void *arg)
{
	struct point *p = obj;
	int *err = arg;

	if (*err)
		return *err;
	p->x = 1;
	p->y = 2;
	return 0;
}

static void kalloc_arc_init_test(struct kunit *test)
{
	struct point *p;
	int err = 0;

	p = kalloc_arc_try_init(sizeof(*p), __alignof__(*p), init_point, &err);
	KUNIT_ASSERT_FALSE(test, IS_ERR(p));
	KUNIT_EXPECT_EQ(test, p->x, 1);
	KUNIT_EXPECT_TRUE(test, ctnr_arc_put(p, NULL));

	/* A failing initialiser: its error comes back, the memory is freed. */
	err = -EBUSY;
	p = kalloc_arc_try_init(sizeof(*p), __alignof__(*p), init_point, &err);
	KUNIT_EXPECT_EQ(test, PTR_ERR(p), -EBUSY);

	/* No memory: the initialiser is not called. */
	err = -EBUSY;
	ctnr_test_fail_after(0);
	p = kalloc_arc_try_init(sizeof(*p), __alignof__(*p), init_point, &err);
	KUNIT_EXPECT_EQ(test, PTR_ERR(p), -ENOMEM);
}

static void kalloc_locked_vec_test(struct kunit *test)
{
	struct kalloc_locked_vec *lv;
	int i, out[8];

	lv = kalloc_locked_vec_try_new(sizeof(int), __alignof__(int));
	KUNIT_ASSERT_FALSE(test, IS_ERR(lv));
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ(test, kalloc_locked_vec_push(lv, &i), 0);
	ctnr_arc_get(lv);
	KUNIT_EXPECT_EQ(test, kalloc_locked_vec_take(lv, out, 4), 4);
	KUNIT_EXPECT_EQ(test, out[3], 3);
	kalloc_locked_vec_put(lv);
	KUNIT_EXPECT_EQ(test, kalloc_locked_vec_take(lv, out, 8), 2);
	KUNIT_EXPECT_EQ(test, out[0], 4);
	KUNIT_EXPECT_EQ(test, kalloc_locked_vec_take(lv, out, 8), 0);

	/* A failed push leaves the contents alone. */
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, kalloc_locked_vec_push(lv, &i), 0);
	ctnr_test_fail_after(0);
	for (i = 0; i < 5; i++)
		kalloc_locked_vec_push(lv, &i);
	KUNIT_EXPECT_EQ(test, kalloc_locked_vec_push(lv, &i), -ENOMEM);
	KUNIT_EXPECT_LE(test, ctnr_vec_len(&lv->vec), 8);
	kalloc_locked_vec_put(lv);

	KUNIT_EXPECT_TRUE(test, IS_ERR(kalloc_locked_vec_try_new(4, 4)));
	kalloc_locked_vec_put(NULL);
}

static struct kunit_case kalloc_sync_test_cases[] = {
	KUNIT_CASE(kalloc_arc_new_test),
	KUNIT_CASE(kalloc_arc_init_test),
	KUNIT_CASE(kalloc_locked_vec_test),
	{}
};

static struct kunit_suite kalloc_sync_test_suite = {
	.name = "kalloc_sync",
	.init = ctnr_test_init,
	.exit = ctnr_test_exit,
	.test_cases = kalloc_sync_test_cases,
};

kunit_test_suite(kalloc_sync_test_suite);

MODULE_DESCRIPTION("KUnit tests for the kernel's reference-counted objects");
MODULE_LICENSE("GPL");
