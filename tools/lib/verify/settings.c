// SPDX-License-Identifier: GPL-2.0
/*
 * A series' settings, series/<name>/series.conf in git-config syntax
 * (kser/settings.h). Uses the core and libgit2's config API.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/settings.h"
#include "kser/util.h"

static void config_release(struct kser_verify_config *v)
{
	free(v->name);
	free(v->kunitconfig);
	free(v->kconfig);
	free(v->kconfig_text);
	free(v->arch);
}

void kser_settings_release(struct kser_settings *s)
{
	size_t i, k;

	for (i = 0; i < s->nconfigs; i++)
		config_release(&s->configs[i]);
	free(s->configs);
	for (i = 0; i < s->nversions; i++) {
		for (k = 0; k < s->versions[i].nconfigs; k++)
			free(s->versions[i].configs[k]);
		free(s->versions[i].configs);
		free(s->versions[i].name);
	}
	free(s->versions);
	free(s->name);
	free(s->checkpatch);
	free(s->ccache_remote);
	free(s->distcc_hosts);
	memset(s, 0, sizeof(*s));
}

static const struct kser_error *add_config(struct kser_settings *s,
					   const char *name,
					   const char *kunitconfig)
{
	const struct kser_error *err;
	struct kser_verify_config *v;

	err = kser_array_grow((void **)&s->configs, &s->configs_alloc,
			      s->nconfigs, sizeof(*v), 4);
	if (err)
		return err;
	v = &s->configs[s->nconfigs];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	v->kunitconfig = kunitconfig ? strdup(kunitconfig) : NULL;
	v->arch = strdup("um");
	v->kunit = true;
	v->since = 1;
	if (!v->name || (kunitconfig && !v->kunitconfig) || !v->arch) {
		config_release(v);
		return kser_error_nomem();
	}
	s->nconfigs++;
	return NULL;
}

const struct kser_error *kser_settings_defaults(struct kser_settings *out)
{
	memset(out, 0, sizeof(*out));
	out->name = strdup("series");
	out->checkpatch = strdup("--strict");
	out->build_timeout = 3600;
	out->kunit_timeout = 300;
	out->fast_path = true;
	out->paranoid = false;
	if (!out->name || !out->checkpatch)
		return kser_error_nomem();
	return add_config(out, "default", ".kunitconfig");
}

static char *get_string(git_config *cfg, const char *key)
{
	git_buf b = GIT_BUF_INIT;
	char *s = NULL;

	if (git_config_get_string_buf(&b, cfg, key) == 0)
		s = strdup(b.ptr);
	git_buf_dispose(&b);
	return s;
}

static const struct kser_error *get_timeout(git_config *cfg, const char *key,
					    unsigned int *out)
{
	int32_t v;
	int r = git_config_get_int32(&v, cfg, key);

	if (r == GIT_ENOTFOUND)
		return NULL;
	if (r < 0 || v <= 0)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "bad %s in the series settings", key);
	*out = (unsigned int)v;
	return NULL;
}

static const struct kser_error *get_bool(git_config *cfg, const char *key,
					 bool *out)
{
	int v, r = git_config_get_bool(&v, cfg, key);

	if (r == GIT_ENOTFOUND)
		return NULL;
	if (r < 0)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "bad %s in the series settings", key);
	*out = v != 0;
	return NULL;
}

/*
 * An entry's subsection and key: "verify.lean.kunitconfig" is section
 * "lean", key "kunitconfig" (a subsection may hold dots). False when the
 * entry is not in a subsection of section.
 */
static bool subsection_of(const char *entry, const char *section,
			  char **name, const char **key)
{
	size_t sl = strlen(section);
	const char *dot;

	if (strncmp(entry, section, sl) || entry[sl] != '.')
		return false;
	dot = strrchr(entry, '.');
	if (dot <= entry + sl + 1)
		return false;
	*name = strndup(entry + sl + 1, (size_t)(dot - entry - sl - 1));
	*key = dot + 1;
	return true;
}

static struct kser_verify_config *config_named(struct kser_settings *s,
					       const char *name)
{
	size_t i;

	for (i = 0; i < s->nconfigs; i++)
		if (!strcmp(s->configs[i].name, name))
			return &s->configs[i];
	return NULL;
}

