// SPDX-License-Identifier: GPL-2.0
/*
 * kser verify.
 *
 * For each row (the base, then every patch) the private worktree is moved
 * to the row's tree, the tree is built in a persistent build directory
 * per configuration while checkpatch.pl runs on the patch, and the UML
 * kernel is booted to run KUnit. Every result is stored in the repository
 * as soon as it is known, keyed by what determines it, so nothing is ever
 * verified twice and an interruption loses nothing that finished.
 *
 * Compiler warnings are recorded per object by kser's compiler wrapper
 * (kser-cc), so the full set of warnings of a build is known even when
 * only a few files were recompiled; a patch fails its build check when it
 * adds a warning the previous row did not have, compared by fingerprint.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/email.h>
#include <openssl/evp.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/diag.h"
#include "kser/error.h"
#include "kser/ktap.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "kser/verify.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

/* Bump when a check's logic changes what it reports. */
#define CHECK_VERSION "kser-verify-2"
#define LOG_STORE_CAP (32u << 20)
#define REF_PREFIX "refs/kser/verify/"

extern char **environ;

struct ctx {
	git_repository *repo;
	const struct kser_verify_options *opts;
	const struct kser_settings *settings;
	struct kser_verify_report *rep;

	char *state_dir, *log_dir, *tmp_dir, *uml_dir;
	char *wrapper;		/* the kser-cc link */
	char **build_dirs;	/* one per configuration */
	struct kser_worktree *wt;
	int lock_fd;

	char *toolchain;	/* gcc, ld, make versions */
	char *perl;		/* perl's version */
	bool ccache;
	unsigned int jobs;
	char **env;		/* environment for builds */
	uint64_t start_ms;

	/* What runs, for the ticks. */
	size_t busy_row, busy_check;
	uint64_t last_tick_ms;
};

const char *kser_verify_status_name(enum kser_verify_status s)
{
	static const char *const names[] = {
		"pending", "running", "pass", "fail", "timeout", "error",
		"skipped", "n/a",
	};

	return s <= KSER_VERIFY_NA ? names[s] : "?";
}

static enum kser_verify_status status_from_name(const char *s)
{
	enum kser_verify_status i;

	for (i = KSER_VERIFY_PENDING; i <= KSER_VERIFY_NA; i++)
		if (s && !strcmp(s, kser_verify_status_name(i)))
			return i;
	return KSER_VERIFY_ERROR;
}

void kser_verify_report_release(struct kser_verify_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nrows; i++) {
		struct kser_verify_row *row = &r->rows[i];

		for (j = 0; row->results && j < r->nchecks; j++) {
			free(row->results[j].summary);
			free(row->results[j].log_path);
			json_decref(row->results[j].record);
		}
		free(row->results);
		free(row->subject);
	}
	for (i = 0; i < r->nchecks; i++)
		free(r->checks[i].id);
	free(r->checks);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static void emit(struct ctx *c, enum kser_verify_event ev, size_t row,
		 size_t check, const char *note)
{
	if (c->opts->event)
		c->opts->event(ev, c->rep, row, check, note, c->opts->event_arg);
}

static void note(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct ctx *c, const char *fmt, ...)
{
	struct kser_buf b = KSER_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!kser_buf_check(&b))
		emit(c, KSER_VERIFY_EVENT_NOTE, 0, 0, b.ptr);
	kser_buf_release(&b);
}

static void set_summary(struct kser_verify_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_summary(struct kser_verify_result *r, const char *fmt, ...)
{
	struct kser_buf b = KSER_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(r->summary);
	r->summary = kser_buf_detach(&b);
}

static void sha1_hex(char out[GIT_OID_HEXSZ + 1], const void *data,
		     size_t len)
{
	unsigned char md[20];
	unsigned int mdlen;
	size_t i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL);
	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* --- the range --------------------------------------------------------- */

static const struct kser_error *load_rows(struct ctx *c, const char *range)
{
	struct kser_verify_report *r = c->rep;
	const struct kser_error *err = NULL;
	git_revspec spec;
	git_commit *cur = NULL;
	git_oid *chain = NULL;
	size_t n = 0, i;

	if (!strstr(range, "..") || strstr(range, "..."))
		return kser_error_fmt(KSER_ERR_USAGE,
				      "'%s' is not a range BASE..TIP", range);
	if (git_revparse(&spec, c->repo, range) < 0)
		return kser_error_git("cannot resolve '%s'", range);
	if (git_object_peel((git_object **)&cur, spec.to,
			    GIT_OBJECT_COMMIT) < 0) {
		err = kser_error_git("'%s' is not a commit range", range);
		goto done;
	}
	{
		git_object *base = NULL;

		if (git_object_peel(&base, spec.from, GIT_OBJECT_COMMIT) < 0) {
			err = kser_error_git("'%s' is not a commit range",
					     range);
			goto done;
		}
		/* Walk back from the tip by first parents to the base. */
		for (;;) {
			git_oid *v = realloc(chain, (n + 1) * sizeof(*v));
			git_commit *parent = NULL;

			if (!v) {
				err = kser_error_nomem();
				break;
			}
			chain = v;
			git_oid_cpy(&chain[n++], git_commit_id(cur));
			if (git_oid_equal(git_commit_id(cur),
					  git_object_id(base)))
				break;
			if (git_commit_parentcount(cur) != 1) {
				err = kser_error_fmt(
					KSER_ERR_BAD_INPUT,
					git_commit_parentcount(cur) ?
					"the range is not linear: %.12s is a "
					"merge" :
					"%.12s is a root commit: the base is "
					"not an ancestor of the tip",
					git_oid_tostr_s(git_commit_id(cur)));
				break;
			}
			if (n > 10000) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "the range holds more "
						     "than 10000 commits");
				break;
			}
			if (git_commit_parent(&parent, cur, 0) < 0) {
				err = kser_error_git("cannot read a parent");
				break;
			}
			git_commit_free(cur);
			cur = parent;
		}
		git_object_free(base);
	}
	if (err)
		goto done;
	if (n < 2) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' holds no commits", range);
		goto done;
	}
	r->rows = calloc(n, sizeof(*r->rows));
	if (!r->rows) {
		err = kser_error_nomem();
		goto done;
	}
	r->nrows = n;
	for (i = 0; i < n; i++) {
		struct kser_verify_row *row = &r->rows[i];
		git_commit *cm = NULL;

		row->number = (unsigned int)i;
		git_oid_cpy(&row->commit, &chain[n - 1 - i]);
		if (git_commit_lookup(&cm, c->repo, &row->commit) < 0) {
			err = kser_error_git("cannot read a commit");
			goto done;
		}
		git_oid_cpy(&row->tree, git_commit_tree_id(cm));
		row->subject = strdup(git_commit_summary(cm) ?
				      git_commit_summary(cm) : "");
		git_commit_free(cm);
		if (!row->subject) {
			err = kser_error_nomem();
			goto done;
		}
	}
done:
	free(chain);
	git_commit_free(cur);
	git_object_free(spec.from);
	git_object_free(spec.to);
	return err;
}

/* --- checks ------------------------------------------------------------ */

/* "build", "kunit:lean", "checkpatch": the name a user gives a check. */
static void check_id(const struct ctx *c, enum kser_check_kind kind,
		     size_t config, char *out, size_t len)
{
	const char *base = kind == KSER_CHECK_BUILD ? "build" :
			   kind == KSER_CHECK_KUNIT ? "kunit" : "checkpatch";

	if (kind != KSER_CHECK_CHECKPATCH && config)
		snprintf(out, len, "%s:%s", base,
			 c->settings->configs[config].name);
	else
		snprintf(out, len, "%s", base);
}

static const struct kser_error *add_check(struct ctx *c,
					  enum kser_check_kind kind,
					  size_t config)
{
	struct kser_verify_report *r = c->rep;
	struct kser_verify_check *v;
	char id[160];

	v = realloc(r->checks, (r->nchecks + 1) * sizeof(*v));
	if (!v)
		return kser_error_nomem();
	r->checks = v;
	check_id(c, kind, config, id, sizeof(id));
	v[r->nchecks].id = strdup(id);
	if (!v[r->nchecks].id)
		return kser_error_nomem();
	v[r->nchecks].kind = kind;
	v[r->nchecks].config = config;
	r->nchecks++;
	return NULL;
}

/* Is id one of the comma-separated names in list (NULL: all)? */
static bool wanted(const char *list, const char *id)
{
	size_t n = strlen(id);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, id))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* Does some check of these settings have this name? */
static bool known_check(const struct ctx *c, const char *name, size_t n)
{
	char id[160];
	size_t k;

	for (k = 0; k < c->settings->nconfigs; k++) {
		check_id(c, KSER_CHECK_BUILD, k, id, sizeof(id));
		if (strlen(id) == n && !strncmp(name, id, n))
			return true;
		check_id(c, KSER_CHECK_KUNIT, k, id, sizeof(id));
		if (strlen(id) == n && !strncmp(name, id, n))
			return true;
	}
	return n == 10 && !strncmp(name, "checkpatch", 10);
}

static const struct kser_error *choose_checks(struct ctx *c)
{
	const struct kser_error *err = NULL;
	const char *list = c->opts->checks, *p;
	size_t i;

	for (p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if (!known_check(c, p, n))
			return kser_error_fmt(KSER_ERR_USAGE,
					      "unknown check '%.*s' in --checks",
					      (int)n, p);
		p += n + (p[n] == ',');
	}
	for (i = 0; i < c->settings->nconfigs && !err; i++) {
		char b[160], k[160];

		check_id(c, KSER_CHECK_BUILD, i, b, sizeof(b));
		check_id(c, KSER_CHECK_KUNIT, i, k, sizeof(k));
		/* KUnit needs the kernel it boots: kunit implies build. */
		if (wanted(list, b) || wanted(list, k))
			err = add_check(c, KSER_CHECK_BUILD, i);
		if (!err && wanted(list, k))
			err = add_check(c, KSER_CHECK_KUNIT, i);
		if (!err && i == 0 && wanted(list, "checkpatch"))
			err = add_check(c, KSER_CHECK_CHECKPATCH, 0);
	}
	if (!err && !c->rep->nchecks)
		err = kser_error_fmt(KSER_ERR_USAGE, "no checks to run");
	return err;
}

