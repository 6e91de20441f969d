// SPDX-License-Identifier: GPL-2.0
/*
 * The checkpatch check: a row's patch, as git format-patch would mail it,
 * through the tree's scripts/checkpatch.pl. Uses the run's context, the
 * diagnostics (diag.c), the results (record.c), how children end
 * (outcome.c), the events (events.c) and libgit2's email API.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <git2/email.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

/*
 * The builds' environment, GIT_DIR naming the user's repository and no
 * other GIT_* variable that would send git elsewhere.
 */
/*
 * An index of the row's tree, for GIT_INDEX_FILE: checkpatch.pl --strict
 * learns the CamelCase names it accepts from `git ls-files include/`,
 * which must list the row's headers, not those of the user's index.
 */
static const struct kser_error *row_index(struct verify_ctx *c, size_t row,
					  struct verify_checkpatch *cj)
{
	const struct kser_error *err = NULL;
	git_index *idx = NULL;
	git_tree *tree = NULL;
	char name[64];

	snprintf(name, sizeof(name), "%zu.index", row);
	cj->index_path = verify_path_join(c->st.tmp_dir, name);
	if (!cj->index_path)
		return kser_error_nomem();
	unlink(cj->index_path);
	if (git_tree_lookup(&tree, c->repo, &c->rep->rows[row].tree) < 0 ||
	    git_index_open(&idx, cj->index_path) < 0 ||
	    git_index_read_tree(idx, tree) < 0 || git_index_write(idx) < 0)
		err = kser_error_git("cannot write an index of %.12s",
				     git_oid_tostr_s(&c->rep->rows[row].tree));
	git_index_free(idx);
	git_tree_free(tree);
	return err;
}

void verify_checkpatch_forget_camelcase(const char *src)
{
	struct dirent *de;
	DIR *d = opendir(src);

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, ".checkpatch-camelcase.", 22)) {
			char *p = verify_path_join(src, de->d_name);

			if (p)
				unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
}

static const struct kser_error *checkpatch_env(struct verify_ctx *c,
					       struct verify_checkpatch *cj)
{
	static const char *const drop[] = {
		"GIT_DIR=", "GIT_WORK_TREE=", "GIT_INDEX_FILE=",
		"GIT_OBJECT_DIRECTORY=", "GIT_ALTERNATE_OBJECT_DIRECTORIES=",
		"GIT_COMMON_DIR=", "GIT_NAMESPACE=", "GIT_CEILING_DIRECTORIES=",
	};
	struct kser_buf v = KSER_BUF_INIT;
	size_t n = 0, i, k = 0, j;

	while (c->st.env[n])
		n++;
	cj->env = calloc(n + 3, sizeof(*cj->env));
	kser_buf_printf(&v, "GIT_DIR=%s", git_repository_path(c->repo));
	cj->git_dir = kser_buf_detach(&v);
	kser_buf_printf(&v, "GIT_INDEX_FILE=%s", cj->index_path);
	cj->git_index = kser_buf_detach(&v);
	if (!cj->env || !cj->git_dir || !cj->git_index)
		return kser_error_nomem();
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(drop) / sizeof(*drop); j++)
			if (!strncmp(c->st.env[i], drop[j], strlen(drop[j])))
				break;
		if (j == sizeof(drop) / sizeof(*drop))
			cj->env[k++] = c->st.env[i];
	}
	cj->env[k++] = cj->git_dir;
	cj->env[k++] = cj->git_index;
	cj->env[k] = NULL;
	return NULL;
}

const struct kser_error *verify_checkpatch_prepare(struct verify_ctx *c,
						   size_t row, size_t check,
						   struct verify_checkpatch *cj,
						   struct kser_job *job)
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
	cj->patch_path = verify_path_join(c->st.tmp_dir, name);
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

	err = row_index(c, row, cj);
	if (!err)
		err = checkpatch_env(c, cj);
	if (err)
		goto done;
	verify_checkpatch_forget_camelcase(kser_worktree_path(c->st.wt));
	memset(job, 0, sizeof(*job));
	job->name = "checkpatch";
	job->argv = cj->argv;
	job->cwd = kser_worktree_path(c->st.wt);
	job->env = cj->env;
	job->log_path = c->rep->rows[row].results[check].log_path;
	job->tail_cap = 4u << 20;
	job->timeout_ms = 600000;
done:
	if (err)
		verify_checkpatch_release(cj);
	git_buf_dispose(&email);
	git_commit_free(cm);
	return err;
}

/* Does pattern (n bytes, a glob) match the start of path? */
static bool glob_prefix(const char *pat, size_t n, const char *path)
{
	while (n) {
		if (*pat == '*') {
			const char *p;

			for (p = path;; p++) {
				if (glob_prefix(pat + 1, n - 1, p))
					return true;
				if (!*p)
					return false;
			}
		}
		if (!*path || (*pat != '?' && *pat != *path))
			return false;
		pat++;
		path++;
		n--;
	}
	return true;
}

