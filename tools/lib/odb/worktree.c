// SPDX-License-Identifier: GPL-2.0
/*
 * kser's private checkout (odb; kept flat until tools/lib/ has odb/):
 * kser/worktree.h. Uses the core and libgit2.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser/worktree.h"

struct kser_worktree {
	git_repository *repo;
	char *dir;
	char *state_path;
	bool have_tree;
	git_oid tree;
};

static const struct kser_error *read_state(struct kser_worktree *wt)
{
	struct kser_buf s = KSER_BUF_INIT;
	const struct kser_error *err;

	wt->have_tree = false;
	if (!kser_is_dir(wt->dir))
		return NULL;
	err = kser_read_file(&s, wt->state_path);
	if (err) {
		kser_buf_release(&s);
		return err->errno_value == ENOENT ? NULL : err;
	}
	if (s.len >= 5 + GIT_OID_HEXSZ && !strncmp(s.ptr, "tree ", 5) &&
	    git_oid_fromstrn(&wt->tree, s.ptr + 5, GIT_OID_HEXSZ) == 0)
		wt->have_tree = true;
	kser_buf_release(&s);
	return NULL;
}

static const struct kser_error *write_state(struct kser_worktree *wt,
					    const char *what,
					    const git_oid *tree)
{
	char line[64];

	snprintf(line, sizeof(line), "%s %s\n", what,
		 tree ? git_oid_tostr_s(tree) : "-");
	return kser_write_file_atomic(wt->state_path, line, strlen(line));
}

const struct kser_error *kser_worktree_open(struct kser_worktree **out,
					    git_repository *repo,
					    const char *dir)
{
	struct kser_worktree *wt = calloc(1, sizeof(*wt));
	struct kser_buf sp = KSER_BUF_INIT;
	const struct kser_error *err;

	*out = NULL;
	if (!wt)
		return kser_error_nomem();
	wt->repo = repo;
	wt->dir = strdup(dir);
	kser_buf_printf(&sp, "%s.state", dir);
	wt->state_path = kser_buf_detach(&sp);
	if (!wt->dir || !wt->state_path) {
		kser_worktree_free(wt);
		return kser_error_nomem();
	}
	err = read_state(wt);
	if (err) {
		kser_worktree_free(wt);
		return err;
	}
	*out = wt;
	return NULL;
}

void kser_worktree_free(struct kser_worktree *wt)
{
	if (!wt)
		return;
	free(wt->dir);
	free(wt->state_path);
	free(wt);
}

const char *kser_worktree_path(const struct kser_worktree *wt)
{
	return wt->dir;
}

const git_oid *kser_worktree_tree(const struct kser_worktree *wt)
{
	return wt->have_tree ? &wt->tree : NULL;
}

/* Creates the parent directories of rel, refusing to go through links. */
static const struct kser_error *make_parents(const char *root,
					     const char *rel)
{
	struct kser_buf p = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	const char *slash;

	for (slash = strchr(rel, '/'); slash && !err;
	     slash = strchr(slash + 1, '/')) {
		struct stat st;

		kser_buf_clear(&p);
		kser_buf_printf(&p, "%s/%.*s", root, (int)(slash - rel), rel);
		if (kser_buf_check(&p)) {
			err = kser_error_nomem();
			break;
		}
		if (lstat(p.ptr, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				continue;
			/* A file or link where a directory must be. */
			if (unlink(p.ptr) < 0)
				err = kser_error_errno("cannot remove '%s'",
						       p.ptr);
		}
		if (!err && mkdir(p.ptr, 0755) < 0 && errno != EEXIST)
			err = kser_error_errno("cannot create '%s'", p.ptr);
	}
	kser_buf_release(&p);
	return err;
}

static const struct kser_error *write_entry(struct kser_worktree *wt,
					    const char *rel,
					    const git_oid *oid, uint32_t mode)
{
	const struct kser_error *err;
	struct kser_buf path = KSER_BUF_INIT;
	git_blob *blob = NULL;
	struct stat st;
	int fd;

	err = kser_path_check(rel, mode);
	if (err)
		return err;
	if (mode == GIT_FILEMODE_COMMIT)
		return NULL;	/* submodules are not checked out */
	err = make_parents(wt->dir, rel);
	if (err)
		return err;
	kser_buf_printf(&path, "%s/%s", wt->dir, rel);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	if (git_blob_lookup(&blob, wt->repo, oid) < 0) {
		err = kser_error_git("cannot read '%s'", rel);
		goto done;
	}
	if (lstat(path.ptr, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			err = kser_remove_tree(path.ptr, NULL, NULL);
		else if (unlink(path.ptr) < 0)
			err = kser_error_errno("cannot replace '%s'", path.ptr);
		if (err)
			goto done;
	}
	if (mode == GIT_FILEMODE_LINK) {
		char *target = strndup(git_blob_rawcontent(blob),
				       (size_t)git_blob_rawsize(blob));

		if (!target || symlink(target, path.ptr) < 0)
			err = target ? kser_error_errno("cannot create link "
							"'%s'", path.ptr) :
				       kser_error_nomem();
		free(target);
		goto done;
	}
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		  O_CLOEXEC, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 :
		  0644);
	if (fd < 0) {
		err = kser_error_errno("cannot create '%s'", path.ptr);
		goto done;
	}
	if (kser_write_all(fd, git_blob_rawcontent(blob),
			   (size_t)git_blob_rawsize(blob)) < 0)
		err = kser_error_errno("cannot write '%s'", path.ptr);
	if (close(fd) < 0 && !err)
		err = kser_error_errno("cannot write '%s'", path.ptr);
done:
	git_blob_free(blob);
	kser_buf_release(&path);
	return err;
}

static const struct kser_error *remove_entry(struct kser_worktree *wt,
					     const char *rel)
{
	struct kser_buf path = KSER_BUF_INIT;
	const struct kser_error *err = kser_path_check(rel, 0);
	char *slash;

	if (err)
		return err;
	kser_buf_printf(&path, "%s/%s", wt->dir, rel);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	if (unlink(path.ptr) < 0 && errno != ENOENT)
		err = kser_error_errno("cannot remove '%s'", path.ptr);
	/* Directories left empty go too, as git does. */
	while (!err && (slash = strrchr(path.ptr, '/')) &&
	       (size_t)(slash - path.ptr) > strlen(wt->dir)) {
		*slash = '\0';
		if (rmdir(path.ptr) < 0)
			break;
	}
	kser_buf_release(&path);
	return err;
}

#define PROGRESS_EVERY 64

struct mover {
	struct kser_worktree *wt;
	kser_worktree_progress_fn progress;
	void *arg;
	kser_cancel_cb cancel;
	void *cancel_arg;
	const struct kser_error *err;
	size_t done, total;
};

static const struct kser_error *cancelled(struct mover *m)
{
	return m->cancel ? m->cancel(m->cancel_arg) : NULL;
}

/* Between two files: an interruption, and progress now and then. */
static const struct kser_error *step(struct mover *m)
{
	const struct kser_error *err = cancelled(m);

	if (err)
		return err;
	if (m->progress && m->done % PROGRESS_EVERY == 0)
		return m->progress(m->done, m->total, m->arg);
	return NULL;
}

/* Removes the old checkout, stopping at an interruption. */
static const struct kser_error *remove_checkout(struct mover *m)
{
	return kser_remove_tree(m->wt->dir, m->cancel, m->cancel_arg);
}

static int populate_cb(const char *root, const git_tree_entry *e, void *arg)
{
	struct mover *m = arg;
	struct kser_buf rel = KSER_BUF_INIT;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return 0;
	m->err = step(m);
	if (m->err)
		return -1;
	kser_buf_printf(&rel, "%s%s", root, git_tree_entry_name(e));
	m->err = kser_buf_check(&rel) ? kser_error_nomem() :
		 write_entry(m->wt, rel.ptr, git_tree_entry_id(e),
			     git_tree_entry_filemode(e));
	kser_buf_release(&rel);
	if (m->err)
		return -1;
	m->done++;
	return 0;
}

static const struct kser_error *populate(struct mover *m, git_tree *tree)
{
	const struct kser_error *err;

	err = remove_checkout(m);
	m->err = NULL;
	if (!err)
		err = kser_mkdir_p(m->wt->dir);
	if (err)
		return err;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, populate_cb, m) < 0 &&
	    !m->err)
		m->err = kser_error_git("cannot walk the tree");
	return m->err;
}

