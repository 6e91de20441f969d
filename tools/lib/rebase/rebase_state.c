// SPDX-License-Identifier: GPL-2.0
/*
 * The state of a stopped kser rebase, in the spirit of git am's
 * rebase-apply/: small text under the git directory, written before the
 * work tree is touched, so that --continue, --skip and --abort work after
 * a crash. It is core's operation state (kser/opstate.h) under
 * <common git dir>/kser/rebase/, all in one file replaced whole, so the
 * state is never half old and half new; core's lock file
 * (kser/lockfile.h) keeps two kser rebases apart. Uses core only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/lockfile.h"
#include "kser/opstate.h"
#include "kser/util.h"
#include "kser_lib_rebase.h"

#define STATE_OP "rebase"
#define STATE_FILE "state"

void rb_state_init(struct rb_state *st)
{
	memset(st, 0, sizeof(*st));
}

void rb_state_release(struct rb_state *st)
{
	size_t i;

	free(st->branch);
	free(st->list);
	free(st->wt_path);
	free(st->head_ref);
	for (i = 0; i < st->npaths; i++)
		free(st->paths[i]);
	free(st->paths);
	rb_state_init(st);
}

const struct kser_error *rb_state_add_path(struct rb_state *st,
					   const char *path)
{
	size_t alloc = st->npaths;
	const struct kser_error *err;
	char *p = strdup(path);

	if (!p)
		return kser_error_nomem();
	/* Grow one at a time: the count is small and alloc is not kept. */
	err = kser_array_grow((void **)&st->paths, &alloc, st->npaths,
			      sizeof(*st->paths), 1);
	if (err) {
		free(p);
		return err;
	}
	st->paths[st->npaths++] = p;
	return NULL;
}

const struct kser_error *rb_path(struct kser_buf *out, git_repository *repo,
				 const char *name)
{
	const char *common = git_repository_commondir(repo);
	size_t len = strlen(common);

	kser_buf_clear(out);
	kser_buf_printf(out, "%s%skser/%s", common,
			len && common[len - 1] == '/' ? "" : "/", name);
	return kser_buf_check(out);
}

static const struct kser_error *state_open(struct kser_opstate **out,
					   git_repository *repo)
{
	return kser_opstate_open(out, git_repository_commondir(repo),
				 STATE_OP);
}

static void put_oid(struct kser_buf *b, const char *key, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	kser_buf_printf(b, "%s %s\n", key, hex);
}

const struct kser_error *rb_state_write(git_repository *repo,
					const struct rb_state *st)
{
	struct kser_buf b = KSER_BUF_INIT;
	struct kser_opstate *os = NULL;
	const struct kser_error *err;
	size_t i;

	kser_buf_printf(&b, "kser-rebase 1\nphase %d\nbranch %s\n",
			(int)st->phase, st->branch);
	put_oid(&b, "orig", &st->orig);
	put_oid(&b, "onto", &st->onto);
	put_oid(&b, "upstream", &st->upstream);
	put_oid(&b, "head", &st->head);
	put_oid(&b, "final", &st->final);
	put_oid(&b, "head-tree", &st->head_tree);
	put_oid(&b, "wt-tree", &st->wt_tree);
	kser_buf_printf(&b, "next %zu\nempty %d\nwt %d\nchecked-out %d\n"
			"branch-checked-out %d\npicked %zu\ndropped %zu\n"
			"changed %zu\n", st->next, st->empty, (int)st->wt,
			(int)st->checked_out, (int)st->branch_checked_out,
			st->picked, st->dropped, st->changed);
	if (st->wt_path)
		kser_buf_printf(&b, "wt-path %s\n", st->wt_path);
	if (st->head_ref)
		kser_buf_printf(&b, "head-ref %s\n", st->head_ref);
	for (i = 0; i < st->npaths; i++)
		kser_buf_printf(&b, "path %s\n", st->paths[i]);
	for (i = 0; i < st->nlist; i++)
		put_oid(&b, "pick", &st->list[i]);
	kser_buf_puts(&b, "end\n");
	err = kser_buf_check(&b);
	if (!err)
		err = state_open(&os, repo);
	if (!err && !kser_opstate_in_progress(os))
		err = kser_opstate_begin(os);
	if (!err)
		err = kser_opstate_write(os, STATE_FILE, b.ptr, b.len);
	kser_opstate_free(os);
	kser_buf_release(&b);
	return err;
}

static bool get_oid(git_oid *out, const char *v)
{
	return git_oid_fromstr(out, v) == 0;
}

