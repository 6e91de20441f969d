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

void kser_settings_release(struct kser_settings *s)
{
	size_t i;

	for (i = 0; i < s->nconfigs; i++) {
		free(s->configs[i].name);
		free(s->configs[i].kunitconfig);
		free(s->configs[i].arch);
	}
	free(s->configs);
	free(s->name);
	free(s->checkpatch);
	free(s->ccache_remote);
	free(s->distcc_hosts);
	memset(s, 0, sizeof(*s));
}

static const struct kser_error *add_config(struct kser_settings *s,
					   const char *name,
					   const char *kunitconfig,
					   const char *arch)
{
	const struct kser_error *err;
	struct kser_verify_config *v;

	err = kser_array_grow((void **)&s->configs, &s->configs_alloc,
			      s->nconfigs, sizeof(*v), 4);
	if (err)
		return err;
	v = &s->configs[s->nconfigs];
	v->name = strdup(name);
	v->kunitconfig = strdup(kunitconfig);
	v->arch = strdup(arch ? arch : "um");
	if (!v->name || !v->kunitconfig || !v->arch) {
		free(v->name);
		free(v->kunitconfig);
		free(v->arch);
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
	if (!out->name || !out->checkpatch)
		return kser_error_nomem();
	return add_config(out, "default", ".kunitconfig", "um");
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

const struct kser_error *kser_settings_load(struct kser_settings *out,
					    const char *dir)
{
	const struct kser_error *err;
	struct kser_buf path = KSER_BUF_INIT;
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	struct stat st;
	char *s;

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
	if (err)
		goto done;
	/* [verify "NAME"] kunitconfig = ..., in file order. */
	/* The plain iterator: libgit2's glob iterator leaks its regex. */
	if (git_config_iterator_new(&it, cfg) < 0) {
		err = kser_error_git("cannot read '%s'", path.ptr);
		goto done;
	}
	while (git_config_next(&e, it) == 0) {
		size_t len = strlen(e->name);
		const char *name = e->name + 7;
		size_t nlen;

		if (len <= 7 + 12 || strncmp(e->name, "verify.", 7) ||
		    strcmp(e->name + len - 12, ".kunitconfig"))
			continue;
		nlen = len - 7 - 12;
		struct kser_buf key = KSER_BUF_INIT;
		char *vname = strndup(name, nlen), *arch;

		kser_buf_printf(&key, "verify.%s.arch", vname ? vname : "");
		arch = kser_buf_check(&key) ? NULL : get_string(cfg, key.ptr);
		err = vname ? add_config(out, vname, e->value, arch) :
			      kser_error_nomem();
		free(arch);
		free(vname);
		kser_buf_release(&key);
		if (err)
			break;
	}
done:
	git_config_iterator_free(it);
	git_config_free(cfg);
	kser_buf_release(&path);
	if (err)
		kser_settings_release(out);
	return err;
}
