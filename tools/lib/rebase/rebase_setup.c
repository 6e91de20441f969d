// SPDX-License-Identifier: GPL-2.0
/*
 * The start and the end of a kser rebase: which branch, which commits
 * (those of the branch not in upstream, in git rebase's order, without
 * merges and without those whose patch is already upstream), and
 * --abort, which puts everything back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/rebase.h"
#include "kser/util.h"
#include "kser_lib_rebase.h"

const struct kser_error *rb_list_commits(struct rb_state *st,
					 struct kser_rebase_result *res,
					 git_repository *repo,
					 const struct kser_rebase_options *o);

static const struct kser_error *resolve_branch(struct rb_state *st,
					       git_repository *repo,
					       const char *name)
{
	struct kser_buf ref = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	git_reference *head = NULL, *br = NULL;
	int valid = 0;

	if (!name) {
		if (git_reference_lookup(&head, repo, "HEAD") < 0 ||
		    git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
			err = kser_error_fmt(KSER_ERR_USAGE, "HEAD is not on "
					     "a branch: name the BRANCH to "
					     "rebase");
			goto done;
		}
		kser_buf_puts(&ref, git_reference_symbolic_target(head));
	} else {
		kser_buf_printf(&ref, "refs/heads/%s", name);
	}
	if ((err = kser_buf_check(&ref)))
		goto done;
	if (git_reference_name_is_valid(&valid, ref.ptr) < 0 || !valid ||
	    strncmp(ref.ptr, "refs/heads/", 11)) {
		err = kser_error_fmt(KSER_ERR_USAGE, "'%s' is not a valid "
				     "branch name", name ? name : ref.ptr);
		goto done;
	}
	if (git_reference_lookup(&br, repo, ref.ptr) < 0 ||
	    git_reference_type(br) != GIT_REFERENCE_DIRECT) {
		err = kser_error_fmt(KSER_ERR_NOT_FOUND, "no branch '%s'",
				     ref.ptr + 11);
		goto done;
	}
	git_oid_cpy(&st->orig, git_reference_target(br));
	st->branch = kser_buf_detach(&ref);
	if (!st->branch)
		err = kser_error_nomem();
done:
	git_reference_free(head);
	git_reference_free(br);
	kser_buf_release(&ref);
	return err;
}

/* Is the branch what HEAD names in this work tree, or another? */
static const struct kser_error *where_checked_out(struct rb_state *st,
						  git_repository *repo)
{
	git_reference *head = NULL, *br = NULL;
	const struct kser_error *err = NULL;
	bool here = false;

	if (!git_repository_is_bare(repo) &&
	    git_reference_lookup(&head, repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    !strcmp(git_reference_symbolic_target(head), st->branch))
		here = true;
	st->branch_checked_out = here;
	if (!here && git_reference_lookup(&br, repo, st->branch) == 0 &&
	    git_branch_is_checked_out(br) == 1)
		err = kser_error_fmt(KSER_ERR_USAGE, "branch '%s' is checked "
				     "out in another work tree: rebase it "
				     "there", st->branch + 11);
	git_reference_free(head);
	git_reference_free(br);
	return err;
}

static const struct kser_error *resolve_upstream(struct rb_state *st,
						 git_repository *repo,
						 const char *rev)
{
	struct kser_buf key = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	git_object *o = NULL, *c = NULL;
	git_config *cfg = NULL;
	const char *base = NULL;

	if (!rev) {
		kser_buf_printf(&key, "branch.%s.kserbase", st->branch + 11);
		if ((err = kser_buf_check(&key)))
			goto done;
		if (git_repository_config_snapshot(&cfg, repo) < 0 ||
		    git_config_get_string(&base, cfg, key.ptr) < 0) {
			err = kser_error_fmt(KSER_ERR_USAGE, "no upstream for "
					     "'%s': kser apply records the "
					     "base it applied on, this branch "
					     "has none; use --upstream REV",
					     st->branch + 11);
			goto done;
		}
		rev = base;
	}
	if (git_revparse_single(&o, repo, rev) < 0 ||
	    git_object_peel(&c, o, GIT_OBJECT_COMMIT) < 0) {
		err = kser_error_git("cannot resolve the upstream '%s'", rev);
		goto done;
	}
	git_oid_cpy(&st->upstream, git_object_id(c));
done:
	git_object_free(c);
	git_object_free(o);
	git_config_free(cfg);
	kser_buf_release(&key);
	return err;
}

static const struct kser_error *walk(git_oid **out, size_t *n,
				     git_repository *repo,
				     const git_oid *from, const git_oid *hide)
{
	const struct kser_error *err = NULL;
	git_revwalk *w = NULL;
	size_t alloc = 0;
	git_oid id;
	int r;

	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&w, repo) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) <
	    0 || git_revwalk_push(w, from) < 0 ||
	    git_revwalk_hide(w, hide) < 0) {
		err = kser_error_git("cannot walk the history");
		goto done;
	}
	while ((r = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		unsigned int np;

		if (git_commit_lookup(&c, repo, &id) < 0) {
			err = kser_error_git("cannot read a commit");
			break;
		}
		np = git_commit_parentcount(c);
		git_commit_free(c);
		if (np > 1)
			continue;	/* git rebase drops merges */
		/*
		 * libgit2's walk can let through a commit that the hidden
		 * one reaches (its date limit stops too early when dates
		 * are out of order, as in imported trees): ask the graph.
		 */
		if (git_oid_equal(&id, hide) ||
		    git_graph_descendant_of(repo, hide, &id) == 1)
			continue;
		err = kser_array_grow((void **)out, &alloc, *n, sizeof(**out),
				      16);
		if (err)
			break;
		git_oid_cpy(&(*out)[(*n)++], &id);
	}
	if (!err && r != GIT_ITEROVER)
		err = kser_error_git("cannot walk the history");
done:
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	git_revwalk_free(w);
	return err;
}