/* --- preflight --------------------------------------------------------- */

static bool tree_has(git_repository *repo, const git_oid *tree_oid,
		     const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	bool ok = git_tree_lookup(&t, repo, tree_oid) == 0 &&
		  git_tree_entry_bypath(&e, t, path) == 0;

	git_tree_entry_free(e);
	git_tree_free(t);
	return ok;
}

static bool have_kind(const struct ctx *c, enum kser_check_kind kind)
{
	size_t i;

	for (i = 0; i < c->rep->nchecks; i++)
		if (c->rep->checks[i].kind == kind)
			return true;
	return false;
}

static const struct kser_error *preflight(struct ctx *c)
{
	static const char *const build_tools[] = {
		"make", "gcc", "ld", "flex", "bison", "bc", "perl", "python3",
	};
	struct kser_buf missing = KSER_BUF_INIT;
	const struct kser_verify_row *base = &c->rep->rows[0];
	const struct kser_verify_row *tip = &c->rep->rows[c->rep->nrows - 1];
	const struct kser_error *err = NULL;
	bool build = have_kind(c, KSER_CHECK_BUILD);
	size_t i;

	for (i = 0; build && i < sizeof(build_tools) / sizeof(*build_tools);
	     i++)
		if (!kser_which(build_tools[i], NULL))
			kser_buf_printf(&missing, "%s%s",
					missing.len ? ", " : "",
					build_tools[i]);
	if (!build && have_kind(c, KSER_CHECK_CHECKPATCH) &&
	    !kser_which("perl", NULL))
		kser_buf_puts(&missing, "perl");
	if (missing.len) {
		err = kser_error_fmt(KSER_ERR_NOT_FOUND,
				     "missing tools: %s (on Debian: "
				     "ci/deps.sh --kernel)",
				     kser_buf_cstr(&missing));
		goto done;
	}
	for (i = 0; i < 2; i++) {
		const struct kser_verify_row *row = i ? tip : base;
		size_t k;

		if (have_kind(c, KSER_CHECK_CHECKPATCH) &&
		    !tree_has(c->repo, &row->tree, "scripts/checkpatch.pl")) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%.12s has no scripts/checkpatch.pl:"
					     " not a kernel tree",
					     git_oid_tostr_s(&row->commit));
			goto done;
		}
		if (build && !tree_has(c->repo, &row->tree,
				       "tools/testing/kunit/kunit.py")) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%.12s has no tools/testing/kunit:"
					     " not a kernel tree with KUnit",
					     git_oid_tostr_s(&row->commit));
			goto done;
		}
		for (k = 0; build && i && k < c->settings->nconfigs; k++) {
			const char *kc = c->settings->configs[k].kunitconfig;

			if (!tree_has(c->repo, &row->tree, kc)) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "the tip %.12s has no "
						     "kunitconfig '%s'",
						     git_oid_tostr_s(
							     &row->commit), kc);
				goto done;
			}
		}
	}
done:
	kser_buf_release(&missing);
	return err;
}

/* First lines of `prog --version`, for the toolchain's identity. */
static void version_of(struct kser_buf *out, const char *prog,
		       const char *flag)
{
	char *argv[] = { (char *)prog, (char *)flag, NULL };
	struct kser_buf o = KSER_BUF_INIT;
	int status = 0;

	if (!kser_run_capture(&o, &status, argv, NULL, 30000)) {
		const char *nl = strchr(kser_buf_cstr(&o), '\n');

		kser_buf_printf(out, "%s: %.*s\n", prog,
				nl ? (int)(nl - kser_buf_cstr(&o)) :
				(int)o.len, kser_buf_cstr(&o));
	} else {
		kser_buf_printf(out, "%s: unknown\n", prog);
	}
	kser_buf_release(&o);
}

static const struct kser_error *identify_toolchain(struct ctx *c)
{
	struct kser_buf t = KSER_BUF_INIT, p = KSER_BUF_INIT;

	version_of(&t, "gcc", "--version");
	version_of(&t, "ld", "--version");
	version_of(&t, "make", "--version");
	version_of(&t, "python3", "--version");
	version_of(&p, "perl", "-v");
	/* "unknown" versions of an interruption must not make keys. */
	if (kser_cancel_requested()) {
		kser_buf_release(&t);
		kser_buf_release(&p);
		return kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
	}
	c->toolchain = kser_buf_detach(&t);
	c->perl = kser_buf_detach(&p);
	if (!c->toolchain || !c->perl)
		return kser_error_nomem();
	c->ccache = kser_which("ccache", NULL);
	return NULL;
}

/* --- state ------------------------------------------------------------- */

static char *path_join(const char *a, const char *b)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s", a, b);
	return kser_buf_detach(&p);
}

static const struct kser_error *setup_state(struct ctx *c)
{
	const struct kser_error *err;
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;
	char *bin = NULL, *src = NULL;

	if (c->opts->state_dir) {
		c->state_dir = strdup(c->opts->state_dir);
	} else {
		git_config *cfg = NULL;
		git_buf dir = GIT_BUF_INIT;

		/* kser.verifyDir: where the worktree and builds live. */
		if (git_repository_config_snapshot(&cfg, c->repo) == 0 &&
		    git_config_get_path(&dir, cfg, "kser.verifydir") == 0)
			c->state_dir = strdup(dir.ptr);
		else
			c->state_dir = path_join(git_repository_path(c->repo),
						 "kser/verify");
		git_buf_dispose(&dir);
		git_config_free(cfg);
	}
	if (!c->state_dir)
		return kser_error_nomem();
	if (strpbrk(c->state_dir, " \t\n:"))
		return kser_error_fmt(KSER_ERR_USAGE,
				      "kbuild cannot build in '%s' (it has a "
				      "space or colon); set kser.verifyDir to "
				      "a directory without them", c->state_dir);
	/* git_repository_path ends with '/': tidy "//". */
	{
		char *dd = strstr(c->state_dir, "//");

		if (dd)
			memmove(dd, dd + 1, strlen(dd));
	}
	c->log_dir = path_join(c->state_dir, "logs");
	c->tmp_dir = path_join(c->state_dir, "tmp");
	c->uml_dir = path_join(c->state_dir, "uml");
	bin = path_join(c->state_dir, "bin");
	src = path_join(c->state_dir, "src");
	if (!c->log_dir || !c->tmp_dir || !c->uml_dir || !bin || !src) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_mkdir_p(c->log_dir);
	if (!err)
		err = kser_mkdir_p(c->tmp_dir);
	if (!err)
		err = kser_mkdir_p(c->uml_dir);
	if (!err)
		err = kser_mkdir_p(bin);
	if (err)
		goto done;

	{
		char *lock = path_join(c->state_dir, "lock");

		/*
		 * Not O_CLOEXEC: builds inherit the lock, so that if kser is
		 * killed outright, the next run waits for its orphans rather
		 * than building beside them in the same directory.
		 */
		c->lock_fd = lock ? open(lock, O_RDWR | O_CREAT, 0644) : -1;
		free(lock);
		if (c->lock_fd < 0) {
			err = kser_error_errno("cannot create the lock");
			goto done;
		}
		if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
			err = kser_error_fmt(KSER_ERR_EXISTS,
					     "another kser verify is running "
					     "on this repository");
			goto done;
		}
	}

	/* The compiler wrapper is kser itself, called as kser-cc. */
	c->wrapper = path_join(bin, "kser-cc");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (!c->wrapper || n <= 0) {
		err = kser_error_errno("cannot find the kser executable");
		goto done;
	}
	exe[n] = '\0';
	{
		char *tmp = path_join(bin, "kser-cc.new");

		unlink(tmp);
		if (!tmp || symlink(exe, tmp) < 0 || rename(tmp, c->wrapper) < 0)
			err = kser_error_errno("cannot install '%s'",
					       c->wrapper);
		free(tmp);
		if (err)
			goto done;
	}

	c->build_dirs = calloc(c->settings->nconfigs, sizeof(char *));
	if (!c->build_dirs) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < c->settings->nconfigs; i++) {
		char name[160];

		snprintf(name, sizeof(name), "build-%s",
			 c->settings->configs[i].name);
		c->build_dirs[i] = path_join(c->state_dir, name);
		if (!c->build_dirs[i]) {
			err = kser_error_nomem();
			goto done;
		}
	}
	err = kser_worktree_open(&c->wt, c->repo, src);
done:
	free(bin);
	free(src);
	return err;
}

static const struct kser_error *make_env(struct ctx *c)
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
	c->env = calloc(n + sizeof(pinned) / sizeof(*pinned) + 3,
			sizeof(char *));
	if (!c->env)
		return kser_error_nomem();
	for (i = 0; i < n; i++) {
		const char *e = environ[i];

		if (!strncmp(e, "KBUILD_", 7) || !strncmp(e, "LC_ALL=", 7) ||
		    !strncmp(e, "LANG=", 5) || !strncmp(e, "TMPDIR=", 7) ||
		    !strncmp(e, "CCACHE_BASEDIR=", 15) ||
		    !strncmp(e, "ARCH=", 5) || !strncmp(e, "CROSS_COMPILE=", 14))
			continue;
		c->env[k++] = (char *)e;
	}
	for (i = 0; i < sizeof(pinned) / sizeof(*pinned); i++)
		c->env[k++] = (char *)pinned[i];
	/* UML's memory file lives in TMPDIR; keep it ours. */
	kser_buf_printf(&tmpdir, "TMPDIR=%s", c->tmp_dir);
	kser_buf_printf(&base, "CCACHE_BASEDIR=%s", c->state_dir);
	c->env[k++] = kser_buf_detach(&tmpdir);
	c->env[k++] = kser_buf_detach(&base);
	return c->env[k - 1] && c->env[k - 2] ? NULL : kser_error_nomem();
}

/* --- cache ------------------------------------------------------------- */

static void key_for(struct ctx *c, size_t row, size_t check,
		    char out[GIT_OID_HEXSZ + 1]);

static bool cacheable_status(const char *name)
{
	enum kser_verify_status st = status_from_name(name);

	return st == KSER_VERIFY_PASS || st == KSER_VERIFY_FAIL;
}

