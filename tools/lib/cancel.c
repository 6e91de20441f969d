// SPDX-License-Identifier: GPL-2.0
#include <signal.h>

#include "kser/cancel.h"

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
