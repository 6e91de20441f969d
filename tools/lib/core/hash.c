// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-1 (core), over OpenSSL's EVP: git's object names, pack checksums,
 * patch-ids and cache keys all go through here. Uses nothing of kser's.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "kser/hash.h"

struct kser_sha1 {
	EVP_MD_CTX *ctx;
};

struct kser_sha1 *kser_sha1_new(void)
{
	struct kser_sha1 *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha1(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void kser_sha1_update(struct kser_sha1 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void kser_sha1_final(struct kser_sha1 *h, unsigned char out[KSER_SHA1_RAWSZ])
{
	unsigned int len = 0;

	EVP_DigestFinal_ex(h->ctx, out, &len);
	EVP_DigestInit_ex(h->ctx, EVP_sha1(), NULL);
}

void kser_sha1_free(struct kser_sha1 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void kser_sha1(unsigned char out[KSER_SHA1_RAWSZ], const void *data,
	       size_t len)
{
	unsigned int mdlen = 0;

	EVP_Digest(data, len, out, &mdlen, EVP_sha1(), NULL);
}

void kser_sha1_hex(char out[KSER_SHA1_HEXSZ + 1], const void *data,
		   size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[KSER_SHA1_RAWSZ];
	size_t i;

	kser_sha1(md, data, len);
	for (i = 0; i < KSER_SHA1_RAWSZ; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[KSER_SHA1_HEXSZ] = '\0';
}
