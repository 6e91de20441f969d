// SPDX-License-Identifier: GPL-2.0
/*
 * checkpatch for every patch of a run at once. checkpatch.pl needs no
 * build: its result is the patch's and the tree's, so it runs from the
 * start of the run, as many at once as there are cores to spare, beside
 * the builds instead of beside its own row's build only.
 *
 * checkpatch.pl reads the tree it checks a patch against (MAINTAINERS,
 * the headers for CamelCase, the files a patch names), so each worker has
 * a checkout of its own (state dir/checkpatch-N), moved to each row's
 * tree as the main checkout is for builds: the result is what it was
 * beside the row's build. The patches are written out and the jobs made
 * on the run's thread; a worker thread only moves its checkout and runs
 * processes, with its own repository handle; results are read back on
 * the run's thread (verify_cpool_reap()), which tells the caller and
 * stores them.
 *
 * Uses the run's context, the checkpatch check (checkpatch.c), the events
 * (events.c), how children end (outcome.c), kser's checkout, libgit2 and
 * the core.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

#define MAX_WORKERS 4

enum item_state { ITEM_WAITING, ITEM_RUNNING, ITEM_DONE, ITEM_REAPED };

struct cpool_item {
	size_t row;
	struct verify_checkpatch cj;
	struct kser_job job;
	_Atomic int state;
	bool announced;
	/* What stopped it, copied out of the worker's error ring. */
	int err_code;
	bool err_hard;
	char *err_msg;
};

struct cpool_worker {
	struct verify_cpool *pool;
	pthread_t thread;
	bool started;
	size_t index;
};

struct verify_cpool {
	struct verify_ctx *c;
	size_t check;
	struct cpool_item *items;
	size_t nitems;
	struct cpool_worker workers[MAX_WORKERS];
	size_t nworkers;
	pthread_mutex_t mu;
	size_t next;		/* under mu */
	_Atomic int stop;	/* 0, 1: stop, 2: stop at once */
	char *repo_path;
	char *state_dir;
};

static const struct kser_error *pool_cancel(void *arg)
{
	struct verify_cpool *p = arg;
	int s = atomic_load(&p->stop);

	return s ? kser_error_cancelled(s > 1) : NULL;
}

static void keep_error(struct cpool_item *it, const struct kser_error *err)
{
	if (!err || it->err_msg)
		return;
	it->err_code = err->code;
	it->err_hard = kser_error_cancel_is_hard(err);
	it->err_msg = strdup(err->msg);
}

static void *worker_main(void *arg)
{
	struct cpool_worker *w = arg;
	struct verify_cpool *p = w->pool;
	git_repository *repo = NULL;
	struct kser_worktree *wt = NULL;
	const struct kser_error *err = NULL;
	struct kser_buf dir = KSER_BUF_INIT;
	sigset_t all;

	/* Signals are for the run's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	kser_buf_printf(&dir, "%s/checkpatch-%zu", p->state_dir, w->index);
	if (kser_buf_check(&dir))
		err = kser_error_nomem();
	else if (git_repository_open(&repo, p->repo_path) < 0)
		err = kser_error_git("cannot open '%s'", p->repo_path);
	else
		err = kser_worktree_open(&wt, repo, dir.ptr);
	for (;;) {
		struct cpool_item *it;
		size_t i;
		size_t written;

		pthread_mutex_lock(&p->mu);
		i = p->next < p->nitems ? p->next++ : SIZE_MAX;
		pthread_mutex_unlock(&p->mu);
		if (i == SIZE_MAX)
			break;
		it = &p->items[i];
		atomic_store(&it->state, ITEM_RUNNING);
		if (!err && atomic_load(&p->stop))
			keep_error(it, pool_cancel(p));
		else if (err)
			keep_error(it, err);
		if (!it->err_msg) {
			const struct kser_error *e = kser_worktree_move(
				wt, &p->c->rep->rows[it->row].tree, &written,
				NULL, NULL, pool_cancel, p);

			if (e) {
				keep_error(it, e);
			} else {
				it->job.cwd = kser_worktree_path(wt);
				verify_checkpatch_forget_camelcase(it->job.cwd);
				keep_error(it, kser_jobs_run(&it->job, 1,
							     pool_cancel, p));
			}
		}
		atomic_store(&it->state, ITEM_DONE);
	}
	kser_worktree_free(wt);
	git_repository_free(repo);
	kser_buf_release(&dir);
	return NULL;
}

/* Reaps what is done; with wait, everything, once the workers end. */
void verify_cpool_reap(struct verify_ctx *c, bool wait)
{
	struct verify_cpool *p = c->cpool;
	size_t i;

	if (!p)
		return;
	if (wait) {
		for (i = 0; i < p->nworkers; i++)
			if (p->workers[i].started) {
				pthread_join(p->workers[i].thread, NULL);
				p->workers[i].started = false;
			}
	}
	for (i = 0; i < p->nitems; i++) {
		struct cpool_item *it = &p->items[i];
		struct kser_verify_result *res =
			&c->rep->rows[it->row].results[p->check];
		int st = atomic_load(&it->state);

		if (st == ITEM_REAPED)
			continue;
		if (st >= ITEM_RUNNING && !it->announced) {
			it->announced = true;
			res->status = KSER_VERIFY_RUNNING;
			verify_emit(c, KSER_VERIFY_EVENT_CHECK_START, it->row,
				    p->check);
		}
		if (st == ITEM_WAITING && wait) {
			/* Never started: the run stopped first. */
			res->status = KSER_VERIFY_PENDING;
			atomic_store(&it->state, ITEM_REAPED);
			continue;
		}
		if (st != ITEM_DONE)
			continue;
		{
			const struct kser_error *err = it->err_msg ?
				(it->err_code == KSER_ERR_CANCELLED ?
				 kser_error_cancelled(it->err_hard) :
				 kser_error_fmt(it->err_code, "%s",
						it->err_msg)) : NULL;

			if (verify_finished_anyway(err, &it->job))
				verify_checkpatch_finish(c, it->row, p->check,
							 &it->job);
			else
				verify_fail(res, err);
		}
		verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, it->row, p->check);
		kser_job_release(&it->job);
		verify_checkpatch_release(&it->cj);
		atomic_store(&it->state, ITEM_REAPED);
	}
}

