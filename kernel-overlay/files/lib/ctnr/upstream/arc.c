// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ctnr - reference-counted objects.
 */
#include <ctnr/arc.h>

struct arc_header {
	ctnr_refcount_t refs;
	size_t size;
	size_t align;
#ifdef CTNR_UNSTABLE_ALLOCATOR_API
	const struct ctnr_allocator *alloc;
#endif
};

/* The block is aligned for both the header and the object. */
static size_t block_align_of(size_t align)
{
	if (align < CTNR_ALIGNOF(struct arc_header))
		return CTNR_ALIGNOF(struct arc_header);
	return align;
}

static size_t header_offset(size_t align)
{
	return ctnr_align_up(sizeof(struct arc_header), block_align_of(align));
}

static struct arc_header *header(const void *p)
{
	return (struct arc_header *)((char *)p - sizeof(struct arc_header));
}

/**
 * ctnr_arc_layout - size and alignment of the block backing an arc
 * @size: size of the object, not 0
 * @align: alignment of the object, a power of two
 * @block_align: returns the alignment the block needs
 *
 * For embedders that allocate the block themselves and hand it to
 * ctnr_arc_init_raw().  The block must be freeable by __ctnr_free().
 *
 * Return: the size of the block, or 0 if it would be too large.
 */
size_t ctnr_arc_layout(size_t size, size_t align, size_t *block_align)
{
	size_t off = header_offset(align);
	size_t total;

	if (CTNR_MISUSE(!size || !ctnr_align_valid(align)))
		return 0;
	if (ctnr_add_overflow(off, size, &total) || total > CTNR_MAX_ALLOC)
		return 0;
	*block_align = block_align_of(align);
	return total;
}

static void *init_block(void *block, size_t size, size_t align)
{
	void *p = (char *)block + header_offset(align);
	struct arc_header *h = header(p);

	ctnr_refcount_set(&h->refs, 1);
	h->size = size;
	h->align = align;
#ifdef CTNR_UNSTABLE_ALLOCATOR_API
	h->alloc = &ctnr_global;
#endif
	return p;
}

/**
 * ctnr_arc_init_raw - turn a block into an arc holding one reference
 * @block: at least ctnr_arc_layout(@size, @align) bytes, suitably aligned
 * @size: size of the object
 * @align: alignment of the object
 *
 * The object itself is left uninitialised.  The last ctnr_arc_put() frees
 * @block with __ctnr_free().
 *
 * Return: the object.
 */
void *ctnr_arc_init_raw(void *block, size_t size, size_t align)
{
	return init_block(block, size, align);
}

/* Take a reference to the arc @p; returns @p. */
void *ctnr_arc_get(void *p)
{
	ctnr_refcount_inc(&header(p)->refs);
	return p;
}

/**
 * ctnr_arc_put - drop a reference
 * @p: the arc, or NULL
 * @drop: called on the object before it is freed, or NULL
 *
 * Return: true if this was the last reference and @p was freed.
 */
bool ctnr_arc_put(void *p, void (*drop)(void *obj))
{
	struct arc_header *h;
	size_t off, total;

	if (!p)
		return false;
	h = header(p);
	if (!ctnr_refcount_dec_and_test(&h->refs))
		return false;
	if (drop)
		drop(p);
	off = header_offset(h->align);
	total = off + h->size;
#ifdef CTNR_UNSTABLE_ALLOCATOR_API
	h->alloc->free(h->alloc, (char *)p - off, total,
		       block_align_of(h->align));
#else
	__ctnr_free((char *)p - off, total, block_align_of(h->align));
#endif
	return true;
}

/* The number of references; only a hint while the arc is shared. */
size_t ctnr_arc_count(const void *p)
{
	return ctnr_refcount_read(&header(p)->refs);
}

/* Whether the caller holds the only reference. */
bool ctnr_arc_is_unique(const void *p)
{
	return ctnr_arc_count(p) == 1;
}

#ifndef CTNR_NO_GLOBAL_OOM_HANDLING
void *ctnr_arc_new_uninit(size_t size, size_t align)
{
	size_t block_align, total = ctnr_arc_layout(size, align, &block_align);
	void *block;

	if (!total)
		__ctnr_alloc_error(size, align);
	block = __ctnr_realloc(NULL, 0, total, block_align);
	if (!block)
		__ctnr_alloc_error(total, block_align);
	return init_block(block, size, align);
}

void *ctnr_arc_new(const void *val, size_t size, size_t align)
{
	void *p = ctnr_arc_new_uninit(size, align);

	memcpy(p, val, size);
	return p;
}

void *ctnr_arc_new_zeroed(size_t size, size_t align)
{
	void *p = ctnr_arc_new_uninit(size, align);

	memset(p, 0, size);
	return p;
}
#endif /* CTNR_NO_GLOBAL_OOM_HANDLING */

#ifdef CTNR_UNSTABLE_ALLOCATOR_API
/* Like ctnr_arc_init_raw(), but the last reference frees @block with @a. */
void *ctnr_arc_init_raw_in(void *block, size_t size, size_t align,
			   const struct ctnr_allocator *a)
{
	void *p = init_block(block, size, align);

	header(p)->alloc = a;
	return p;
}

/**
 * ctnr_arc_try_new_uninit_in - allocate an uninitialised arc from @a
 * @a: the allocator
 * @size: size of the object, not 0
 * @align: alignment of the object, a power of two
 *
 * Return: the object with one reference, or NULL on failure.
 */
void *ctnr_arc_try_new_uninit_in(const struct ctnr_allocator *a, size_t size,
				 size_t align)
{
	size_t block_align, total = ctnr_arc_layout(size, align, &block_align);
	void *block;

	if (!total)
		return NULL;
	block = a->realloc(a, NULL, 0, total, block_align);
	if (!block)
		return NULL;
	return ctnr_arc_init_raw_in(block, size, align, a);
}

/* Like ctnr_arc_new_uninit(), but return NULL on failure. */
void *ctnr_arc_try_new_uninit(size_t size, size_t align)
{
	return ctnr_arc_try_new_uninit_in(&ctnr_global, size, align);
}

/* Like ctnr_arc_new(), but return NULL on failure. */
void *ctnr_arc_try_new(const void *val, size_t size, size_t align)
{
	void *p = ctnr_arc_try_new_uninit(size, align);

	if (p)
		memcpy(p, val, size);
	return p;
}
#endif /* CTNR_UNSTABLE_ALLOCATOR_API */
