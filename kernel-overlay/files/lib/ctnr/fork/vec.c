// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ctnr (kernel fork) - growable arrays.
 */
#include <linux/bsearch.h>
#include <linux/export.h>
#include <linux/sort.h>
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
	ptr = v->alloc->realloc(v->alloc, v->ptr, old_size, new_size, v->align);
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
	v->alloc->free(v->alloc, v->ptr, v->cap * v->elem_size, v->align);
	v->ptr = NULL;
	v->len = 0;
	v->cap = 0;
}

/*
 * The functions below allocate with the vec's allocator and GFP_KERNEL
 * semantics; a failed allocation is fatal.
 */
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
EXPORT_SYMBOL_GPL(ctnr_vec_with_capacity);

void ctnr_vec_reserve(struct ctnr_vec *v, size_t additional)
{
	handle_reserve(v, reserve(v, additional, false), additional);
}
EXPORT_SYMBOL_GPL(ctnr_vec_reserve);

void ctnr_vec_reserve_exact(struct ctnr_vec *v, size_t additional)
{
	handle_reserve(v, reserve(v, additional, true), additional);
}
EXPORT_SYMBOL_GPL(ctnr_vec_reserve_exact);

void ctnr_vec_push(struct ctnr_vec *v, const void *elem)
{
	ctnr_vec_reserve(v, 1);
	ctnr_vec_push_within_capacity(v, elem);
}
EXPORT_SYMBOL_GPL(ctnr_vec_push);

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
EXPORT_SYMBOL_GPL(ctnr_vec_insert);

void ctnr_vec_extend_from_slice(struct ctnr_vec *v, const void *src, size_t n)
{
	ctnr_vec_reserve(v, n);
	memcpy(ctnr_vec_at(v, v->len), src, n * v->elem_size);
	v->len += n;
}
EXPORT_SYMBOL_GPL(ctnr_vec_extend_from_slice);

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
EXPORT_SYMBOL_GPL(ctnr_vec_resize);

void ctnr_vec_shrink_to_fit(struct ctnr_vec *v)
{
	void *ptr;

	if (v->len == v->cap)
		return;
	if (!v->len) {
		ctnr_vec_free(v);
		return;
	}
	ptr = ctnr_alloc_or_die(v->alloc, v->ptr, v->cap * v->elem_size,
				v->len * v->elem_size, v->align);
	v->ptr = ptr;
	v->cap = v->len;
}
EXPORT_SYMBOL_GPL(ctnr_vec_shrink_to_fit);

void ctnr_vec_clone(struct ctnr_vec *dst, const struct ctnr_vec *src)
{
	ctnr_vec_init_in(dst, src->elem_size, src->align, src->alloc);
	ctnr_vec_reserve_exact(dst, src->len);
	if (src->len)
		memcpy(dst->ptr, src->ptr, src->len * src->elem_size);
	dst->len = src->len;
}
EXPORT_SYMBOL_GPL(ctnr_vec_clone);

void ctnr_vec_append(struct ctnr_vec *dst, struct ctnr_vec *src)
{
	if (CTNR_MISUSE(dst->elem_size != src->elem_size))
		return;
	if (src->len)
		ctnr_vec_extend_from_slice(dst, src->ptr, src->len);
	src->len = 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_append);

void ctnr_vec_split_off(struct ctnr_vec *v, size_t at, struct ctnr_vec *tail)
{
	if (CTNR_MISUSE(at > v->len))
		at = v->len;
	ctnr_vec_init_in(tail, v->elem_size, v->align, v->alloc);
	ctnr_vec_reserve_exact(tail, v->len - at);
	if (v->len - at)
		memcpy(tail->ptr, ctnr_vec_at(v, at),
		       (v->len - at) * v->elem_size);
	tail->len = v->len - at;
	v->len = at;
}
EXPORT_SYMBOL_GPL(ctnr_vec_split_off);

void ctnr_vec_extend_from_within(struct ctnr_vec *v, size_t start, size_t end)
{
	if (ctnr_vec_try_extend_from_within(v, start, end) == -ENOMEM)
		__ctnr_alloc_error((v->len + end - start) * v->elem_size,
				   v->align);
}
EXPORT_SYMBOL_GPL(ctnr_vec_extend_from_within);

void ctnr_vec_insert_slice(struct ctnr_vec *v, size_t i, const void *src,
			   size_t n)
{
	if (ctnr_vec_try_insert_slice(v, i, src, n) == -ENOMEM)
		__ctnr_alloc_error((v->len + n) * v->elem_size, v->align);
}
EXPORT_SYMBOL_GPL(ctnr_vec_insert_slice);

