/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_KTAP_H
#define KSER_KTAP_H

#include <stdbool.h>
#include <stddef.h>

struct kser_error;

/*
 * KTAP, as Documentation/dev-tools/ktap.rst specifies it and KUnit prints
 * it: version lines open a (nested) level, "1..N" plans it, result lines
 * close tests, "# Subtest:" names a level, anything else is a diagnostic
 * or an unknown line. Kernel log prefixes (timestamps) are stripped.
 */

enum kser_ktap_status {
	KSER_KTAP_PASS,
	KSER_KTAP_FAIL,
	KSER_KTAP_SKIP,
	KSER_KTAP_MISSING,	/* planned, never reported: a crash */
};

struct kser_ktap_test {
	char *name;
	unsigned int number;
	enum kser_ktap_status status;
	char *directive;	/* "SKIP", "TIMEOUT", ...; may be NULL */
	char *diagnostic;	/* after the directive; may be NULL */
	struct kser_ktap_test *children;
	size_t nchildren;
	size_t planned;		/* children the plan announced (0: none) */
};

struct kser_ktap_result {
	bool found;		/* any KTAP output at all */
	struct kser_ktap_test root;	/* the suites are its children */
	/* Leaf tests (cases), counted over every suite. */
	size_t passed, failed, skipped, missing;
	/* A crash: "Kernel panic", "BUG:", "Oops"..., or missing results. */
	bool crashed;
	char *crash_line;
};

void kser_ktap_result_release(struct kser_ktap_result *res);

const struct kser_error *kser_ktap_parse(struct kser_ktap_result *out,
					 const char *text, size_t len);

const char *kser_ktap_status_name(enum kser_ktap_status s);

#endif