static const struct kser_error *cache_load(struct ctx *c,
					   struct kser_verify_result *res)
{
	struct kser_buf ref = KSER_BUF_INIT;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *e;
	json_t *rec = NULL;
	git_oid oid;

	kser_buf_printf(&ref, REF_PREFIX "%s", res->key);
	if (kser_buf_check(&ref))
		return kser_error_nomem();
	if (git_reference_name_to_id(&oid, c->repo, ref.ptr) < 0 ||
	    git_tree_lookup(&tree, c->repo, &oid) < 0)
		goto done;
	e = git_tree_entry_byname(tree, "result.json");
	if (!e || git_blob_lookup(&blob, c->repo, git_tree_entry_id(e)) < 0)
		goto done;
	rec = json_loadb(git_blob_rawcontent(blob),
			 (size_t)git_blob_rawsize(blob), 0, NULL);
	/* Older versions of kser cached timeouts: they are not answers. */
	if (!rec || !json_is_object(rec) ||
	    json_is_true(json_object_get(rec, "timed_out")) ||
	    !cacheable_status(json_string_value(json_object_get(rec,
								"status")))) {
		json_decref(rec);
		goto done;
	}
	res->record = rec;
	res->cached = true;
	res->seconds = json_number_value(json_object_get(rec, "seconds"));
	res->status = status_from_name(json_string_value(
		json_object_get(rec, "status")));
	free(res->summary);
	res->summary = json_string_value(json_object_get(rec, "summary")) ?
		       strdup(json_string_value(json_object_get(rec,
								"summary"))) :
		       NULL;
	/* The log is brought out only when someone asks for it. */
	e = git_tree_entry_byname(tree, "log");
	if (e && c->log_dir) {
		char name[GIT_OID_HEXSZ + 8];

		snprintf(name, sizeof(name), "%s.log", res->key);
		free(res->log_path);
		res->log_path = path_join(c->log_dir, name);
	}
done:
	git_blob_free(blob);
	git_tree_free(tree);
	kser_buf_release(&ref);
	return NULL;
}

/* Writes the log of a cached result out, if it is not on disk yet. */
static void cache_extract_log(struct ctx *c, struct kser_verify_result *res)
{
	struct kser_buf ref = KSER_BUF_INIT;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *e;
	git_oid oid;

	if (!res->log_path || access(res->log_path, F_OK) == 0)
		goto done;
	kser_buf_printf(&ref, REF_PREFIX "%s", res->key);
	if (kser_buf_check(&ref) ||
	    git_reference_name_to_id(&oid, c->repo, ref.ptr) < 0 ||
	    git_tree_lookup(&tree, c->repo, &oid) < 0)
		goto done;
	e = git_tree_entry_byname(tree, "log");
	if (e && git_blob_lookup(&blob, c->repo, git_tree_entry_id(e)) == 0)
		kser_write_file_atomic(res->log_path, git_blob_rawcontent(blob),
				       (size_t)git_blob_rawsize(blob));
done:
	git_blob_free(blob);
	git_tree_free(tree);
	kser_buf_release(&ref);
}

static const struct kser_error *cache_store(struct ctx *c,
					    struct kser_verify_result *res)
{
	const struct kser_error *err = NULL;
	struct kser_buf ref = KSER_BUF_INIT, log = KSER_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_oid blob, tree;
	git_reference *r = NULL;
	char *json = NULL;

	json = json_dumps(res->record, JSON_SORT_KEYS | JSON_INDENT(1));
	if (!json)
		return kser_error_nomem();
	if (git_blob_create_from_buffer(&blob, c->repo, json, strlen(json)) < 0 ||
	    git_treebuilder_new(&tb, c->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "result.json", &blob,
				   GIT_FILEMODE_BLOB) < 0) {
		err = kser_error_git("cannot store a result");
		goto done;
	}
	if (res->log_path && !kser_read_file(&log, res->log_path)) {
		const char *p = kser_buf_cstr(&log);
		size_t len = log.len;

		/* Keep the end of an enormous log: errors are there. */
		if (len > LOG_STORE_CAP) {
			p += len - LOG_STORE_CAP;
			len = LOG_STORE_CAP;
		}
		if (git_blob_create_from_buffer(&blob, c->repo, p, len) < 0 ||
		    git_treebuilder_insert(NULL, tb, "log", &blob,
					   GIT_FILEMODE_BLOB) < 0) {
			err = kser_error_git("cannot store a log");
			goto done;
		}
	}
	if (git_treebuilder_write(&tree, tb) < 0) {
		err = kser_error_git("cannot store a result");
		goto done;
	}
	kser_buf_printf(&ref, REF_PREFIX "%s", res->key);
	if (kser_buf_check(&ref) ||
	    git_reference_create(&r, c->repo, ref.ptr, &tree, 1,
				 "kser verify") < 0)
		err = kser_error_git("cannot store a result");
done:
	git_reference_free(r);
	git_treebuilder_free(tb);
	kser_buf_release(&ref);
	kser_buf_release(&log);
	free(json);
	return err;
}

/* --- keys -------------------------------------------------------------- */

static char *blob_text(git_repository *repo, const git_oid *tree_oid,
		       const char *path, git_oid *blob_id)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	char *s = NULL;

	if (git_tree_lookup(&t, repo, tree_oid) == 0 &&
	    git_tree_entry_bypath(&e, t, path) == 0 &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0) {
		s = strndup(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		if (blob_id)
			git_oid_cpy(blob_id, git_tree_entry_id(e));
	}
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	return s;
}

/* What the configuration of a row is: its kunitconfig and arch. */
static void config_hash(struct ctx *c, size_t row, size_t cfg,
			char out[GIT_OID_HEXSZ + 1])
{
	const struct kser_verify_config *vc = &c->settings->configs[cfg];
	char *kc = blob_text(c->repo, &c->rep->rows[row].tree, vc->kunitconfig,
			     NULL);
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_printf(&b, "arch %s\nkunitconfig %s\n%s", vc->arch,
			vc->kunitconfig, kc ? kc : "(missing)");
	sha1_hex(out, kser_buf_cstr(&b), b.len);
	kser_buf_release(&b);
	free(kc);
}

/* patch-id, author and message: what checkpatch.pl sees of a commit. */
static void patch_identity(struct ctx *c, size_t row, struct kser_buf *out)
{
	git_commit *cm = NULL, *parent = NULL;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	git_oid pid;

	if (git_commit_lookup(&cm, c->repo, &c->rep->rows[row].commit) < 0)
		return;
	if (git_commit_parent(&parent, cm, 0) == 0 &&
	    git_commit_tree(&a, parent) == 0 && git_commit_tree(&b, cm) == 0 &&
	    git_diff_tree_to_tree(&diff, c->repo, a, b, NULL) == 0 &&
	    git_diff_patchid(&pid, diff, NULL) == 0)
		kser_buf_printf(out, "patch-id %s\n", git_oid_tostr_s(&pid));
	kser_buf_printf(out, "author %s <%s>\nmessage %s\n",
			git_commit_author(cm)->name, git_commit_author(cm)->email,
			git_commit_message(cm));
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(parent);
	git_commit_free(cm);
}

static void key_for(struct ctx *c, size_t row, size_t check,
		    char out[GIT_OID_HEXSZ + 1])
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	const struct kser_verify_row *r = &c->rep->rows[row];
	struct kser_buf b = KSER_BUF_INIT;
	char cfg[GIT_OID_HEXSZ + 1];

	kser_buf_printf(&b, "%s\ncheck %s\n", CHECK_VERSION, ck->id);
	if (ck->kind == KSER_CHECK_CHECKPATCH) {
		static const char *const scripts[] = {
			"scripts/checkpatch.pl", "scripts/spelling.txt",
			"scripts/const_structs.checkpatch",
		};
		size_t i;

		patch_identity(c, row, &b);
		kser_buf_printf(&b, "options %s\n%s", c->settings->checkpatch,
				c->perl);
		for (i = 0; i < sizeof(scripts) / sizeof(*scripts); i++) {
			git_oid id;
			char *s = blob_text(c->repo, &r->tree, scripts[i], &id);

			kser_buf_printf(&b, "%s %s\n", scripts[i],
					s ? git_oid_tostr_s(&id) : "-");
			free(s);
		}
	} else {
		config_hash(c, row, ck->config, cfg);
		kser_buf_printf(&b, "tree %s\nconfig %s\n%s",
				git_oid_tostr_s(&r->tree), cfg, c->toolchain);
	}
	sha1_hex(out, kser_buf_cstr(&b), b.len);
	kser_buf_release(&b);
}

/* --- records ----------------------------------------------------------- */

