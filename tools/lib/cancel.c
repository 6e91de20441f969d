// SPDX-License-Identifier: GPL-2.0
#include <signal.h>

#include "kser/cancel.h"

static volatile sig_atomic_t cancel_signo;

void kser_cancel_request(int signo)
{
	cancel_signo = signo ? signo : -1;
}

bool kser_cancel_requested(void)
{
	return cancel_signo != 0;
}

int kser_cancel_signal(void)
{
	return cancel_signo > 0 ? cancel_signo : 0;
}