/*
 * Fork-only fallible variants.  They leave the vec unchanged on failure and
 * return -ENOMEM when memory could not be allocated, including when the
 * requested size overflows; -EINVAL flags a broken caller.
 */
static int try_reserve(struct ctnr_vec *v, size_t additional)
{
	return reserve(v, additional, false) ? -ENOMEM : 0;
}

static int try_reserve_exact(struct ctnr_vec *v, size_t additional)
{
	return reserve(v, additional, true) ? -ENOMEM : 0;
}

/**
 * ctnr_vec_try_with_capacity_in - initialise a vec with room for @cap elements
 * @v: the vec to initialise
 * @elem_size: size of one element, not 0
 * @align: alignment of the elements, a power of two
 * @cap: number of elements to reserve
 * @a: the allocator
 *
 * Return: 0 or -ENOMEM; @v is initialised and empty in both cases.
 */
int ctnr_vec_try_with_capacity_in(struct ctnr_vec *v, size_t elem_size,
				  size_t align, size_t cap,
				  const struct ctnr_allocator *a)
{
	ctnr_vec_init_in(v, elem_size, align, a);
	return try_reserve_exact(v, cap);
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_with_capacity_in);

/* Like ctnr_vec_try_with_capacity_in(), with the global allocator. */
int ctnr_vec_try_with_capacity(struct ctnr_vec *v, size_t elem_size,
			       size_t align, size_t cap)
{
	return ctnr_vec_try_with_capacity_in(v, elem_size, align, cap,
					     &ctnr_global);
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_with_capacity);

/* Append @elem.  Return: 0 or -ENOMEM. */
int ctnr_vec_try_push(struct ctnr_vec *v, const void *elem)
{
	int ret = try_reserve(v, 1);

	if (ret)
		return ret;
	ctnr_vec_push_within_capacity(v, elem);
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_push);

/* Insert @elem at index @i <= length.  Return: 0, -EINVAL or -ENOMEM. */
int ctnr_vec_try_insert(struct ctnr_vec *v, size_t i, const void *elem)
{
	return ctnr_vec_try_insert_slice(v, i, elem, 1);
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_insert);

/* Append the @n elements at @src.  Return: 0 or -ENOMEM. */
int ctnr_vec_try_extend_from_slice(struct ctnr_vec *v, const void *src,
				   size_t n)
{
	int ret = try_reserve(v, n);

	if (ret)
		return ret;
	if (n)
		memcpy(ctnr_vec_at(v, v->len), src, n * v->elem_size);
	v->len += n;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_extend_from_slice);

/*
 * Append a copy of the elements [@start, @end) of @v itself.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int ctnr_vec_try_extend_from_within(struct ctnr_vec *v, size_t start,
				    size_t end)
{
	size_t n;
	int ret;

	if (CTNR_MISUSE(start > end || end > v->len))
		return -EINVAL;
	n = end - start;
	/* Reserving may move the buffer: copy from it only afterwards. */
	ret = try_reserve(v, n);
	if (ret)
		return ret;
	if (n)
		memcpy(ctnr_vec_at(v, v->len), ctnr_vec_at(v, start),
		       n * v->elem_size);
	v->len += n;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_extend_from_within);

/*
 * Insert the @n elements at @src before index @i <= length.  @src must not
 * point into @v.  Return: 0, -EINVAL or -ENOMEM.
 */
int ctnr_vec_try_insert_slice(struct ctnr_vec *v, size_t i, const void *src,
			      size_t n)
{
	int ret;

	if (CTNR_MISUSE(i > v->len))
		return -EINVAL;
	ret = try_reserve(v, n);
	if (ret)
		return ret;
	if (!n)
		return 0;
	memmove(ctnr_vec_at(v, i + n), ctnr_vec_at(v, i),
		(v->len - i) * v->elem_size);
	memcpy(ctnr_vec_at(v, i), src, n * v->elem_size);
	v->len += n;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_insert_slice);

/*
 * Resize to @len elements, appending copies of @fill or truncating.
 * Return: 0 or -ENOMEM.
 */
int ctnr_vec_try_resize(struct ctnr_vec *v, size_t len, const void *fill)
{
	int ret;

	if (len <= v->len) {
		v->len = len;
		return 0;
	}
	ret = try_reserve(v, len - v->len);
	if (ret)
		return ret;
	while (v->len < len)
		ctnr_vec_push_within_capacity(v, fill);
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_resize);

/* Shrink the buffer to the length.  Return: 0 or -ENOMEM. */
int ctnr_vec_try_shrink_to_fit(struct ctnr_vec *v)
{
	void *ptr;

	if (v->len == v->cap)
		return 0;
	if (!v->len) {
		ctnr_vec_free(v);
		return 0;
	}
	ptr = v->alloc->realloc(v->alloc, v->ptr, v->cap * v->elem_size,
				v->len * v->elem_size, v->align);
	if (!ptr)
		return -ENOMEM;
	v->ptr = ptr;
	v->cap = v->len;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_shrink_to_fit);