static const struct kser_error *parse_line(struct rb_state *st, char *line,
					   size_t *alloc)
{
	char *v = strchr(line, ' ');
	const struct kser_error *err;
	unsigned long long n;
	bool ok = true;

	if (!v)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "bad line '%s'",
				      line);
	*v++ = '\0';
	n = strtoull(v, NULL, 10);
	if (!strcmp(line, "phase"))
		st->phase = (enum rb_phase)n;
	else if (!strcmp(line, "branch"))
		ok = (st->branch = strdup(v)) != NULL;
	else if (!strcmp(line, "orig"))
		ok = get_oid(&st->orig, v);
	else if (!strcmp(line, "onto"))
		ok = get_oid(&st->onto, v);
	else if (!strcmp(line, "upstream"))
		ok = get_oid(&st->upstream, v);
	else if (!strcmp(line, "head"))
		ok = get_oid(&st->head, v);
	else if (!strcmp(line, "final"))
		ok = get_oid(&st->final, v);
	else if (!strcmp(line, "head-tree"))
		ok = get_oid(&st->head_tree, v);
	else if (!strcmp(line, "wt-tree"))
		ok = get_oid(&st->wt_tree, v);
	else if (!strcmp(line, "next"))
		st->next = (size_t)n;
	else if (!strcmp(line, "empty"))
		st->empty = (int)n;
	else if (!strcmp(line, "wt"))
		st->wt = (enum rb_wt)n;
	else if (!strcmp(line, "checked-out"))
		st->checked_out = n != 0;
	else if (!strcmp(line, "branch-checked-out"))
		st->branch_checked_out = n != 0;
	else if (!strcmp(line, "picked"))
		st->picked = (size_t)n;
	else if (!strcmp(line, "dropped"))
		st->dropped = (size_t)n;
	else if (!strcmp(line, "changed"))
		st->changed = (size_t)n;
	else if (!strcmp(line, "wt-path"))
		ok = (st->wt_path = strdup(v)) != NULL;
	else if (!strcmp(line, "head-ref"))
		ok = (st->head_ref = strdup(v)) != NULL;
	else if (!strcmp(line, "path"))
		return rb_state_add_path(st, v);
	else if (!strcmp(line, "pick")) {
		err = kser_array_grow((void **)&st->list, alloc, st->nlist,
				      sizeof(*st->list), 16);
		if (err)
			return err;
		ok = get_oid(&st->list[st->nlist++], v);
	}
	if (!ok)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "bad value of '%s'",
				      line);
	return NULL;
}

const struct kser_error *rb_state_read(struct rb_state *st, bool *found,
				       git_repository *repo)
{
	struct kser_buf path = KSER_BUF_INIT, b = KSER_BUF_INIT;
	struct kser_opstate *os = NULL;
	const struct kser_error *err;
	size_t alloc = 0;
	char *line, *save = NULL;
	bool ended = false;

	rb_state_init(st);
	*found = false;
	err = state_open(&os, repo);
	if (err)
		goto done;
	err = kser_path_join(&path, kser_opstate_dir(os), STATE_FILE);
	if (err || !kser_opstate_exists(os, STATE_FILE))
		goto done;
	err = kser_opstate_read(os, STATE_FILE, &b);
	if (err)
		goto done;
	if (strncmp(kser_buf_cstr(&b), "kser-rebase 1\n", 14)) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "'%s' is not a kser "
				     "rebase state", path.ptr);
		goto done;
	}
	for (line = strtok_r(b.ptr + 14, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "end"))
			ended = true;
		else
			err = parse_line(st, line, &alloc);
	}
	if (!err && (!ended || !st->branch || st->next > st->nlist))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "'%s' is damaged",
				     path.ptr);
	if (!err)
		*found = true;
	else
		err = kser_error_wrap(err, "cannot read the rebase state");
done:
	if (err)
		rb_state_release(st);
	kser_opstate_free(os);
	kser_buf_release(&path);
	kser_buf_release(&b);
	return err;
}

bool rb_state_exists(git_repository *repo)
{
	struct kser_opstate *os = NULL;
	bool found = false;

	if (!state_open(&os, repo))
		found = kser_opstate_exists(os, STATE_FILE);
	kser_opstate_free(os);
	return found;
}

const struct kser_error *rb_state_remove(git_repository *repo)
{
	struct kser_opstate *os = NULL;
	const struct kser_error *err;

	err = state_open(&os, repo);
	if (!err)
		err = kser_opstate_release(os);
	kser_opstate_free(os);
	return err;
}

const struct kser_error *rb_lock_take(struct rb_lock *lk,
				      git_repository *repo)
{
	struct kser_buf path = KSER_BUF_INIT;
	const struct kser_error *err;

	lk->lf = NULL;
	err = rb_path(&path, repo, "");
	if (!err)
		err = kser_mkdir_p(path.ptr);
	if (!err)
		err = rb_path(&path, repo, STATE_OP ".lock");
	if (!err)
		err = kser_lockfile_lock(&lk->lf, path.ptr);
	if (err && err->code == KSER_ERR_EXISTS)
		err = kser_error_wrap(err, "another kser rebase is running "
				      "in this repository");
	kser_buf_release(&path);
	return err;
}

void rb_lock_release(struct rb_lock *lk)
{
	/* Nothing to undo if it fails: the lock goes with the process. */
	kser_lockfile_unlock(lk->lf);
	lk->lf = NULL;
}

#ifdef KSER_TEST_HOOKS
void rb_crash_point(const char *where)
{
	static long count;
	const char *at = getenv("KSER_TEST_CRASH_AT");

	(void)where;
	if (at && ++count == strtol(at, NULL, 10))
		kill(getpid(), SIGKILL);
}
#endif
