// SPDX-License-Identifier: GPL-2.0
/*
 * What a run tells its caller and asks it: the events of
 * kser_verify_options, notes, ticks every ~200 ms while children run or
 * the checkout moves, and whether to stop (its cancel callback, or an
 * error of the event callback); and results stored as they come. Uses the
 * run's context, the cache (cache.c), child processes and kser's
 * checkout.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

#define TICK_MS 200

/* Keeps why the run stops: the first error, and a hard stop from any. */
static void stop_with(struct verify_ctx *c, const struct kser_error *err)
{
	if (kser_error_cancel_is_hard(err))
		c->stop_hard = true;
	if (c->stopped)
		return;
	c->stopped = true;
	c->stop_code = err->code;
	c->stop_msg = strdup(err->msg);
}

const struct kser_error *verify_stop(struct verify_ctx *c)
{
	const struct kser_error *err = c->opts->cancel_cb ?
		c->opts->cancel_cb(c->opts->cancel_arg) : NULL;

	if (err)
		stop_with(c, err);
	return c->stopped ? kser_error_cancelled(c->stop_hard) : NULL;
}

const struct kser_error *verify_stop_cb(void *arg)
{
	return verify_stop(arg);
}

const struct kser_error *verify_stop_error(struct verify_ctx *c,
					   const struct kser_error *err)
{
	if (err && err->code == KSER_ERR_CANCELLED && c->stopped)
		err = c->stop_msg ? kser_error_fmt(c->stop_code, "%s",
						   c->stop_msg) :
		      kser_error_nomem();
	free(c->stop_msg);
	c->stop_msg = NULL;
	c->stopped = c->stop_hard = false;
	return err;
}

static void emit(struct verify_ctx *c, enum kser_verify_event ev,
		 size_t row, size_t check, const char *note)
{
	const struct kser_error *err;

	if (!c->opts->event)
		return;
	err = c->opts->event(ev, c->rep, row, check, note,
			     c->opts->event_arg);
	if (err)
		stop_with(c, err);
}

void verify_emit(struct verify_ctx *c, enum kser_verify_event ev, size_t row,
		 size_t check)
{
	emit(c, ev, row, check, NULL);
}

/* A message for the user (KSER_VERIFY_EVENT_NOTE). */
static void note(struct verify_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct verify_ctx *c, const char *fmt, ...)
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

void verify_busy(struct verify_ctx *c, size_t row, size_t check)
{
	c->busy_row = row;
	c->busy_check = check;
}

/* A tick, when the last is TICK_MS old. */
void verify_tick(struct verify_ctx *c)
{
	uint64_t now = kser_now_ms();

	if (now - c->last_tick_ms < TICK_MS)
		return;
	c->last_tick_ms = now;
	emit(c, KSER_VERIFY_EVENT_TICK, c->busy_row, c->busy_check, NULL);
}

/* The runner wakes: a tick now and then, and a stop when there is one. */
static const struct kser_error *jobs_wake(void *arg)
{
	struct verify_ctx *c = arg;

	verify_tick(c);
	if (c->on_wake)
		c->on_wake(c);
	return verify_stop(c);
}

/* Ticks while the checkout moves, as the runner ticks while jobs run. */
static const struct kser_error *checkout_progress(size_t done, size_t total,
						  void *arg)
{
	(void)done;
	(void)total;
	verify_tick(arg);
	return NULL;
}

const struct kser_error *verify_run_jobs(struct verify_ctx *c,
					 struct kser_job *jobs, size_t n)
{
	/* The first tick comes TICK_MS after the jobs start. */
	c->last_tick_ms = kser_now_ms();
	return kser_jobs_run(jobs, n, jobs_wake, c);
}

const struct kser_error *verify_checkout(struct verify_ctx *c,
					 const git_oid *tree)
{
	size_t written;

	return kser_worktree_move(c->st.wt, tree, &written, checkout_progress,
				  c, verify_stop_cb, c);
}

void verify_store(struct verify_ctx *c, size_t row, size_t check)
{
	const struct kser_error *err =
		verify_cache_store(c->repo, &c->rep->rows[row].results[check]);

	if (err)
		note(c, "cannot cache a result: %s", err->msg);
}
