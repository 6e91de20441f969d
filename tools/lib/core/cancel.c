// SPDX-License-Identifier: GPL-2.0
/*
 * Cancellation (core): the static errors cancel callbacks return. The
 * library keeps no flag of its own: every long operation asks the
 * caller's callback (kser/cancel.h). Uses nothing but the error type.
 */
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