/* kconfig = path: beside series.conf unless absolute; read now. */
static const struct kser_error *read_kconfig(struct kser_verify_config *v,
					     const char *confdir,
					     const char *value)
{
	struct kser_buf path = KSER_BUF_INIT, text = KSER_BUF_INIT;
	const struct kser_error *err;

	if (value[0] == '/')
		kser_buf_puts(&path, value);
	else
		kser_buf_printf(&path, "%s/%s", confdir, value);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	err = kser_read_file(&text, path.ptr);
	if (err) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "cannot read the "
				     "configuration fragment '%s' of [verify "
				     "\"%s\"]: %s", path.ptr, v->name,
				     err->msg);
		kser_buf_release(&path);
		kser_buf_release(&text);
		return err;
	}
	free(v->kconfig);
	free(v->kconfig_text);
	v->kconfig = kser_buf_detach(&path);
	v->kconfig_text = kser_buf_detach(&text);
	if (!v->kconfig || !v->kconfig_text)
		return kser_error_nomem();
	return NULL;
}

/* One key of a [verify "NAME"] section. */
static const struct kser_error *config_key(struct kser_verify_config *v,
					   const git_config_entry *e,
					   const char *key,
					   const char *confdir)
{
	int32_t n;
	int b;

	if (!strcmp(key, "kunitconfig")) {
		free(v->kunitconfig);
		v->kunitconfig = strdup(e->value);
		return v->kunitconfig ? NULL : kser_error_nomem();
	}
	if (!strcmp(key, "kconfig"))
		return read_kconfig(v, confdir, e->value);
	if (!strcmp(key, "arch")) {
		free(v->arch);
		v->arch = strdup(e->value);
		return v->arch ? NULL : kser_error_nomem();
	}
	if (!strcmp(key, "kunit")) {
		if (git_config_parse_bool(&b, e->value) < 0)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "bad kunit '%s' in [verify "
					      "\"%s\"]: true or false",
					      e->value, v->name);
		v->kunit = b;
		return NULL;
	}
	if (!strcmp(key, "since")) {
		if (git_config_parse_int32(&n, e->value) < 0 || n < 0)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "bad since '%s' in [verify "
					      "\"%s\"]: a patch number",
					      e->value, v->name);
		v->since = (unsigned int)n;
		return NULL;
	}
	return NULL;	/* unknown keys are left for other tools */
}

/*
 * A key of [version "N"]: every version is known by name, and verify =
 * NAME... gives its configurations.
 */
static const struct kser_error *version_key(struct kser_settings *s,
					    const char *name, const char *key,
					    const char *value)
{
	struct kser_series_version *v = NULL;
	const struct kser_error *err;
	const char *p = value;
	size_t i, alloc = 0;

	for (i = 0; i < s->nversions; i++)
		if (!strcmp(s->versions[i].name, name))
			v = &s->versions[i];
	if (!v) {
		err = kser_array_grow((void **)&s->versions,
				      &s->versions_alloc, s->nversions,
				      sizeof(*v), 4);
		if (err)
			return err;
		v = &s->versions[s->nversions];
		memset(v, 0, sizeof(*v));
		v->name = strdup(name);
		if (!v->name)
			return kser_error_nomem();
		s->nversions++;
	}
	if (strcmp(key, "verify"))
		return NULL;
	/* The last "verify =" counts, as git config's last value does. */
	for (i = 0; i < v->nconfigs; i++)
		free(v->configs[i]);
	free(v->configs);
	v->configs = NULL;
	v->nconfigs = 0;
	while (*p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		err = kser_array_grow((void **)&v->configs, &alloc,
				      v->nconfigs, sizeof(*v->configs), 4);
		if (err)
			return err;
		v->configs[v->nconfigs] = strndup(p, n);
		if (!v->configs[v->nconfigs])
			return kser_error_nomem();
		v->nconfigs++;
		p += n;
	}
	return NULL;
}

/* Every section is whole, and every version names known ones. */
static const struct kser_error *validate(const struct kser_settings *s)
{
	size_t i, k;

	for (i = 1; i < s->nconfigs; i++) {
		const struct kser_verify_config *v = &s->configs[i];

		if (!v->kunitconfig == !v->kconfig)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "[verify \"%s\"] needs one of "
					      "kunitconfig (in the tree) and "
					      "kconfig (beside series.conf)",
					      v->name);
	}
	for (i = 0; i < s->nversions; i++)
		for (k = 0; k < s->versions[i].nconfigs; k++) {
			const char *n = s->versions[i].configs[k];
			size_t j;

			for (j = 0; j < s->nconfigs; j++)
				if (!strcmp(s->configs[j].name, n))
					break;
			if (j == s->nconfigs)
				return kser_error_fmt(KSER_ERR_BAD_INPUT,
						      "[version \"%s\"] verify "
						      "names '%s', which has no "
						      "[verify \"%s\"] section",
						      s->versions[i].name, n, n);
		}
	return NULL;
}

