// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ctnr (kernel fork) - the global allocator object.
 */
#include <linux/export.h>
#include <ctnr/ctnr.h>

static void *global_realloc(const struct ctnr_allocator *a, void *ptr,
			    size_t old_size, size_t new_size, size_t align)
{
	return __ctnr_realloc(ptr, old_size, new_size, align);
}

static void global_free(const struct ctnr_allocator *a, void *ptr,
			size_t size, size_t align)
{
	__ctnr_free(ptr, size, align);
}

const struct ctnr_allocator ctnr_global = {
	.realloc = global_realloc,
	.free = global_free,
};

/**
 * ctnr_alloc_or_die - allocate or resize through an allocator, or die
 * @a: the allocator
 * @ptr: the block to resize, or NULL
 * @old_size: current size of @ptr
 * @new_size: the new size, not 0
 * @align: alignment of the block
 *
 * The kernel's containers are used from process context only, where
 * GFP_KERNEL allocations of reasonable size do not fail; when one does,
 * __ctnr_alloc_error() stops the machine.
 *
 * Return: the block, never NULL.
 */
void *ctnr_alloc_or_die(const struct ctnr_allocator *a, void *ptr,
			size_t old_size, size_t new_size, size_t align)
{
	void *p = a->realloc(a, ptr, old_size, new_size, align);

	if (!p)
		__ctnr_alloc_error(new_size, align);
	return p;
}
EXPORT_SYMBOL_GPL(ctnr_alloc_or_die);
