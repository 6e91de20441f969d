// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ctnr - growable arrays.
 */
#include <ctnr/vec.h>

/* Small buffers waste more in allocator overhead than they save. */
static size_t min_non_zero_cap(size_t elem_size)
{
	if (elem_size == 1)
		return 8;
	if (elem_size <= 1024)
		return 4;
	return 1;
}

/* Grow the buffer to exactly @cap elements. */
static int grow_to(struct ctnr_vec *v, size_t cap)
{
	size_t old_size = v->cap * v->elem_size;
	size_t new_size;
	void *ptr;

	if (ctnr_mul_overflow(cap, v->elem_size, &new_size) ||
	    new_size > CTNR_MAX_ALLOC)
		return CTNR_ERR_OVERFLOW;
	ptr = __ctnr_realloc(v->ptr, old_size, new_size, v->align);
	if (!ptr)
		return CTNR_ERR_ALLOC;
	v->ptr = ptr;
	v->cap = cap;
	return 0;
}

static int reserve(struct ctnr_vec *v, size_t additional, bool exact)
{
	size_t need, cap;

	if (v->cap - v->len >= additional)
		return 0;
	if (ctnr_add_overflow(v->len, additional, &need))
		return CTNR_ERR_OVERFLOW;
	cap = need;
	if (!exact) {
		/* Amortised growth: at least double. */
		if (v->cap <= CTNR_MAX_ALLOC / 2 && cap < v->cap * 2)
			cap = v->cap * 2;
		if (cap < min_non_zero_cap(v->elem_size))
			cap = min_non_zero_cap(v->elem_size);
	}
	return grow_to(v, cap);
}

/**
 * ctnr_vec_try_reserve - make room for at least @additional more elements
 * @v: the vec
 * @additional: number of elements to make room for
 *
 * May reserve more than asked to make repeated pushes amortised O(1).
 *
 * Return: 0, CTNR_ERR_OVERFLOW or CTNR_ERR_ALLOC; @v is unchanged on error.
 */
int ctnr_vec_try_reserve(struct ctnr_vec *v, size_t additional)
{
	return reserve(v, additional, false);
}

/**
 * ctnr_vec_try_reserve_exact - make room for exactly @additional more elements
 * @v: the vec
 * @additional: number of elements to make room for
 *
 * Return: 0, CTNR_ERR_OVERFLOW or CTNR_ERR_ALLOC; @v is unchanged on error.
 */
int ctnr_vec_try_reserve_exact(struct ctnr_vec *v, size_t additional)
{
	return reserve(v, additional, true);
}

/**
 * ctnr_vec_push_within_capacity - append an element without allocating
 * @v: the vec
 * @elem: the element, @v->elem_size bytes
 *
 * Return: 0, or CTNR_ERR_FULL when the buffer has no spare capacity.
 */
int ctnr_vec_push_within_capacity(struct ctnr_vec *v, const void *elem)
{
	if (v->len == v->cap)
		return CTNR_ERR_FULL;
	memcpy(ctnr_vec_at(v, v->len), elem, v->elem_size);
	v->len++;
	return 0;
}

/**
 * ctnr_vec_pop - remove the last element
 * @v: the vec
 * @out: where to copy the element, or NULL
 *
 * Return: false if @v was empty.
 */
bool ctnr_vec_pop(struct ctnr_vec *v, void *out)
{
	if (!v->len)
		return false;
	v->len--;
	if (out)
		memcpy(out, ctnr_vec_at(v, v->len), v->elem_size);
	return true;
}

/* Shorten @v to @len elements; no effect if it is not longer. */
void ctnr_vec_truncate(struct ctnr_vec *v, size_t len)
{
	if (len < v->len)
		v->len = len;
}

/* Remove every element, keeping the buffer. */
void ctnr_vec_clear(struct ctnr_vec *v)
{
	v->len = 0;
}

/**
 * ctnr_vec_remove - remove element @i, shifting the following ones down
 * @v: the vec
 * @i: index of the element
 * @out: where to copy the element, or NULL
 *
 * Return: false if @i is out of bounds.
 */
