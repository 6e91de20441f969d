// SPDX-License-Identifier: GPL-2.0
/*
 * Cancellation (core): the static errors cancel callbacks return, and the
 * process-global flag the modules not yet given a callback still poll.
 * Uses nothing but the error type.
 */
#include <signal.h>

#include "kser/cancel.h"
#include "kser/error.h"

static const struct kser_error cancelled = {
	.code = KSER_ERR_CANCELLED,
	.errno_value = 0,
	.msg = "interrupted",
};

static const struct kser_error cancelled_hard = {
	.code = KSER_ERR_CANCELLED,
	.errno_value = 0,
	.msg = "interrupted",
};

const struct kser_error *kser_error_cancelled(bool hard)
{
	return hard ? &cancelled_hard : &cancelled;
}

bool kser_error_cancel_is_hard(const struct kser_error *err)
{
	return err == &cancelled_hard;
}

static volatile sig_atomic_t cancel_signo;
static volatile sig_atomic_t cancel_count;

void kser_cancel_request(int signo)
{
	cancel_signo = signo ? signo : -1;
	if (cancel_count < 2)
		cancel_count = cancel_count + 1;
}

bool kser_cancel_requested(void)
{
	return cancel_signo != 0;
}

bool kser_cancel_forced(void)
{
	return cancel_count >= 2;
}

int kser_cancel_signal(void)
{
	return cancel_signo > 0 ? cancel_signo : 0;
}

void kser_cancel_reset(void)
{
	cancel_count = 0;
	cancel_signo = 0;
}
