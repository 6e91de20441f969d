// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <strings.h>

#include "kser/error.h"
#include "kser/path.h"

static const char *component_problem(const char *c, size_t len)
{
	if (len == 0)
		return "empty path component";
	if (len == 1 && c[0] == '.')
		return "'.' component";
	if (len == 2 && c[0] == '.' && c[1] == '.')
		return "'..' component";
	if (len == 4 && strncasecmp(c, ".git", 4) == 0)
		return "'.git' component";
	return NULL;
}

const struct kser_error *kser_path_check(const char *path)
{
	const char *p = path, *why = NULL;

	if (!*path)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "empty path");
	if (*path == '/')
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "absolute path '%s'", path);
	while (!why) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		why = component_problem(p, len);
		if (!slash)
			break;
		p = slash + 1;
	}
	if (why)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "unsafe path '%s': %s", path, why);
	return NULL;
}

void kser_path_normalize(char *path)
{
	char *r = path, *w = path;

	if (*r == '/') {
		/* Keep absolute names absolute so the check refuses them. */
		return;
	}
	while (*r) {
		char *slash = strchr(r, '/');
		size_t len = slash ? (size_t)(slash - r) : strlen(r);

		if (len == 0 || (len == 1 && r[0] == '.')) {
			r += len + (slash ? 1 : 0);
			continue;
		}
		if (w != path)
			*w++ = '/';
		memmove(w, r, len);
		w += len;
		r += len + (slash ? 1 : 0);
	}
	*w = '\0';
}
