// SPDX-License-Identifier: GPL-2.0
/*
 * Reference-counted objects for the kernel: allocation, in-place
 * initialisation and a shared, mutex-protected vec built on them.
 */
#include <linux/kalloc.h>
#include <linux/minmax.h>
#include <linux/mutex.h>

/**
 * kalloc_arc_try_new_uninit - allocate a unique, uninitialised arc
 * @size: size of the object, not 0
 * @align: alignment of the object, a power of two
 *
 * The caller holds the only reference and initialises the object before
 * sharing it with ctnr_arc_get().
 *
 * Return: the object, or NULL when out of memory.
 */
void *kalloc_arc_try_new_uninit(size_t size, size_t align)
{
	return ctnr_arc_try_new_uninit(size, align);
}
EXPORT_SYMBOL_GPL(kalloc_arc_try_new_uninit);

/**
 * kalloc_arc_try_new - allocate an arc holding a copy of @val
 * @val: the initial contents, @size bytes
 * @size: size of the object, not 0
 * @align: alignment of the object, a power of two
 *
 * Return: the object with one reference, or NULL when out of memory.
 */
void *kalloc_arc_try_new(const void *val, size_t size, size_t align)
{
	return ctnr_arc_try_new(val, size, align);
}
EXPORT_SYMBOL_GPL(kalloc_arc_try_new);

/**
 * kalloc_arc_try_init - allocate an arc and initialise it in place
 * @size: size of the object, not 0
 * @align: alignment of the object, a power of two
 * @init: initialises the object; returns 0 or a negative errno
 * @arg: passed to @init
 *
 * For objects that cannot be copied into place once built, such as those
 * embedding a lock or a work item.  When @init fails the memory is freed
 * and @init is expected to have undone its own partial work.
 *
 * Return: the object with one reference, ERR_PTR(-ENOMEM), or the error
 * @init returned.
 */
void *kalloc_arc_try_init(size_t size, size_t align,
			  int (*init)(void *obj, void *arg), void *arg)
{
	void *obj = kalloc_arc_try_new_uninit(size, align);
	int ret;

	if (!obj)
		return ERR_PTR(-ENOMEM);
	ret = init(obj, arg);
	if (ret) {
		ctnr_arc_put(obj, NULL);
		return ERR_PTR(ret);
	}
	return obj;
}
EXPORT_SYMBOL_GPL(kalloc_arc_try_init);

struct locked_vec_layout {
	size_t elem_size;
	size_t align;
};

static int locked_vec_init(void *obj, void *arg)
{
	struct kalloc_locked_vec *lv = obj;
	const struct locked_vec_layout *layout = arg;

	mutex_init(&lv->lock);
	ctnr_vec_init(&lv->vec, layout->elem_size, layout->align);
	return 0;
}

/**
 * kalloc_locked_vec_try_new - allocate an empty shared vec
 * @elem_size: size of one element, not 0
 * @align: alignment of the elements, a power of two
 *
 * Return: the vec with one reference, or ERR_PTR(-ENOMEM).
 */
struct kalloc_locked_vec *kalloc_locked_vec_try_new(size_t elem_size,
						    size_t align)
{
	struct locked_vec_layout layout = {
		.elem_size = elem_size,
		.align = align,
	};

	return kalloc_arc_try_init(sizeof(struct kalloc_locked_vec),
				   __alignof__(struct kalloc_locked_vec),
				   locked_vec_init, &layout);
}
EXPORT_SYMBOL_GPL(kalloc_locked_vec_try_new);

/**
 * kalloc_locked_vec_push - append an element to a shared vec
 * @lv: the vec
 * @elem: the element
 *
 * Context: process context; takes @lv->lock and may sleep.
 * Return: 0 or -ENOMEM.
 */
int kalloc_locked_vec_push(struct kalloc_locked_vec *lv, const void *elem)
{
	int ret;

	mutex_lock(&lv->lock);
	ret = ctnr_vec_try_push(&lv->vec, elem);
	mutex_unlock(&lv->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(kalloc_locked_vec_push);

/**
 * kalloc_locked_vec_take - move the oldest elements out of a shared vec
 * @lv: the vec
 * @out: room for @max elements
 * @max: the most elements to take
 *
 * Context: process context; takes @lv->lock and may sleep.
 * Return: the number of elements copied to @out.
 */
size_t kalloc_locked_vec_take(struct kalloc_locked_vec *lv, void *out,
			      size_t max)
{
	size_t n;

	mutex_lock(&lv->lock);
	n = min(max, ctnr_vec_len(&lv->vec));
	ctnr_vec_drain(&lv->vec, 0, n, out);
	mutex_unlock(&lv->lock);
	return n;
}
EXPORT_SYMBOL_GPL(kalloc_locked_vec_take);

static void locked_vec_drop(void *obj)
{
	struct kalloc_locked_vec *lv = obj;

	ctnr_vec_free(&lv->vec);
	mutex_destroy(&lv->lock);
}

/* Drop a reference to @lv, freeing it with the last one; @lv may be NULL. */
void kalloc_locked_vec_put(struct kalloc_locked_vec *lv)
{
	ctnr_arc_put(lv, locked_vec_drop);
}
EXPORT_SYMBOL_GPL(kalloc_locked_vec_put);
