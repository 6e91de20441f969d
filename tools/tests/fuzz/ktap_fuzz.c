// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the KTAP, checkpatch and gcc output parsers. */
#include <stddef.h>
#include <stdint.h>

#include "verify/kser_lib_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_ktap_result r;
	struct kser_diags d = { 0 };
	struct kser_checkpatch_totals t;

	if (!kser_ktap_parse(&r, (const char *)data, size))
		kser_ktap_result_release(&r);
	kser_checkpatch_parse(&d, &t, (const char *)data, size);
	kser_gcc_parse(&d, (const char *)data, size, "/src", true);
	kser_diags_release(&d);
	return 0;
}
