// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: two patch texts, read as mails' diffs, turned into
 * range-diff texts, paired and shown with their diff, in colour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/rangediff.h"
#include "series/kser_lib_series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *text = (const char *)data;
	const char *split = memchr(text, '\0', size);
	size_t first = split ? (size_t)(split - text) : size / 2;
	size_t second_at = split ? first + 1 : first;
	struct kser_rangediff_output o = { true, false, false };
	struct kser_rangediff_list a, b;
	struct kser_buf out = KSER_BUF_INIT;
	struct kser_rangediff rd;

	if (!init) {
		git_libgit2_init();
		init = true;
	}
	kser_rangediff_list_init(&a);
	kser_rangediff_list_init(&b);
	if (kser_rangediff_list_add_mail(&a, "A", "a@b", "subject\n",
					 text, first, strdup("v1-0001"),
					 "subject") ||
	    kser_rangediff_list_add_mail(&b, "A", "a@b", "subject\n\nbody\n",
					 text + second_at, size - second_at,
					 strdup("v2-0001"), "subject"))
		goto done;
	if (!kser_rangediff_compare(&rd, &a, &b, NULL)) {
		kser_rangediff_write(&out, &rd, &a, &b, &o);
		kser_rangediff_release(&rd);
	}
done:
	kser_buf_release(&out);
	kser_rangediff_list_release(&a);
	kser_rangediff_list_release(&b);
	return 0;
}
