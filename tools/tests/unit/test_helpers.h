/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_TEST_HELPERS_H
#define KSER_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kser/error.h"

/* Fails the test with the error's message when err is not NULL. */
#define assert_ok(expr)                                                    \
	do {                                                               \
		const struct kser_error *err_ = (expr);                    \
		if (err_)                                                  \
			fail_msg("%s: %s", #expr, err_->msg);              \
	} while (0)

/* Expects an error with the given code whose message contains needle. */
#define assert_err(expr, want_code, needle)                                \
	do {                                                               \
		const struct kser_error *err_ = (expr);                    \
		if (!err_)                                                 \
			fail_msg("%s: expected an error", #expr);          \
		assert_int_equal(err_->code, (want_code));                 \
		if (!strstr(err_->msg, (needle)))                          \
			fail_msg("'%s' does not contain '%s'", err_->msg,  \
				 (needle));                                \
	} while (0)

#endif
