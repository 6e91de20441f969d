/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_PROC_H
#define KSER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kser/buf.h"
#include "kser/cancel.h"

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
	bool cancelled;			/* killed because the run was stopped */
	bool spawn_failed;
	int log_errno;			/* writing the log failed: why */
	double seconds;
	struct kser_buf tail;		/* the last tail_cap bytes of output */
	size_t output_bytes;
};

/* Frees what kser_jobs_run() left in job (its tail); not the job itself. */
void kser_job_release(struct kser_job *job);

/*
 * Runs the n jobs concurrently and waits for all of them.
 *
 * A job that runs out of time is killed (SIGTERM to its group, SIGKILL
 * kill_grace_ms later) and marked timed_out. A job that exits with a
 * non-zero status is not an error here: look at job->status (and at
 * job->log_errno, for a log that could not be written).
 *
 * cancel (may be NULL) is called each time the runner wakes: at least
 * every 200 ms, at once when a signal interrupts its wait, and as output
 * comes; it is the caller's moment for progress too. When it returns an
 * error, every job still running is killed the same way and marked
 * cancelled, and once they have all exited the call returns the error
 * cancel returned last. cancel is asked on while they stop: an error for
 * which kser_error_cancel_is_hard() is true (a second Ctrl-C) kills them
 * with SIGKILL at once and stops reading their output.
 */
const struct kser_error *kser_jobs_run(struct kser_job *jobs, size_t n,
				       kser_cancel_cb cancel, void *cancel_arg);

/*
 * Runs one command (argv, in cwd or the current directory) and puts its
 * output, up to 1 MiB of its end, in out, and its exit status in *status.
 * An error when it cannot run, outlives timeout_ms (0: no limit;
 * KSER_ERR_TIMEOUT) or is stopped by cancel (may be NULL), as
 * kser_jobs_run() stops jobs.
 */
const struct kser_error *kser_run_capture(struct kser_buf *out, int *status,
					  char *const *argv, const char *cwd,
					  uint64_t timeout_ms,
					  kser_cancel_cb cancel,
					  void *cancel_arg);

/*
 * Looks prog up in PATH (or takes it as it is when it holds a '/'); true
 * if it is there and executable. With path not NULL, puts where it is.
 */
bool kser_which(const char *prog, struct kser_buf *path);

/* Milliseconds on a monotonic clock. */
uint64_t kser_now_ms(void);

#endif