bool ctnr_vec_remove(struct ctnr_vec *v, size_t i, void *out)
{
	if (i >= v->len)
		return false;
	if (out)
		memcpy(out, ctnr_vec_at(v, i), v->elem_size);
	memmove(ctnr_vec_at(v, i), ctnr_vec_at(v, i + 1),
		(v->len - i - 1) * v->elem_size);
	v->len--;
	return true;
}

/**
 * ctnr_vec_swap_remove - remove element @i, moving the last one in its place
 * @v: the vec
 * @i: index of the element
 * @out: where to copy the element, or NULL
 *
 * O(1), but does not preserve the order.
 *
 * Return: false if @i is out of bounds.
 */
bool ctnr_vec_swap_remove(struct ctnr_vec *v, size_t i, void *out)
{
	if (i >= v->len)
		return false;
	if (out)
		memcpy(out, ctnr_vec_at(v, i), v->elem_size);
	v->len--;
	if (i != v->len)
		memcpy(ctnr_vec_at(v, i), ctnr_vec_at(v, v->len), v->elem_size);
	return true;
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t n)
{
	while (n--) {
		unsigned char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

/* Exchange elements @i and @j; both must be in bounds. */
void ctnr_vec_swap(struct ctnr_vec *v, size_t i, size_t j)
{
	if (CTNR_MISUSE(i >= v->len || j >= v->len))
		return;
	if (i != j)
		swap_bytes(ctnr_vec_at(v, i), ctnr_vec_at(v, j), v->elem_size);
}

/* Reverse the order of the elements in place. */
void ctnr_vec_reverse(struct ctnr_vec *v)
{
	size_t i;

	for (i = 0; i < v->len / 2; i++)
		swap_bytes(ctnr_vec_at(v, i), ctnr_vec_at(v, v->len - 1 - i),
			   v->elem_size);
}

/**
 * ctnr_vec_retain - keep only the elements @keep returns true for
 * @v: the vec
 * @keep: predicate, called once per element in order
 * @arg: passed to @keep
 *
 * The order of the kept elements is preserved.
 */
void ctnr_vec_retain(struct ctnr_vec *v,
		     bool (*keep)(const void *elem, void *arg), void *arg)
{
	size_t i, kept = 0;

	for (i = 0; i < v->len; i++) {
		if (!keep(ctnr_vec_at(v, i), arg))
			continue;
		if (kept != i)
			memcpy(ctnr_vec_at(v, kept), ctnr_vec_at(v, i),
			       v->elem_size);
		kept++;
	}
	v->len = kept;
}

/**
 * ctnr_vec_dedup_by - remove consecutive elements @same considers equal
 * @v: the vec
 * @same: equality, called with the last kept element and the next one
 *
 * Of each run of equal elements the first is kept.
 */
void ctnr_vec_dedup_by(struct ctnr_vec *v,
		       bool (*same)(const void *a, const void *b))
{
	size_t i, kept = 1;

	if (v->len < 2)
		return;
	for (i = 1; i < v->len; i++) {
		if (same(ctnr_vec_at(v, kept - 1), ctnr_vec_at(v, i)))
			continue;
		if (kept != i)
			memcpy(ctnr_vec_at(v, kept), ctnr_vec_at(v, i),
			       v->elem_size);
		kept++;
	}
	v->len = kept;
}

/**
 * ctnr_vec_drain - remove the elements in [@start, @end)
 * @v: the vec
 * @start: first index removed
 * @end: one past the last index removed
 * @out: buffer for the removed elements, or NULL
 *
 * Return: the number of elements removed; 0 for an invalid range.
 */
size_t ctnr_vec_drain(struct ctnr_vec *v, size_t start, size_t end, void *out)
{
	size_t n;

	if (CTNR_MISUSE(start > end || end > v->len))
		return 0;
	n = end - start;
	if (out)
		memcpy(out, ctnr_vec_at(v, start), n * v->elem_size);
	memmove(ctnr_vec_at(v, start), ctnr_vec_at(v, end),
		(v->len - end) * v->elem_size);
	v->len -= n;
	return n;
}

/* Free the buffer; @v is left empty and can be reused. */
void ctnr_vec_free(struct ctnr_vec *v)
{
	__ctnr_free(v->ptr, v->cap * v->elem_size, v->align);
	v->ptr = NULL;
	v->len = 0;
	v->cap = 0;
}

#ifndef CTNR_NO_GLOBAL_OOM_HANDLING
static void handle_reserve(struct ctnr_vec *v, int err, size_t additional)
{
	if (!err)
		return;
	__ctnr_alloc_error((v->len + additional) * v->elem_size, v->align);
}

void ctnr_vec_with_capacity(struct ctnr_vec *v, size_t elem_size,
			    size_t align, size_t cap)
{
	ctnr_vec_init(v, elem_size, align);
	handle_reserve(v, reserve(v, cap, true), cap);
}

void ctnr_vec_reserve(struct ctnr_vec *v, size_t additional)
{
	handle_reserve(v, reserve(v, additional, false), additional);
}

void ctnr_vec_reserve_exact(struct ctnr_vec *v, size_t additional)
{
	handle_reserve(v, reserve(v, additional, true), additional);
}

void ctnr_vec_push(struct ctnr_vec *v, const void *elem)
{
	ctnr_vec_reserve(v, 1);
	ctnr_vec_push_within_capacity(v, elem);
}

void ctnr_vec_insert(struct ctnr_vec *v, size_t i, const void *elem)
{
	if (CTNR_MISUSE(i > v->len))
		return;
	ctnr_vec_reserve(v, 1);
	memmove(ctnr_vec_at(v, i + 1), ctnr_vec_at(v, i),
		(v->len - i) * v->elem_size);
	memcpy(ctnr_vec_at(v, i), elem, v->elem_size);
	v->len++;
}

void ctnr_vec_extend_from_slice(struct ctnr_vec *v, const void *src, size_t n)
{
	ctnr_vec_reserve(v, n);
	memcpy(ctnr_vec_at(v, v->len), src, n * v->elem_size);
	v->len += n;
}

void ctnr_vec_resize(struct ctnr_vec *v, size_t len, const void *fill)
{
	if (len <= v->len) {
		v->len = len;
		return;
	}
	ctnr_vec_reserve(v, len - v->len);
	while (v->len < len)
		ctnr_vec_push_within_capacity(v, fill);
}

void ctnr_vec_shrink_to_fit(struct ctnr_vec *v)
{
	void *ptr;

	if (v->len == v->cap)
		return;
	if (!v->len) {
		ctnr_vec_free(v);
		return;
	}
	ptr = __ctnr_realloc(v->ptr, v->cap * v->elem_size,
			     v->len * v->elem_size, v->align);
	if (!ptr)
		__ctnr_alloc_error(v->len * v->elem_size, v->align);
	v->ptr = ptr;
	v->cap = v->len;
}

void ctnr_vec_clone(struct ctnr_vec *dst, const struct ctnr_vec *src)
{
	ctnr_vec_with_capacity(dst, src->elem_size, src->align, src->len);
	if (src->len)
		memcpy(dst->ptr, src->ptr, src->len * src->elem_size);
	dst->len = src->len;
}

void ctnr_vec_append(struct ctnr_vec *dst, struct ctnr_vec *src)
{
	if (CTNR_MISUSE(dst->elem_size != src->elem_size))
		return;
	if (src->len)
		ctnr_vec_extend_from_slice(dst, src->ptr, src->len);
	src->len = 0;
}

void ctnr_vec_split_off(struct ctnr_vec *v, size_t at, struct ctnr_vec *tail)
{
	if (CTNR_MISUSE(at > v->len))
		at = v->len;
	ctnr_vec_with_capacity(tail, v->elem_size, v->align, v->len - at);
	if (v->len - at)
		memcpy(tail->ptr, ctnr_vec_at(v, at),
		       (v->len - at) * v->elem_size);
	tail->len = v->len - at;
	v->len = at;
}
#endif /* CTNR_NO_GLOBAL_OOM_HANDLING */
