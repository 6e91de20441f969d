// SPDX-License-Identifier: GPL-2.0
/*
 * What a run tells its caller: the events of kser_verify_options, notes,
 * and ticks every ~200 ms while children run or the checkout moves; and
 * results stored as they come. Uses the run's context, the cache
 * (cache.c), child processes and kser's checkout.
 */
#include <stdarg.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/worktree.h"
#include "kser_lib_verify.h"

#define TICK_MS 200

static void emit(struct verify_ctx *c, enum kser_verify_event ev,
		 size_t row, size_t check, const char *note)
{
	if (c->opts->event)
		c->opts->event(ev, c->rep, row, check, note, c->opts->event_arg);
}

void verify_emit(struct verify_ctx *c, enum kser_verify_event ev, size_t row,
		 size_t check)
{
	emit(c, ev, row, check, NULL);
}

void verify_note(struct verify_ctx *c, const char *fmt, ...)
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

static void tick(void *arg)
{
	struct verify_ctx *c = arg;

	c->last_tick_ms = kser_now_ms();
	emit(c, KSER_VERIFY_EVENT_TICK, c->busy_row, c->busy_check, NULL);
}

/* Ticks while the checkout moves, as the runner ticks while jobs run. */
static const struct kser_error *checkout_progress(size_t done, size_t total,
						  void *arg)
{
	struct verify_ctx *c = arg;

	(void)done;
	(void)total;
	if (kser_now_ms() - c->last_tick_ms >= TICK_MS)
		tick(c);
	return NULL;
}

const struct kser_error *verify_run_jobs(struct verify_ctx *c,
					 struct kser_job *jobs, size_t n)
{
	return kser_jobs_run(jobs, n, tick, c);
}

const struct kser_error *verify_checkout(struct verify_ctx *c,
					 const git_oid *tree)
{
	size_t written;

	return kser_worktree_move(c->st.wt, tree, &written, checkout_progress,
				  c);
}

void verify_store(struct verify_ctx *c, size_t row, size_t check)
{
	const struct kser_error *err =
		verify_cache_store(c->repo, &c->rep->rows[row].results[check]);

	if (err)
		verify_note(c, "cannot cache a result: %s", err->msg);
}
