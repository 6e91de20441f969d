// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ctnr - owned heap objects.
 */
#include <ctnr/box.h>

/**
 * ctnr_box_free - free a box
 * @p: the box, or NULL
 * @size: size it was created with
 * @align: alignment it was created with
 */
void ctnr_box_free(void *p, size_t size, size_t align)
{
	__ctnr_free(p, size, align);
}

#ifndef CTNR_NO_GLOBAL_OOM_HANDLING
void *ctnr_box_new_uninit(size_t size, size_t align)
{
	void *p;

	if (CTNR_MISUSE(!size || !ctnr_align_valid(align)))
		return NULL;
	p = __ctnr_realloc(NULL, 0, size, align);
	if (!p)
		__ctnr_alloc_error(size, align);
	return p;
}

void *ctnr_box_new(const void *val, size_t size, size_t align)
{
	void *p = ctnr_box_new_uninit(size, align);

	if (p)
		memcpy(p, val, size);
	return p;
}

void *ctnr_box_new_zeroed(size_t size, size_t align)
{
	void *p = ctnr_box_new_uninit(size, align);

	if (p)
		memset(p, 0, size);
	return p;
}

void *ctnr_box_clone(const void *p, size_t size, size_t align)
{
	return ctnr_box_new(p, size, align);
}
#endif /* CTNR_NO_GLOBAL_OOM_HANDLING */

#ifdef CTNR_UNSTABLE_ALLOCATOR_API
/**
 * ctnr_box_try_new_uninit_in - allocate an uninitialised box from @a
 * @a: the allocator
 * @size: size of the object, not 0
 * @align: alignment of the object, a power of two
 *
 * Return: the box, or NULL if @a failed.  Free it with ctnr_box_free_in().
 */
void *ctnr_box_try_new_uninit_in(const struct ctnr_allocator *a, size_t size,
				 size_t align)
{
	if (CTNR_MISUSE(!size || !ctnr_align_valid(align)))
		return NULL;
	return a->realloc(a, NULL, 0, size, align);
}

void ctnr_box_free_in(const struct ctnr_allocator *a, void *p, size_t size,
		      size_t align)
{
	a->free(a, p, size, align);
}

/* Like ctnr_box_new_uninit(), but return NULL on failure. */
void *ctnr_box_try_new_uninit(size_t size, size_t align)
{
	return ctnr_box_try_new_uninit_in(&ctnr_global, size, align);
}

/* Like ctnr_box_new(), but return NULL on failure. */
void *ctnr_box_try_new(const void *val, size_t size, size_t align)
{
	void *p = ctnr_box_try_new_uninit(size, align);

	if (p)
		memcpy(p, val, size);
	return p;
}

/* Like ctnr_box_new_zeroed(), but return NULL on failure. */
void *ctnr_box_try_new_zeroed(size_t size, size_t align)
{
	void *p = ctnr_box_try_new_uninit(size, align);

	if (p)
		memset(p, 0, size);
	return p;
}
#endif /* CTNR_UNSTABLE_ALLOCATOR_API */
