// SPDX-License-Identifier: GPL-2.0
/*
 * kser rebase: the commits of a branch since its upstream, replayed onto
 * a new base in memory, as git rebase's merge backend replays them: the
 * same trees (rebase_merge.c merges each pick as merge-ort does), the
 * same messages and authors, the committer of now. The branch moves once
 * at the end; a conflict stops with the state on disk (rebase_state.c)
 * and the partial result in a work tree (rebase_wt.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/ident.h"
#include "kser/buf.h"
#include "kser/error.h"
#include "kser/rebase.h"
#include "kser/util.h"
#include "kser_lib_rebase.h"

struct run {
	git_repository *repo;
	const struct kser_rebase_options *opts;
	struct rb_state *st;
	struct kser_rebase_result *res;
	git_signature *committer;	/* ours, when opts has none */
	const git_signature *who;
	unsigned int style;
};

void kser_rebase_result_free(struct kser_rebase_result *r)
{
	size_t i;

	if (!r)
		return;
	free(r->branch);
	free(r->subject);
	free(r->workdir);
	for (i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->messages);
	free(r);
}

bool kser_rebase_in_progress(git_repository *repo)
{
	return rb_state_exists(repo);
}

/* The subject as git's find_commit_subject() finds it. */
static char *subject_of(const git_commit *c)
{
	const char *m = git_commit_message_raw(c), *eol;

	for (;;) {
		const char *nl = strchr(m, '\n'), *p;

		if (!nl)
			break;
		for (p = m; p < nl && strchr(" \t\r\v\f", *p); p++)
			;
		if (p < nl)
			break;
		m = nl + 1;
	}
	eol = strchr(m, '\n');
	return strndup(m, eol ? (size_t)(eol - m) : strlen(m));
}

static const struct kser_error *event(struct run *r,
				      enum kser_rebase_event_kind kind,
				      const git_commit *c,
				      const git_oid *new_commit, bool reused,
				      bool changed)
{
	struct kser_rebase_event ev = { kind, r->st->next + 1, r->st->nlist,
					git_commit_id(c), new_commit, NULL,
					reused, changed };
	const struct kser_error *err;
	char *subject;

	if (kind == KSER_REBASE_DROPPED_UPSTREAM)
		ev.index = 0;
	if (!r->opts || !r->opts->progress)
		return NULL;
	subject = subject_of(c);
	if (!subject)
		return kser_error_nomem();
	ev.subject = subject;
	err = r->opts->progress(&ev, r->opts->progress_arg);
	free(subject);
	return err;
}

static void put_sig(struct kser_buf *b, const git_signature *s)
{
	int off = s->when.offset, a = off < 0 ? -off : off;

	kser_buf_printf(b, "%s <%s> %lld %c%02d%02d", s->name, s->email,
			(long long)s->when.time, off < 0 ? '-' : '+', a / 60,
			a % 60);
}

/*
 * The commit git's sequencer makes for a pick: the original author line
 * as it is, the message from its first non-blank line on.
 */
static const struct kser_error *make_commit(git_oid *out, struct run *r,
					    const git_commit *orig,
					    const git_oid *tree,
					    const git_oid *parent,
					    const char *message)
{
	struct kser_buf raw = KSER_BUF_INIT;
	git_buf author = GIT_BUF_INIT;
	const struct kser_error *err = NULL;
	const char *m = message ? message : git_commit_message_raw(orig);
	char hex[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;

	if (git_commit_header_field(&author, orig, "author") < 0)
		return kser_error_git("commit %s has no author",
				      git_oid_tostr_s(git_commit_id(orig)));
	while (*m) {
		const char *nl = strchr(m, '\n'), *p;

		if (!nl)
			break;
		for (p = m; p < nl && strchr(" \t\r\v\f", *p); p++)
			;
		if (p < nl)
			break;
		m = nl + 1;
	}
	kser_buf_printf(&raw, "tree %s\n", git_oid_tostr(hex, sizeof(hex),
							  tree));
	kser_buf_printf(&raw, "parent %s\nauthor %s\ncommitter ",
			git_oid_tostr(hex, sizeof(hex), parent), author.ptr);
	put_sig(&raw, r->who);
	kser_buf_printf(&raw, "\n\n%s", m);
	err = kser_buf_check(&raw);
	if (!err && (git_repository_odb(&odb, r->repo) < 0 ||
		     git_odb_write(out, odb, raw.ptr, raw.len,
				   GIT_OBJECT_COMMIT) < 0))
		err = kser_error_git("cannot write a commit");
	git_odb_free(odb);
	git_buf_dispose(&author);
	kser_buf_release(&raw);
	return err;
}

static const struct kser_error *tree_of(git_oid *out, git_repository *repo,
					const git_oid *commit)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, repo, commit) < 0)
		return kser_error_git("cannot read commit %s",
				      git_oid_tostr_s(commit));
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
	return NULL;
}

