/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_CANCEL_H
#define KSER_CANCEL_H

#include <stdbool.h>
#include <stddef.h>

struct kser_error;

/*
 * A cancel callback, as got's: long operations ask it between steps, and
 * the jobs runner each time it wakes. It returns NULL to let the work go
 * on, or an error to stop it; the operation then stops cleanly, undoing
 * what it started, and returns that error (KSER_ERR_CANCELLED, typically:
 * see kser_error_cancelled()). The caller owns whatever the callback
 * reads, such as the flag a signal handler sets; the library keeps none.
 */
typedef const struct kser_error *(*kser_cancel_cb)(void *arg);

/*
 * "interrupted" (KSER_ERR_CANCELLED), for a cancel callback to return. A
 * static error, valid for ever. hard: the user will not wait (a second
 * Ctrl-C); operations that run children kill them at once with SIGKILL
 * rather than asking them to stop and waiting for them.
 */
const struct kser_error *kser_error_cancelled(bool hard);

/* Is err the hard cancellation of kser_error_cancelled(true)? */
bool kser_error_cancel_is_hard(const struct kser_error *err);

/* What cancel says (NULL: go on), for a cancel that may be NULL. */
static inline const struct kser_error *kser_cancel_check(kser_cancel_cb cancel,
							 void *arg)
{
	return cancel ? cancel(arg) : NULL;
}

#endif
