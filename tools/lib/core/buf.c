// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"

void kser_buf_init(struct kser_buf *b)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->oom = false;
}

void kser_buf_release(struct kser_buf *b)
{
	free(b->ptr);
	kser_buf_init(b);
}

const struct kser_error *kser_buf_check(const struct kser_buf *b)
{
	return b->oom ? kser_error_nomem() : NULL;
}

void kser_buf_grow(struct kser_buf *b, size_t extra)
{
	size_t need, alloc;
	char *p;

	if (b->oom)
		return;
	if (extra > SIZE_MAX - b->len - 1)
		goto oom;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return;
	alloc = b->alloc ? b->alloc : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	p = realloc(b->ptr, alloc);
	if (!p)
		goto oom;
	b->ptr = p;
	b->alloc = alloc;
	b->ptr[b->len] = '\0';
	return;
oom:
	b->oom = true;
}

void kser_buf_put(struct kser_buf *b, const void *data, size_t len)
{
	kser_buf_grow(b, len);
	if (b->oom)
		return;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void kser_buf_puts(struct kser_buf *b, const char *s)
{
	kser_buf_put(b, s, strlen(s));
}

void kser_buf_putc(struct kser_buf *b, char c)
{
	kser_buf_put(b, &c, 1);
}

void kser_buf_vprintf(struct kser_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->oom)
		return;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->oom = true;
		return;
	}
	kser_buf_grow(b, (size_t)n);
	if (b->oom)
		return;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void kser_buf_printf(struct kser_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void kser_buf_truncate(struct kser_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

void kser_buf_clear(struct kser_buf *b)
{
	kser_buf_truncate(b, 0);
}

void kser_buf_rtrim(struct kser_buf *b)
{
	while (b->len && (b->ptr[b->len - 1] == ' ' ||
			  b->ptr[b->len - 1] == '\t' ||
			  b->ptr[b->len - 1] == '\n' ||
			  b->ptr[b->len - 1] == '\r'))
		b->len--;
	if (b->ptr)
		b->ptr[b->len] = '\0';
}

char *kser_buf_detach(struct kser_buf *b)
{
	char *p;

	if (b->oom) {
		kser_buf_release(b);
		return NULL;
	}
	if (!b->ptr)
		return strdup("");
	p = b->ptr;
	kser_buf_init(b);
	return p;
}
