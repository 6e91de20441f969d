// SPDX-License-Identifier: GPL-2.0
/*
 * What the build check's fast path (fastpath.c) keeps in a build
 * directory: the environment kbuild's top Makefile gives its recipes,
 * captured from make itself, and the stamp, what the directory was last
 * completely built of. Uses the run's context, the events (events.c),
 * child processes, libgit2's object IDs and the core.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

#define STAMP_NAME ".kser-built"
#define ENV_NAME ".kser-make-env"

/* --- make's environment ---------------------------------------------- */

void verify_fp_env_free(char **env)
{
	size_t i;

	for (i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/*
 * MAKEFLAGS as the top Makefile's recipes see it, less the jobserver of
 * the make that is gone: a sub-make started anew makes its own.
 */
static char *sanitize_makeflags(const char *v)
{
	struct kser_buf b = KSER_BUF_INIT;
	const char *p = v;
	bool vars = false;

	while (*p) {
		const char *e = p;
		size_t n;

		while (*e && *e != ' ')
			e += (*e == '\\' && e[1]) ? 2 : 1;
		n = (size_t)(e - p);
		if (n == 2 && !strncmp(p, "--", 2))
			vars = true;
		if (vars || !(n > 17 && !strncmp(p, "--jobserver-auth=", 17)) ||
		    !n) {
			if (!(n > 16 && !vars &&
			      !strncmp(p, "--jobserver-fds=", 16))) {
				kser_buf_put(&b, p, n);
				if (*e)
					kser_buf_putc(&b, ' ');
			}
		}
		p = *e ? e + 1 : e;
	}
	kser_buf_rtrim(&b);
	if (kser_buf_check(&b)) {
		kser_buf_release(&b);
		return NULL;
	}
	return kser_buf_detach(&b);
}

/* What the environment of kser's make is (for the capture's key). */
static void env_key(struct fp_run *r, const struct verify_make *mi,
		    char out[GIT_OID_HEXSZ + 1])
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t i;
	git_oid id;

	for (i = 0; mi->argv[i]; i++)
		kser_buf_printf(&b, "%s\n", mi->argv[i]);
	for (i = 0; r->c->st.env[i]; i++)
		kser_buf_printf(&b, "%s\n", r->c->st.env[i]);
	git_odb_hash(&id, kser_buf_cstr(&b), b.len, GIT_OBJECT_BLOB);
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
	kser_buf_release(&b);
}

/* Loads "KEY\0VAR=VALUE\0...", the capture, if its key is key. */
static bool env_load(struct fp_run *r, const char *path, const char *key)
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t n = 0, k = 0, i;
	const char *p, *end;
	bool ok = false;

	if (kser_read_file(&b, path) || !b.len || b.ptr[b.len - 1])
		goto done;
	end = b.ptr + b.len;
	if (strcmp(b.ptr, key))
		goto done;
	for (p = b.ptr; p < end; p += strlen(p) + 1)
		n++;
	r->env = calloc(n + 1, sizeof(*r->env));
	if (!r->env)
		goto done;
	p = b.ptr + strlen(b.ptr) + 1;	/* the key */
	if (p >= end)
		goto done;
	r->ldflags_vmlinux = strdup(p);
	for (p += strlen(p) + 1; p < end; p += strlen(p) + 1) {
		if (!strncmp(p, "MAKEFLAGS=", 10) || !strncmp(p, "MFLAGS=", 7)) {
			const char *eq = strchr(p, '=') + 1;
			char *v = sanitize_makeflags(eq);
			struct kser_buf e = KSER_BUF_INIT;

			kser_buf_printf(&e, "%.*s%s", (int)(eq - p), p,
					v ? v : "");
			free(v);
			r->env[k] = kser_buf_detach(&e);
		} else {
			r->env[k] = strdup(p);
		}
		if (!r->env[k])
			goto done;
		k++;
	}
	ok = r->ldflags_vmlinux != NULL;
done:
	if (!ok) {
		for (i = 0; r->env && r->env[i]; i++)
			free(r->env[i]);
		free(r->env);
		r->env = NULL;
		free(r->ldflags_vmlinux);
		r->ldflags_vmlinux = NULL;
	}
	kser_buf_release(&b);
	return ok;
}

/*
 * The environment kbuild's top Makefile gives its recipes, captured by a
 * recipe of make itself (the same Makefile, options and environment as
 * kser's make), with LDFLAGS_vmlinux, which it exports to the vmlinux
 * link alone. Kept in the build directory until the next plain make.
 */