const struct kser_error *verify_cpool_wait(struct verify_ctx *c)
{
	struct verify_cpool *p = c->cpool;
	const struct kser_error *err = NULL;

	while (p) {
		size_t i, running = SIZE_MAX;
		bool all = true;

		verify_cpool_reap(c, false);
		for (i = 0; i < p->nitems; i++) {
			int st = atomic_load(&p->items[i].state);

			if (st < ITEM_DONE)
				all = false;
			if (st == ITEM_RUNNING && running == SIZE_MAX)
				running = p->items[i].row;
		}
		if (all)
			break;
		if (!err) {
			err = verify_stop(c);
			if (err)
				verify_cpool_stop(c, kser_error_cancel_is_hard(
							     err));
		} else if (c->stop_hard) {
			verify_cpool_stop(c, true);
		}
		if (running != SIZE_MAX) {
			verify_busy(c, running, p->check);
			verify_tick(c);
		}
		usleep(50000);
	}
	verify_cpool_reap(c, true);
	return err;
}

void verify_cpool_stop(struct verify_ctx *c, bool hard)
{
	if (c->cpool)
		atomic_store(&c->cpool->stop, hard ? 2 : 1);
}

void verify_cpool_free(struct verify_ctx *c)
{
	struct verify_cpool *p = c->cpool;
	size_t i;

	if (!p)
		return;
	verify_cpool_stop(c, true);
	verify_cpool_reap(c, true);
	for (i = 0; i < p->nitems; i++) {
		kser_job_release(&p->items[i].job);
		verify_checkpatch_release(&p->items[i].cj);
		free(p->items[i].err_msg);
	}
	free(p->items);
	pthread_mutex_destroy(&p->mu);
	free(p->repo_path);
	free(p->state_dir);
	free(p);
	c->cpool = NULL;
}

/* The run's thread, woken while its children run: what is done. */
static void pool_wake(struct verify_ctx *c)
{
	verify_cpool_reap(c, false);
}

const struct kser_error *verify_cpool_start(struct verify_ctx *c,
					    size_t check)
{
	struct verify_cpool *p;
	const struct kser_error *err = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, n = 0, want;

	for (i = 1; i < c->rep->nrows; i++)
		if (c->rep->rows[i].results[check].status ==
		    KSER_VERIFY_PENDING)
			n++;
	if (!n)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return kser_error_nomem();
	p->items = calloc(n, sizeof(*p->items));
	p->repo_path = strdup(git_repository_path(c->repo));
	p->state_dir = strdup(c->st.dir);
	if (!p->items || !p->repo_path || !p->state_dir) {
		free(p->items);
		free(p->repo_path);
		free(p->state_dir);
		free(p);
		return kser_error_nomem();
	}
	pthread_mutex_init(&p->mu, NULL);
	p->c = c;
	p->check = check;
	c->cpool = p;
	for (i = 1; i < c->rep->nrows; i++) {
		struct kser_verify_result *res = &c->rep->rows[i].results[check];
		struct cpool_item *it;

		if (res->status != KSER_VERIFY_PENDING)
			continue;
		it = &p->items[p->nitems];
		it->row = i;
		err = verify_checkpatch_prepare(c, i, check, &it->cj, &it->job);
		if (err) {
			res->status = KSER_VERIFY_ERROR;
			verify_summary(res, "%s", err->msg);
			verify_emit(c, KSER_VERIFY_EVENT_CHECK_DONE, i, check);
			verify_checkpatch_release(&it->cj);
			err = NULL;
			continue;
		}
		p->nitems++;
	}
	/* One core for the builds, the others for checkpatch. */
	want = ncpu > 1 ? (size_t)ncpu - 1 : 1;
	if (want > MAX_WORKERS)
		want = MAX_WORKERS;
	if (want > p->nitems)
		want = p->nitems;
	for (i = 0; i < want; i++) {
		struct cpool_worker *w = &p->workers[i];

		w->pool = p;
		w->index = i;
		if (pthread_create(&w->thread, NULL, worker_main, w)) {
			err = kser_error_errno("cannot start a thread");
			break;
		}
		w->started = true;
		p->nworkers++;
	}
	if (err) {
		verify_cpool_free(c);
		return err;
	}
	c->on_wake = pool_wake;
	return NULL;
}
