/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_VERIFY_H
#define KSER_LIB_VERIFY_H

#include <jansson.h>

struct kser_buf;

/*
 * What compilers, kernels and commits say need not be UTF-8 (a Latin-1
 * comment quoted in a warning), and JSON and XML must be: jansson refuses
 * such a string, and a warning dropped from its record would pass. Each
 * byte that is not part of a valid sequence becomes "\xNN".
 */
void kser_verify_utf8(struct kser_buf *out, const char *s);

/* A JSON string of s made valid so; NULL when memory runs out. */
json_t *kser_verify_json_text(const char *s);

#endif
