// SPDX-License-Identifier: GPL-2.0
/*
 * The recipients of kser export. For each patch the tree's own
 * scripts/get_maintainer.pl runs as b4 runs it (--nogit --nogit-fallback
 * --nogit-chief-penguins --norolestats): the people --nol names go to
 * To, the lists --nom names to Cc; the settings' and the caller's go to
 * every mail, the cover letter gets everyone, each address once, and the
 * sender none.
 *
 * get_maintainer.pl runs in a temporary tree made from the tip's: with
 * --nogit it reads MAINTAINERS, .mailmap and .get_maintainer.{conf,ignore}
 * at the top, tests the top-level names that make a kernel tree, tests
 * whether each F: pattern is a directory, and may read the files the
 * patch touches. So the tree holds those files as the tip has them and
 * every directory of the tip, empty; not the 86,000 files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/commitpatch.h"
#include "kser/error.h"
#include "kser/mailcompose.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "kser_lib_export.h"

#define GM_TIMEOUT_MS 120000

/* --- address lists ------------------------------------------------------ */

void ex_rcpts_release(struct ex_rcpts *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->addr[i]);
		free(r->shown[i]);
	}
	free(r->addr);
	free(r->shown);
	memset(r, 0, sizeof(*r));
}

bool ex_rcpts_has(const struct ex_rcpts *r, const char *addr)
{
	size_t i;

	for (i = 0; r && i < r->n; i++)
		if (!strcasecmp(r->addr[i], addr))
			return true;
	return false;
}

static const struct kser_error *push(struct ex_rcpts *r, const char *addr,
				     const char *shown)
{
	const struct kser_error *err;
	size_t alloc = r->alloc;

	err = kser_array_grow((void **)&r->addr, &alloc, r->n,
			      sizeof(*r->addr), 8);
	if (!err)
		err = kser_array_grow((void **)&r->shown, &r->alloc, r->n,
				      sizeof(*r->shown), 8);
	if (err)
		return err;
	r->addr[r->n] = strdup(addr);
	r->shown[r->n] = strdup(shown);
	if (!r->addr[r->n] || !r->shown[r->n]) {
		free(r->addr[r->n]);
		free(r->shown[r->n]);
		return kser_error_nomem();
	}
	r->n++;
	return NULL;
}

const struct kser_error *ex_rcpts_add(struct ex_rcpts *r,
				      const struct ex_rcpts *skip,
				      const char *mailbox, const char *what)
{
	struct kser_buf shown = KSER_BUF_INIT;
	const struct kser_error *err;
	char *name = NULL, *addr = NULL;

	err = kser_mailcompose_parse_mailbox(&name, &addr, mailbox, what);
	if (err)
		return err;
	if (!ex_rcpts_has(r, addr) && !ex_rcpts_has(skip, addr)) {
		kser_mailcompose_mailbox(&shown, name, addr);
		err = kser_buf_check(&shown);
		if (!err)
			err = push(r, addr, shown.ptr);
	}
	kser_buf_release(&shown);
	free(name);
	free(addr);
	return err;
}

/* Copies what src has that dst (and skip) lack. */
static const struct kser_error *merge(struct ex_rcpts *dst,
				      const struct ex_rcpts *skip,
				      const struct ex_rcpts *src)
{
	const struct kser_error *err = NULL;
	size_t i;

	for (i = 0; i < src->n && !err; i++)
		if (!ex_rcpts_has(dst, src->addr[i]) &&
		    !ex_rcpts_has(skip, src->addr[i]))
			err = push(dst, src->addr[i], src->shown[i]);
	return err;
}

/* --- the temporary tree -------------------------------------------------- */

struct tree_job {
	git_repository *repo;
	const char *dir;
	const struct kser_error *err;
};

static char *join(const char *a, const char *b, const char *c)
{
	struct kser_buf p = KSER_BUF_INIT;

	kser_buf_printf(&p, "%s/%s%s", a, b, c);
	return kser_buf_detach(&p);
}

static int mkdir_cb(const char *root, const git_tree_entry *e, void *arg)
{
	struct tree_job *j = arg;
	char *path;

	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	path = join(j->dir, root, git_tree_entry_name(e));
	if (!path || (mkdir(path, 0755) < 0 && errno != EEXIST))
		j->err = path ? kser_error_errno("cannot make '%s'", path) :
			 kser_error_nomem();
	free(path);
	return j->err ? -1 : 0;
}

