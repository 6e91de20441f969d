/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_PROC_H
#define KSER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kser/buf.h"

struct kser_error;

/*
 * Child processes: started with posix_spawn and an argument vector (never a
 * shell string), each in its own process group so that a timeout or an
 * interruption stops everything it started. Output (stdout and stderr,
 * merged) goes to a log file in full and to an in-memory buffer capped at
 * tail_cap bytes, of which the last ones are kept.
 *
 * A job ends when its child exits, whatever holds the pipe: deadlines are
 * kept by the clock and the child's own exit (a pidfd, or waitpid with
 * WNOHANG), never by the end of its output. When the child exits, what
 * is left of its process group is killed, and output is read for a short
 * grace more, so that a grandchild that left the group (setsid) and keeps
 * the pipe open cannot hold the job up.
 */
struct kser_job {
	/* Set by the caller. */
	const char *name;		/* for messages */
	char *const *argv;
	const char *cwd;		/* NULL: the current directory */
	char *const *env;		/* NULL: the current environment */
	const char *log_path;		/* NULL: no log file */
	size_t tail_cap;		/* 0: 64 KiB */
	uint64_t timeout_ms;		/* 0: none */
	uint64_t kill_grace_ms;		/* SIGTERM to SIGKILL; 0: 2 s */

	/* Set by kser_jobs_run(). */
	int status;			/* exit status, or 128 + signal */
	bool timed_out;			/* killed for its timeout */
	bool cancelled;			/* killed for an interruption */
	bool spawn_failed;
	int log_errno;			/* writing the log failed: why */
	double seconds;
	struct kser_buf tail;		/* the last tail_cap bytes of output */
	size_t output_bytes;

	/* Private. */
	int pid, fd, log_fd, pidfd;
	uint64_t start_ms, kill_at_ms, drain_until_ms;
	bool exited, done;
};

void kser_job_release(struct kser_job *job);

/* Called about every 200 ms while jobs run. */
typedef void (*kser_jobs_tick_fn)(void *arg);

/*
 * Runs the jobs concurrently and waits for all of them. A job that runs
 * out of time is killed (SIGTERM to its group, SIGKILL kill_grace_ms
 * later) and marked timed_out; on cancellation (kser_cancel_requested)
 * every job still running is killed the same way, marked cancelled, and
 * the call returns KSER_ERR_CANCELLED; a second request
 * (kser_cancel_forced) kills them with SIGKILL at once and stops reading.
 * A job that exits with a non-zero status is not an error here: look at
 * job->status (and at job->log_errno, for a log that could not be
 * written).
 */
const struct kser_error *kser_jobs_run(struct kser_job *jobs, size_t n,
				       kser_jobs_tick_fn tick, void *arg);

/* Runs one command and returns its output (up to cap bytes). */
const struct kser_error *kser_run_capture(struct kser_buf *out, int *status,
					  char *const *argv, const char *cwd,
					  uint64_t timeout_ms);

/* Looks a program up in PATH; true if it is there and executable. */
bool kser_which(const char *prog, struct kser_buf *path);

/* Milliseconds on a monotonic clock. */
uint64_t kser_now_ms(void);

#endif
