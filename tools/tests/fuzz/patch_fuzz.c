// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the patch parser and hunk application. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_patch *p = NULL;
	struct kser_buf out = KSER_BUF_INIT;
	size_t i;

	if (kser_patch_parse(&p, (const char *)data, size, 1))
		return 0;
	/* Apply each text patch to its own text, whatever that is. */
	for (i = 0; i < p->nfiles; i++)
		if (!p->files[i].is_binary)
			kser_apply_hunks(&out, (const char *)data, size,
					 &p->files[i], NULL);
	kser_buf_release(&out);
	kser_patch_free(p);
	return 0;
}