/* JSON of the diagnostics, or NULL when memory runs out. */
static json_t *diags_json(const struct kser_diags *d, bool with_fingerprint)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < d->n; i++) {
		const struct kser_diag *x = &d->v[i];
		json_t *o = json_pack("{s:s, s:o?, s:o?, s:i, s:o}",
				      "level", x->level,
				      "type", x->type ?
				      kser_verify_json_text(x->type) : NULL,
				      "file", x->file ?
				      kser_verify_json_text(x->file) : NULL,
				      "line", (int)x->line,
				      "text", kser_verify_json_text(x->text));

		/* Without its fingerprint a warning is never new. */
		if (o && with_fingerprint &&
		    json_object_set_new(o, "fingerprint",
					kser_verify_json_text(
						x->fingerprint ?
						x->fingerprint : "")) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static void finish_result(struct ctx *c, size_t row, size_t check,
			  enum kser_verify_status status, double seconds,
			  json_t *rec)
{
	struct kser_verify_result *res = &c->rep->rows[row].results[check];

	res->status = status;
	res->seconds = seconds;
	res->cached = false;
	json_object_set_new(rec, "check",
			    kser_verify_json_text(c->rep->checks[check].id));
	json_object_set_new(rec, "status",
			    json_string(kser_verify_status_name(status)));
	json_object_set_new(rec, "seconds", json_real(seconds));
	json_object_set_new(rec, "summary", kser_verify_json_text(
				    res->summary ? res->summary : ""));
	json_object_set_new(rec, "key", json_string(res->key));
	json_decref(res->record);
	res->record = rec;
}

/*
 * Output that blames the machine, not the patch: what a full disk, missing
 * memory or a missing program make tools say, and kser-cc's own errors.
 */
static const char *const machine_markers[] = {
	"No space left on device",
	"Disk quota exceeded",
	"Read-only file system",
	"Input/output error",
	"Cannot allocate memory",
	"virtual memory exhausted",
	"Killed signal terminated program",
	"Too many open files",
	"Resource temporarily unavailable",
	"command not found",
	"Command not found",
	"kser-cc: error:",
};

/* The last line of text that holds one of the markers, or false. */
static bool machine_line(const char *text, size_t len, struct kser_buf *why)
{
	size_t end = len;

	while (end > 0) {
		size_t start = end;
		size_t i, n;

		while (start > 0 && text[start - 1] != '\n')
			start--;
		n = end - start;
		/* gcc quoting a source line ("  12 | text") is the patch's. */
		i = start;
		while (i < end && text[i] == ' ')
			i++;
		while (i < end && text[i] >= '0' && text[i] <= '9')
			i++;
		if (i + 1 < end && text[i] == ' ' && text[i + 1] == '|') {
			end = start ? start - 1 : 0;
			continue;
		}
		for (i = 0; i < sizeof(machine_markers) /
			    sizeof(*machine_markers); i++)
			if (memmem(text + start, n, machine_markers[i],
				   strlen(machine_markers[i])))
				break;
		/* dash says "sh: 1: prog: not found". */
		if (i < sizeof(machine_markers) / sizeof(*machine_markers) ||
		    (n > 11 && !memcmp(text + end - 11, ": not found", 11))) {
			kser_buf_printf(why, "%.*s", (int)(n > 300 ? 300 : n),
					text + start);
			return true;
		}
		end = start ? start - 1 : 0;
	}
	return false;
}

/*
 * Is the job's failure the machine's rather than the patch's? Then the
 * check is an error, never cached. any_signal: a signal can only have
 * come from outside (make does not crash on a bad patch; a kernel may, so
 * there only the signals of kill(1) and the OOM killer count);
 * read_output: look for the markers in what the job said.
 */
static bool machine_trouble(const struct kser_job *job, bool any_signal,
			    bool read_output, struct kser_buf *why)
{
	int sig = job->status > 128 ? job->status - 128 : 0;

	if (job->log_errno) {
		kser_buf_printf(why, "cannot write the log '%s': %s",
				job->log_path ? job->log_path : "",
				strerror(job->log_errno));
		return true;
	}
	if (job->timed_out || job->cancelled || !job->status)
		return false;
	if (sig && (any_signal || sig == SIGKILL || sig == SIGTERM ||
		    sig == SIGINT || sig == SIGHUP)) {
		kser_buf_printf(why, "%s was killed by signal %d (not by kser:"
				" out of memory?)", job->name, sig);
		return true;
	}
	return read_output && machine_line(kser_buf_cstr(&job->tail),
					   job->tail.len, why);
}

/* Stores a finished result; a failure to store only costs a rerun. */
static void store(struct ctx *c, size_t row, size_t check)
{
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	const struct kser_error *err;

	/*
	 * Only what the patch determines is cached: a timeout, an error of
	 * the machine or an interruption would be replayed as the patch's.
	 */
	if (res->status != KSER_VERIFY_PASS && res->status != KSER_VERIFY_FAIL)
		return;
	err = cache_store(c, res);
	if (err)
		note(c, "cannot cache a result: %s", err->msg);
}

/* --- build ------------------------------------------------------------- */

static char *log_path_for(struct ctx *c, size_t row, size_t check)
{
	char name[256];
	char *id = strdup(c->rep->checks[check].id), *p;

	for (p = id; p && *p; p++)
		if (*p == ':')
			*p = '-';
	snprintf(name, sizeof(name), "%zu-%s.log", row, id ? id : "check");
	free(id);
	return path_join(c->log_dir, name);
}

static void cc_string(struct ctx *c, struct kser_buf *out, bool host)
{
	if (host)
		kser_buf_printf(out, "HOSTCC=%sgcc", c->ccache ? "ccache " : "");
	else
		kser_buf_printf(out, "CC=%s %sgcc", c->wrapper,
				c->ccache ? "ccache " : "");
}

/* The value .config gives an option ("y", "m", "\"x\""), or NULL when it
 * is not set. */
static char *config_value(const char *cfg, const char *name, size_t nlen)
{
	const char *p = cfg;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > nlen && !strncmp(p, name, nlen) && p[nlen] == '=')
			return strndup(p + nlen + 1, n - nlen - 1);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Does .config hold every option the kunitconfig asks for, as kunit.py's
 * validation wants? */
static bool config_satisfied(const char *build_dir, const char *kunitconfig,
			     struct kser_buf *missing)
{
	struct kser_buf cfg = KSER_BUF_INIT;
	char *path = path_join(build_dir, ".config");
	const char *p = kunitconfig;
	bool ok = true;

	if (!path || kser_read_file(&cfg, path)) {
		free(path);
		kser_buf_release(&cfg);
		return false;
	}
	free(path);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		const char *name = p, *want = NULL;
		size_t nlen = 0, wlen = 0;

		if (n > 7 && !strncmp(p, "CONFIG_", 7) && eq) {
			nlen = (size_t)(eq - p);
			want = eq + 1;
			wlen = n - nlen - 1;
		} else if (n > 9 && !strncmp(p, "# CONFIG_", 9) &&
			   memmem(p, n, " is not set", 11)) {
			name = p + 2;
			nlen = (size_t)((const char *)memchr(name, ' ',
							     n - 2) - name);
			want = "n";
			wlen = 1;
		}
		if (nlen) {
			char *have = config_value(kser_buf_cstr(&cfg), name,
						  nlen);
			bool good = (wlen == 1 && *want == 'n') ?
				    !have || !strcmp(have, "n") :
				    have && strlen(have) == wlen &&
				    !strncmp(have, want, wlen);

			if (!good) {
				ok = false;
				kser_buf_printf(missing, "%s%.*s", missing->len ?
						", " : "", (int)n, p);
			}
			free(have);
		}
		p = nl ? nl + 1 : NULL;
	}
	kser_buf_release(&cfg);
	return ok;
}

/*
 * Did the job end on its own, so that its result stands although the run
 * was interrupted while others went on?
 */
static bool finished_anyway(const struct kser_error *err,
			    const struct kser_job *job)
{
	return !err || (err->code == KSER_ERR_CANCELLED && !job->cancelled &&
			!job->spawn_failed);
}

/* A check that could not finish: not run (interrupted) or an error. */
static void fail_with(struct kser_verify_result *res,
		      const struct kser_error *err)
{
	if (err->code == KSER_ERR_CANCELLED) {
		res->status = KSER_VERIFY_PENDING;
		return;
	}
	res->status = KSER_VERIFY_ERROR;
	set_summary(res, "%s", err->msg);
}

static void busy(struct ctx *c, size_t row, size_t check)
{
	c->busy_row = row;
	c->busy_check = check;
}

static void tick(void *arg)
{
	struct ctx *c = arg;

	c->last_tick_ms = kser_now_ms();
	emit(c, KSER_VERIFY_EVENT_TICK, c->busy_row, c->busy_check, NULL);
}

/* Ticks while the checkout moves, as the runner ticks while jobs run. */
static const struct kser_error *checkout_progress(size_t done, size_t total,
						  void *arg)
{
	struct ctx *c = arg;

	(void)done;
	(void)total;
	if (kser_now_ms() - c->last_tick_ms >= 200)
		tick(c);
	return NULL;
}

static const struct kser_error *run_jobs(struct ctx *c, struct kser_job *jobs,
					 size_t n)
{
	return kser_jobs_run(jobs, n, tick, c);
}

/* Runs kunit.py config when the build directory was configured for
 * something else (a new kunitconfig, a new build directory). */
static const struct kser_error *configure(struct ctx *c, size_t row,
					  size_t check, struct kser_job *job,
					  bool force)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	const struct kser_verify_config *vc = &c->settings->configs[ck->config];
	const char *bdir = c->build_dirs[ck->config];
	char hash[GIT_OID_HEXSZ + 1];
	struct kser_buf stamp_path = KSER_BUF_INIT, stamp = KSER_BUF_INIT;
	struct kser_buf kc = KSER_BUF_INIT, bd = KSER_BUF_INIT;
	struct kser_buf mo = KSER_BUF_INIT, arch = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	char *argv[9];

	config_hash(c, row, ck->config, hash);
	kser_buf_printf(&stamp_path, "%s/.kser-config", bdir);
	if (kser_buf_check(&stamp_path))
		return kser_error_nomem();
	if (!force && !kser_read_file(&stamp, stamp_path.ptr) &&
	    stamp.len >= GIT_OID_HEXSZ && !strncmp(stamp.ptr, hash,
						   GIT_OID_HEXSZ))
		goto done;
	err = kser_mkdir_p(bdir);
	if (err)
		goto done;
	kser_buf_printf(&bd, "--build_dir=%s", bdir);
	kser_buf_printf(&kc, "--kunitconfig=%s/%s",
			kser_worktree_path(c->wt), vc->kunitconfig);
	kser_buf_printf(&arch, "--arch=%s", vc->arch);
	kser_buf_puts(&mo, "--make_options=");
	cc_string(c, &mo, false);
	if (kser_buf_check(&bd) || kser_buf_check(&kc) ||
	    kser_buf_check(&arch) || kser_buf_check(&mo)) {
		err = kser_error_nomem();
		goto done;
	}
	argv[0] = "python3";
	argv[1] = "tools/testing/kunit/kunit.py";
	argv[2] = "config";
	argv[3] = bd.ptr;
	argv[4] = kc.ptr;
	argv[5] = arch.ptr;
	argv[6] = mo.ptr;
	argv[7] = NULL;
	memset(job, 0, sizeof(*job));
	job->name = "kunit.py config";
	job->argv = argv;
	job->cwd = kser_worktree_path(c->wt);
	job->env = c->env;
	job->log_path = c->rep->rows[row].results[check].log_path;
	job->timeout_ms = 600000;
	err = run_jobs(c, job, 1);
	if (!err && (job->status || job->timed_out)) {
		err = kser_error_fmt(KSER_ERR_CHILD,
				     "kunit.py config failed: %s",
				     kser_buf_cstr(&job->tail));
	}
	if (!err)
		err = kser_write_file_atomic(stamp_path.ptr, hash,
					     GIT_OID_HEXSZ);
	/* argv points at our buffers: the job must not keep them. */
	job->argv = NULL;
done:
	kser_buf_release(&stamp_path);
	kser_buf_release(&stamp);
	kser_buf_release(&kc);
	kser_buf_release(&bd);
	kser_buf_release(&mo);
	kser_buf_release(&arch);
	return err;
}

