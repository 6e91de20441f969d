/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_CANCEL_H
#define KSER_CANCEL_H

#include <stdbool.h>

/*
 * Long operations poll kser_cancel_requested() and stop cleanly, undoing
 * what they started, when it turns true. The CLI requests cancellation
 * from its SIGINT/SIGTERM handler; kser_cancel_request() is async-signal
 * safe.
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
