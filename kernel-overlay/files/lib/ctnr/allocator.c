// SPDX-License-Identifier: GPL-2.0
/*
 * Allocator glue: the ctnr library's allocation hooks on top of krealloc().
 */
#include <linux/kalloc.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <kunit/static_stub.h>

/*
 * kmalloc() only guarantees ARCH_KMALLOC_MINALIGN, but a power-of-two sized
 * allocation is naturally aligned.  Pad the size to a multiple of @align and,
 * for larger alignments, round it up to a power of two.
 */
static size_t aligned_size(size_t size, size_t align)
{
	size = ALIGN(size, align);
	if (align > ARCH_KMALLOC_MINALIGN)
		size = roundup_pow_of_two(size);
	return size;
}

/**
 * kalloc_realloc - allocate or resize a block with a given alignment
 * @ptr: the block to resize, or NULL to allocate a new one
 * @size: the new size in bytes, not 0
 * @align: the alignment, a power of two no larger than PAGE_SIZE
 * @flags: GFP flags for the allocation
 *
 * Like krealloc(), the first bytes of the old block are kept and the old
 * block is left untouched on failure.  Free the result with kfree().
 *
 * Return: the block, or NULL on failure.
 */
void *kalloc_realloc(void *ptr, size_t size, size_t align, gfp_t flags)
{
	KUNIT_STATIC_STUB_REDIRECT(kalloc_realloc, ptr, size, align, flags);

	if (WARN_ON_ONCE(!size || !is_power_of_2(align) || align > PAGE_SIZE))
		return NULL;
	if (size > SIZE_MAX / 2)
		return NULL;
	return krealloc(ptr, aligned_size(size, align), flags);
}
EXPORT_SYMBOL_GPL(kalloc_realloc);

void *__ctnr_realloc(void *ptr, size_t old_size, size_t new_size, size_t align)
{
	return kalloc_realloc(ptr, new_size, align, GFP_KERNEL);
}

void __ctnr_free(void *ptr, size_t size, size_t align)
{
	KUNIT_STATIC_STUB_REDIRECT(__ctnr_free, ptr, size, align);

	kfree(ptr);
}
EXPORT_SYMBOL_GPL(__ctnr_free);

/* The fork's functions without a try_ prefix treat failure as fatal. */
void __ctnr_alloc_error(size_t size, size_t align)
{
	panic("ctnr: failed to allocate %zu bytes aligned to %zu\n", size,
	      align);
}