static const struct kser_error *set_stop(struct run *r, const git_commit *c,
					 const struct rb_merge_result *mr)
{
	struct kser_rebase_result *res = r->res;
	size_t i;

	res->index = r->st->next + 1;
	res->total = r->st->nlist;
	git_oid_cpy(&res->commit, git_commit_id(c));
	res->subject = subject_of(c);
	if (!res->subject)
		return kser_error_nomem();
	if (r->st->wt_path)
		res->workdir = strdup(r->st->wt_path);
	else if (git_repository_workdir(r->repo))
		res->workdir = strdup(git_repository_workdir(r->repo));
	res->linked_worktree = r->st->wt == RB_WT_LINKED;
	if (mr) {
		res->messages = strdup(kser_buf_cstr(&mr->messages));
		res->paths = calloc(mr->nconflicts + 1, sizeof(*res->paths));
		if (!res->messages || !res->paths)
			return kser_error_nomem();
		for (i = 0; i < mr->nconflicts; i++) {
			res->paths[i] = strdup(mr->conflicts[i].path);
			if (!res->paths[i])
				return kser_error_nomem();
			res->npaths++;
		}
	}
	return NULL;
}

/* Stops at commit c: state on disk first, then the work tree. */
static const struct kser_error *stop(struct run *r, const git_commit *c,
				     const struct rb_merge_result *mr,
				     const git_oid *tree)
{
	struct rb_stop s = { &r->st->head, tree, mr ? mr->conflicts : NULL,
			     mr ? mr->nconflicts : 0 };
	const struct kser_error *err = NULL;
	size_t i;

	r->st->phase = mr ? RB_PHASE_CONFLICT : RB_PHASE_EMPTY;
	for (i = 0; i < r->st->npaths; i++)
		free(r->st->paths[i]);
	r->st->npaths = 0;
	for (i = 0; mr && i < mr->nconflicts && !err; i++)
		err = rb_state_add_path(r->st, mr->conflicts[i].path);
	if (!err)
		err = rb_wt_stop(r->repo, r->st, &s);
	if (!err)
		err = set_stop(r, c, mr);
	r->res->status = mr ? KSER_REBASE_STOPPED_CONFLICT :
			 KSER_REBASE_STOPPED_EMPTY;
	return err;
}

/* same: the pick's diff is known to be the commit's (no patch-ids). */
static const struct kser_error *record_pick(struct run *r,
					    const git_commit *c,
					    const git_oid *parent_tree,
					    const git_oid *new_commit,
					    const git_oid *new_tree,
					    const git_oid *base_tree,
					    bool same)
{
	const struct kser_error *err = NULL;
	git_oid a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (!same)
		err = rb_patch_id(&a, r->repo, parent_tree,
				  git_commit_tree_id(c));
	if (!err && !same)
		err = rb_patch_id(&b, r->repo, base_tree, new_tree);
	if (err)
		return err;
	r->st->picked++;
	r->st->changed += !git_oid_equal(&a, &b);
	git_oid_cpy(&r->st->head, new_commit);
	err = event(r, KSER_REBASE_PICKED, c, new_commit, false,
		    !git_oid_equal(&a, &b));
	r->st->next++;
	return err;
}

