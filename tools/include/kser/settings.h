/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_SETTINGS_H
#define KSER_SETTINGS_H

#include <stdbool.h>
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
 *           kunitconfig = path                    (in-tree path), or
 *           kconfig = configs/NAME.config         (a fragment beside
 *                                                  series.conf)
 *           arch = um
 *           kunit = false                         (build only)
 *           since = 2                             (the first patch that
 *                                                  must pass)
 *   [verify]
 *           buildTimeout = 3600                   (seconds)
 *           kunitTimeout = 300
 *           ccacheRemote = redis://host:port      (ccache's remote storage)
 *           distccHosts = host:port/slots ...     (distcc's host list)
 *           fastPath = true                       (the build's fast path)
 *           paranoid = false                      (make after it, which
 *                                                  must find nothing)
 *   [version "N"]
 *           base = v6.12.117
 *           verify = default modules              (its configurations)
 */
/* A configuration to build and test each commit in. */
struct kser_verify_config {
	char *name;		/* "default" for the series' own */
	char *kunitconfig;	/* in-tree path; NULL with a kconfig */
	/*
	 * A .config fragment outside the tree (kunitconfig syntax): its
	 * absolute path and its content, read when the settings are, so
	 * that every commit is built with the same one.
	 */
	char *kconfig;
	char *kconfig_text;
	char *arch;
	bool kunit;		/* boot KUnit; false: build only */
	/*
	 * The first patch that must pass in this configuration (1 by
	 * default): the rows before it (the base is row 0) are run and
	 * shown, and a failure there does not fail the run.
	 */
	unsigned int since;
};

/* A version of the series, [version "N"], as verify reads it. */
struct kser_series_version {
	char *name;		/* "4" */
	/*
	 * The names of the configurations it is verified in (verify =
	 * ...); NULL when it names none: the default one alone.
	 */
	char **configs;
	size_t nconfigs;
};

struct kser_settings {
	char *name;
	char *checkpatch;	/* options, split on spaces when used */
	struct kser_verify_config *configs;	/* configs[0]: "default" */
	size_t nconfigs;
	size_t configs_alloc;	/* entries allocated; the library's */
	struct kser_series_version *versions;
	size_t nversions;
	size_t versions_alloc;
	unsigned int build_timeout;	/* seconds */
	unsigned int kunit_timeout;
	/*
	 * The build farm (verify/farm.c): NULL when the settings do not
	 * say; git config's verify.ccacheRemote and verify.distccHosts
	 * come before these.
	 */
	char *ccache_remote;
	char *distcc_hosts;
	bool fast_path;		/* builds take the fast path when they can */
	bool paranoid;		/* and make must then find nothing to do */
};

/*
 * Fills in *out with the defaults: a .kunitconfig at the top of the
 * tree, checkpatch.pl --strict, ARCH=um, a build timeout of an hour and
 * a KUnit one of five minutes, the fast path on and the paranoid mode
 * off. Release it with kser_settings_release().
 */
const struct kser_error *kser_settings_defaults(struct kser_settings *out);

/*
 * Fills in *out from DIR/series.conf (or from DIR itself, when it is a
 * file), over the defaults; a kconfig is read from the directory of
 * series.conf. A file that cannot be read, a bad timeout, a section that
 * gives both or neither of kunitconfig and kconfig, a bad kunit or since,
 * or a version naming a configuration there is none of, is an error, and
 * *out is then released.
 */
const struct kser_error *kser_settings_load(struct kser_settings *out,
					    const char *dir);

/* The version named name, or NULL. */
const struct kser_series_version *
kser_settings_version(const struct kser_settings *s, const char *name);

/*
 * Is configuration k verified for version (NULL: every configuration
 * is)? A version that names none has the default one alone.
 */
bool kser_settings_version_has(const struct kser_settings *s,
			       const char *version, size_t k);

/* Frees what s holds and zeroes it; s itself stays. */
void kser_settings_release(struct kser_settings *s);

#endif
