/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_SETTINGS_H
#define KSER_SETTINGS_H

#include <stddef.h>

struct kser_error;

/*
 * A series' settings: series/<name>/series.conf in git-config syntax, read
 * with libgit2's config API.
 *
 *   [series]
 *           name = alloc-apis
 *           kunitconfig = lib/ctnr/.kunitconfig   (in-tree path)
 *           checkpatch = --strict                 (checkpatch options)
 *   [verify "NAME"]                               (a further configuration)
 *           kunitconfig = path                    (in-tree path)
 *           arch = um
 *   [verify]
 *           buildTimeout = 3600                   (seconds)
 *           kunitTimeout = 300
 *   [version "N"]
 *           base = v6.12.117
 */
struct kser_verify_config {
	char *name;		/* "default" for the series' own */
	char *kunitconfig;
	char *arch;
};

struct kser_settings {
	char *name;
	char *checkpatch;	/* options, split on spaces when used */
	struct kser_verify_config *configs;
	size_t nconfigs;
	unsigned int build_timeout;	/* seconds */
	unsigned int kunit_timeout;
};

/* Defaults: .kunitconfig at the top of the tree, --strict, um. */
const struct kser_error *kser_settings_defaults(struct kser_settings *out);

/* Reads DIR/series.conf (or DIR itself, if it is a file). */
const struct kser_error *kser_settings_load(struct kser_settings *out,
					    const char *dir);

void kser_settings_release(struct kser_settings *s);

#endif