/*
 * Initialise @dst as a copy of @src, with the same allocator.
 * Return: 0 or -ENOMEM; @dst is initialised and empty on failure.
 */
int ctnr_vec_try_clone(struct ctnr_vec *dst, const struct ctnr_vec *src)
{
	int ret = ctnr_vec_try_with_capacity_in(dst, src->elem_size,
						src->align, src->len,
						src->alloc);

	if (ret)
		return ret;
	if (src->len)
		memcpy(dst->ptr, src->ptr, src->len * src->elem_size);
	dst->len = src->len;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_clone);

/*
 * Move the elements of @src to the end of @dst, leaving @src empty.
 * Return: 0, -EINVAL or -ENOMEM; both vecs are unchanged on failure.
 */
int ctnr_vec_try_append(struct ctnr_vec *dst, struct ctnr_vec *src)
{
	int ret;

	if (CTNR_MISUSE(dst->elem_size != src->elem_size))
		return -EINVAL;
	ret = ctnr_vec_try_extend_from_slice(dst, src->ptr, src->len);
	if (ret)
		return ret;
	src->len = 0;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_append);

/*
 * Move the elements from index @at on into @tail, which this initialises.
 * Return: 0, -EINVAL or -ENOMEM; @v is unchanged on failure.
 */
int ctnr_vec_try_split_off(struct ctnr_vec *v, size_t at,
			   struct ctnr_vec *tail)
{
	int ret;

	if (CTNR_MISUSE(at > v->len)) {
		ctnr_vec_init_in(tail, v->elem_size, v->align, v->alloc);
		return -EINVAL;
	}
	ret = ctnr_vec_try_with_capacity_in(tail, v->elem_size, v->align,
					    v->len - at, v->alloc);
	if (ret)
		return ret;
	if (v->len - at)
		memcpy(tail->ptr, ctnr_vec_at(v, at),
		       (v->len - at) * v->elem_size);
	tail->len = v->len - at;
	v->len = at;
	return 0;
}
EXPORT_SYMBOL_GPL(ctnr_vec_try_split_off);

/* Sort the elements with @cmp; not stable. */
void ctnr_vec_sort(struct ctnr_vec *v,
		   int (*cmp)(const void *a, const void *b))
{
	if (v->len > 1)
		sort(v->ptr, v->len, v->elem_size, cmp, NULL);
}
EXPORT_SYMBOL_GPL(ctnr_vec_sort);

/* Find @key in a vec sorted by @cmp; NULL if absent. */
void *ctnr_vec_bsearch(const struct ctnr_vec *v, const void *key,
		       int (*cmp)(const void *key, const void *elem))
{
	if (!v->len)
		return NULL;
	return bsearch(key, v->ptr, v->len, v->elem_size, cmp);
}
EXPORT_SYMBOL_GPL(ctnr_vec_bsearch);

/* Whether an element is bytewise equal to @elem. */
bool ctnr_vec_contains(const struct ctnr_vec *v, const void *elem)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (!memcmp(ctnr_vec_at(v, i), elem, v->elem_size))
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(ctnr_vec_contains);

/* Whether @a and @b hold the same bytes in the same order. */
bool ctnr_vec_equal(const struct ctnr_vec *a, const struct ctnr_vec *b)
{
	if (a->elem_size != b->elem_size || a->len != b->len)
		return false;
	return !a->len || !memcmp(a->ptr, b->ptr, a->len * a->elem_size);
}
EXPORT_SYMBOL_GPL(ctnr_vec_equal);

/* Overwrite every element with a copy of @elem. */
void ctnr_vec_fill(struct ctnr_vec *v, const void *elem)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		memcpy(ctnr_vec_at(v, i), elem, v->elem_size);
}
EXPORT_SYMBOL_GPL(ctnr_vec_fill);

static void reverse_range(struct ctnr_vec *v, size_t lo, size_t hi)
{
	while (lo + 1 < hi) {
		ctnr_vec_swap(v, lo, hi - 1);
		lo++;
		hi--;
	}
}

/* Rotate so that element @mid becomes the first; @mid <= length. */
void ctnr_vec_rotate_left(struct ctnr_vec *v, size_t mid)
{
	if (CTNR_MISUSE(mid > v->len))
		return;
	reverse_range(v, 0, mid);
	reverse_range(v, mid, v->len);
	reverse_range(v, 0, v->len);
}
EXPORT_SYMBOL_GPL(ctnr_vec_rotate_left);