/* Writes the blob at path of tree into dir (what is not a blob: nothing). */
static const struct kser_error *put_file(git_repository *repo, git_tree *tree,
					 const char *dir, const char *path)
{
	const struct kser_error *err = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	char *dst;

	if (git_tree_entry_bypath(&e, tree, path) < 0)
		return NULL;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		git_tree *sub = NULL;
		size_t i;

		/* MAINTAINERS may be a directory of files. */
		if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0)
			for (i = 0; i < git_tree_entrycount(sub) && !err; i++) {
				const git_tree_entry *x =
					git_tree_entry_byindex(sub, i);
				char *p = join(path, "",
					       git_tree_entry_name(x));

				err = p ? put_file(repo, tree, dir, p) :
				      kser_error_nomem();
				free(p);
			}
		git_tree_free(sub);
		git_tree_entry_free(e);
		return err;
	}
	if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE)
		goto done;
	dst = join(dir, path, "");
	if (!dst) {
		err = kser_error_nomem();
		goto done;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		err = kser_error_git("cannot read '%s'", path);
	else
		err = kser_write_file_atomic(dst, git_blob_rawcontent(blob),
					     (size_t)git_blob_rawsize(blob));
	free(dst);
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return err;
}

/* The paths "diff --git a/X b/Y" names (unquoted ones). */
static const struct kser_error *put_touched(git_repository *repo,
					    git_tree *tree, const char *dir,
					    const char *patch)
{
	const struct kser_error *err = NULL;
	const char *p = patch;

	while (!err && (p = strstr(p, "\ndiff --git a/"))) {
		const char *a = p + 14, *nl = strchrnul(a, '\n');
		const char *b = memmem(a, (size_t)(nl - a), " b/", 3);
		char *path;

		p = nl;
		if (!b)
			continue;
		path = strndup(b + 3, (size_t)(nl - b - 3));
		if (!path)
			return kser_error_nomem();
		err = put_file(repo, tree, dir, path);
		free(path);
	}
	return err;
}

static const char *const top_files[] = {
	"MAINTAINERS", ".mailmap", ".get_maintainer.conf",
	".get_maintainer.ignore", "scripts/get_maintainer.pl", "COPYING",
	"CREDITS", "Kbuild", "Makefile", "README",
};

static const char *const top_dirs[] = {
	"Documentation", "arch", "include", "drivers", "fs", "init", "ipc",
	"kernel", "lib", "scripts",
};

static const struct kser_error *make_tree(struct ex_ctx *c, git_tree *tree,
					  const char *dir)
{
	struct tree_job j = { c->repo, dir, NULL };
	const struct kser_error *err = NULL;
	size_t i;

	if (git_tree_walk(tree, GIT_TREEWALK_PRE, mkdir_cb, &j) < 0)
		return j.err ? j.err : kser_error_git("cannot read the tree");
	for (i = 0; i < sizeof(top_files) / sizeof(*top_files) && !err; i++)
		err = put_file(c->repo, tree, dir, top_files[i]);
	/* What makes it a kernel tree to the script, if the tip lacks it. */
	for (i = 0; i < sizeof(top_dirs) / sizeof(*top_dirs) && !err; i++) {
		char *p = join(dir, top_dirs[i], "");

		if (!p)
			return kser_error_nomem();
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			err = kser_error_errno("cannot make '%s'", p);
		free(p);
	}
	for (i = 0; i < sizeof(top_files) / sizeof(*top_files) && !err; i++) {
		char *p = join(dir, top_files[i], "");

		if (!p)
			return kser_error_nomem();
		if (i >= 5 && access(p, F_OK) < 0)
			err = kser_write_file_atomic(p, "", 0);
		free(p);
	}
	return err;
}

/* --- get_maintainer.pl ---------------------------------------------------- */

/* The text get_maintainer.pl reads: the patch as format-patch has it. */
static const struct kser_error *patch_text(struct kser_buf *out,
					   struct ex_ctx *c, size_t i)
{
	struct kser_commitpatch_options o = KSER_COMMITPATCH_OPTIONS_INIT;

