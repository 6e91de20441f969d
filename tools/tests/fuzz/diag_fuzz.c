// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the diagnostics kser verify reads, checkpatch.pl's
 * output and gcc's (what kser-cc records), fingerprinted against a
 * source tree that has none of the files, and made the JSON of a record
 * (every string valid UTF-8, or jansson refuses it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "kser/buf.h"
#include "verify/kser_lib_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void to_json(const struct kser_diags *d, bool fingerprints)
{
	json_t *j = verify_diags_json(d, fingerprints);
	char *text;

	/* NULL would be a record without its warnings: a pass. */
	if (!j || json_array_size(j) != d->n) {
		fprintf(stderr, "diag_fuzz: %zu diagnostics, %zu in JSON\n",
			d->n, j ? json_array_size(j) : 0);
		abort();
	}
	text = json_dumps(j, 0);
	free(text);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kser_diags d = { 0 };
	struct kser_checkpatch_totals t;

	if (!kser_checkpatch_parse(&d, &t, text, size))
		to_json(&d, false);
	kser_diags_release(&d);
	if (!kser_gcc_parse(&d, text, size, "/nonexistent/kser-fuzz/src",
			    true) &&
	    !kser_diags_fingerprint(&d, "/nonexistent/kser-fuzz/src"))
		to_json(&d, true);
	kser_diags_release(&d);
	return 0;
}
