// SPDX-License-Identifier: GPL-2.0
/*
 * The work tree of a stopped kser rebase. While the picks apply cleanly
 * no work tree is used; at a conflict the user resolves where git users
 * do: HEAD detached at the partial result, conflict markers in the
 * files, stages 1-3 in the index, so git status, git diff and git
 * mergetool work. The repository's own work tree is used when it holds
 * the branch or has no changes; otherwise (or in a bare repository) kser
 * makes a linked work tree under the git directory and names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_rebase.h"

#define LINKED_NAME "kser-rebase"
#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

/* Names (in paths) up to three changed tracked files; *n counts all. */
static const struct kser_error *status_check(size_t *nout,
					     struct kser_buf *paths,
					     git_repository *repo,
					     git_status_show_t show)
{
	git_status_options so = GIT_STATUS_OPTIONS_INIT;
	git_status_list *list = NULL;
	size_t i, n;

	so.show = show;
	so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, repo, &so) < 0)
		return kser_error_git("cannot read the status of the work "
				      "tree");
	n = git_status_list_entrycount(list);
	for (i = 0; i < n && i < 3; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->head_to_index ? e->head_to_index :
					  e->index_to_workdir;

		kser_buf_printf(paths, "%s'%s'", i ? ", " : "",
				d->new_file.path ? d->new_file.path :
				d->old_file.path);
	}
	if (n > 3)
		kser_buf_printf(paths, " and %zu more", n - 3);
	git_status_list_free(list);
	*nout = n;
	return kser_buf_check(paths);
}

const struct kser_error *rb_wt_check_clean(git_repository *repo,
					   const char *what)
{
	struct kser_buf paths = KSER_BUF_INIT;
	const struct kser_error *err;
	size_t n = 0;

	err = status_check(&n, &paths, repo,
			   GIT_STATUS_SHOW_INDEX_AND_WORKDIR);
	if (!err && n)
		err = kser_error_fmt(KSER_ERR_USAGE, "cannot rebase '%s': the "
				     "work tree has changes to %s; commit or "
				     "stash them first", what, paths.ptr);
	kser_buf_release(&paths);
	return err;
}

static const struct kser_error *tree_lookup(git_tree **out,
					    git_repository *repo,
					    const git_oid *id)
{
	if (git_tree_lookup(out, repo, id) < 0)
		return kser_error_git("cannot read tree %s",
				      git_oid_tostr_s(id));
	return NULL;
}

static const struct kser_error *checkout(git_repository *repo,
					 const git_oid *from,
					 const git_oid *to, bool force)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	const struct kser_error *err;
	git_tree *tf = NULL, *tt = NULL;

	err = tree_lookup(&tf, repo, from);
	if (!err)
		err = tree_lookup(&tt, repo, to);
	if (err)
		goto done;
	co.checkout_strategy = force ? GIT_CHECKOUT_FORCE : GIT_CHECKOUT_SAFE;
	co.baseline = tf;
	if (git_checkout_tree(repo, (const git_object *)tt, &co) < 0)
		err = kser_error_git("cannot update the work tree");
done:
	git_tree_free(tf);
	git_tree_free(tt);
	return err;
}

const struct kser_error *rb_wt_checkout(git_repository *repo,
					const git_oid *from,
					const git_oid *to, bool force)
{
	return checkout(repo, from, to, force);
}