const struct kser_error *kser_worktree_move(struct kser_worktree *wt,
					    const git_oid *tree_oid,
					    size_t *written,
					    kser_worktree_progress_fn progress,
					    void *progress_arg,
					    kser_cancel_cb cancel,
					    void *cancel_arg)
{
	const struct kser_error *err = NULL;
	struct mover m = { wt, progress, progress_arg, cancel, cancel_arg,
			   NULL, 0, 0 };
	git_tree *from = NULL, *to = NULL;
	git_diff *diff = NULL;
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	size_t i, n;
	int pass;
	bool had_tree;

	*written = 0;
	if (wt->have_tree && git_oid_equal(&wt->tree, tree_oid))
		return NULL;
	err = cancelled(&m);
	if (err)
		return err;
	if (git_tree_lookup(&to, wt->repo, tree_oid) < 0)
		return kser_error_git("cannot read tree %s",
				      git_oid_tostr_s(tree_oid));
	err = write_state(wt, "moving", tree_oid);
	if (err)
		goto done;
	/* From here on, until "tree" is written, the directory is suspect. */
	had_tree = wt->have_tree;
	wt->have_tree = false;
	if (!had_tree ||
	    git_tree_lookup(&from, wt->repo, &wt->tree) < 0) {
		err = populate(&m, to);
		goto finish;
	}
	dopts.flags = GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_diff_tree_to_tree(&diff, wt->repo, from, to, &dopts) < 0) {
		err = kser_error_git("cannot compare trees");
		goto done;
	}
	n = git_diff_num_deltas(diff);
	m.total = n;
	/* Removals first: a file may give way to a directory. */
	for (pass = 0; pass < 2 && !err; pass++) {
		for (i = 0; i < n && !err; i++) {
			const git_diff_delta *d = git_diff_get_delta(diff, i);

			if (pass == 0 && (d->status == GIT_DELTA_DELETED ||
					  d->status == GIT_DELTA_TYPECHANGE))
				err = remove_entry(wt, d->old_file.path);
			if (pass == 1 && d->status != GIT_DELTA_DELETED) {
				err = step(&m);
				if (!err)
					err = write_entry(wt, d->new_file.path,
							  &d->new_file.id,
							  d->new_file.mode);
				m.done++;
			}
			if (!err && pass == 0 && i % PROGRESS_EVERY == 0)
				err = cancelled(&m);
		}
	}
finish:
	*written = m.done;
	if (!err) {
		err = write_state(wt, "tree", tree_oid);
		if (!err) {
			wt->have_tree = true;
			git_oid_cpy(&wt->tree, tree_oid);
		}
	}
done:
	git_diff_free(diff);
	git_tree_free(from);
	git_tree_free(to);
	return err;
}
