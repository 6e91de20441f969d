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
 *           ccacheRemote = redis://host:port      (ccache's remote storage)
 *           distccHosts = host:port/slots ...     (distcc's host list)
 *   [version "N"]
 *           base = v6.12.117
 */
/* A configuration to build and test each commit in. */
struct kser_verify_config {
	char *name;		/* "default" for the series' own */
	char *kunitconfig;	/* in-tree path */
	char *arch;
};

struct kser_settings {
	char *name;
	char *checkpatch;	/* options, split on spaces when used */
	struct kser_verify_config *configs;	/* configs[0]: "default" */
	size_t nconfigs;
	size_t configs_alloc;	/* entries allocated; the library's */
	unsigned int build_timeout;	/* seconds */
	unsigned int kunit_timeout;
	/*
	 * The build farm (verify/farm.c): NULL when the settings do not
	 * say; git config's verify.ccacheRemote and verify.distccHosts
	 * come before these.
	 */
	char *ccache_remote;
	char *distcc_hosts;
};

/*
 * Fills in *out with the defaults: a .kunitconfig at the top of the
 * tree, checkpatch.pl --strict, ARCH=um, a build timeout of an hour and
 * a KUnit one of five minutes. Release it with kser_settings_release().
 */
const struct kser_error *kser_settings_defaults(struct kser_settings *out);

/*
 * Fills in *out from DIR/series.conf (or from DIR itself, when it is a
 * file), over the defaults. A file that cannot be read or holds a bad
 * timeout is an error, and *out is then released.
 */
const struct kser_error *kser_settings_load(struct kser_settings *out,
					    const char *dir);

/* Frees what s holds and zeroes it; s itself stays. */
void kser_settings_release(struct kser_settings *s);

#endif