struct make_argv {
	struct kser_buf o, cc, hostcc, arch, jobs;
	char *argv[8];
};

static void make_argv_init(struct ctx *c, struct make_argv *m, size_t cfg)
{
	memset(m, 0, sizeof(*m));
	kser_buf_printf(&m->arch, "ARCH=%s", c->settings->configs[cfg].arch);
	kser_buf_printf(&m->o, "O=%s", c->build_dirs[cfg]);
	kser_buf_printf(&m->jobs, "-j%u", c->jobs);
	cc_string(c, &m->cc, false);
	cc_string(c, &m->hostcc, true);
	m->argv[0] = "make";
	m->argv[1] = (char *)kser_buf_cstr(&m->arch);
	m->argv[2] = (char *)kser_buf_cstr(&m->o);
	m->argv[3] = (char *)kser_buf_cstr(&m->jobs);
	m->argv[4] = (char *)kser_buf_cstr(&m->cc);
	m->argv[5] = (char *)kser_buf_cstr(&m->hostcc);
	m->argv[6] = NULL;
}

static void make_argv_release(struct make_argv *m)
{
	kser_buf_release(&m->o);
	kser_buf_release(&m->cc);
	kser_buf_release(&m->hostcc);
	kser_buf_release(&m->arch);
	kser_buf_release(&m->jobs);
}

struct records {
	const char *src;
	struct kser_diags *raw;
};

/*
 * One object's record. A message about no file ("cc1: warning: ...")
 * belongs to the source the object was compiled from, so that it goes
 * stale with it like the others.
 */
static const struct kser_error *add_record(const char *object,
					   const char *text, size_t len,
					   void *arg)
{
	static const char *const exts[] = { ".c", ".S" };
	struct records *r = arg;
	const struct kser_error *err;
	size_t first = r->raw->n, i, k, n = strlen(object);

	err = kser_gcc_parse(r->raw, text, len, r->src, true);
	for (i = first; !err && i < r->raw->n; i++) {
		struct kser_diag *d = &r->raw->v[i];
		struct kser_buf p = KSER_BUF_INIT;

		if (d->file || n < 2 || strcmp(object + n - 2, ".o"))
			continue;
		for (k = 0; k < sizeof(exts) / sizeof(*exts); k++) {
			kser_buf_clear(&p);
			kser_buf_printf(&p, "%s/%.*s%s", r->src, (int)(n - 2),
					object, exts[k]);
			if (access(kser_buf_cstr(&p), F_OK) == 0)
				break;
		}
		kser_buf_clear(&p);
		kser_buf_printf(&p, "%.*s%s", (int)(n - 2), object,
				exts[k < sizeof(exts) / sizeof(*exts) ? k : 0]);
		d->file = kser_buf_detach(&p);
		if (!d->file)
			err = kser_error_nomem();
	}
	return err;
}

/* The warnings of the build in the build directory, fingerprinted. */
static const struct kser_error *build_warnings(struct ctx *c, size_t cfg,
					       struct kser_diags *out)
{
	struct kser_diags raw = { 0 };
	const struct kser_error *err;
	const char *src = kser_worktree_path(c->wt);
	struct records recs = { src, &raw };
	size_t i;

	err = kser_diag_collect(c->build_dirs[cfg], add_record, &recs);
	if (!err)
		err = kser_diags_fingerprint(&raw, src);
	for (i = 0; !err && i < raw.n; i++) {
		struct kser_diag *d = &raw.v[i];
		struct kser_buf p = KSER_BUF_INIT;
		size_t k;
		bool dup = false;

		if (strcmp(d->level, "warning"))
			continue;
		/* Objects of files the tree no longer has are stale. */
		kser_buf_printf(&p, "%s/%s", src, d->file ? d->file : "");
		if (!d->file || access(kser_buf_cstr(&p), F_OK) < 0) {
			kser_buf_release(&p);
			continue;
		}
		kser_buf_release(&p);
		/* A header's warning shows once, however many include it. */
		for (k = 0; k < out->n && !dup; k++)
			dup = !strcmp(out->v[k].fingerprint, d->fingerprint);
		if (dup)
			continue;
		err = kser_diags_add(out, d->level, d->type, d->file, d->line,
				     d->text);
		if (!err) {
			out->v[out->n - 1].fingerprint = strdup(d->fingerprint);
			if (!out->v[out->n - 1].fingerprint)
				err = kser_error_nomem();
		}
	}
	kser_diags_release(&raw);
	return err;
}

/* The build's record, or NULL when memory runs out. */
static json_t *build_record(const struct kser_job *job, bool ok,
			    const struct kser_diags *errors,
			    const struct kser_diags *warnings)
{
	json_t *rec = json_pack("{s:b, s:b, s:i, s:o, s:o}",
				"built", ok, "timed_out", job->timed_out,
				"exit_status", job->status,
				"errors", diags_json(errors, false),
				"warnings", diags_json(warnings, true));

	return rec;
}

/* --- kunit ------------------------------------------------------------- */

static json_t *ktap_json(const struct kser_ktap_test *t)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < t->nchildren; i++) {
		const struct kser_ktap_test *x = &t->children[i];
		json_t *o = json_pack("{s:o, s:s, s:o?, s:o?}", "name",
				      kser_verify_json_text(x->name ? x->name :
							    ""),
				      "status", kser_ktap_status_name(x->status),
				      "directive", x->directive ?
				      kser_verify_json_text(x->directive) :
				      NULL,
				      "diagnostic", x->diagnostic ?
				      kser_verify_json_text(x->diagnostic) :
				      NULL);

		if (o && x->nchildren)
			json_object_set_new(o, "cases", ktap_json(x));
		json_array_append_new(a, o);
	}
	return a;
}

/* The first failed case, as "suite.case". */
static bool first_failure(const struct kser_ktap_test *t, const char *suite,
			  struct kser_buf *out)
{
	size_t i;

	for (i = 0; i < t->nchildren; i++) {
		const struct kser_ktap_test *x = &t->children[i];

		if (x->nchildren) {
			if (first_failure(x, x->name, out))
				return true;
			continue;
		}
		if (x->status == KSER_KTAP_FAIL ||
		    x->status == KSER_KTAP_MISSING) {
			kser_buf_printf(out, "%s%s%s failed", suite ? suite : "",
					suite ? "." : "", x->name);
			if (x->diagnostic)
				kser_buf_printf(out, " (%s)", x->diagnostic);
			return true;
		}
	}
	return false;
}

static void tail_lines(struct kser_buf *out, const char *text, size_t len,
		       size_t nlines)
{
	size_t pos = len, seen = 0;

	while (pos > 0 && seen <= nlines) {
		pos--;
		if (text[pos] == '\n')
			seen++;
	}
	if (pos)
		pos++;
	kser_buf_put(out, text + pos, len - pos);
}

static void run_kunit(struct ctx *c, size_t row, size_t check)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	struct kser_buf bin = KSER_BUF_INIT, umldir = KSER_BUF_INIT;
	struct kser_buf log = KSER_BUF_INIT, why = KSER_BUF_INIT;
	struct kser_ktap_result ktap;
	struct kser_job job = { 0 };
	const struct kser_error *err;
	enum kser_verify_status st;
	json_t *rec;
	char *argv[8];

	kser_buf_printf(&bin, "%s/linux", c->build_dirs[ck->config]);
	kser_buf_printf(&umldir, "uml_dir=%s", c->uml_dir);
	argv[0] = (char *)kser_buf_cstr(&bin);
	argv[1] = "kunit.enable=1";
	argv[2] = "mem=1G";
	argv[3] = "console=tty";
	argv[4] = "kunit_shutdown=halt";
	argv[5] = (char *)kser_buf_cstr(&umldir);
	argv[6] = NULL;
	job.name = "kunit";
	job.argv = argv;
	job.cwd = c->build_dirs[ck->config];
	job.env = c->env;
	job.log_path = res->log_path;
	job.tail_cap = 8u << 20;
	job.timeout_ms = (uint64_t)c->settings->kunit_timeout * 1000;
	err = run_jobs(c, &job, 1);
	if (!finished_anyway(err, &job)) {
		fail_with(res, err);
		goto done;
	}
	memset(&ktap, 0, sizeof(ktap));
	err = kser_ktap_parse(&ktap, kser_buf_cstr(&job.tail), job.tail.len);
	if (err) {
		res->status = KSER_VERIFY_ERROR;
		set_summary(res, "%s", err->msg);
		goto done;
	}
	/* A kernel that said nothing may have had no memory to say it. */
	if (machine_trouble(&job, false, !ktap.found, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = job.seconds;
		set_summary(res, "%s", kser_buf_cstr(&why));
		kser_ktap_result_release(&ktap);
		goto done;
	}
	rec = json_object();
	json_object_set_new(rec, "passed", json_integer((json_int_t)ktap.passed));
	json_object_set_new(rec, "failed", json_integer((json_int_t)ktap.failed));
	json_object_set_new(rec, "skipped",
			    json_integer((json_int_t)ktap.skipped));
	json_object_set_new(rec, "missing",
			    json_integer((json_int_t)ktap.missing));
	json_object_set_new(rec, "crashed", json_boolean(ktap.crashed));
	json_object_set_new(rec, "timed_out", json_boolean(job.timed_out));
	json_object_set_new(rec, "suites", ktap_json(&ktap.root));
	if (job.timed_out) {
		st = KSER_VERIFY_TIMEOUT;
		set_summary(res, "the kernel did not finish within %u s",
			    c->settings->kunit_timeout);
	} else if (!ktap.found) {
		st = KSER_VERIFY_FAIL;
		set_summary(res, "no KTAP output (the kernel exited with "
			    "status %d)", job.status);
	} else if (ktap.crashed) {
		st = KSER_VERIFY_FAIL;
		set_summary(res, "crash: %s", ktap.crash_line);
	} else if (ktap.failed || ktap.missing) {
		st = KSER_VERIFY_FAIL;
		first_failure(&ktap.root, NULL, &why);
		set_summary(res, "%zu failed, %zu passed: %s", ktap.failed,
			    ktap.passed, kser_buf_cstr(&why));
	} else if (!ktap.passed && !ktap.skipped) {
		st = KSER_VERIFY_FAIL;
		set_summary(res, "no test ran");
	} else {
		st = KSER_VERIFY_PASS;
		set_summary(res, "%zu passed, %zu skipped", ktap.passed,
			    ktap.skipped);
	}
	if (st != KSER_VERIFY_PASS) {
		tail_lines(&log, kser_buf_cstr(&job.tail), job.tail.len, 30);
		json_object_set_new(rec, "log_tail",
				    kser_verify_json_text(kser_buf_cstr(&log)));
	}
	kser_ktap_result_release(&ktap);
	finish_result(c, row, check, st, job.seconds, rec);
	store(c, row, check);
done:
	kser_job_release(&job);
	kser_buf_release(&bin);
	kser_buf_release(&umldir);
	kser_buf_release(&log);
	kser_buf_release(&why);
}