static const struct kser_error *trees_of(git_oid *parent, git_oid *tree,
					 git_repository *repo,
					 const git_oid *id)
{
	git_commit *c = NULL, *p = NULL;
	const struct kser_error *err = NULL;

	if (git_commit_lookup(&c, repo, id) < 0)
		return kser_error_git("cannot read a commit");
	git_oid_cpy(tree, git_commit_tree_id(c));
	if (git_commit_parentcount(c) == 0)
		git_oid_fromstr(parent,
				"4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	else if (git_commit_parent(&p, c, 0) < 0)
		err = kser_error_git("cannot read a parent");
	else
		git_oid_cpy(parent, git_commit_tree_id(p));
	git_commit_free(p);
	git_commit_free(c);
	return err;
}

/*
 * git rebase --cherry-pick: a commit of the branch whose patch-id equals
 * that of a commit on the upstream side is left out (one that was empty
 * to begin with is kept).
 */
static const struct kser_error *drop_upstream(struct rb_state *st,
					      git_repository *repo,
					      const struct kser_rebase_options *o)
{
	const struct kser_error *err;
	git_oid *left = NULL, *lids = NULL, pt, t, id;
	size_t nleft, i, j, k;

	err = walk(&left, &nleft, repo, &st->upstream, &st->orig);
	if (err || !nleft)
		goto done;
	lids = calloc(nleft, sizeof(*lids));
	if (!lids) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < nleft && !err; i++) {
		err = trees_of(&pt, &t, repo, &left[i]);
		if (!err)
			err = rb_patch_id(&lids[i], repo, &pt, &t);
	}
	for (i = 0, k = 0; i < st->nlist && !err; i++) {
		bool same = false;

		err = trees_of(&pt, &t, repo, &st->list[i]);
		if (!err && !git_oid_equal(&pt, &t))
			err = rb_patch_id(&id, repo, &pt, &t);
		for (j = 0; !err && !git_oid_equal(&pt, &t) && j < nleft; j++)
			same |= !git_oid_is_zero(&id) &&
				git_oid_equal(&id, &lids[j]);
		if (err)
			break;
		if (same) {
			git_commit *c = NULL;
			struct kser_rebase_event ev = {
				KSER_REBASE_DROPPED_UPSTREAM, 0, 0,
				&st->list[i], NULL, NULL, false, false };
			char *subject = NULL;

			st->dropped++;
			if (!o->progress)
				continue;
			if (git_commit_lookup(&c, repo, &st->list[i]) == 0)
				subject = strndup(git_commit_summary(c) ?
						  git_commit_summary(c) : "",
						  4096);
			ev.subject = subject ? subject : "";
			err = o->progress(&ev, o->progress_arg);
			free(subject);
			git_commit_free(c);
			continue;
		}
		st->list[k++] = st->list[i];
	}
	st->nlist = k;
done:
	free(left);
	free(lids);
	return err;
}