/* The linked work tree, by hand: git's layout, HEAD detached. */
static const struct kser_error *make_linked(git_repository *repo,
					    const char *wt,
					    const git_oid *head)
{
	struct kser_buf admin = KSER_BUF_INIT, f = KSER_BUF_INIT,
			data = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	const char *common = git_repository_commondir(repo);
	char hex[GIT_OID_HEXSZ + 1];

	kser_buf_printf(&admin, "%s/worktrees/%s", common, LINKED_NAME);
	if ((err = kser_buf_check(&admin)) || (err = kser_mkdir_p(wt)) ||
	    (err = kser_mkdir_p(admin.ptr)))
		goto done;
	kser_buf_printf(&f, "%s/gitdir", admin.ptr);
	kser_buf_printf(&data, "%s/.git\n", wt);
	if (!(err = kser_buf_check(&f)) && !(err = kser_buf_check(&data)))
		err = kser_write_file_atomic(f.ptr, data.ptr, data.len);
	kser_buf_clear(&f);
	kser_buf_printf(&f, "%s/commondir", admin.ptr);
	if (!err && !(err = kser_buf_check(&f)))
		err = kser_write_file_atomic(f.ptr, "../..\n", 6);
	kser_buf_clear(&f);
	kser_buf_clear(&data);
	kser_buf_printf(&f, "%s/HEAD", admin.ptr);
	kser_buf_printf(&data, "%s\n", git_oid_tostr(hex, sizeof(hex), head));
	if (!err && !(err = kser_buf_check(&f)) &&
	    !(err = kser_buf_check(&data)))
		err = kser_write_file_atomic(f.ptr, data.ptr, data.len);
	kser_buf_clear(&f);
	kser_buf_clear(&data);
	kser_buf_printf(&f, "%s/.git", wt);
	kser_buf_printf(&data, "gitdir: %s\n", admin.ptr);
	if (!err && !(err = kser_buf_check(&f)) &&
	    !(err = kser_buf_check(&data)))
		err = kser_write_file_atomic(f.ptr, data.ptr, data.len);
done:
	kser_buf_release(&admin);
	kser_buf_release(&f);
	kser_buf_release(&data);
	return err;
}

static const struct kser_error *remove_linked(git_repository *repo,
					      const char *wt,
					      kser_cancel_cb cancel,
					      void *cancel_arg)
{
	struct kser_buf admin = KSER_BUF_INIT;
	const struct kser_error *err;

	kser_buf_printf(&admin, "%s/worktrees/%s",
			git_repository_commondir(repo), LINKED_NAME);
	err = kser_buf_check(&admin);
	if (!err && wt)
		err = kser_remove_tree(wt, cancel, cancel_arg);
	if (!err)
		err = kser_remove_tree(admin.ptr, cancel, cancel_arg);
	kser_buf_release(&admin);
	return err;
}

/* The repository of the resolution work tree (repo itself, or not). */
static const struct kser_error *wt_repo(git_repository **out,
					git_repository *repo,
					const struct rb_state *st)
{
	*out = NULL;
	if (st->wt != RB_WT_LINKED) {
		*out = repo;
		return NULL;
	}
	if (git_repository_open(out, st->wt_path) < 0)
		return kser_error_git("cannot open the work tree '%s'",
				      st->wt_path);
	return NULL;
}

static void wt_repo_free(git_repository *r, git_repository *repo)
{
	if (r != repo)
		git_repository_free(r);
}

static const struct kser_error *choose(git_repository *repo,
				       struct rb_state *st)
{
	git_reference *head = NULL;
	git_commit *c = NULL;
	struct kser_buf path = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	if (!git_repository_is_bare(repo) &&
	    (st->branch_checked_out || !rb_wt_check_clean(repo, ""))) {
		st->wt = RB_WT_MAIN;
		git_oid_fromstr(&st->head_tree, EMPTY_TREE);
		if (git_reference_lookup(&head, repo, "HEAD") < 0)
			return kser_error_git("cannot read HEAD");
		if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
			st->head_ref = strdup(
				git_reference_symbolic_target(head));
		} else {
			git_oid_tostr(hex, sizeof(hex),
				      git_reference_target(head));
			st->head_ref = strdup(hex);
		}
		git_reference_free(head);
		head = NULL;
		if (!st->head_ref)
			return kser_error_nomem();
		if (git_repository_head(&head, repo) == 0 &&
		    git_commit_lookup(&c, repo,
				      git_reference_target(head)) == 0)
			git_oid_cpy(&st->head_tree, git_commit_tree_id(c));
		git_commit_free(c);
		git_reference_free(head);
		git_oid_cpy(&st->wt_tree, &st->head_tree);
		return NULL;
	}
	st->wt = RB_WT_LINKED;
	err = rb_path(&path, repo, "worktree");
	if (!err) {
		st->wt_path = kser_buf_detach(&path);
		if (!st->wt_path)
			err = kser_error_nomem();
	}
	git_oid_fromstr(&st->wt_tree, EMPTY_TREE);
	kser_buf_release(&path);
	return err;
}