/* --- checkpatch -------------------------------------------------------- */

struct checkpatch_job {
	char *patch_path;
	char *argv[16];
	char *opts;		/* the split options, owned */
};

static const struct kser_error *checkpatch_prepare(struct ctx *c,
						   size_t row,
						   struct checkpatch_job *cj,
						   struct kser_job *job,
						   size_t check)
{
	git_email_create_options eopts = GIT_EMAIL_CREATE_OPTIONS_INIT;
	git_commit *cm = NULL;
	git_buf email = GIT_BUF_INIT;
	const struct kser_error *err = NULL;
	char name[64];
	size_t argc = 0;
	char *p, *save = NULL;

	memset(cj, 0, sizeof(*cj));
	if (git_commit_lookup(&cm, c->repo, &c->rep->rows[row].commit) < 0 ||
	    git_email_create_from_commit(&email, cm, &eopts) < 0) {
		err = kser_error_git("cannot make the patch of %.12s",
				     git_oid_tostr_s(&c->rep->rows[row].commit));
		goto done;
	}
	snprintf(name, sizeof(name), "%zu.patch", row);
	cj->patch_path = path_join(c->tmp_dir, name);
	if (!cj->patch_path) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_write_file_atomic(cj->patch_path, email.ptr, email.size);
	if (err)
		goto done;
	cj->opts = strdup(c->settings->checkpatch ? c->settings->checkpatch :
			  "");
	if (!cj->opts) {
		err = kser_error_nomem();
		goto done;
	}
	cj->argv[argc++] = "perl";
	cj->argv[argc++] = "scripts/checkpatch.pl";
	for (p = strtok_r(cj->opts, " \t", &save); p && argc < 12;
	     p = strtok_r(NULL, " \t", &save))
		cj->argv[argc++] = p;
	cj->argv[argc++] = "--show-types";
	cj->argv[argc++] = "--color=never";
	cj->argv[argc++] = cj->patch_path;
	cj->argv[argc] = NULL;

	memset(job, 0, sizeof(*job));
	job->name = "checkpatch";
	job->argv = cj->argv;
	job->cwd = kser_worktree_path(c->wt);
	job->env = c->env;
	job->log_path = c->rep->rows[row].results[check].log_path;
	job->tail_cap = 4u << 20;
	job->timeout_ms = 600000;
done:
	git_buf_dispose(&email);
	git_commit_free(cm);
	return err;
}

static void checkpatch_finish(struct ctx *c, size_t row, size_t check,
			      struct kser_job *job)
{
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	struct kser_checkpatch_totals t;
	struct kser_diags d = { 0 };
	struct kser_buf why = KSER_BUF_INIT;
	enum kser_verify_status st;
	json_t *rec;

	if (job->timed_out) {
		res->status = KSER_VERIFY_TIMEOUT;
		set_summary(res, "checkpatch.pl did not finish");
		finish_result(c, row, check, KSER_VERIFY_TIMEOUT, job->seconds,
			      json_object());
		return;
	}
	if (job->cancelled) {
		res->status = KSER_VERIFY_PENDING;
		return;
	}
	/* Its output quotes the patch: only the log and signals count. */
	if (machine_trouble(job, true, false, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = job->seconds;
		set_summary(res, "%s", kser_buf_cstr(&why));
		kser_buf_release(&why);
		return;
	}
	if (kser_checkpatch_parse(&d, &t, kser_buf_cstr(&job->tail),
				  job->tail.len) || !t.found) {
		struct kser_buf tail = KSER_BUF_INIT;

		res->status = KSER_VERIFY_ERROR;
		tail_lines(&tail, kser_buf_cstr(&job->tail), job->tail.len, 3);
		set_summary(res, "checkpatch.pl failed (status %d): %s",
			    job->status, kser_buf_cstr(&tail));
		kser_buf_release(&tail);
		kser_diags_release(&d);
		return;
	}
	st = t.errors || t.warnings || t.checks ? KSER_VERIFY_FAIL :
						  KSER_VERIFY_PASS;
	if (st == KSER_VERIFY_PASS) {
		set_summary(res, "clean: %u lines checked", t.lines);
	} else {
		struct kser_buf s = KSER_BUF_INIT;

		kser_buf_printf(&s, "%u errors, %u warnings, %u checks",
				t.errors, t.warnings, t.checks);
		if (d.n)
			kser_buf_printf(&s, ": %s%s%s%s%u: %s",
					d.v[0].type ? d.v[0].type : "",
					d.v[0].type ? " " : "",
					d.v[0].file ? d.v[0].file : "",
					d.v[0].file ? ":" : "", d.v[0].line,
					d.v[0].text);
		set_summary(res, "%s", kser_buf_cstr(&s));
		kser_buf_release(&s);
	}
	rec = json_object();
	json_object_set_new(rec, "errors", json_integer(t.errors));
	json_object_set_new(rec, "warnings", json_integer(t.warnings));
	json_object_set_new(rec, "checks", json_integer(t.checks));
	json_object_set_new(rec, "messages", diags_json(&d, false));
	finish_result(c, row, check, st, job->seconds, rec);
	store(c, row, check);
	kser_diags_release(&d);
}

static void checkpatch_release(struct checkpatch_job *cj)
{
	if (cj->patch_path)
		unlink(cj->patch_path);
	free(cj->patch_path);
	free(cj->opts);
	memset(cj, 0, sizeof(*cj));
}

/* --- build results across rows ------------------------------------------ */

static const json_t *build_warnings_of(const struct kser_verify_result *r)
{
	return r->record ? json_object_get(r->record, "warnings") : NULL;
}

static bool fingerprint_in(const json_t *warnings, const char *fp)
{
	size_t i;
	json_t *w;

	json_array_foreach(warnings, i, w) {
		const char *f = json_string_value(json_object_get(w,
								  "fingerprint"));

		if (f && !strcmp(f, fp))
			return true;
	}
	return false;
}

/* "file:line: text", or "text" for a message about no file. */
static void diag_text(struct kser_buf *out, const json_t *d)
{
	const char *file = json_string_value(json_object_get(d, "file"));
	const char *text = json_string_value(json_object_get(d, "text"));
	json_int_t line = json_integer_value(json_object_get(d, "line"));

	if (file && line)
		kser_buf_printf(out, "%s:%lld: ", file, (long long)line);
	else if (file)
		kser_buf_printf(out, "%s: ", file);
	kser_buf_puts(out, text ? text : "");
}

/*
 * A build's status: it must have built, and it must not add a warning
 * the previous row (the last one that built) did not have.
 */
static void resolve_build(struct ctx *c, size_t row, size_t check)
{
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	const json_t *rec = res->record, *prev = NULL, *warnings;
	json_t *w;
	struct kser_buf s = KSER_BUF_INIT;
	size_t i, nnew = 0, total;
	json_t *new_warnings;
	size_t r;

	if (!rec || res->status == KSER_VERIFY_ERROR)
		return;
	if (!json_is_true(json_object_get(rec, "built"))) {
		json_t *errs = json_object_get(rec, "errors");

		res->status = json_is_true(json_object_get(rec, "timed_out")) ?
			      KSER_VERIFY_TIMEOUT : KSER_VERIFY_FAIL;
		if (res->status == KSER_VERIFY_TIMEOUT)
			kser_buf_printf(&s, "the build did not finish in time");
		else if (json_array_size(errs)) {
			json_array_foreach(errs, i, w) {
				if (i == 3) {
					kser_buf_printf(&s, "; and %zu more",
							json_array_size(errs) - 3);
					break;
				}
				if (i)
					kser_buf_puts(&s, "; ");
				diag_text(&s, w);
			}
		} else {
			kser_buf_printf(&s, "make failed (status %lld)",
					(long long)json_integer_value(
						json_object_get(rec, "exit_status")));
		}
		goto out;
	}
	for (r = row; r-- > 0;) {
		const struct kser_verify_result *pr =
			&c->rep->rows[r].results[check];

		if (pr->record && json_is_true(json_object_get(pr->record,
							       "built"))) {
			prev = build_warnings_of(pr);
			break;
		}
	}
	warnings = json_object_get(rec, "warnings");
	total = json_array_size(warnings);
	new_warnings = json_array();
	json_array_foreach(warnings, i, w) {
		const char *fp = json_string_value(json_object_get(w,
								   "fingerprint"));

		if (row && prev && fp && !fingerprint_in(prev, fp)) {
			json_array_append(new_warnings, w);
			if (!nnew) {
				kser_buf_puts(&s, "new warning: ");
				diag_text(&s, w);
			}
			nnew++;
		}
	}
	json_object_set_new((json_t *)rec, "new_warnings", new_warnings);
	if (nnew > 1)
		kser_buf_printf(&s, " (and %zu more new)", nnew - 1);
	res->status = nnew ? KSER_VERIFY_FAIL : KSER_VERIFY_PASS;
	if (!nnew)
		kser_buf_printf(&s, "built, %zu warning%s, none new", total,
				total == 1 ? "" : "s");
out:
	if (!kser_buf_check(&s)) {
		free(res->summary);
		res->summary = kser_buf_detach(&s);
	}
	kser_buf_release(&s);
}

static void run_build(struct ctx *c, size_t row, size_t check,
		      bool with_checkpatch, size_t cp_check)
{
	const struct kser_verify_check *ck = &c->rep->checks[check];
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	const struct kser_verify_config *vc = &c->settings->configs[ck->config];
	struct kser_job jobs[2];
	struct checkpatch_job cj = { 0 };
	struct make_argv m;
	struct kser_diags errors = { 0 }, warnings = { 0 };
	struct kser_buf logtext = KSER_BUF_INIT, missing = KSER_BUF_INIT;
	struct kser_buf why = KSER_BUF_INIT;
	const struct kser_error *err;
	json_t *rec = NULL;
	size_t njobs = 1;
	int attempt;
	double seconds = 0;
	bool ok = false;
	char *kc;

	memset(jobs, 0, sizeof(jobs));
	if (!tree_has(c->repo, &c->rep->rows[row].tree, vc->kunitconfig)) {
		res->status = KSER_VERIFY_ERROR;
		set_summary(res, "the commit has no kunitconfig '%s'",
			    vc->kunitconfig);
		return;
	}
	err = configure(c, row, check, &jobs[0], false);
	if (!err) {
		seconds += jobs[0].seconds;
		kser_job_release(&jobs[0]);
	}
	if (err) {
		kser_job_release(&jobs[0]);
		fail_with(res, err);
		return;
	}
	make_argv_init(c, &m, ck->config);
	kc = blob_text(c->repo, &c->rep->rows[row].tree, vc->kunitconfig, NULL);
	for (attempt = 0; attempt < 2; attempt++) {
		memset(jobs, 0, sizeof(jobs));
		jobs[0].name = "make";
		jobs[0].argv = m.argv;
		jobs[0].cwd = kser_worktree_path(c->wt);
		jobs[0].env = c->env;
		jobs[0].log_path = res->log_path;
		jobs[0].tail_cap = 1u << 20;
		jobs[0].timeout_ms = (uint64_t)c->settings->build_timeout * 1000;
		njobs = 1;
		if (with_checkpatch && attempt == 0) {
			err = checkpatch_prepare(c, row, &cj, &jobs[1], cp_check);
			if (err) {
				struct kser_verify_result *cr =
					&c->rep->rows[row].results[cp_check];

				cr->status = KSER_VERIFY_ERROR;
				set_summary(cr, "%s", err->msg);
				emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row,
				     cp_check, NULL);
				with_checkpatch = false;
			} else {
				c->rep->rows[row].results[cp_check].status =
					KSER_VERIFY_RUNNING;
				emit(c, KSER_VERIFY_EVENT_CHECK_START, row,
				     cp_check, NULL);
				njobs = 2;
			}
		}
		err = run_jobs(c, jobs, njobs);
		if (njobs == 2) {
			if (finished_anyway(err, &jobs[1]))
				checkpatch_finish(c, row, cp_check, &jobs[1]);
			else
				fail_with(&c->rep->rows[row].results[cp_check],
					  err);
			emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, cp_check,
			     NULL);
			checkpatch_release(&cj);
			kser_job_release(&jobs[1]);
			with_checkpatch = false;
		}
		if (!finished_anyway(err, &jobs[0])) {
			kser_job_release(&jobs[0]);
			fail_with(res, err);
			goto done;
		}
		seconds += jobs[0].seconds;
		ok = jobs[0].status == 0 && !jobs[0].timed_out;
		kser_buf_clear(&missing);
		if (ok && kc && !config_satisfied(c->build_dirs[ck->config], kc,
						  &missing) && attempt == 0) {
			/* Kconfig changed under the kunitconfig: redo it. */
			struct kser_job cfgjob;

			kser_job_release(&jobs[0]);
			err = configure(c, row, check, &cfgjob, true);
			seconds += cfgjob.seconds;
			kser_job_release(&cfgjob);
			if (err) {
				fail_with(res, err);
				goto done;
			}
			continue;
		}
		break;
	}
	if (machine_trouble(&jobs[0], true, true, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = seconds;
		set_summary(res, "%s", kser_buf_cstr(&why));
		kser_job_release(&jobs[0]);
		goto done;
	}
	/* Diagnostics that cannot be read are an error: they would pass. */
	err = kser_read_file(&logtext, res->log_path);
	if (!err)
		err = kser_gcc_parse(&errors, kser_buf_cstr(&logtext),
				     logtext.len, kser_worktree_path(c->wt),
				     false);
	if (!err && ok && missing.len) {
		ok = false;
		err = kser_diags_add(&errors, "error", "kunitconfig", NULL, 0,
				     kser_buf_cstr(&missing));
	}
	if (!err && ok)
		err = build_warnings(c, ck->config, &warnings);
	if (!err && !(rec = build_record(&jobs[0], ok, &errors, &warnings)))
		err = kser_error_nomem();
	if (err) {
		kser_job_release(&jobs[0]);
		res->seconds = seconds;
		if (err->code == KSER_ERR_CANCELLED) {
			res->status = KSER_VERIFY_PENDING;
			goto done;
		}
		res->status = KSER_VERIFY_ERROR;
		set_summary(res, "cannot read the build's diagnostics: %s",
			    err->msg);
		goto done;
	}
	finish_result(c, row, check, ok ? KSER_VERIFY_PASS : KSER_VERIFY_FAIL,
		      seconds, rec);
	resolve_build(c, row, check);
	store(c, row, check);
	kser_job_release(&jobs[0]);
done:
	free(kc);
	make_argv_release(&m);
	kser_diags_release(&errors);
	kser_diags_release(&warnings);
	kser_buf_release(&logtext);
	kser_buf_release(&missing);
	kser_buf_release(&why);
}

