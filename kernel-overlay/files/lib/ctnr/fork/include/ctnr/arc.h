/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ctnr (kernel fork) - reference-counted objects.
 *
 * An arc is a pointer to an object preceded, in the same allocation, by a
 * hidden header holding an atomic reference count.  ctnr_arc_get() takes a
 * reference, ctnr_arc_put() drops one and frees the object with the last.
 * While ctnr_arc_is_unique() the holder may write the object freely; once
 * shared it is read-only unless the object brings its own locking.
 */
#ifndef CTNR_ARC_H
#define CTNR_ARC_H

#include <ctnr/ctnr.h>

size_t ctnr_arc_layout(size_t size, size_t align, size_t *block_align);
void *ctnr_arc_init_raw(void *block, size_t size, size_t align);
void *ctnr_arc_get(void *p);
bool ctnr_arc_put(void *p, void (*drop)(void *obj));
size_t ctnr_arc_count(const void *p);
bool ctnr_arc_is_unique(const void *p);

void *ctnr_arc_new(const void *val, size_t size, size_t align);
void *ctnr_arc_new_uninit(size_t size, size_t align);
void *ctnr_arc_new_zeroed(size_t size, size_t align);

void *ctnr_arc_init_raw_in(void *block, size_t size, size_t align,
			   const struct ctnr_allocator *a);
void *ctnr_arc_try_new(const void *val, size_t size, size_t align);
void *ctnr_arc_try_new_uninit(size_t size, size_t align);
void *ctnr_arc_try_new_uninit_in(const struct ctnr_allocator *a, size_t size,
				 size_t align);
void *ctnr_arc_try_new_zeroed(size_t size, size_t align);
void *ctnr_arc_try_make_unique(void *p);

#endif /* CTNR_ARC_H */
