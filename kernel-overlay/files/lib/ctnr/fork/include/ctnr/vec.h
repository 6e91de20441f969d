/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ctnr (kernel fork) - growable arrays.
 *
 * A struct ctnr_vec owns a buffer of @cap elements of @elem_size bytes, the
 * first @len of which are initialised.  Elements are plain data: they are
 * moved with memcpy() and dropped without a destructor.
 */
#ifndef CTNR_VEC_H
#define CTNR_VEC_H

#include <ctnr/ctnr.h>

/**
 * struct ctnr_vec - a growable array
 * @ptr: the buffer, NULL while @cap is 0
 * @len: number of initialised elements
 * @cap: number of elements the buffer holds
 * @elem_size: size of one element in bytes, never 0
 * @align: alignment of the buffer, a power of two
 * @alloc: the allocator owning the buffer
 */
struct ctnr_vec {
	void *ptr;
	size_t len;
	size_t cap;
	size_t elem_size;
	size_t align;
	const struct ctnr_allocator *alloc;
};

/* An empty vec of @type elements; it does not allocate. */
#define CTNR_VEC_INIT(type) {					\
	.elem_size = sizeof(type), .align = CTNR_ALIGNOF(type),	\
	.alloc = &ctnr_global,					\
}

/* Iterate @pos, a pointer to @type, over the elements of @v. */
#define ctnr_vec_for_each(pos, v)					\
	for ((pos) = (v)->ptr;						\
	     (pos) && (size_t)((pos) - (typeof(pos))(v)->ptr) < (v)->len;	\
	     (pos)++)

static inline void ctnr_vec_init(struct ctnr_vec *v, size_t elem_size,
				 size_t align)
{
	v->ptr = NULL;
	v->len = 0;
	v->cap = 0;
	v->elem_size = elem_size;
	v->align = align;
	v->alloc = &ctnr_global;
}

/* Like ctnr_vec_init(), but allocate from @a. */
static inline void ctnr_vec_init_in(struct ctnr_vec *v, size_t elem_size,
				    size_t align,
				    const struct ctnr_allocator *a)
{
	ctnr_vec_init(v, elem_size, align);
	v->alloc = a;
}

static inline size_t ctnr_vec_len(const struct ctnr_vec *v)
{
	return v->len;
}

static inline size_t ctnr_vec_capacity(const struct ctnr_vec *v)
{
	return v->cap;
}

static inline bool ctnr_vec_is_empty(const struct ctnr_vec *v)
{
	return !v->len;
}

static inline void *ctnr_vec_data(const struct ctnr_vec *v)
{
	return v->ptr;
}

/* Element @i without bounds check; @i may equal the capacity. */
static inline void *ctnr_vec_at(const struct ctnr_vec *v, size_t i)
{
	return (char *)v->ptr + i * v->elem_size;
}

/* Element @i, or NULL when @i is out of bounds. */
static inline void *ctnr_vec_get(const struct ctnr_vec *v, size_t i)
{
	return i < v->len ? ctnr_vec_at(v, i) : NULL;
}

/*
 * The uninitialised tail of the buffer: *@n elements starting at the return
 * value.  Write elements there, then publish them with ctnr_vec_set_len().
 */
static inline void *ctnr_vec_spare_capacity(const struct ctnr_vec *v,
					    size_t *n)
{
	*n = v->cap - v->len;
	return v->cap ? ctnr_vec_at(v, v->len) : NULL;
}

/*
 * Set the length.  The caller guarantees @len <= capacity and that the
 * elements below @len are initialised.
 */
static inline void ctnr_vec_set_len(struct ctnr_vec *v, size_t len)
{
	if (CTNR_MISUSE(len > v->cap))
		return;
	v->len = len;
}

/*
 * Take ownership of a buffer of @cap elements, @len of them initialised,
 * allocated by __ctnr_realloc() (or a compatible allocator) with
 * @cap * @elem_size bytes and alignment @align.  @ptr is NULL iff @cap is 0.
 */
static inline void ctnr_vec_from_raw_parts(struct ctnr_vec *v, void *ptr,
					   size_t len, size_t cap,
					   size_t elem_size, size_t align)
{
	v->ptr = ptr;
	v->len = len;
	v->cap = cap;
	v->elem_size = elem_size;
	v->align = align;
	v->alloc = &ctnr_global;
}

/*
 * Release ownership of the buffer, which the caller must free with
 * __ctnr_free() or hand back with ctnr_vec_from_raw_parts().  @v is left
 * empty and can be reused.
 */
static inline void *ctnr_vec_into_raw_parts(struct ctnr_vec *v, size_t *len,
					    size_t *cap)
{
	void *ptr = v->ptr;

	*len = v->len;
	*cap = v->cap;
	v->ptr = NULL;
	v->len = 0;
	v->cap = 0;
	return ptr;
}

