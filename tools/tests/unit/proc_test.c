// SPDX-License-Identifier: GPL-2.0
/*
 * The child-process runner: exit codes, signals, timeouts, the output cap,
 * cancellation, and children that leave something behind holding the pipe.
 *
 * No test measures speed: the bounds only tell "returned" from "waited for
 * the 60 s sleep", which a shared machine cannot blur.
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
#include "kser/cancel.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "test_helpers.h"

/* Far below the 60 s the children sleep, far above any scheduling delay. */
#define RETURNED_SOON_MS 30000

static char tmpdir[] = "/tmp/kser-proc-XXXXXX";
static char pidfile[64];

/* Kills what a test left behind: the pids its children wrote down. */
static void kill_leftovers(void)
{
	FILE *f = fopen(pidfile, "r");
	int pid;

	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 1)
			kill(pid, SIGKILL);
	fclose(f);
	unlink(pidfile);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(pidfile, sizeof(pidfile), "%s/pids", tmpdir);
	setenv("PIDS", pidfile, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kill_leftovers();
	kser_remove_tree(tmpdir, NULL, NULL);
	return 0;
}

static int after_each(void **state)
{
	(void)state;
	kill_leftovers();
	return 0;
}

static void sh_job(struct kser_job *job, char **argv, const char *script,
		   uint64_t timeout_ms)
{
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = NULL;
	memset(job, 0, sizeof(*job));
	job->name = "test";
	job->argv = argv;
	job->timeout_ms = timeout_ms;
}

/* Runs one shell script; returns the milliseconds the call took. */
static uint64_t run_sh(struct kser_job *job, const char *script,
		       uint64_t timeout_ms, const struct kser_error **err)
{
	static char *argv[4];
	uint64_t t0 = kser_now_ms();

	sh_job(job, argv, script, timeout_ms);
	*err = kser_jobs_run(job, 1, NULL, NULL);
	return kser_now_ms() - t0;
}

static void exit_codes(void **state)
{
	static char *missing[] = { "/nonexistent/kser-no-such-program", NULL };
	const struct kser_error *err;
	struct kser_job job;

	(void)state;
	run_sh(&job, "echo out; echo err >&2; exit 3", 0, &err);
	assert_ok(err);
	assert_int_equal(job.status, 3);
	assert_false(job.timed_out);
	assert_false(job.cancelled);
	assert_string_equal(kser_buf_cstr(&job.tail), "out\nerr\n");
	kser_job_release(&job);

	run_sh(&job, "true", 0, &err);
	assert_ok(err);
	assert_int_equal(job.status, 0);
	kser_job_release(&job);

	memset(&job, 0, sizeof(job));
	job.name = "missing";
	job.argv = missing;
	assert_err(kser_jobs_run(&job, 1, NULL, NULL), KSER_ERR_ERRNO,
		   "cannot run '/nonexistent/kser-no-such-program'");
	assert_true(job.spawn_failed);
	kser_job_release(&job);
}

static void signals(void **state)
{
	const struct kser_error *err;
	struct kser_job job;
	struct sigaction ign, old;
	sigset_t term, oldmask;

	(void)state;
	run_sh(&job, "kill -SEGV $$", 0, &err);
	assert_ok(err);
	assert_int_equal(job.status, 128 + SIGSEGV);
	kser_job_release(&job);

	/*
	 * kser ignores SIGPIPE and may block signals: a child starts with
	 * the defaults all the same, or a shell could not be stopped.
	 */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &oldmask);
	run_sh(&job, "kill -PIPE $$; exit 0", 0, &err);
	assert_ok(err);
	assert_int_equal(job.status, 128 + SIGPIPE);
	kser_job_release(&job);
	run_sh(&job, "sleep 60", 500, &err);
	assert_ok(err);
	assert_true(job.timed_out);
	assert_int_equal(job.status, 128 + SIGTERM);
	kser_job_release(&job);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(SIGPIPE, &old, NULL);
}

static void timeout(void **state)
{
	const struct kser_error *err;
	struct kser_job job;
	uint64_t ms;

	(void)state;
	ms = run_sh(&job, "echo started; sleep 60", 1000, &err);
	assert_ok(err);
	assert_true(job.timed_out);
	assert_int_equal(job.status, 128 + SIGTERM);
	assert_true(ms >= 1000);
	assert_true(ms < RETURNED_SOON_MS);
	assert_string_equal(kser_buf_cstr(&job.tail), "started\n");
	kser_job_release(&job);

	/* Deaf to SIGTERM: SIGKILL follows. */
	ms = run_sh(&job, "trap '' TERM; sleep 60", 500, &err);
	assert_ok(err);
	assert_true(job.timed_out);
	assert_int_equal(job.status, 128 + SIGKILL);
	assert_true(ms < RETURNED_SOON_MS);
	kser_job_release(&job);

	/* Output that never stops does not keep the deadline away. */
	ms = run_sh(&job, "yes", 500, &err);
	assert_ok(err);
	assert_true(job.timed_out);
	assert_true(ms < RETURNED_SOON_MS);
	assert_true(job.output_bytes > 0);
	kser_job_release(&job);
}