/* --- the rows ---------------------------------------------------------- */

static bool needs_run(const struct kser_verify_result *r)
{
	return r->status == KSER_VERIFY_PENDING;
}

/* Builds row's configuration `cfg` if that is needed, then KUnit. */
static const struct kser_error *verify_row(struct ctx *c, size_t row)
{
	struct kser_verify_row *rw = &c->rep->rows[row];
	size_t i, k, cp = SIZE_MAX;
	bool any = false, cp_pending = false;
	size_t written;
	const struct kser_error *err;

	for (i = 0; i < c->rep->nchecks; i++) {
		if (needs_run(&rw->results[i]))
			any = true;
		if (c->rep->checks[i].kind == KSER_CHECK_CHECKPATCH) {
			cp = i;
			cp_pending = needs_run(&rw->results[i]);
		}
	}
	if (!any)
		return NULL;
	if (!kser_worktree_tree(c->wt) ||
	    !git_oid_equal(kser_worktree_tree(c->wt), &rw->tree)) {
		busy(c, row, KSER_VERIFY_CHECKOUT);
		emit(c, KSER_VERIFY_EVENT_CHECKOUT, row, KSER_VERIFY_CHECKOUT,
		     NULL);
	}
	err = kser_worktree_move(c->wt, &rw->tree, &written, checkout_progress,
				 c);
	if (err)
		return err;

	for (i = 0; i < c->rep->nchecks; i++) {
		const struct kser_verify_check *ck = &c->rep->checks[i];
		size_t kunit = SIZE_MAX;

		if (ck->kind != KSER_CHECK_BUILD)
			continue;
		for (k = 0; k < c->rep->nchecks; k++)
			if (c->rep->checks[k].kind == KSER_CHECK_KUNIT &&
			    c->rep->checks[k].config == ck->config)
				kunit = k;
		/* KUnit boots this row's kernel: it must be built now. */
		if (!needs_run(&rw->results[i]) &&
		    !(kunit != SIZE_MAX && needs_run(&rw->results[kunit])))
			continue;
		rw->results[i].status = KSER_VERIFY_RUNNING;
		rw->results[i].cached = false;
		busy(c, row, i);
		emit(c, KSER_VERIFY_EVENT_CHECK_START, row, i, NULL);
		run_build(c, row, i, cp_pending, cp);
		cp_pending = false;
		emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, i, NULL);
		if (kser_cancel_requested())
			return kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
		if (kunit == SIZE_MAX || !needs_run(&rw->results[kunit]))
			continue;
		if (rw->results[i].record &&
		    !json_is_true(json_object_get(rw->results[i].record,
						  "built"))) {
			rw->results[kunit].status = KSER_VERIFY_SKIPPED;
			set_summary(&rw->results[kunit], "not run: the build "
				    "failed");
			emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, kunit, NULL);
			continue;
		}
		if (rw->results[i].status == KSER_VERIFY_ERROR) {
			rw->results[kunit].status = KSER_VERIFY_SKIPPED;
			set_summary(&rw->results[kunit], "not run: the build "
				    "could not run");
			emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, kunit, NULL);
			continue;
		}
		rw->results[kunit].status = KSER_VERIFY_RUNNING;
		busy(c, row, kunit);
		emit(c, KSER_VERIFY_EVENT_CHECK_START, row, kunit, NULL);
		run_kunit(c, row, kunit);
		emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, kunit, NULL);
		if (kser_cancel_requested())
			return kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
	}
	/* checkpatch alone (the builds were cached). */
	if (cp_pending) {
		struct checkpatch_job cj;
		struct kser_job job;

		err = checkpatch_prepare(c, row, &cj, &job, cp);
		if (err) {
			rw->results[cp].status = KSER_VERIFY_ERROR;
			set_summary(&rw->results[cp], "%s", err->msg);
		} else {
			rw->results[cp].status = KSER_VERIFY_RUNNING;
			busy(c, row, cp);
			emit(c, KSER_VERIFY_EVENT_CHECK_START, row, cp, NULL);
			err = run_jobs(c, &job, 1);
			if (finished_anyway(err, &job))
				checkpatch_finish(c, row, cp, &job);
			else
				fail_with(&rw->results[cp], err);
			kser_job_release(&job);
		}
		checkpatch_release(&cj);
		emit(c, KSER_VERIFY_EVENT_CHECK_DONE, row, cp, NULL);
		if (err && err->code == KSER_ERR_CANCELLED)
			return err;
	}
	return NULL;
}

