/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ctnr container library expects from its embedder, provided with
 * kernel primitives.  Both lib/ctnr/upstream/ and the kernel's fork in
 * lib/ctnr/fork/ include it as <ctnr_port.h>.
 */
#ifndef _CTNR_PORT_H
#define _CTNR_PORT_H

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/limits.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/string.h>
#include <linux/types.h>

#define CTNR_PTRDIFF_MAX	SSIZE_MAX
#define CTNR_ALIGNOF(x)		__alignof__(x)
#define CTNR_NORETURN		__noreturn

/*
 * A broken caller: warn once and let the library refuse the operation.
 * Evaluates to true when @cond holds.
 */
#define CTNR_MISUSE(cond)	WARN_ON_ONCE(cond)

#define ctnr_add_overflow(a, b, d)	check_add_overflow(a, b, d)
#define ctnr_mul_overflow(a, b, d)	check_mul_overflow(a, b, d)

#define ctnr_refcount_t			refcount_t

#define ctnr_refcount_set(r, n)		refcount_set(r, n)
#define ctnr_refcount_inc(r)		refcount_inc(r)
#define ctnr_refcount_dec_and_test(r)	refcount_dec_and_test(r)
#define ctnr_refcount_read(r)		refcount_read(r)

#endif /* _CTNR_PORT_H */
