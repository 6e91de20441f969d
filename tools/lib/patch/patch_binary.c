// SPDX-License-Identifier: GPL-2.0
/*
 * Git binary patches: "GIT binary patch", then a literal or delta in
 * base85 lines, forward and reverse. The data is kept deflated; applying
 * it is apply_binary.c's. Uses the parser's lines (patch.c) and core.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

/* --- binary ------------------------------------------------------------ */

static int b85_value(unsigned char c)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
	const char *q = c ? strchr(alphabet, c) : NULL;

	return q ? (int)(q - alphabet) : -1;
}

/* One "zcmV-y..." line: a length letter, then 5 chars per 4 bytes. */
static bool decode_b85_line(const char *s, size_t len, struct kser_buf *out)
{
	size_t n, i;

	if (!len)
		return false;
	if (*s >= 'A' && *s <= 'Z')
		n = (size_t)(*s - 'A') + 1;
	else if (*s >= 'a' && *s <= 'z')
		n = (size_t)(*s - 'a') + 27;
	else
		return false;
	s++;
	len--;
	if (len != (n + 3) / 4 * 5)
		return false;
	for (i = 0; i < len; i += 5) {
		uint32_t acc = 0;
		unsigned char bytes[4];
		size_t k, take;

		for (k = 0; k < 5; k++) {
			int v = b85_value((unsigned char)s[i + k]);

			if (v < 0)
				return false;
			if (acc > (0xffffffffu - (uint32_t)v) / 85)
				return false;
			acc = acc * 85 + (uint32_t)v;
		}
		bytes[0] = acc >> 24;
		bytes[1] = acc >> 16;
		bytes[2] = acc >> 8;
		bytes[3] = acc;
		take = n < 4 ? n : 4;
		kser_buf_put(out, bytes, take);
		n -= take;
	}
	return true;
}

static const struct kser_error *parse_binary_side(struct parser *p,
						  struct kser_binary *bin)
{
	struct kser_buf data = KSER_BUF_INIT;
	const char *s;
	size_t len, n = 0, digits = 0;

	if (!patch_parser_line(p))
		return patch_parse_error(p, "binary patch ends early");
	s = p->line;
	len = patch_chomp_len(p->line, p->line_len);
	if (patch_starts_with(s, len, "literal ")) {
		bin->kind = KSER_BINARY_LITERAL;
		s += 8;
	} else if (patch_starts_with(s, len, "delta ")) {
		bin->kind = KSER_BINARY_DELTA;
		s += 6;
	} else {
		return patch_parse_error(p, "expected 'literal' or 'delta'");
	}
	/* Digits within the line; what follows them is ignored, as in git. */
	while (s + digits < p->line + len && s[digits] >= '0' &&
	       s[digits] <= '9') {
		if (n > (SIZE_MAX - 9) / 10)
			return patch_parse_error(p, "bad binary size");
		n = n * 10 + (size_t)(s[digits++] - '0');
	}
	if (!digits)
		return patch_parse_error(p, "bad binary size");
	bin->inflated_len = n;
	patch_parser_next(p);
	while (patch_parser_line(p)) {
		len = patch_chomp_len(p->line, p->line_len);
		if (len && p->line[len - 1] == '\r')
			len--;
		if (!len) {
			patch_parser_next(p);
			break;
		}
		if (!decode_b85_line(p->line, len, &data)) {
			kser_buf_release(&data);
			return patch_parse_error(p, "bad base85 line in binary "
					   "patch");
		}
		patch_parser_next(p);
	}
	if (kser_buf_check(&data))
		return kser_error_nomem();
	bin->len = data.len;
	bin->data = (unsigned char *)kser_buf_detach(&data);
	if (!bin->data)
		return kser_error_nomem();
	return NULL;
}

const struct kser_error *patch_parse_binary(struct parser *p,
					    struct kser_file_patch *fp)
{
	const struct kser_error *err;

	fp->is_binary = true;
	patch_parser_next(p);		/* "GIT binary patch" */
	err = parse_binary_side(p, &fp->forward);
	if (err)
		return err;
	if (patch_parser_line(p) &&
	    (patch_starts_with(p->line, p->line_len, "literal ") ||
	     patch_starts_with(p->line, p->line_len, "delta ")))
		return parse_binary_side(p, &fp->reverse);
	return NULL;
}