static const struct kser_error *set_conflicts(git_repository *r,
					      const struct rb_stop *stop)
{
	const struct kser_error *err = NULL;
	git_index *index = NULL;
	size_t i;

	if (git_repository_index(&index, r) < 0)
		return kser_error_git("cannot read the index");
	for (i = 0; i < stop->nconflicts && !err; i++) {
		const struct rb_conflict *c = &stop->conflicts[i];
		git_index_entry e[3];
		int k;

		memset(e, 0, sizeof(e));
		for (k = 0; k < 3; k++) {
			e[k].path = c->path;
			e[k].mode = c->stage[k].mode;
			git_oid_cpy(&e[k].id, &c->stage[k].oid);
		}
		git_index_remove(index, c->path, 0);
		if (git_index_conflict_add(index, e[0].mode ? &e[0] : NULL,
					   e[1].mode ? &e[1] : NULL,
					   e[2].mode ? &e[2] : NULL) < 0)
			err = kser_error_git("cannot record the conflict in "
					     "'%s'", c->path);
	}
	if (!err && git_index_write(index) < 0)
		err = kser_error_git("cannot write the index");
	git_index_free(index);
	return err;
}

const struct kser_error *rb_wt_stop(git_repository *repo,
				    struct rb_state *st,
				    const struct rb_stop *stop)
{
	const struct kser_error *err = NULL;
	git_repository *r = NULL;
	git_oid from;
	bool fresh = st->wt == RB_WT_NONE;

	if (fresh)
		err = choose(repo, st);
	if (err)
		return err;
	git_oid_cpy(&from, &st->wt_tree);
	git_oid_cpy(&st->wt_tree, stop->tree);
	st->checked_out = false;
	err = rb_state_write(repo, st);
	if (err)
		return err;
	rb_crash_point("stop-state");
	if (st->wt == RB_WT_LINKED && fresh)
		err = make_linked(repo, st->wt_path, stop->head);
	if (!err)
		err = wt_repo(&r, repo, st);
	if (!err && git_repository_set_head_detached(r, stop->head) < 0)
		err = kser_error_git("cannot detach HEAD");
	rb_crash_point("stop-head");
	if (!err)
		err = checkout(r, &from, stop->tree, st->wt == RB_WT_LINKED &&
			       fresh);
	rb_crash_point("stop-checkout");
	if (!err)
		err = set_conflicts(r, stop);
	if (!err) {
		st->checked_out = true;
		err = rb_state_write(repo, st);
	}
	if (r)
		wt_repo_free(r, repo);
	return err;
}

/* Does the blob hold a line git's conflict markers begin? */
static bool has_markers(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= 8 && (!strncmp(p, "<<<<<<< ", 8) ||
			       !strncmp(p, ">>>>>>> ", 8)))
			return true;
		p += n + 1;
	}
	return false;
}

