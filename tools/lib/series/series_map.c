// SPDX-License-Identifier: GPL-2.0
/*
 * A set of strings by hash, for the selection and the trailers. Uses
 * core.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kser/error.h"
#include "kser_lib_series.h"

/* --- indexes ---------------------------------------------------------- */

static size_t str_hash(const char *s, bool icase)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		h ^= icase ? (unsigned char)tolower(c) : c;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static bool str_eq(const char *a, const char *b, bool icase)
{
	return icase ? !strcasecmp(a, b) : !strcmp(a, b);
}

void series_map_release(struct series_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* The slot of key: where it is, or where it would go. */
static size_t series_map_slot(const struct series_map *m, const char *key)
{
	size_t i = str_hash(key, m->icase) & (m->cap - 1);

	while (m->keys[i] && !str_eq(m->keys[i], key, m->icase))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static const struct kser_error *series_map_grow(struct series_map *m)
{
	struct series_map bigger = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0,
				  m->icase };
	size_t i;

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		series_map_release(&bigger);
		return kser_error_nomem();
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		j = series_map_slot(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
		bigger.n++;
	}
	series_map_release(m);
	*m = bigger;
	return NULL;
}

/* Sets key to val, replacing what it was. */
const struct kser_error *series_map_put(struct series_map *m, const char *key,
					size_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		const struct kser_error *err = series_map_grow(m);

		if (err)
			return err;
	}
	i = series_map_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return NULL;
}

bool series_map_get(const struct series_map *m, const char *key, size_t *val)
{
	size_t i;

	if (!m->cap || !key)
		return false;
	i = series_map_slot(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}