	kser_buf_printf(out, "Subject: [PATCH] %s\n\n%s\n", c->p[i].subject,
			git_commit_message(c->p[i].commit));
	o.format = KSER_COMMITPATCH_EMAIL;
	return kser_commitpatch(out, NULL, c->repo, c->p[i].commit, &o);
}

static const struct kser_error *take_output(struct ex_ctx *c,
					    struct ex_rcpts *dst,
					    const struct ex_rcpts *skip,
					    const struct kser_job *job)
{
	const char *p = kser_buf_cstr(&job->tail), *nl;
	const struct kser_error *err = NULL;

	if (job->spawn_failed || job->timed_out || job->status)
		return kser_error_fmt(KSER_ERR_CHILD,
				      "scripts/get_maintainer.pl %s: %s",
				      job->timed_out ? "did not finish" :
				      "failed", kser_buf_cstr(&job->tail));
	for (; *p && !err; p = *nl ? nl + 1 : nl) {
		char *line, *name = NULL, *addr = NULL;

		nl = strchrnul(p, '\n');
		line = strndup(p, (size_t)(nl - p));
		if (!line)
			return kser_error_nomem();
		if (!*line) {
			free(line);
			continue;
		}
		/* A line that is no address is the script's own message. */
		if (kser_mailcompose_parse_mailbox(&name, &addr, line,
						   "get_maintainer.pl")) {
			kser_buf_printf(&c->out->notes, "get_maintainer.pl: "
					"%s\n", line);
		} else if (strcasecmp(addr, c->sender_addr)) {
			err = ex_rcpts_add(dst, skip, line,
					   "get_maintainer.pl");
		}
		free(name);
		free(addr);
		free(line);
	}
	return err;
}

static const struct kser_error *run_get_maintainer(struct ex_ctx *c,
						   const char *dir,
						   const char *patch_path,
						   size_t i)
{
	static const char *const flag[2] = { "--nol", "--nom" };
	struct kser_job jobs[2];
	const struct kser_error *err;
	char *argv[2][10];
	int k;

	memset(jobs, 0, sizeof(jobs));
	for (k = 0; k < 2; k++) {
		char **a = argv[k];

		a[0] = "perl";
		a[1] = "scripts/get_maintainer.pl";
		a[2] = "--nogit";
		a[3] = "--nogit-fallback";
		a[4] = "--nogit-chief-penguins";
		a[5] = "--norolestats";
		a[6] = (char *)flag[k];
		a[7] = (char *)patch_path;
		a[8] = NULL;
		jobs[k].name = "get_maintainer.pl";
		jobs[k].argv = a;
		jobs[k].cwd = dir;
		jobs[k].timeout_ms = GM_TIMEOUT_MS;
	}
	err = kser_jobs_run(jobs, 2, c->opts->cancel_cb,
			    c->opts->cancel_arg);
	if (!err)
		err = take_output(c, &c->p[i].to, NULL, &jobs[0]);
	if (!err)
		err = take_output(c, &c->p[i].cc, &c->p[i].to, &jobs[1]);
	kser_job_release(&jobs[0]);
	kser_job_release(&jobs[1]);
	return err;
}

