// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what the build check's fast path reads of a build
 * directory: .cmd files, thin archives, paths and recorded commands.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/kser_lib_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_cmd c;
	char **m, *s, *n;
	size_t nm;

	if (!verify_cmd_parse(&c, (const char *)data, size)) {
		char *sh = verify_cmd_shell(c.savedcmd);

		free(sh);
		verify_cmd_release(&c);
	}
	if (!verify_thin_members(&m, &nm, (const char *)data, size)) {
		while (nm)
			free(m[--nm]);
		free(m);
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = verify_path_normalize(s);
	if (n && strlen(n) > strlen(s) + 1)
		abort();
	free(n);
	free(verify_cmd_shell(s));
	free(s);
	return 0;
}