/* One pick: KSER_ERR_CONFLICT-free; *stopped when the rebase stops. */
static const struct kser_error *pick(struct run *r, bool *stopped)
{
	struct rb_merge_opts mo = { NULL, "HEAD", NULL, r->style, 0 };
	struct kser_buf theirs = KSER_BUF_INIT, ancestor = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	struct rb_merge_result mr;
	git_commit *c = NULL;
	git_buf abbrev = GIT_BUF_INIT;
	git_oid ptree, htree, oid;
	char *subject = NULL;
	bool empty_start;

	*stopped = false;
	rb_merge_result_init(&mr);
	if (git_commit_lookup(&c, r->repo, &r->st->list[r->st->next]) < 0)
		return kser_error_git("cannot read a commit to pick");
	if (git_commit_parentcount(c) &&
	    git_oid_equal(git_commit_parent_id(c, 0), &r->st->head)) {
		/* Already on the new head: kept as it is (git's allow_ff). */
		git_oid_cpy(&r->st->head, git_commit_id(c));
		r->st->picked++;
		err = event(r, KSER_REBASE_PICKED, c, git_commit_id(c), true,
			    false);
		r->st->next++;
		goto done;
	}
	if (git_commit_parentcount(c))
		err = tree_of(&ptree, r->repo, git_commit_parent_id(c, 0));
	else if (git_oid_fromstr(&ptree, "4b825dc642cb6eb9a060e54bf8d69288"
				 "fbee4904") < 0)
		err = kser_error_git("cannot name the empty tree");
	if (!err)
		err = tree_of(&htree, r->repo, &r->st->head);
	if (err)
		goto done;
	subject = subject_of(c);
	if (!subject || git_object_short_id(&abbrev, (const git_object *)c)) {
		err = subject ? kser_error_git("cannot abbreviate") :
		      kser_error_nomem();
		goto done;
	}
	kser_buf_printf(&theirs, "%s (%s)", abbrev.ptr, subject);
	kser_buf_printf(&ancestor, "parent of %s", kser_buf_cstr(&theirs));
	if ((err = kser_buf_check(&theirs)) ||
	    (err = kser_buf_check(&ancestor)))
		goto done;
	mo.theirs_label = theirs.ptr;
	mo.ancestor_label = ancestor.ptr;
	err = rb_merge_trees(&mr, r->repo, &ptree, &htree,
			     git_commit_tree_id(c), &mo);
	if (err)
		goto done;
	if (!mr.clean) {
		err = stop(r, c, &mr, &mr.tree);
		*stopped = true;
		goto done;
	}
	empty_start = git_oid_equal(&ptree, git_commit_tree_id(c));
	if (git_oid_equal(&mr.tree, &htree) && !empty_start) {
		if (r->st->empty == KSER_REBASE_EMPTY_DROP) {
			r->st->dropped++;
			err = event(r, KSER_REBASE_DROPPED_EMPTY, c, NULL,
				    false, false);
			r->st->next++;
			goto done;
		}
		if (r->st->empty == KSER_REBASE_EMPTY_STOP) {
			err = stop(r, c, NULL, &htree);
			*stopped = true;
			goto done;
		}
	}
	err = make_commit(&oid, r, c, &mr.tree, &r->st->head, NULL);
	if (!err)
		err = record_pick(r, c, &ptree, &oid, &mr.tree, &htree,
				  mr.same_patch);
done:
	rb_crash_point("pick");
	git_buf_dispose(&abbrev);
	free(subject);
	kser_buf_release(&theirs);
	kser_buf_release(&ancestor);
	rb_merge_result_release(&mr);
	git_commit_free(c);
	return err;
}

static const struct kser_error *update_ref(git_repository *repo,
					   const char *name,
					   const git_oid *to,
					   const git_oid *from,
					   const char *log)
{
	git_reference *ref = NULL;
	int r;

	if (from)
		r = git_reference_create_matching(&ref, repo, name, to, 1,
						  from, log);
	else
		r = git_reference_create(&ref, repo, name, to, 1, log);
	git_reference_free(ref);
	if (r < 0)
		return kser_error_git("cannot update '%s'", name);
	return NULL;
}

/* Moves the branch: orig kept in refs/kser/rebase/NAME/orig, one CAS. */
static const struct kser_error *finish(struct run *r)
{
	struct rb_state *st = r->st;
	struct kser_buf name = KSER_BUF_INIT, log = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	git_reference *ref = NULL;
	git_oid otree, ntree;
	char hex[GIT_OID_HEXSZ + 1];

	if (st->phase != RB_PHASE_FINISHING) {
		st->phase = RB_PHASE_FINISHING;
		git_oid_cpy(&st->final, &st->head);
		if (st->branch_checked_out || st->wt != RB_WT_NONE)
			err = rb_state_write(r->repo, st);
		if (err)
			goto done;
	}
	rb_crash_point("finish");
	r->res->status = git_oid_equal(&st->final, &st->orig) ?
			 KSER_REBASE_UP_TO_DATE : KSER_REBASE_DONE;
	git_oid_cpy(&r->res->tip, &st->final);
	kser_buf_printf(&name, "refs/kser/rebase/%s/orig",
			st->branch + strlen("refs/heads/"));
	kser_buf_printf(&log, "rebase (finish): %s onto %s", st->branch,
			git_oid_tostr(hex, sizeof(hex), &st->onto));
	if ((err = kser_buf_check(&name)) || (err = kser_buf_check(&log)))
		goto done;
	if (r->res->status == KSER_REBASE_DONE) {
		git_reference_ensure_log(r->repo, name.ptr);
		err = update_ref(r->repo, name.ptr, &st->orig, NULL,
				 "kser rebase: the branch before");
		if (err)
			goto done;
	}
	if (git_reference_lookup(&ref, r->repo, st->branch) < 0) {
		err = kser_error_git("cannot read '%s'", st->branch);
		goto done;
	}
	if (!git_oid_equal(git_reference_target(ref), &st->final)) {
		if (!git_oid_equal(git_reference_target(ref), &st->orig)) {
			err = kser_error_fmt(KSER_ERR_EXISTS, "'%s' moved "
					     "during the rebase; it is left "
					     "alone, and the rebased commits "
					     "are at %s", st->branch,
					     git_oid_tostr(hex, sizeof(hex),
							   &st->final));
			goto done;
		}
		rb_crash_point("ref");
		err = update_ref(r->repo, st->branch, &st->final, &st->orig,
				 log.ptr);
		if (err)
			goto done;
	}
	rb_crash_point("ref-done");
	if (st->wt != RB_WT_NONE) {
		err = rb_wt_release(r->repo, st, false,
				    r->opts ? r->opts->cancel : NULL,
				    r->opts ? r->opts->cancel_arg : NULL);
	} else if (st->branch_checked_out &&
		   r->res->status == KSER_REBASE_DONE) {
		err = tree_of(&otree, r->repo, &st->orig);
		if (!err)
			err = tree_of(&ntree, r->repo, &st->final);
		if (!err)
			err = rb_wt_checkout(r->repo, &otree, &ntree, false);
	}
	rb_crash_point("checkout-done");
	if (!err)
		err = rb_state_remove(r->repo);
done:
	git_reference_free(ref);
	kser_buf_release(&name);
	kser_buf_release(&log);
	return err;
}

