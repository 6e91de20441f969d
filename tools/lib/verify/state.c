// SPDX-License-Identifier: GPL-2.0
/*
 * The state directory of kser verify (<git dir>/kser/verify, or
 * kser.verifyDir): its lock, kser-cc, a build directory per
 * configuration, the logs, the checkout, and the environment builds run
 * in. Uses the settings, kser's checkout (kser/worktree.h), libgit2's
 * config and the core.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

extern char **environ;

char *verify_path_join(const char *a, const char *b)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s", a, b);
	return kser_buf_detach(&p);
}

static const struct kser_error *setup(struct verify_state *st,
				      git_repository *repo, const char *dir,
				      const struct kser_settings *s)
{
	const struct kser_error *err;
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;
	char *bin = NULL, *src = NULL;

	if (dir) {
		st->dir = strdup(dir);
	} else {
		git_config *cfg = NULL;
		git_buf conf = GIT_BUF_INIT;

		/* kser.verifyDir: where the worktree and builds live. */
		if (git_repository_config_snapshot(&cfg, repo) == 0 &&
		    git_config_get_path(&conf, cfg, "kser.verifydir") == 0)
			st->dir = strdup(conf.ptr);
		else
			st->dir = verify_path_join(git_repository_path(repo),
						   "kser/verify");
		git_buf_dispose(&conf);
		git_config_free(cfg);
	}
	if (!st->dir)
		return kser_error_nomem();
	if (strpbrk(st->dir, " \t\n:"))
		return kser_error_fmt(KSER_ERR_USAGE,
				      "kbuild cannot build in '%s' (it has a "
				      "space or colon); set kser.verifyDir to "
				      "a directory without them", st->dir);
	/* git_repository_path ends with '/': tidy "//". */
	{
		char *dd = strstr(st->dir, "//");

		if (dd)
			memmove(dd, dd + 1, strlen(dd));
	}
	st->log_dir = verify_path_join(st->dir, "logs");
	st->tmp_dir = verify_path_join(st->dir, "tmp");
	st->uml_dir = verify_path_join(st->dir, "uml");
	bin = verify_path_join(st->dir, "bin");
	src = verify_path_join(st->dir, "src");
	if (!st->log_dir || !st->tmp_dir || !st->uml_dir || !bin || !src) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_mkdir_p(st->log_dir);
	if (!err)
		err = kser_mkdir_p(st->tmp_dir);
	if (!err)
		err = kser_mkdir_p(st->uml_dir);
	if (!err)
		err = kser_mkdir_p(bin);
	if (err)
		goto done;

	{
		char *lock = verify_path_join(st->dir, "lock");

		/*
		 * Not O_CLOEXEC: builds inherit the lock, so that if kser is
		 * killed outright, the next run waits for its orphans rather
		 * than building beside them in the same directory.
		 */
		st->lock_fd = lock ? open(lock, O_RDWR | O_CREAT, 0644) : -1;
		free(lock);
		if (st->lock_fd < 0) {
			err = kser_error_errno("cannot create the lock");
			goto done;
		}
		if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
			err = kser_error_fmt(KSER_ERR_EXISTS,
					     "another kser verify is running "
					     "on this repository");
			goto done;
		}
	}

	/* The compiler wrapper is kser itself, called as kser-cc. */
	st->wrapper = verify_path_join(bin, "kser-cc");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (!st->wrapper || n <= 0) {
		err = kser_error_errno("cannot find the kser executable");
		goto done;
	}
	exe[n] = '\0';
	{
		char *tmp = verify_path_join(bin, "kser-cc.new");

		unlink(tmp);
		if (!tmp || symlink(exe, tmp) < 0 || rename(tmp, st->wrapper) < 0)
			err = kser_error_errno("cannot install '%s'",
					       st->wrapper);
		free(tmp);
		if (err)
			goto done;
	}

	st->build_dirs = calloc(s->nconfigs, sizeof(char *));
	if (!st->build_dirs) {
		err = kser_error_nomem();
		goto done;
	}
	st->nbuild_dirs = s->nconfigs;
	for (i = 0; i < s->nconfigs; i++) {
		char name[160];

		snprintf(name, sizeof(name), "build-%s",
			 s->configs[i].name);
		st->build_dirs[i] = verify_path_join(st->dir, name);
		if (!st->build_dirs[i]) {
			err = kser_error_nomem();
			goto done;
		}
	}
	err = kser_worktree_open(&st->wt, repo, src);
done:
	free(bin);
	free(src);
	return err;
}

static const struct kser_error *make_env(struct verify_state *st)
{
	static const char *const pinned[] = {
		/* Pinned so that rebuilds are reproducible and ccache hits. */
		"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
		"KBUILD_BUILD_USER=kser",
		"KBUILD_BUILD_HOST=kser",
		"KBUILD_BUILD_VERSION=1",
		"LC_ALL=C",
		"LANG=C",
	};
	size_t n = 0, i, k = 0;
	struct kser_buf tmpdir = KSER_BUF_INIT, base = KSER_BUF_INIT;

	while (environ[n])
		n++;
	st->env = calloc(n + sizeof(pinned) / sizeof(*pinned) + 3,
			sizeof(char *));
	if (!st->env)
		return kser_error_nomem();
	for (i = 0; i < n; i++) {
		const char *e = environ[i];

		if (!strncmp(e, "KBUILD_", 7) || !strncmp(e, "LC_ALL=", 7) ||
		    !strncmp(e, "LANG=", 5) || !strncmp(e, "TMPDIR=", 7) ||
		    !strncmp(e, "CCACHE_BASEDIR=", 15) ||
		    !strncmp(e, "ARCH=", 5) || !strncmp(e, "CROSS_COMPILE=", 14))
			continue;
		st->env[k++] = (char *)e;
	}
	for (i = 0; i < sizeof(pinned) / sizeof(*pinned); i++)
		st->env[k++] = (char *)pinned[i];
	/* UML's memory file lives in TMPDIR; keep it ours. */
	kser_buf_printf(&tmpdir, "TMPDIR=%s", st->tmp_dir);
	kser_buf_printf(&base, "CCACHE_BASEDIR=%s", st->dir);
	st->env[k++] = kser_buf_detach(&tmpdir);
	st->env[k++] = kser_buf_detach(&base);
	return st->env[k - 1] && st->env[k - 2] ? NULL : kser_error_nomem();
}

const struct kser_error *verify_state_open(struct verify_state *st,
					   git_repository *repo,
					   const char *dir,
					   const struct kser_settings *s)
{
	const struct kser_error *err = setup(st, repo, dir, s);

	return err ? err : make_env(st);
}

void verify_state_release(struct verify_state *st)
{
	size_t i;

	kser_worktree_free(st->wt);
	if (st->lock_fd > 0)
		close(st->lock_fd);
	for (i = 0; st->build_dirs && i < st->nbuild_dirs; i++)
		free(st->build_dirs[i]);
	free(st->build_dirs);
	if (st->env) {
		/* Only the two we made are ours. */
		size_t n = 0;

		while (st->env[n])
			n++;
		if (n >= 2) {
			free(st->env[n - 1]);
			free(st->env[n - 2]);
		}
		free(st->env);
	}
	free(st->dir);
	free(st->log_dir);
	free(st->tmp_dir);
	free(st->uml_dir);
	free(st->wrapper);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
}

char *verify_log_path(const struct verify_state *st, const char *key)
{
	char name[GIT_OID_HEXSZ + 8];

	snprintf(name, sizeof(name), "%s.log", key);
	return verify_path_join(st->log_dir, name);
}