const struct kser_error *verify_fp_env_capture(struct fp_run *r,
					       const struct verify_make *mi)
{
	struct kser_buf mk = KSER_BUF_INIT, path = KSER_BUF_INIT;
	struct kser_buf out = KSER_BUF_INIT, data = KSER_BUF_INIT;
	struct kser_buf ld = KSER_BUF_INIT;
	char key[GIT_OID_HEXSZ + 1];
	const struct kser_error *err = NULL;
	struct kser_job job = { 0 };
	char *argv[16];
	size_t i, n = 0;

	env_key(r, mi, key);
	kser_buf_printf(&path, "%s/%s", r->bdir, ENV_NAME);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	if (env_load(r, path.ptr, key))
		goto done;
	kser_buf_printf(&mk, "%s/kser-env.mk", r->c->st.tmp_dir);
	kser_buf_printf(&out, "%s/kser-env.out", r->c->st.tmp_dir);
	kser_buf_printf(&ld, "%s/kser-env.ld", r->c->st.tmp_dir);
	kser_buf_printf(&data,
			"kser-make-env:\n"
			"\t$(file >%s,$(LDFLAGS_vmlinux))\n"
			"\t@env -0 >%s\n", ld.ptr, out.ptr);
	if (kser_buf_check(&mk) || kser_buf_check(&out) ||
	    kser_buf_check(&data) || kser_buf_check(&ld)) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_write_file_atomic(mk.ptr, data.ptr, data.len);
	if (err)
		goto done;
	/* make ARCH=.. O=.. -jN CC=.. HOSTCC=.., from the build directory. */
	argv[n++] = "make";
	argv[n++] = "--no-print-directory";
	argv[n++] = "-f";
	argv[n++] = "Makefile";
	argv[n++] = "-f";
	argv[n++] = mk.ptr;
	for (i = 1; mi->argv[i] && n < 14; i++)
		argv[n++] = mi->argv[i];
	argv[n++] = "kser-make-env";
	argv[n] = NULL;
	job.name = "make (environment)";
	job.argv = argv;
	job.cwd = r->bdir;
	job.env = r->c->st.env;
	job.timeout_ms = 600000;
	err = verify_run_jobs(r->c, &job, 1);
	if (!err && (job.status || job.timed_out))
		err = kser_error_fmt(KSER_ERR_CHILD,
				     "cannot learn make's environment: %s",
				     kser_buf_cstr(&job.tail));
	if (err)
		goto done;
	kser_buf_clear(&data);
	kser_buf_puts(&data, key);
	kser_buf_putc(&data, '\0');
	{
		struct kser_buf v = KSER_BUF_INIT, e = KSER_BUF_INIT;

		err = kser_read_file(&v, ld.ptr);
		if (!err)
			err = kser_read_file(&e, out.ptr);
		if (!err) {
			kser_buf_rtrim(&v);
			kser_buf_put(&data, kser_buf_cstr(&v), v.len);
			kser_buf_putc(&data, '\0');
			kser_buf_put(&data, e.ptr ? e.ptr : "", e.len);
		}
		kser_buf_release(&v);
		kser_buf_release(&e);
	}
	if (!err && kser_buf_check(&data))
		err = kser_error_nomem();
	if (!err)
		err = kser_write_file_atomic(path.ptr, data.ptr, data.len);
	if (!err && !env_load(r, path.ptr, key))
		err = kser_error_fmt(KSER_ERR_CHILD,
				     "cannot read make's environment back");
done:
	unlink(kser_buf_cstr(&out));
	unlink(kser_buf_cstr(&ld));
	kser_job_release(&job);
	kser_buf_release(&mk);
	kser_buf_release(&path);
	kser_buf_release(&out);
	kser_buf_release(&data);
	kser_buf_release(&ld);
	return err;
}

/* --- the stamp: what the build directory was last completely built of - */

static char *stamp_text(const struct verify_make *mi, const git_oid *tree)
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t i;

	kser_buf_printf(&b, "tree %s\n", git_oid_tostr_s(tree));
	for (i = 0; mi->argv[i]; i++)
		kser_buf_printf(&b, "arg %s\n", mi->argv[i]);
	return kser_buf_detach(&b);
}

void verify_fastpath_forget(const char *bdir)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	if (!kser_buf_check(&p))
		unlink(p.ptr);
	kser_buf_clear(&p);
	kser_buf_printf(&p, "%s/%s", bdir, ENV_NAME);
	if (!kser_buf_check(&p))
		unlink(p.ptr);
	kser_buf_release(&p);
}

void verify_fastpath_unstamp(const char *bdir)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	if (!kser_buf_check(&p))
		unlink(p.ptr);
	kser_buf_release(&p);
}

const struct kser_error *
verify_fastpath_stamp(const char *bdir, const struct verify_make *mi,
		      const git_oid *tree)
{
	struct kser_buf p = KSER_BUF_INIT;
	char *text = stamp_text(mi, tree);
	const struct kser_error *err;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	err = !text || kser_buf_check(&p) ? kser_error_nomem() :
	      kser_write_file_atomic(p.ptr, text, strlen(text));
	free(text);
	kser_buf_release(&p);
	return err;
}

/* The tree of a valid stamp, or false. */
bool verify_fp_stamp_tree(const char *bdir, const struct verify_make *mi,
			  git_oid *tree)
{
	struct kser_buf p = KSER_BUF_INIT, have = KSER_BUF_INIT;
	char *want;
	bool ok = false;

	kser_buf_printf(&p, "%s/%s", bdir, STAMP_NAME);
	if (kser_buf_check(&p) || kser_read_file(&have, p.ptr) ||
	    have.len < 5 + GIT_OID_HEXSZ ||
	    git_oid_fromstrn(tree, have.ptr + 5, GIT_OID_HEXSZ) < 0)
		goto done;
	want = stamp_text(mi, tree);
	ok = want && !strcmp(want, kser_buf_cstr(&have));
	free(want);
done:
	kser_buf_release(&p);
	kser_buf_release(&have);
	return ok;
}
