// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the KTAP parser, as kser verify reads a UML boot. */
#include <stddef.h>
#include <stdint.h>

#include "verify/kser_lib_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_ktap_result r;

	if (!kser_ktap_parse(&r, (const char *)data, size))
		kser_ktap_result_release(&r);
	return 0;
}