/* A child that closes its output and goes on running is still timed. */
static void timeout_after_output_closed(void **state)
{
	const struct kser_error *err;
	struct kser_job job;
	uint64_t ms;

	(void)state;
	ms = run_sh(&job, "echo bye; exec >/dev/null 2>&1; sleep 60", 1000,
		    &err);
	assert_ok(err);
	assert_true(job.timed_out);
	assert_true(ms < RETURNED_SOON_MS);
	assert_string_equal(kser_buf_cstr(&job.tail), "bye\n");
	kser_job_release(&job);

	/* And its status is its own, not a guess at pipe EOF. */
	run_sh(&job, "exec >/dev/null 2>&1; sleep 0.3; exit 5", 0, &err);
	assert_ok(err);
	assert_int_equal(job.status, 5);
	kser_job_release(&job);
}

/* A background process in the child's group dies with the child. */
static void grandchild_in_group(void **state)
{
	const struct kser_error *err;
	struct kser_job job;
	uint64_t ms;

	(void)state;
	ms = run_sh(&job, "sleep 60 & echo $! >>\"$PIDS\"; echo done", 0, &err);
	assert_ok(err);
	assert_int_equal(job.status, 0);
	assert_false(job.timed_out);
	assert_true(ms < RETURNED_SOON_MS);
	assert_string_equal(kser_buf_cstr(&job.tail), "done\n");
	kser_job_release(&job);
}

/*
 * A grandchild that left the group (setsid) and keeps the pipe open: the
 * child's own exit decides, and reading stops soon after it.
 */
static void grandchild_setsid_holds_pipe(void **state)
{
	const struct kser_error *err;
	struct kser_job job;
	uint64_t ms;

	(void)state;
	ms = run_sh(&job, "setsid sleep 60 & echo $! >>\"$PIDS\"; echo done; "
		    "exit 0", 5000, &err);
	assert_ok(err);
	assert_int_equal(job.status, 0);
	assert_false(job.timed_out);
	assert_true(ms < RETURNED_SOON_MS);
	assert_string_equal(kser_buf_cstr(&job.tail), "done\n");
	kser_job_release(&job);

	/* The child hangs too: the timeout still works. */
	ms = run_sh(&job, "setsid sleep 60 & echo $! >>\"$PIDS\"; sleep 60",
		    1000, &err);
	assert_ok(err);
	assert_true(job.timed_out);
	assert_int_equal(job.status, 128 + SIGTERM);
	assert_true(ms < RETURNED_SOON_MS);
	kser_job_release(&job);
}

static void output_cap(void **state)
{
	static char *argv[4];
	struct kser_buf log = KSER_BUF_INIT;
	struct kser_job job;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/out.log", tmpdir);
	sh_job(&job, argv, "head -c 300000 /dev/zero | tr '\\0' x; echo END",
	       0);
	job.tail_cap = 4096;
	job.log_path = path;
	assert_ok(kser_jobs_run(&job, 1, NULL, NULL));
	assert_int_equal(job.status, 0);
	assert_int_equal(job.output_bytes, 300004);
	assert_int_equal(job.tail.len, 4096);
	assert_string_equal(kser_buf_cstr(&job.tail) + 4096 - 5, "xEND\n");
	/* The log has all of it. */
	assert_ok(kser_read_file(&log, path));
	assert_int_equal(log.len, 300004);
	kser_buf_release(&log);
	kser_job_release(&job);
}

/* A log that cannot be written (a full disk) is reported, not dropped. */
static void log_write_failure(void **state)
{
	static char *argv[4];
	struct kser_job job;

	(void)state;
	sh_job(&job, argv, "echo something; exit 0", 0);
	job.log_path = "/dev/full";
	assert_ok(kser_jobs_run(&job, 1, NULL, NULL));
	assert_int_equal(job.status, 0);
	assert_int_equal(job.log_errno, ENOSPC);
	assert_string_equal(kser_buf_cstr(&job.tail), "something\n");
	kser_job_release(&job);
}

static void several_at_once(void **state)
{
	static char *a[4], *b[4];
	struct kser_job jobs[2];
	uint64_t t0 = kser_now_ms();

	(void)state;
	sh_job(&jobs[0], a, "sleep 60", 1000);
	sh_job(&jobs[1], b, "echo hi; exit 4", 0);
	assert_ok(kser_jobs_run(jobs, 2, NULL, NULL));
	assert_true(kser_now_ms() - t0 < RETURNED_SOON_MS);
	assert_true(jobs[0].timed_out);
	assert_false(jobs[1].timed_out);
	assert_int_equal(jobs[1].status, 4);
	assert_string_equal(kser_buf_cstr(&jobs[1].tail), "hi\n");
	kser_job_release(&jobs[0]);
	kser_job_release(&jobs[1]);
}

struct canceller {
	uint64_t start;
	unsigned int after_ms[2];	/* 0: no such request */
	unsigned int requested;
	unsigned int ticks;
};

