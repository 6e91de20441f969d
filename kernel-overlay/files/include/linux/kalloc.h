/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's allocation API for the ctnr containers (lib/ctnr/).
 *
 * The containers themselves are declared in <ctnr/vec.h>, <ctnr/box.h> and
 * <ctnr/arc.h>; code including this header builds with the ctnr include
 * flags, see lib/ctnr/Makefile.
 */
#ifndef _LINUX_KALLOC_H
#define _LINUX_KALLOC_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/mutex.h>
#include <ctnr/arc.h>
#include <ctnr/box.h>
#include <ctnr/vec.h>

void *kalloc_realloc(void *ptr, size_t size, size_t align, gfp_t flags);

/**
 * kalloc_errno - convert a ctnr error code to an errno
 * @err: 0 or a CTNR_ERR_* code
 *
 * Return: 0, -ENOMEM when memory could not be reserved, or -ENOSPC when an
 * operation that must not allocate found no spare capacity.
 */
static inline int kalloc_errno(int err)
{
	switch (err) {
	case 0:
		return 0;
	case CTNR_ERR_FULL:
		return -ENOSPC;
	default:
		return -ENOMEM;
	}
}

void *kalloc_arc_try_new(const void *val, size_t size, size_t align);
void *kalloc_arc_try_new_uninit(size_t size, size_t align);
void *kalloc_arc_try_init(size_t size, size_t align,
			  int (*init)(void *obj, void *arg), void *arg);

/**
 * struct kalloc_locked_vec - a shared, mutex-protected vec
 * @lock: serialises access to @vec
 * @vec: the elements
 *
 * Allocated as an arc by kalloc_locked_vec_try_new(); every holder drops its
 * reference with kalloc_locked_vec_put().
 */
struct kalloc_locked_vec {
	struct mutex lock;	/* protects @vec */
	struct ctnr_vec vec;
};

struct kalloc_locked_vec *kalloc_locked_vec_try_new(size_t elem_size,
						    size_t align);
int kalloc_locked_vec_push(struct kalloc_locked_vec *lv, const void *elem);
size_t kalloc_locked_vec_take(struct kalloc_locked_vec *lv, void *out,
			      size_t max);
void kalloc_locked_vec_put(struct kalloc_locked_vec *lv);

#endif /* _LINUX_KALLOC_H */
