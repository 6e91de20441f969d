/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_HASH_H
#define KSER_HASH_H

#include <stddef.h>

/*
 * SHA-1, the one hash of git's object names, pack checksums and
 * patch-ids: one helper for every module that hashes.
 */

#define KSER_SHA1_RAWSZ 20
#define KSER_SHA1_HEXSZ 40

/* A SHA-1 being computed, ready for data; a handle for one thread. */
struct kser_sha1;

/* A new context, started; NULL when memory runs out. */
struct kser_sha1 *kser_sha1_new(void);

/* Adds len bytes of data. */
void kser_sha1_update(struct kser_sha1 *h, const void *data, size_t len);

/* The digest of what was added; the context starts anew for more. */
void kser_sha1_final(struct kser_sha1 *h, unsigned char out[KSER_SHA1_RAWSZ]);

/* Frees h (NULL is fine). */
void kser_sha1_free(struct kser_sha1 *h);

/* The digest of len bytes of data, in one call. */
void kser_sha1(unsigned char out[KSER_SHA1_RAWSZ], const void *data,
	       size_t len);

/* The same in lowercase hex, NUL-terminated. */
void kser_sha1_hex(char out[KSER_SHA1_HEXSZ + 1], const void *data,
		   size_t len);

#endif
