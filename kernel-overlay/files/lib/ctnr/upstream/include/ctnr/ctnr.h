/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ctnr - small allocator-agnostic containers for C.
 *
 * Common definitions: error codes, the allocation hooks every embedder
 * provides and, behind CTNR_UNSTABLE_ALLOCATOR_API, the allocator interface.
 */
#ifndef CTNR_CTNR_H
#define CTNR_CTNR_H

#include <ctnr_port.h>

#define CTNR_VERSION_MAJOR 1
#define CTNR_VERSION_MINOR 4

/* Errors returned by the fallible functions; 0 means success. */
#define CTNR_ERR_ALLOC		(-1)	/* the allocator failed */
#define CTNR_ERR_OVERFLOW	(-2)	/* the size does not fit in a ptrdiff_t */
#define CTNR_ERR_FULL		(-3)	/* no spare capacity left */

/* The largest block the library ever asks for. */
#define CTNR_MAX_ALLOC		((size_t)CTNR_PTRDIFF_MAX)

/*
 * Allocation hooks, implemented by the embedder.
 *
 * __ctnr_realloc() allocates when @ptr is NULL and otherwise resizes the
 * block @ptr of @old_size bytes to @new_size bytes, keeping the first
 * min(@old_size, @new_size) bytes.  @align is a power of two and the same for
 * every call on one block.  @new_size is never 0.  On failure it returns NULL
 * and leaves @ptr untouched.
 *
 * __ctnr_free() releases a block of @size bytes; @ptr may be NULL.
 */
void *__ctnr_realloc(void *ptr, size_t old_size, size_t new_size, size_t align);
void __ctnr_free(void *ptr, size_t size, size_t align);

#ifndef CTNR_NO_GLOBAL_OOM_HANDLING
/* Called by the infallible functions when an allocation fails. */
CTNR_NORETURN void __ctnr_alloc_error(size_t size, size_t align);
#endif

/* Round @size up to a multiple of the power of two @align. */
static inline size_t ctnr_align_up(size_t size, size_t align)
{
	return (size + align - 1) & ~(align - 1);
}

static inline bool ctnr_align_valid(size_t align)
{
	return align && !(align & (align - 1));
}

#ifdef CTNR_UNSTABLE_ALLOCATOR_API
/*
 * struct ctnr_allocator - an allocator passed to the *_in() functions
 * @realloc: same contract as __ctnr_realloc()
 * @free: same contract as __ctnr_free()
 *
 * Embed it in a larger structure to give the callbacks a context.
 */
struct ctnr_allocator {
	void *(*realloc)(const struct ctnr_allocator *a, void *ptr,
			 size_t old_size, size_t new_size, size_t align);
	void (*free)(const struct ctnr_allocator *a, void *ptr, size_t size,
		     size_t align);
};

/* The allocator that forwards to the global hooks. */
extern const struct ctnr_allocator ctnr_global;
#endif

#endif /* CTNR_CTNR_H */