/* Plays the user pressing Ctrl-C after_ms[0], then after_ms[1] ms in. */
static const struct kser_error *cancel_tick(void *arg)
{
	struct canceller *c = arg;

	c->ticks++;
	while (c->requested < 2 && c->after_ms[c->requested] &&
	       kser_now_ms() - c->start >= c->after_ms[c->requested])
		c->requested++;
	return c->requested ? kser_error_cancelled(c->requested >= 2) : NULL;
}

static const struct kser_error *run_cancelled(struct kser_job *job,
					      const char *script,
					      unsigned int first,
					      unsigned int second,
					      uint64_t *ms)
{
	static char *argv[4];
	struct canceller c = { kser_now_ms(), { first, second }, 0, 0 };
	const struct kser_error *err;

	sh_job(job, argv, script, 0);
	job->kill_grace_ms = second ? 600000 : 0;
	err = kser_jobs_run(job, 1, cancel_tick, &c);
	*ms = kser_now_ms() - c.start;
	assert_true(c.ticks > 0);
	return err;
}

static void cancel(void **state)
{
	struct kser_job job;
	uint64_t ms;

	(void)state;
	assert_err(run_cancelled(&job, "sleep 60", 300, 0, &ms),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_true(job.cancelled);
	assert_false(job.timed_out);
	assert_true(ms < RETURNED_SOON_MS);
	kser_job_release(&job);

	/* Deaf to SIGTERM, and a grandchild holds the pipe. */
	assert_err(run_cancelled(&job, "trap '' TERM; setsid sleep 60 & "
				 "echo $! >>\"$PIDS\"; sleep 60", 300, 0, &ms),
		   KSER_ERR_CANCELLED, "interrupted");
	assert_true(job.cancelled);
	assert_int_equal(job.status, 128 + SIGKILL);
	assert_true(ms < RETURNED_SOON_MS);
	kser_job_release(&job);
}

/* The second interruption does not wait for the grace period. */
static void cancel_twice(void **state)
{
	const struct kser_error *err;
	struct kser_job job;
	uint64_t ms;

	(void)state;
	err = run_cancelled(&job, "trap '' TERM; sleep 60", 300, 600, &ms);
	assert_err(err, KSER_ERR_CANCELLED, "interrupted");
	assert_true(kser_error_cancel_is_hard(err));
	assert_true(job.cancelled);
	assert_int_equal(job.status, 128 + SIGKILL);
	assert_true(ms < RETURNED_SOON_MS);
	kser_job_release(&job);
}

static const struct kser_error *stop_now(void *arg)
{
	(void)arg;
	return kser_error_cancelled(false);
}

static void capture(void **state)
{
	char *hello[] = { "printf", "hello", NULL };
	char *slow[] = { "sleep", "60", NULL };
	struct kser_buf out = KSER_BUF_INIT;
	int status = -1;

	(void)state;
	assert_ok(kser_run_capture(&out, &status, hello, NULL, 10000, NULL,
				   NULL));
	assert_int_equal(status, 0);
	assert_string_equal(kser_buf_cstr(&out), "hello");
	assert_err(kser_run_capture(&out, &status, slow, NULL, 300, NULL,
				    NULL),
		   KSER_ERR_TIMEOUT, "'sleep' timed out");
	assert_err(kser_run_capture(&out, &status, slow, NULL, 0, stop_now,
				    NULL),
		   KSER_ERR_CANCELLED, "interrupted");
	kser_buf_release(&out);
}

static const struct kser_error *stop_with_reason(void *arg)
{
	(void)arg;
	return kser_error_fmt(KSER_ERR_GENERIC, "the caller has had enough");
}

/* The caller's error is what stops the jobs and what comes back. */
static void cancel_with_own_error(void **state)
{
	static char *argv[4];
	struct kser_job job;

	(void)state;
	sh_job(&job, argv, "sleep 60", 0);
	assert_err(kser_jobs_run(&job, 1, stop_with_reason, NULL),
		   KSER_ERR_GENERIC, "the caller has had enough");
	assert_true(job.cancelled);
	assert_int_equal(job.status, 128 + SIGTERM);
	kser_job_release(&job);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(exit_codes, after_each),
		cmocka_unit_test_teardown(signals, after_each),
		cmocka_unit_test_teardown(timeout, after_each),
		cmocka_unit_test_teardown(timeout_after_output_closed,
					  after_each),
		cmocka_unit_test_teardown(grandchild_in_group, after_each),
		cmocka_unit_test_teardown(grandchild_setsid_holds_pipe,
					  after_each),
		cmocka_unit_test_teardown(output_cap, after_each),
		cmocka_unit_test_teardown(log_write_failure, after_each),
		cmocka_unit_test_teardown(several_at_once, after_each),
		cmocka_unit_test_teardown(cancel, after_each),
		cmocka_unit_test_teardown(cancel_twice, after_each),
		cmocka_unit_test_teardown(capture, after_each),
		cmocka_unit_test_teardown(cancel_with_own_error, after_each),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
