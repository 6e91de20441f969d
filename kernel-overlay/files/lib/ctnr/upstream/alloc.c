// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ctnr - the global allocator object.
 */
#include <ctnr/ctnr.h>

#ifdef CTNR_UNSTABLE_ALLOCATOR_API
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
#endif