int ctnr_vec_try_reserve(struct ctnr_vec *v, size_t additional);
int ctnr_vec_try_reserve_exact(struct ctnr_vec *v, size_t additional);
int ctnr_vec_push_within_capacity(struct ctnr_vec *v, const void *elem);

bool ctnr_vec_pop(struct ctnr_vec *v, void *out);
void ctnr_vec_truncate(struct ctnr_vec *v, size_t len);
void ctnr_vec_clear(struct ctnr_vec *v);
bool ctnr_vec_remove(struct ctnr_vec *v, size_t i, void *out);
bool ctnr_vec_swap_remove(struct ctnr_vec *v, size_t i, void *out);
void ctnr_vec_swap(struct ctnr_vec *v, size_t i, size_t j);
void ctnr_vec_reverse(struct ctnr_vec *v);
void ctnr_vec_retain(struct ctnr_vec *v,
		     bool (*keep)(const void *elem, void *arg), void *arg);
void ctnr_vec_dedup_by(struct ctnr_vec *v,
		       bool (*same)(const void *a, const void *b));
size_t ctnr_vec_drain(struct ctnr_vec *v, size_t start, size_t end, void *out);
void ctnr_vec_free(struct ctnr_vec *v);

void ctnr_vec_with_capacity(struct ctnr_vec *v, size_t elem_size,
			    size_t align, size_t cap);
void ctnr_vec_reserve(struct ctnr_vec *v, size_t additional);
void ctnr_vec_reserve_exact(struct ctnr_vec *v, size_t additional);
void ctnr_vec_push(struct ctnr_vec *v, const void *elem);
void ctnr_vec_insert(struct ctnr_vec *v, size_t i, const void *elem);
void ctnr_vec_extend_from_slice(struct ctnr_vec *v, const void *src, size_t n);
void ctnr_vec_resize(struct ctnr_vec *v, size_t len, const void *fill);
void ctnr_vec_shrink_to_fit(struct ctnr_vec *v);
void ctnr_vec_clone(struct ctnr_vec *dst, const struct ctnr_vec *src);
void ctnr_vec_append(struct ctnr_vec *dst, struct ctnr_vec *src);
void ctnr_vec_split_off(struct ctnr_vec *v, size_t at, struct ctnr_vec *tail);
void ctnr_vec_extend_from_within(struct ctnr_vec *v, size_t start, size_t end);
void ctnr_vec_insert_slice(struct ctnr_vec *v, size_t i, const void *src,
			   size_t n);

/* Fork-only: the fallible variants, returning 0 or -ENOMEM. */
int ctnr_vec_try_with_capacity(struct ctnr_vec *v, size_t elem_size,
			       size_t align, size_t cap);
int ctnr_vec_try_with_capacity_in(struct ctnr_vec *v, size_t elem_size,
				  size_t align, size_t cap,
				  const struct ctnr_allocator *a);
int ctnr_vec_try_push(struct ctnr_vec *v, const void *elem);
int ctnr_vec_try_insert(struct ctnr_vec *v, size_t i, const void *elem);
int ctnr_vec_try_extend_from_slice(struct ctnr_vec *v, const void *src,
				   size_t n);
int ctnr_vec_try_extend_from_within(struct ctnr_vec *v, size_t start,
				    size_t end);
int ctnr_vec_try_insert_slice(struct ctnr_vec *v, size_t i, const void *src,
			      size_t n);
int ctnr_vec_try_resize(struct ctnr_vec *v, size_t len, const void *fill);
int ctnr_vec_try_shrink_to_fit(struct ctnr_vec *v);
int ctnr_vec_try_clone(struct ctnr_vec *dst, const struct ctnr_vec *src);
int ctnr_vec_try_append(struct ctnr_vec *dst, struct ctnr_vec *src);
int ctnr_vec_try_split_off(struct ctnr_vec *v, size_t at,
			   struct ctnr_vec *tail);

/* Fork-only: slice helpers over the initialised elements. */
void ctnr_vec_sort(struct ctnr_vec *v,
		   int (*cmp)(const void *a, const void *b));
void *ctnr_vec_bsearch(const struct ctnr_vec *v, const void *key,
		       int (*cmp)(const void *key, const void *elem));
bool ctnr_vec_contains(const struct ctnr_vec *v, const void *elem);
bool ctnr_vec_equal(const struct ctnr_vec *a, const struct ctnr_vec *b);
void ctnr_vec_fill(struct ctnr_vec *v, const void *elem);
void ctnr_vec_rotate_left(struct ctnr_vec *v, size_t mid);

#endif /* CTNR_VEC_H */