static void ctx_release(struct ctx *c)
{
	size_t i;

	kser_worktree_free(c->wt);
	if (c->lock_fd > 0)
		close(c->lock_fd);
	for (i = 0; c->build_dirs && i < c->settings->nconfigs; i++)
		free(c->build_dirs[i]);
	free(c->build_dirs);
	if (c->env) {
		/* Only the two we made are ours. */
		size_t n = 0;

		while (c->env[n])
			n++;
		if (n >= 2) {
			free(c->env[n - 1]);
			free(c->env[n - 2]);
		}
		free(c->env);
	}
	free(c->state_dir);
	free(c->log_dir);
	free(c->tmp_dir);
	free(c->uml_dir);
	free(c->wrapper);
	free(c->toolchain);
	free(c->perl);
}

const struct kser_error *kser_verify(struct kser_verify_report *out,
				     git_repository *repo, const char *range,
				     const struct kser_verify_options *opts)
{
	static const struct kser_verify_options defaults =
		KSER_VERIFY_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_settings fallback = { 0 };
	struct ctx c = { 0 };
	size_t i, j;

	memset(out, 0, sizeof(*out));
	c.repo = repo;
	c.opts = opts ? opts : &defaults;
	c.rep = out;
	c.lock_fd = -1;
	c.start_ms = kser_now_ms();
	if (c.opts->settings) {
		c.settings = c.opts->settings;
	} else {
		err = kser_settings_defaults(&fallback);
		if (err)
			return err;
		c.settings = &fallback;
	}
	c.jobs = c.opts->jobs ? c.opts->jobs :
		 (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	if (!c.jobs)
		c.jobs = 1;

	err = load_rows(&c, range);
	if (!err)
		err = choose_checks(&c);
	if (!err)
		err = preflight(&c);
	if (!err)
		err = identify_toolchain(&c);
	if (!err)
		err = setup_state(&c);
	if (!err)
		err = make_env(&c);
	if (err)
		goto done;

	/* Keys, cached answers, and which cells apply at all. */
	for (i = 0; i < out->nrows && !err; i++) {
		struct kser_verify_row *row = &out->rows[i];

		row->results = calloc(out->nchecks, sizeof(*row->results));
		if (!row->results) {
			err = kser_error_nomem();
			break;
		}
		for (j = 0; j < out->nchecks; j++) {
			struct kser_verify_result *r = &row->results[j];

			/* The base is only built, as the reference. */
			if (i == 0 && out->checks[j].kind != KSER_CHECK_BUILD) {
				r->status = KSER_VERIFY_NA;
				continue;
			}
			key_for(&c, i, j, r->key);
			r->log_path = log_path_for(&c, i, j);
			if (!c.opts->no_cache)
				cache_load(&c, r);
			if (r->cached)
				out->from_cache++;
		}
	}
	for (i = 0; i < out->nrows && !err; i++)
		for (j = 0; j < out->nchecks; j++)
			if (out->checks[j].kind == KSER_CHECK_BUILD &&
			    out->rows[i].results[j].cached)
				resolve_build(&c, i, j);
	if (err)
		goto done;
	emit(&c, KSER_VERIFY_EVENT_START, 0, 0, NULL);

	for (i = 0; i < out->nrows && !err; i++) {
		if (kser_cancel_requested()) {
			err = kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
			break;
		}
		err = verify_row(&c, i);
		if (err)
			break;
		/* A fresh build may change the next row's new warnings. */
		if (i + 1 < out->nrows)
			for (j = 0; j < out->nchecks; j++)
				if (out->checks[j].kind == KSER_CHECK_BUILD &&
				    out->rows[i + 1].results[j].cached)
					resolve_build(&c, i + 1, j);
	}
	for (i = 0; i < out->nrows; i++)
		for (j = 0; j < out->nchecks; j++) {
			struct kser_verify_result *r = &out->rows[i].results[j];

			if (r->cached)
				cache_extract_log(&c, r);
			else if (r->status != KSER_VERIFY_NA &&
				 r->status != KSER_VERIFY_PENDING)
				out->ran++;
		}
done:
	out->passed = !err;
	for (i = 0; i < out->nrows && out->passed; i++)
		for (j = 0; out->rows[i].results && j < out->nchecks; j++) {
			enum kser_verify_status s = out->rows[i].results[j].status;

			if (s != KSER_VERIFY_PASS && s != KSER_VERIFY_NA)
				out->passed = false;
		}
	out->seconds = (double)(kser_now_ms() - c.start_ms) / 1000.0;
	ctx_release(&c);
	kser_settings_release(&fallback);
	if (err && err->code != KSER_ERR_CANCELLED && !out->rows)
		kser_verify_report_release(out);
	return err;
}

/* --- lookups without verifying ------------------------------------------- */

struct kser_verify_cache {
	struct ctx c;
	struct kser_verify_options opts;
	struct kser_settings fallback;
	struct kser_verify_report rep;
	bool have_fallback;
};

static void rows_release(struct kser_verify_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nrows; i++) {
		for (j = 0; r->rows[i].results && j < r->nchecks; j++) {
			free(r->rows[i].results[j].summary);
			free(r->rows[i].results[j].log_path);
			json_decref(r->rows[i].results[j].record);
		}
		free(r->rows[i].results);
		free(r->rows[i].subject);
	}
	free(r->rows);
	r->rows = NULL;
	r->nrows = 0;
}

void kser_verify_cache_free(struct kser_verify_cache *vc)
{
	if (!vc)
		return;
	rows_release(&vc->rep);
	kser_verify_report_release(&vc->rep);
	ctx_release(&vc->c);
	if (vc->have_fallback)
		kser_settings_release(&vc->fallback);
	free(vc);
}

const struct kser_error *
kser_verify_cache_open(struct kser_verify_cache **out, git_repository *repo,
		       const struct kser_verify_options *opts)
{
	struct kser_verify_cache *vc = calloc(1, sizeof(*vc));
	const struct kser_error *err = NULL;

	*out = NULL;
	if (!vc)
		return kser_error_nomem();
	if (opts)
		vc->opts = *opts;
	else
		vc->opts = (struct kser_verify_options)KSER_VERIFY_OPTIONS_INIT;
	vc->c.repo = repo;
	vc->c.opts = &vc->opts;
	vc->c.rep = &vc->rep;
	vc->c.lock_fd = -1;
	if (vc->opts.settings) {
		vc->c.settings = vc->opts.settings;
	} else {
		err = kser_settings_defaults(&vc->fallback);
		vc->have_fallback = !err;
		vc->c.settings = &vc->fallback;
	}
	if (!err)
		err = choose_checks(&vc->c);
	if (!err)
		err = identify_toolchain(&vc->c);
	if (err) {
		kser_verify_cache_free(vc);
		return err;
	}
	*out = vc;
	return NULL;
}

const char *kser_verify_cache_check(const struct kser_verify_cache *vc,
				    size_t i)
{
	return i < vc->rep.nchecks ? vc->rep.checks[i].id : NULL;
}

/* Row i of the lookup: commit id, its tree. */
static const struct kser_error *lookup_row(struct kser_verify_row *row,
					   git_repository *repo,
					   const git_oid *id, size_t nchecks)
{
	git_commit *cm = NULL;

	git_oid_cpy(&row->commit, id);
	if (git_commit_lookup(&cm, repo, id) < 0)
		return kser_error_git("cannot read commit %s",
				      git_oid_tostr_s(id));
	git_oid_cpy(&row->tree, git_commit_tree_id(cm));
	git_commit_free(cm);
	row->results = calloc(nchecks, sizeof(*row->results));
	return row->results ? NULL : kser_error_nomem();
}

const struct kser_error *
kser_verify_cache_lookup(struct kser_verify_cache *vc, const git_oid *commit,
			 const char *check, struct kser_verify_result *out,
			 bool *found)
{
	struct kser_verify_report *r = &vc->rep;
	const struct kser_error *err = NULL;
	git_commit *cm = NULL;
	size_t j, row, i;

	memset(out, 0, sizeof(*out));
	*found = false;
	for (j = 0; j < r->nchecks; j++)
		if (!strcmp(r->checks[j].id, check))
			break;
	if (j == r->nchecks)
		return kser_error_fmt(KSER_ERR_USAGE, "unknown check '%s'",
				      check);
	rows_release(r);
	if (git_commit_lookup(&cm, vc->c.repo, commit) < 0)
		return kser_error_git("cannot read commit %s",
				      git_oid_tostr_s(commit));
	/* As kser verify sees it: the row after its first parent's. */
	r->nrows = git_commit_parentcount(cm) ? 2 : 1;
	r->rows = calloc(r->nrows, sizeof(*r->rows));
	if (!r->rows) {
		r->nrows = 0;
		err = kser_error_nomem();
		goto done;
	}
	row = r->nrows - 1;
	if (row)
		err = lookup_row(&r->rows[0], vc->c.repo,
				 git_commit_parent_id(cm, 0), r->nchecks);
	if (!err)
		err = lookup_row(&r->rows[row], vc->c.repo, commit,
				 r->nchecks);
	for (i = 0; !err && i <= row; i++) {
		struct kser_verify_result *res = &r->rows[i].results[j];

		if (i < row && r->checks[j].kind != KSER_CHECK_BUILD)
			continue;
		key_for(&vc->c, i, j, res->key);
		err = cache_load(&vc->c, res);
	}
	if (err)
		goto done;
	if (r->checks[j].kind == KSER_CHECK_BUILD)
		resolve_build(&vc->c, row, j);
	{
		struct kser_verify_result *res = &r->rows[row].results[j];

		/* Without the parent's build, new warnings are unknown. */
		*found = res->cached &&
			 (!row || r->checks[j].kind != KSER_CHECK_BUILD ||
			  r->rows[0].results[j].cached);
		if (!*found) {
			free(res->summary);
			res->summary = NULL;
			json_decref(res->record);
			res->record = NULL;
			res->status = KSER_VERIFY_PENDING;
		}
		*out = *res;
		memset(res, 0, sizeof(*res));
	}
done:
	git_commit_free(cm);
	return err;
}

void kser_verify_result_release(struct kser_verify_result *r)
{
	free(r->summary);
	free(r->log_path);
	json_decref(r->record);
	memset(r, 0, sizeof(*r));
}