static const struct kser_error *cancelled(struct run *r)
{
	if (r->opts && r->opts->cancel)
		return r->opts->cancel(r->opts->cancel_arg);
	return NULL;
}

/* Picks from st->next to the end, then finishes, unless it stops. */
static const struct kser_error *run(struct run *r)
{
	const struct kser_error *err = NULL;
	bool stopped = false;

	while (!err && !stopped && r->st->next < r->st->nlist) {
		err = cancelled(r);
		if (!err)
			err = pick(r, &stopped);
	}
	if (!err && stopped && r->st->wt == RB_WT_NONE)
		err = kser_error_fmt(KSER_ERR_GENERIC, "stopped without a "
				     "work tree");
	if (!err && !stopped)
		err = finish(r);
	return err;
}

static const struct kser_error *peel(git_oid *out, git_repository *repo,
				     const char *rev, const char *what)
{
	git_object *o = NULL, *c = NULL;
	const struct kser_error *err = NULL;

	if (git_revparse_single(&o, repo, rev) < 0)
		return kser_error_git("cannot resolve %s '%s'", what, rev);
	if (git_object_peel(&c, o, GIT_OBJECT_COMMIT) < 0)
		err = kser_error_git("%s '%s' is not a commit", what, rev);
	else
		git_oid_cpy(out, git_object_id(c));
	git_object_free(c);
	git_object_free(o);
	return err;
}

static const struct kser_error *setup_run(struct run *r, git_repository *repo,
					  const struct kser_rebase_options *o,
					  struct rb_state *st)
{
	git_config *cfg = NULL;
	const char *style = NULL;
	const struct kser_error *err = NULL;

	memset(r, 0, sizeof(*r));
	r->repo = repo;
	r->opts = o;
	r->st = st;
	r->res = calloc(1, sizeof(*r->res));
	if (!r->res)
		return kser_error_nomem();
	if (o && o->committer) {
		r->who = o->committer;
	} else {
		err = kser_committer(&r->committer, repo);
		r->who = r->committer;
	}
	r->style = GIT_MERGE_FILE_STYLE_MERGE;
	if (!err && git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string(&style, cfg, "merge.conflictstyle") == 0) {
		if (!strcmp(style, "diff3"))
			r->style = GIT_MERGE_FILE_STYLE_DIFF3;
		else if (!strcmp(style, "zdiff3"))
			r->style = GIT_MERGE_FILE_STYLE_ZDIFF3;
	}
	git_config_free(cfg);
	return err;
}

static void end_run(struct run *r, struct kser_rebase_result **out,
		    const struct kser_error *err)
{
	if (!err && r->res) {
		r->res->branch = strdup(r->st->branch + strlen("refs/heads/"));
		git_oid_cpy(&r->res->orig, &r->st->orig);
		git_oid_cpy(&r->res->onto, &r->st->onto);
		r->res->picked = r->st->picked;
		r->res->dropped = r->st->dropped;
		r->res->changed_ids = r->st->changed;
		*out = r->res;
	} else {
		kser_rebase_result_free(r->res);
	}
	git_signature_free(r->committer);
}