const struct kser_error *rb_wt_resolution(git_oid *tree,
					  git_repository *repo,
					  const struct rb_state *st)
{
	const struct kser_error *err = NULL;
	git_repository *r = NULL;
	git_index *index = NULL;
	size_t i;

	err = wt_repo(&r, repo, st);
	if (err)
		return err;
	if (git_repository_index(&index, r) < 0 ||
	    git_index_read(index, 1) < 0) {
		err = kser_error_git("cannot read the index");
		goto done;
	}
	if (git_index_has_conflicts(index)) {
		const git_index_entry *a, *o, *t;
		git_index_conflict_iterator *it = NULL;

		if (git_index_conflict_iterator_new(&it, index) == 0 &&
		    git_index_conflict_next(&a, &o, &t, it) == 0)
			err = kser_error_fmt(KSER_ERR_CONFLICT, "'%s' is not "
					     "resolved yet: edit it, 'git add' "
					     "it, then kser rebase --continue",
					     (a ? a : o ? o : t)->path);
		else
			err = kser_error_fmt(KSER_ERR_CONFLICT, "the index "
					     "has unresolved conflicts");
		git_index_conflict_iterator_free(it);
		goto done;
	}
	for (i = 0; i < st->npaths && !err; i++) {
		const git_index_entry *e = git_index_get_bypath(index,
								st->paths[i],
								0);
		git_blob *b = NULL;

		if (!e || (e->mode & 0170000) != 0100000 ||
		    git_blob_lookup(&b, r, &e->id) < 0)
			continue;
		if (has_markers(git_blob_rawcontent(b),
				(size_t)git_blob_rawsize(b)))
			err = kser_error_fmt(KSER_ERR_CONFLICT, "'%s' still "
					     "has conflict markers: finish "
					     "resolving it, 'git add' it, "
					     "then kser rebase --continue",
					     st->paths[i]);
		git_blob_free(b);
	}
	if (!err) {
		struct kser_buf paths = KSER_BUF_INIT;
		size_t n = 0;

		err = status_check(&n, &paths, r,
				   GIT_STATUS_SHOW_WORKDIR_ONLY);
		if (!err && n)
			err = kser_error_fmt(KSER_ERR_USAGE, "unstaged changes "
					     "to %s: 'git add' them (or undo "
					     "them), then kser rebase "
					     "--continue", paths.ptr);
		kser_buf_release(&paths);
	}
	if (!err && git_index_write_tree(tree, index) < 0)
		err = kser_error_git("cannot write the resolved tree");
done:
	git_index_free(index);
	wt_repo_free(r, repo);
	return err;
}

const struct kser_error *rb_wt_move(git_repository *repo,
				    struct rb_state *st,
				    const git_oid *commit, bool reset)
{
	const struct kser_error *err = NULL;
	git_repository *r = NULL;
	git_commit *c = NULL;
	git_index *index = NULL;

	err = wt_repo(&r, repo, st);
	if (err)
		return err;
	if (git_commit_lookup(&c, repo, commit) < 0) {
		err = kser_error_git("cannot read commit");
		goto done;
	}
	if (reset) {
		if (git_repository_index(&index, r) < 0) {
			err = kser_error_git("cannot read the index");
			goto done;
		}
		git_index_conflict_cleanup(index);
		if (git_index_write(index) < 0) {
			err = kser_error_git("cannot write the index");
			goto done;
		}
		err = checkout(r, &st->wt_tree, git_commit_tree_id(c), true);
		if (err)
			goto done;
	}
	git_oid_cpy(&st->wt_tree, git_commit_tree_id(c));
	if (git_repository_set_head_detached(r, commit) < 0)
		err = kser_error_git("cannot detach HEAD");
done:
	git_index_free(index);
	git_commit_free(c);
	wt_repo_free(r, repo);
	return err;
}

const struct kser_error *rb_wt_release(git_repository *repo,
				       const struct rb_state *st, bool force,
				       kser_cancel_cb cancel, void *cancel_arg)
{
	const struct kser_error *err = NULL;
	git_object *target = NULL, *tree = NULL;
	git_index *index = NULL;
	bool is_ref;

	if (st->wt == RB_WT_LINKED)
		return remove_linked(repo, st->wt_path, cancel, cancel_arg);
	if (st->wt != RB_WT_MAIN)
		return NULL;
	is_ref = !strncmp(st->head_ref, "refs/", 5);
	/* An unborn branch has nothing to check out. */
	if (git_revparse_single(&target, repo, st->head_ref) == 0 &&
	    git_object_peel(&tree, target, GIT_OBJECT_TREE) < 0)
		tree = NULL;
	if (force) {
		if (git_repository_index(&index, repo) < 0) {
			err = kser_error_git("cannot read the index");
			goto done;
		}
		git_index_conflict_cleanup(index);
		if (git_index_write(index) < 0) {
			err = kser_error_git("cannot write the index");
			goto done;
		}
	}
	if (tree)
		err = checkout(repo, &st->wt_tree, git_object_id(tree), force);
	if (err)
		goto done;
	if (is_ref ? git_repository_set_head(repo, st->head_ref) < 0 :
	    !target || git_repository_set_head_detached(
			repo, git_object_id(target)) < 0)
		err = kser_error_git("cannot put HEAD back to '%s'",
				     st->head_ref);
done:
	git_index_free(index);
	git_object_free(tree);
	git_object_free(target);
	return err;
}