static const struct kser_error *auto_recipients(struct ex_ctx *c)
{
	const struct kser_error *err = NULL;
	struct kser_buf *texts = NULL;
	git_commit *tip = NULL;
	git_tree *tree = NULL;
	git_tree_entry *gm = NULL;
	char *dir = NULL, *patch_path = NULL;
	size_t i;

	if (git_commit_lookup(&tip, c->repo, &c->tip) < 0 ||
	    git_commit_tree(&tree, tip) < 0) {
		err = kser_error_git("cannot read the tip's tree");
		goto done;
	}
	if (git_tree_entry_bypath(&gm, tree, "scripts/get_maintainer.pl") <
	    0) {
		kser_buf_puts(&c->out->notes, "note: the tree has no "
			      "scripts/get_maintainer.pl: recipients come from "
			      "the settings and options only\n");
		goto done;
	}
	{
		const char *t = getenv("TMPDIR");
		struct kser_buf b = KSER_BUF_INIT;

		kser_buf_printf(&b, "%s/kser-export-XXXXXX",
				t && *t ? t : "/tmp");
		dir = kser_buf_detach(&b);
		if (!dir || !mkdtemp(dir)) {
			err = dir ? kser_error_errno("cannot make a temporary "
						     "directory in '%s'",
						     t && *t ? t : "/tmp") :
			      kser_error_nomem();
			free(dir);
			dir = NULL;
			goto done;
		}
	}
	texts = calloc(c->n, sizeof(*texts));
	if (!texts) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < c->n && !err; i++)
		err = patch_text(&texts[i], c, i);
	if (!err)
		err = make_tree(c, tree, dir);
	for (i = 0; i < c->n && !err; i++)
		err = put_touched(c->repo, tree, dir, kser_buf_cstr(&texts[i]));
	patch_path = join(dir, ".kser-patch", "");
	if (!err && !patch_path)
		err = kser_error_nomem();
	for (i = 0; i < c->n && !err; i++) {
		err = ex_progress(c, KSER_EXPORT_STAGE_RECIPIENTS, i + 1,
				  c->n);
		if (!err)
			err = kser_write_file_atomic(patch_path, texts[i].ptr,
						     texts[i].len);
		if (!err)
			err = run_get_maintainer(c, dir, patch_path, i);
		if (err)
			err = kser_error_wrap(err, "patch %zu/%zu", i + 1,
					      c->n);
	}
done:
	if (dir)
		kser_remove_tree(dir, NULL, NULL);
	free(dir);
	free(patch_path);
	for (i = 0; texts && i < c->n; i++)
		kser_buf_release(&texts[i]);
	free(texts);
	git_tree_entry_free(gm);
	git_tree_free(tree);
	git_commit_free(tip);
	return err;
}

/* --- all of them ------------------------------------------------------------ */

static const struct kser_error *setting_list(struct ex_rcpts *dst,
					     const struct ex_rcpts *skip,
					     struct ex_ctx *c, const char *key)
{
	const struct kser_error *err = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;

	if (!c->settings)
		return NULL;
	if (git_config_multivar_iterator_new(&it, c->settings, key, NULL) < 0)
		return kser_error_git("cannot read %s", key);
	while (!err && git_config_next(&e, it) == 0) {
		struct kser_buf what = KSER_BUF_INIT;

		kser_buf_printf(&what, "series settings: %s", key);
		err = ex_rcpts_add(dst, skip, e->value, kser_buf_cstr(&what));
		kser_buf_release(&what);
	}
	git_config_iterator_free(it);
	return err;
}

const struct kser_error *ex_recipients(struct ex_ctx *c)
{
	struct ex_rcpts to = { 0 }, cc = { 0 };
	const struct kser_error *err;
	size_t i;

	/* Everyone's: the settings', then the caller's. */
	err = setting_list(&to, NULL, c, "mail.to");
	for (i = 0; !err && i < c->opts->nto; i++)
		err = ex_rcpts_add(&to, NULL, c->opts->to[i], "--to");
	if (!err)
		err = setting_list(&cc, &to, c, "mail.cc");
	for (i = 0; !err && i < c->opts->ncc; i++)
		err = ex_rcpts_add(&cc, &to, c->opts->cc[i], "--cc");
	if (!err && !c->opts->no_auto_cc)
		err = auto_recipients(c);
	for (i = 0; !err && i < c->n; i++) {
		struct ex_rcpts pto = { 0 }, pcc = { 0 };

		err = merge(&pto, NULL, &to);
		if (!err)
			err = merge(&pto, NULL, &c->p[i].to);
		if (!err)
			err = merge(&pcc, &pto, &cc);
		if (!err)
			err = merge(&pcc, &pto, &c->p[i].cc);
		ex_rcpts_release(&c->p[i].to);
		ex_rcpts_release(&c->p[i].cc);
		c->p[i].to = pto;
		c->p[i].cc = pcc;
		if (!err)
			err = merge(&c->to, NULL, &pto);
	}
	for (i = 0; !err && i < c->n; i++)
		err = merge(&c->cc, &c->to, &c->p[i].cc);
	if (!err && !c->n)
		err = merge(&c->to, NULL, &to);
	ex_rcpts_release(&to);
	ex_rcpts_release(&cc);
	return err;
}