static size_t slashes(const char *s, size_t n)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		k += s[i] == '/';
	return k;
}

/* get_maintainer.pl's file_match_pattern(). */
static bool pattern_covers(const char *pat, size_t n, const char *path,
			   bool (*is_dir)(const char *pattern, void *arg),
			   void *arg)
{
	bool dir = n && pat[n - 1] == '/';

	if (!dir && is_dir && !memchr(pat, '*', n) && !memchr(pat, '?', n)) {
		char *p = strndup(pat, n);

		dir = p && is_dir(p, arg);
		free(p);
	}
	if (!glob_prefix(pat, n, path))
		return false;
	return dir || slashes(path, strlen(path)) == slashes(pat, n);
}

bool verify_maintainers_cover(const char *maintainers, const char *path,
			      bool (*is_dir)(const char *pattern, void *arg),
			      void *arg)
{
	const char *p = maintainers;
	bool f = false, x = false;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *v = p + 2;
		size_t vn = n > 2 ? n - 2 : 0;

		if (n && p[n - 1] == '\r')
			n--;
		if (!n) {
			/* A blank line ends a section. */
			if (f && !x)
				return true;
			f = x = false;
		} else if (n > 2 && p[1] == ':' &&
			   (p[0] == 'F' || p[0] == 'X')) {
			while (vn && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t' ||
				      v[vn - 1] == '\r'))
				vn--;
			if (vn && pattern_covers(v, vn, path, is_dir, arg)) {
				if (p[0] == 'F')
					f = true;
				else
					x = true;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return f && !x;
}

struct tree_dirs {
	git_repository *repo;
	git_tree *tree;
};

static bool tree_is_dir(const char *path, void *arg)
{
	struct tree_dirs *t = arg;
	git_tree_entry *e = NULL;
	bool dir;
	size_t n = strlen(path);
	char *p = strdup(path);

	if (!p)
		return false;
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	dir = git_tree_entry_bypath(&e, t->tree, p) == 0 &&
	      git_tree_entry_type(e) == GIT_OBJECT_TREE;
	git_tree_entry_free(e);
	free(p);
	return dir;
}

/*
 * checkpatch.pl asks "added, moved or deleted file(s), does MAINTAINERS
 * need updating?" of every patch that adds, renames or deletes a file
 * and does not touch MAINTAINERS, even when an F: entry already covers
 * the file. Is every such file of the row's patch covered, in the row's
 * tree? Then the answer is no, and the warning is accepted.
 */
static bool maintainers_cover_patch(struct verify_ctx *c, size_t row)
{
	const struct kser_verify_row *r = &c->rep->rows[row];
	git_commit *cm = NULL, *parent = NULL;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	struct tree_dirs dirs;
	char *maint = NULL;
	bool ok = false;
	size_t i, nd, files = 0;

	maint = verify_tree_text(c->repo, &r->tree, "MAINTAINERS", NULL);
	if (!maint || git_commit_lookup(&cm, c->repo, &r->commit) < 0 ||
	    git_commit_parent(&parent, cm, 0) < 0 ||
	    git_commit_tree(&a, parent) < 0 || git_commit_tree(&b, cm) < 0 ||
	    git_diff_tree_to_tree(&diff, c->repo, a, b, NULL) < 0 ||
	    git_diff_find_similar(diff, NULL) < 0)
		goto done;
	dirs.repo = c->repo;
	dirs.tree = b;
	ok = true;
	nd = git_diff_num_deltas(diff);
	for (i = 0; i < nd && ok; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		switch (d->status) {
		case GIT_DELTA_ADDED:
			ok = verify_maintainers_cover(maint, d->new_file.path,
						      tree_is_dir, &dirs);
			files++;
			break;
		case GIT_DELTA_DELETED:
			ok = verify_maintainers_cover(maint, d->old_file.path,
						      tree_is_dir, &dirs);
			files++;
			break;
		case GIT_DELTA_RENAMED:
			ok = verify_maintainers_cover(maint, d->old_file.path,
						      tree_is_dir, &dirs) &&
			     verify_maintainers_cover(maint, d->new_file.path,
						      tree_is_dir, &dirs);
			files++;
			break;
		default:
			break;
		}
	}
	ok = ok && files;
done:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(parent);
	git_commit_free(cm);
	free(maint);
	return ok;
}

/*
 * Takes the accepted warnings out of d and t, into the record's
 * "accepted" (a JSON array, NULL when none is).
 */
static json_t *accept_warnings(struct verify_ctx *c, size_t row,
			       struct kser_diags *d,
			       struct kser_checkpatch_totals *t)
{
	json_t *acc = NULL;
	size_t i, k = 0;
	int cover = -1;

	for (i = 0; i < d->n; i++) {
		struct kser_diag *x = &d->v[i];

		if (x->type && !strcmp(x->type, "FILE_PATH_CHANGES") &&
		    !strcmp(x->level, "warning") && t->warnings) {
			if (cover < 0)
				cover = maintainers_cover_patch(c, row);
			if (cover) {
				if (!acc)
					acc = json_array();
				json_array_append_new(acc, json_pack(
					"{s:s, s:s, s:o, s:s}", "level",
					x->level, "type", x->type, "text",
					kser_verify_json_text(x->text),
					"reason", "MAINTAINERS has an F: "
					"entry for every file the patch adds, "
					"moves or deletes"));
				t->warnings--;
				free(x->level);
				free(x->type);
				free(x->file);
				free(x->text);
				free(x->fingerprint);
				continue;
			}
		}
		d->v[k++] = *x;
	}
	d->n = k;
	return acc;
}

void verify_checkpatch_finish(struct verify_ctx *c, size_t row, size_t check,
			      struct kser_job *job)
{
	struct kser_verify_result *res = &c->rep->rows[row].results[check];
	struct kser_checkpatch_totals t;
	struct kser_diags d = { 0 };
	struct kser_buf why = KSER_BUF_INIT;
	enum kser_verify_status st;
	json_t *rec, *accepted;

	if (job->timed_out) {
		res->status = KSER_VERIFY_TIMEOUT;
		verify_summary(res, "checkpatch.pl did not finish");
		verify_finish(c->rep, row, check, KSER_VERIFY_TIMEOUT,
			      job->seconds, json_object());
		return;
	}
	if (job->cancelled) {
		res->status = KSER_VERIFY_PENDING;
		return;
	}
	/* Its output quotes the patch: only the log and signals count. */
	if (verify_machine_trouble(job, true, false, &why)) {
		res->status = KSER_VERIFY_ERROR;
		res->seconds = job->seconds;
		verify_summary(res, "%s", kser_buf_cstr(&why));
		kser_buf_release(&why);
		return;
	}
	if (kser_checkpatch_parse(&d, &t, kser_buf_cstr(&job->tail),
				  job->tail.len) || !t.found) {
		struct kser_buf tail = KSER_BUF_INIT;

		res->status = KSER_VERIFY_ERROR;
		verify_tail_lines(&tail, kser_buf_cstr(&job->tail),
				  job->tail.len, 3);
		verify_summary(res, "checkpatch.pl failed (status %d): %s",
			       job->status, kser_buf_cstr(&tail));
		kser_buf_release(&tail);
		kser_diags_release(&d);
		return;
	}
	accepted = accept_warnings(c, row, &d, &t);
	st = t.errors || t.warnings || t.checks ? KSER_VERIFY_FAIL :
						  KSER_VERIFY_PASS;
	if (st == KSER_VERIFY_PASS) {
		verify_summary(res, "clean: %u lines checked%s", t.lines,
			       accepted ? " (FILE_PATH_CHANGES accepted: "
			       "MAINTAINERS covers the files)" : "");
	} else {
		struct kser_buf s = KSER_BUF_INIT;

		kser_buf_printf(&s, "%u errors, %u warnings, %u checks",
				t.errors, t.warnings, t.checks);
		if (d.n) {
			kser_buf_printf(&s, ": %s%s", d.v[0].type ?
					d.v[0].type : "", d.v[0].type ?
					" " : "");
			/* Findings about the message have no file. */
			if (d.v[0].file)
				kser_buf_printf(&s, "%s:%u: ", d.v[0].file,
						d.v[0].line);
			kser_buf_puts(&s, d.v[0].text);
		}
		verify_summary(res, "%s", kser_buf_cstr(&s));
		kser_buf_release(&s);
	}
	rec = json_object();
	json_object_set_new(rec, "errors", json_integer(t.errors));
	json_object_set_new(rec, "warnings", json_integer(t.warnings));
	json_object_set_new(rec, "checks", json_integer(t.checks));
	json_object_set_new(rec, "messages", verify_diags_json(&d, false));
	if (accepted)
		json_object_set_new(rec, "accepted", accepted);
	verify_finish(c->rep, row, check, st, job->seconds, rec);
	verify_store(c, row, check);
	kser_diags_release(&d);
}

void verify_checkpatch_release(struct verify_checkpatch *cj)
{
	if (cj->patch_path)
		unlink(cj->patch_path);
	free(cj->patch_path);
	free(cj->opts);
	if (cj->index_path)
		unlink(cj->index_path);
	free(cj->index_path);
	free(cj->env);
	free(cj->git_dir);
	free(cj->git_index);
	memset(cj, 0, sizeof(*cj));
}