const struct kser_error *rb_list_commits(struct rb_state *st,
					 struct kser_rebase_result *res,
					 git_repository *repo,
					 const struct kser_rebase_options *o)
{
	const struct kser_error *err;

	(void)res;
	err = resolve_branch(st, repo, o->branch);
	if (!err)
		err = where_checked_out(st, repo);
	if (!err)
		err = resolve_upstream(st, repo, o->upstream);
	if (!err && st->branch_checked_out)
		err = rb_wt_check_clean(repo, st->branch + 11);
	if (!err)
		err = walk(&st->list, &st->nlist, repo, &st->orig,
			   &st->upstream);
	if (!err)
		err = drop_upstream(st, repo, o);
	return err;
}

const struct kser_error *kser_rebase_abort(struct kser_rebase_result **out,
					   git_repository *repo)
{
	const struct kser_error *err;
	struct kser_rebase_result *res = NULL;
	struct rb_lock lk = { NULL };
	git_reference *ref = NULL;
	struct rb_state st;
	git_commit *c = NULL;
	bool found;

	*out = NULL;
	err = rb_lock_take(&lk, repo);
	if (err)
		return err;
	err = rb_state_read(&st, &found, repo);
	if (!err && !found)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND, "no kser rebase in "
				     "progress");
	if (err)
		goto done;
	/* Interrupted while finishing: the branch may have moved. */
	if (git_reference_lookup(&ref, repo, st.branch) == 0 &&
	    git_oid_equal(git_reference_target(ref), &st.final) &&
	    !git_oid_equal(&st.final, &st.orig)) {
		git_reference *nref = NULL;

		if (git_reference_create_matching(&nref, repo, st.branch,
						  &st.orig, 1, &st.final,
						  "rebase (abort): back to "
						  "the branch before") < 0)
			err = kser_error_git("cannot restore '%s'", st.branch);
		git_reference_free(nref);
	}
	if (!err && st.wt != RB_WT_NONE) {
		/* The work tree goes back to what HEAD named before. */
		st.phase = RB_PHASE_FINISHING;
		/* Never stopped half way: an abort is what Ctrl-C asks. */
		err = rb_wt_release(repo, &st, true, NULL, NULL);
	} else if (!err && st.branch_checked_out) {
		git_oid from, to;

		if (git_commit_lookup(&c, repo, &st.final) == 0) {
			git_oid_cpy(&from, git_commit_tree_id(c));
			git_commit_free(c);
			c = NULL;
			if (git_commit_lookup(&c, repo, &st.orig) < 0) {
				err = kser_error_git("cannot read '%s'",
						     st.branch);
			} else {
				git_oid_cpy(&to, git_commit_tree_id(c));
				err = rb_wt_checkout(repo, &from, &to, true);
			}
		}
	}
	if (!err)
		err = rb_state_remove(repo);
	if (!err) {
		res = calloc(1, sizeof(*res));
		if (!res || !(res->branch = strdup(st.branch + 11))) {
			kser_rebase_result_free(res);
			err = kser_error_nomem();
		} else {
			res->status = KSER_REBASE_ABORTED;
			git_oid_cpy(&res->orig, &st.orig);
			git_oid_cpy(&res->tip, &st.orig);
			*out = res;
		}
	}
done:
	git_commit_free(c);
	git_reference_free(ref);
	rb_state_release(&st);
	rb_lock_release(&lk);
	return err;
}