/* rebase_list.c */
const struct kser_error *rb_list_commits(struct rb_state *st,
					 struct kser_rebase_result *res,
					 git_repository *repo,
					 const struct kser_rebase_options *o);

const struct kser_error *kser_rebase_start(struct kser_rebase_result **out,
					   git_repository *repo,
					   const struct kser_rebase_options *o)
{
	const struct kser_error *err;
	struct rb_lock lk = { NULL };
	struct rb_state st;
	struct run r;

	*out = NULL;
	rb_state_init(&st);
	if (!o || !o->onto)
		return kser_error_fmt(KSER_ERR_USAGE, "no new base: give "
				      "--onto REV");
	err = rb_lock_take(&lk, repo);
	if (err)
		return err;
	err = setup_run(&r, repo, o, &st);
	if (!err && rb_state_exists(repo))
		err = kser_error_fmt(KSER_ERR_EXISTS, "a kser rebase is "
				     "already in progress; use --continue, "
				     "--skip or --abort");
	if (!err)
		err = peel(&st.onto, repo, o->onto, "--onto");
	if (!err)
		err = rb_list_commits(&st, r.res, repo, o);
	if (!err) {
		st.empty = (int)o->empty;
		git_oid_cpy(&st.head, &st.onto);
		err = run(&r);
	}
	end_run(&r, out, err);
	rb_state_release(&st);
	rb_lock_release(&lk);
	return err;
}

static const struct kser_error *resume(struct kser_rebase_result **out,
				       git_repository *repo,
				       const struct kser_rebase_options *o,
				       bool skip)
{
	const struct kser_error *err;
	struct rb_lock lk = { NULL };
	struct rb_state st;
	git_commit *c = NULL;
	git_oid tree, htree, ptree, oid;
	struct run r;
	bool found;

	git_oid_fromstr(&ptree, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");

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
	err = setup_run(&r, repo, o, &st);
	if (err || st.phase == RB_PHASE_FINISHING) {
		if (!err)
			err = finish(&r);
		goto end;
	}
	if (git_commit_lookup(&c, repo, &st.list[st.next]) < 0) {
		err = kser_error_git("cannot read the stopped commit");
		goto end;
	}
	if (skip || st.phase == RB_PHASE_EMPTY) {
		if (st.phase == RB_PHASE_CONFLICT || st.phase == RB_PHASE_EMPTY)
			err = rb_wt_move(repo, &st, &st.head, true);
		st.dropped++;
		if (!err)
			err = event(&r, skip ? KSER_REBASE_SKIPPED :
				    KSER_REBASE_DROPPED_EMPTY, c, NULL, false,
				    false);
		st.next++;
	} else {
		err = rb_wt_resolution(&tree, repo, &st);
		if (!err)
			err = tree_of(&htree, repo, &st.head);
		if (!err && git_oid_equal(&tree, &htree)) {
			/* Resolved to nothing: dropped, as git does. */
			st.dropped++;
			err = rb_wt_move(repo, &st, &st.head, false);
			if (!err)
				err = event(&r, KSER_REBASE_DROPPED_EMPTY, c,
					    NULL, false, false);
			st.next++;
		} else if (!err) {
			git_buf msg = GIT_BUF_INIT;

			/* git rebase --continue commits through the
			 * editor: comments and extra blank lines go. */
			if (git_message_prettify(&msg,
						 git_commit_message_raw(c), 1,
						 '#') < 0)
				err = kser_error_git("cannot clean up the "
						     "message");
			if (!err)
				err = make_commit(&oid, &r, c, &tree, &st.head,
						  msg.ptr);
			git_buf_dispose(&msg);
			if (!err && git_commit_parentcount(c))
				err = tree_of(&ptree, repo,
					      git_commit_parent_id(c, 0));
			if (!err)
				err = record_pick(&r, c, &ptree, &oid, &tree,
						  &htree, false);
			if (!err)
				err = rb_wt_move(repo, &st, &oid, false);
		}
	}
	if (!err)
		err = rb_state_write(repo, &st);
	if (!err)
		err = run(&r);
end:
	end_run(&r, out, err);
done:
	git_commit_free(c);
	rb_state_release(&st);
	rb_lock_release(&lk);
	return err;
}

const struct kser_error *
kser_rebase_continue(struct kser_rebase_result **out, git_repository *repo,
		     const struct kser_rebase_options *o)
{
	return resume(out, repo, o, false);
}

const struct kser_error *kser_rebase_skip(struct kser_rebase_result **out,
					  git_repository *repo,
					  const struct kser_rebase_options *o)
{
	return resume(out, repo, o, true);
}
