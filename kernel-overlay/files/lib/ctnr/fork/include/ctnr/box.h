/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ctnr (kernel fork) - owned heap objects.
 *
 * A box is a plain pointer to one object that its holder owns and frees with
 * ctnr_box_free(), passing the size and alignment it was created with.
 */
#ifndef CTNR_BOX_H
#define CTNR_BOX_H

#include <ctnr/ctnr.h>

void ctnr_box_free(void *p, size_t size, size_t align);

/* Free the box @p, a pointer to a complete type. */
#define CTNR_BOX_FREE(p) \
	ctnr_box_free((p), sizeof(*(p)), CTNR_ALIGNOF(*(p)))

void *ctnr_box_new(const void *val, size_t size, size_t align);
void *ctnr_box_new_uninit(size_t size, size_t align);
void *ctnr_box_new_zeroed(size_t size, size_t align);
void *ctnr_box_clone(const void *p, size_t size, size_t align);

void *ctnr_box_try_new(const void *val, size_t size, size_t align);
void *ctnr_box_try_new_uninit(size_t size, size_t align);
void *ctnr_box_try_new_zeroed(size_t size, size_t align);
void *ctnr_box_try_new_uninit_in(const struct ctnr_allocator *a, size_t size,
				 size_t align);
void ctnr_box_free_in(const struct ctnr_allocator *a, void *p, size_t size,
		      size_t align);
void *ctnr_box_try_clone(const void *p, size_t size, size_t align);
void *ctnr_box_try_from_bytes(const void *src, size_t n, size_t size,
			      size_t align);

#endif /* CTNR_BOX_H */