const struct kser_error *kser_settings_load(struct kser_settings *out,
					    const char *dir)
{
	const struct kser_error *err;
	struct kser_buf path = KSER_BUF_INIT;
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	struct stat st;
	char *s, *confdir = NULL, *slash;

	err = kser_settings_defaults(out);
	if (err)
		return err;
	if (kser_is_dir(dir))
		kser_buf_printf(&path, "%s/series.conf", dir);
	else
		kser_buf_puts(&path, dir);
	if (kser_buf_check(&path)) {
		err = kser_error_nomem();
		goto done;
	}
	if (stat(path.ptr, &st) < 0) {
		err = kser_error_errno("cannot read the series settings '%s'",
				       path.ptr);
		goto done;
	}
	/* Fragments are named from the directory of series.conf. */
	confdir = realpath(path.ptr, NULL);
	if (!confdir) {
		err = kser_error_errno("cannot read the series settings '%s'",
				       path.ptr);
		goto done;
	}
	slash = strrchr(confdir, '/');
	if (slash)
		*(slash == confdir ? slash + 1 : slash) = '\0';
	if (git_config_open_ondisk(&cfg, path.ptr) < 0) {
		err = kser_error_git("cannot read '%s'", path.ptr);
		goto done;
	}
	if ((s = get_string(cfg, "series.name"))) {
		free(out->name);
		out->name = s;
	}
	if ((s = get_string(cfg, "series.checkpatch"))) {
		free(out->checkpatch);
		out->checkpatch = s;
	}
	if ((s = get_string(cfg, "series.kunitconfig"))) {
		free(out->configs[0].kunitconfig);
		out->configs[0].kunitconfig = s;
	}
	out->ccache_remote = get_string(cfg, "verify.ccacheremote");
	out->distcc_hosts = get_string(cfg, "verify.distcchosts");
	err = get_timeout(cfg, "verify.buildtimeout", &out->build_timeout);
	if (!err)
		err = get_timeout(cfg, "verify.kunittimeout",
				  &out->kunit_timeout);
	if (!err)
		err = get_bool(cfg, "verify.fastpath", &out->fast_path);
	if (!err)
		err = get_bool(cfg, "verify.paranoid", &out->paranoid);
	if (err)
		goto done;
	/*
	 * [verify "NAME"] and [version "N"] sections, in file order. The
	 * plain iterator: libgit2's glob iterator leaks its regex.
	 */
	if (git_config_iterator_new(&it, cfg) < 0) {
		err = kser_error_git("cannot read '%s'", path.ptr);
		goto done;
	}
	while (!err && git_config_next(&e, it) == 0) {
		struct kser_verify_config *v;
		const char *key;
		char *name = NULL;

		if (subsection_of(e->name, "version", &name, &key)) {
			err = name ? version_key(out, name, key, e->value) :
				     kser_error_nomem();
			free(name);
			continue;
		}
		if (!subsection_of(e->name, "verify", &name, &key))
			continue;
		if (!name) {
			err = kser_error_nomem();
			break;
		}
		v = config_named(out, name);
		if (!v) {
			err = add_config(out, name, NULL);
			v = err ? NULL : &out->configs[out->nconfigs - 1];
		}
		if (v && !strcmp(v->name, "default") &&
		    !strcmp(key, "kconfig")) {
			/* The default's fragment replaces the in-tree one. */
			free(v->kunitconfig);
			v->kunitconfig = NULL;
		}
		if (v)
			err = config_key(v, e, key, confdir);
		if (!err && v && !strcmp(v->name, "default") && v->kconfig &&
		    !strcmp(key, "kunitconfig")) {
			free(v->kconfig);
			free(v->kconfig_text);
			v->kconfig = v->kconfig_text = NULL;
		}
		free(name);
	}
	if (!err)
		err = validate(out);
done:
	git_config_iterator_free(it);
	git_config_free(cfg);
	kser_buf_release(&path);
	free(confdir);
	if (err)
		kser_settings_release(out);
	return err;
}

const struct kser_series_version *
kser_settings_version(const struct kser_settings *s, const char *name)
{
	size_t i;

	for (i = 0; name && i < s->nversions; i++)
		if (!strcmp(s->versions[i].name, name))
			return &s->versions[i];
	return NULL;
}

bool kser_settings_version_has(const struct kser_settings *s,
			       const char *version, size_t k)
{
	const struct kser_series_version *v;
	size_t i;

	if (!version)
		return true;
	v = kser_settings_version(s, version);
	if (!v || !v->configs)
		return k == 0;
	for (i = 0; i < v->nconfigs; i++)
		if (!strcmp(v->configs[i], s->configs[k].name))
			return true;
	return false;
}
