/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_BUF_H
#define KSER_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A growable byte string, always NUL-terminated when ptr is not NULL.
 *
 * Allocation failure is sticky: once an operation fails to allocate, the
 * buffer is marked out of memory, later operations do nothing, and
 * kser_buf_check() reports the failure. This lets a caller build a string
 * in many steps and check once.
 */
struct kser_buf {
	char *ptr;
	size_t len;
	size_t alloc;
	bool oom;
};

#define KSER_BUF_INIT { NULL, 0, 0, false }

struct kser_error;

void kser_buf_init(struct kser_buf *b);
void kser_buf_release(struct kser_buf *b);
/* NULL, or the out-of-memory error when an earlier operation failed. */
const struct kser_error *kser_buf_check(const struct kser_buf *b);

void kser_buf_grow(struct kser_buf *b, size_t extra);
void kser_buf_put(struct kser_buf *b, const void *data, size_t len);
void kser_buf_puts(struct kser_buf *b, const char *s);
void kser_buf_putc(struct kser_buf *b, char c);
void kser_buf_printf(struct kser_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kser_buf_vprintf(struct kser_buf *b, const char *fmt, va_list ap);
void kser_buf_truncate(struct kser_buf *b, size_t len);
void kser_buf_clear(struct kser_buf *b);
/* Strip trailing whitespace (spaces, tabs, newlines). */
void kser_buf_rtrim(struct kser_buf *b);

/*
 * Hand the string over to the caller, who frees it; the buffer is left
 * empty. Returns NULL when the buffer is out of memory. An empty buffer
 * yields an allocated "".
 */
char *kser_buf_detach(struct kser_buf *b);

/* A read-only view of the contents; never NULL. */
static inline const char *kser_buf_cstr(const struct kser_buf *b)
{
	return b->ptr ? b->ptr : "";
}

#endif
