// SPDX-License-Identifier: GPL-2.0
/*
 * The state directory of kser verify (<git dir>/kser/verify, or
 * kser.verifyDir): its lock, kser-cc, a build directory per
 * configuration, the logs, the checkout, and the environment builds run
 * in. Uses the settings, the build farm (farm.c), kser's checkout
 * (kser/worktree.h), libgit2's config and the core.
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

/* Does the environment entry e set the variable entry k sets? */
static bool same_name(const char *e, const char *k)
{
	size_t n = strcspn(k, "=");

	return !strncmp(e, k, n) && e[n] == '=';
}

/*
 * The builds' environment: the caller's, less what would change a build
 * without its key saying so, and less what kser sets itself; then kser's
 * own, which make builds reproducible and the same wherever they run, so
 * that ccache hits across repositories and machines.
 */
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
		/*
		 * base_dir makes paths relative, so the directory need not
		 * be hashed: a build at another path hits.
		 */
		"CCACHE_NOHASHDIR=1",
		/*
		 * ccache does not hash the prefix maps below: entries made
		 * with others (a kser before them) must not be taken.
		 */
		"CCACHE_NAMESPACE=kser-verify-1",
	};
	/* kbuild reads these from the environment; no key holds them. */
	static const char *const dropped[] = {
		"KBUILD_", "KCFLAGS=", "KCPPFLAGS=", "KAFLAGS=", "KRUSTFLAGS=",
		"ARCH=", "CROSS_COMPILE=", "LLVM=", "LLVM_IAS=",
		"CCACHE_HASHDIR=",
	};
	size_t npinned = sizeof(pinned) / sizeof(*pinned);
	size_t n = 0, nfarm = 0, i, j, k = 0, o;
	char *own[4] = { NULL };
	const size_t nown = sizeof(own) / sizeof(*own);
	struct kser_buf b = KSER_BUF_INIT;

	while (environ[n])
		n++;
	while (st->farm.env && st->farm.env[nfarm])
		nfarm++;
	/* UML's memory file lives in TMPDIR; keep it ours. */
	kser_buf_printf(&b, "TMPDIR=%s", st->tmp_dir);
	own[0] = kser_buf_detach(&b);
	kser_buf_printf(&b, "CCACHE_BASEDIR=%s", st->dir);
	own[1] = kser_buf_detach(&b);
	/*
	 * ccache makes the source's path relative (../src/lib/x.c), which
	 * kbuild's -fmacro-prefix-map=$(srctree)/= no longer matches:
	 * __FILE__ is made "lib/x.c" again, as kbuild means it. The
	 * directory is mapped out of debug information, so an object is
	 * the same byte for byte wherever it was built. KCFLAGS, not
	 * KCPPFLAGS: UML's user-space objects take KBUILD_CFLAGS only.
	 */
	kser_buf_printf(&b, "KCFLAGS=-fmacro-prefix-map=../src/= "
			"-fdebug-prefix-map=%s/=", st->dir);
	own[2] = kser_buf_detach(&b);
	kser_buf_printf(&b, "KAFLAGS=-fmacro-prefix-map=../src/= "
			"-fdebug-prefix-map=%s/=", st->dir);
	own[3] = kser_buf_detach(&b);
	st->env = calloc(n + npinned + nfarm + nown + 1, sizeof(char *));
	for (i = 0; i < nown; i++)
		if (!own[i])
			break;
	if (!st->env || i < nown) {
		for (i = 0; i < nown; i++)
			free(own[i]);
		free(st->env);
		st->env = NULL;
		return kser_error_nomem();
	}
	for (i = 0; i < n; i++) {
		const char *e = environ[i];
		bool drop = false;

		for (j = 0; !drop && j < sizeof(dropped) / sizeof(*dropped);
		     j++)
			drop = !strncmp(e, dropped[j], strlen(dropped[j]));
		for (j = 0; !drop && j < npinned; j++)
			drop = same_name(e, pinned[j]);
		for (j = 0; !drop && j < nfarm; j++)
			drop = same_name(e, st->farm.env[j]);
		for (j = 0; !drop && j < nown; j++)
			drop = same_name(e, own[j]);
		if (!drop)
			st->env[k++] = (char *)e;
	}
	for (i = 0; i < npinned; i++)
		st->env[k++] = (char *)pinned[i];
	for (i = 0; i < nfarm; i++)
		st->env[k++] = st->farm.env[i];
	for (o = 0; o < nown; o++)
		st->env[k++] = own[o];
	st->env_owned = nown;
	return NULL;
}

const struct kser_error *verify_state_open(struct verify_state *st,
					   git_repository *repo,
					   const char *dir,
					   const struct kser_settings *s)
{
	const struct kser_error *err = setup(st, repo, dir, s);

	if (!err)
		err = verify_farm_open(&st->farm, repo, s, st->dir);
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
		/* Only the last env_owned are ours. */
		size_t n = 0;

		while (st->env[n])
			n++;
		while (st->env_owned-- && n)
			free(st->env[--n]);
		free(st->env);
	}
	verify_farm_release(&st->farm);
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
