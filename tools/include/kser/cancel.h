/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_CANCEL_H
#define KSER_CANCEL_H

#include <stdbool.h>

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

/*
 * The process-global flag, for the modules that still poll it (base
 * import, am); kser verify and its job runner take a cancel callback
 * instead, and these go once nothing polls them.
 *
 * kser_cancel_request() is async-signal safe; the CLI calls it from its
 * SIGINT/SIGTERM handler.
 */
void kser_cancel_request(int signo);
bool kser_cancel_requested(void);
/*
 * True once cancellation was requested a second time: the user will not
 * wait for children to stop politely, so they are killed at once.
 */
bool kser_cancel_forced(void);
/* The signal that requested cancellation, or 0. */
int kser_cancel_signal(void);
/* Forgets earlier requests (for a caller that carries on, and tests). */
void kser_cancel_reset(void);

#endif
