// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/util.h"

extern char **environ;

/* SIGTERM, then SIGKILL this much later. */
#define KILL_GRACE_MS 2000
/* Output still read after the child exited, for what is in flight. */
#define DRAIN_GRACE_MS 500
#define TICK_MS 200

uint64_t kser_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void kser_job_release(struct kser_job *job)
{
	kser_buf_release(&job->tail);
}

bool kser_which(const char *prog, struct kser_buf *path)
{
	const char *p = getenv("PATH");
	struct kser_buf tmp = KSER_BUF_INIT;
	bool found = false;

	if (strchr(prog, '/')) {
		found = access(prog, X_OK) == 0;
		if (found && path) {
			kser_buf_clear(path);
			kser_buf_puts(path, prog);
		}
		return found;
	}
	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p && !found) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		kser_buf_clear(&tmp);
		kser_buf_printf(&tmp, "%.*s/%s", (int)(len ? len : 1),
				len ? p : ".", prog);
		if (!kser_buf_check(&tmp) && stat(tmp.ptr, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(tmp.ptr, X_OK) == 0) {
			found = true;
			if (path) {
				kser_buf_clear(path);
				kser_buf_puts(path, tmp.ptr);
			}
		}
		p += len + (colon ? 1 : 0);
		if (!colon)
			break;
	}
	kser_buf_release(&tmp);
	return found;
}

/* Keeps the last cap bytes of everything appended. */
static void tail_append(struct kser_buf *tail, size_t cap, const char *data,
			size_t len)
{
	if (len >= cap) {
		kser_buf_clear(tail);
		kser_buf_put(tail, data + len - cap, cap);
		return;
	}
	if (tail->len + len > cap) {
		size_t drop = tail->len + len - cap;

		memmove(tail->ptr, tail->ptr + drop, tail->len - drop);
		tail->len -= drop;
		tail->ptr[tail->len] = '\0';
	}
	kser_buf_put(tail, data, len);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static void job_close(struct kser_job *job)
{
	if (job->fd >= 0)
		close(job->fd);
	if (job->log_fd >= 0)
		close(job->log_fd);
	if (job->pidfd >= 0)
		close(job->pidfd);
	job->fd = job->log_fd = job->pidfd = -1;
}

static const struct kser_error *job_start(struct kser_job *job)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int pipefd[2] = { -1, -1 }, r;
	pid_t pid;

	if (job->log_path) {
		job->log_fd = open(job->log_path,
				   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				   0644);
		if (job->log_fd < 0)
			return kser_error_errno("cannot create '%s'",
						job->log_path);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		const struct kser_error *err =
			kser_error_errno("cannot create a pipe");

		job_close(job);
		return err;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	if (job->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, job->cwd);
	posix_spawnattr_init(&attr);
	/* Its own process group, default signals, nothing blocked. */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETSIGMASK);
	r = posix_spawnp(&pid, job->argv[0], &fa, &attr, job->argv,
			 job->env ? job->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pipefd[1]);
	if (r) {
		const struct kser_error *err;

		close(pipefd[0]);
		job_close(job);
		errno = r;
		job->spawn_failed = true;
		err = kser_error_errno("cannot run '%s'", job->argv[0]);
		return err;
	}
	job->pid = pid;
	job->fd = pipefd[0];
	job->start_ms = kser_now_ms();
	fcntl(job->fd, F_SETFL, O_NONBLOCK);
	/* Without a pidfd (old kernels), the loop polls waitpid instead. */
	job->pidfd = open_pidfd(pid);
	return NULL;
}

static void job_kill(struct kser_job *job, int sig)
{
	/* Only while the child is unreaped: its group ID is still its own. */
	if (job->pid > 0 && !job->exited)
		kill(-job->pid, sig);
}

static void log_write(struct kser_job *job, const char *p, size_t len)
{
	if (job->log_fd < 0 || !len)
		return;
	if (kser_write_all(job->log_fd, p, len) < 0) {
		/* A full disk: say so rather than keep half a log. */
		job->log_errno = errno;
		close(job->log_fd);
		job->log_fd = -1;
	}
}

/*
 * Reads what is there, a bounded amount so that a child that writes
 * without pause cannot keep the loop from its clocks; closes the pipe at
 * its end.
 */
static void job_read(struct kser_job *job)
{
	char buf[65536];
	size_t cap = job->tail_cap ? job->tail_cap : 65536;
	int rounds;

	for (rounds = 0; job->fd >= 0 && rounds < 16; rounds++) {
		ssize_t n = read(job->fd, buf, sizeof(buf));

		if (n > 0) {
			job->output_bytes += (size_t)n;
			tail_append(&job->tail, cap, buf, (size_t)n);
			log_write(job, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(job->fd);
		job->fd = -1;
	}
}

/*
 * Reaps the child if it has exited. Before reaping, while the zombie
 * still holds its process group ID, whatever it left in its group is
 * killed; then output is read for a short grace only (none when forced).
 */
static void job_check_exit(struct kser_job *job, uint64_t now, bool forced)
{
	siginfo_t si;
	int st = 0;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)job->pid, &si,
		   WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return;
	kill(-job->pid, SIGKILL);
	while (waitpid(job->pid, &st, 0) < 0 && errno == EINTR)
		;
	job->exited = true;
	job->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		      WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	job->seconds = (double)(now - job->start_ms) / 1000.0;
	job->kill_at_ms = 0;
	job->drain_until_ms = forced ? now : now + DRAIN_GRACE_MS;
	if (job->pidfd >= 0)
		close(job->pidfd);
	job->pidfd = -1;
}

static void job_finish(struct kser_job *job)
{
	job_close(job);
	job->done = true;
}

/* Kills and reaps what was started, after an error. */
static void jobs_abort(struct kser_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct kser_job *j = &jobs[i];
		int st;

		if (j->done)
			continue;
		if (!j->exited && j->pid > 0) {
			kill(-j->pid, SIGKILL);
			while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
				;
			j->exited = true;
			j->status = 128 + SIGKILL;
		}
		job_finish(j);
	}
}

static uint64_t grace_of(const struct kser_job *job)
{
	return job->kill_grace_ms ? job->kill_grace_ms : KILL_GRACE_MS;
}

/* The milliseconds until something is due: a deadline, a kill, a drain. */
static int next_wait(const struct kser_job *jobs, size_t n, uint64_t now)
{
	uint64_t wait = TICK_MS, due;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kser_job *j = &jobs[i];

		if (j->done)
			continue;
		due = UINT64_MAX;
		if (j->exited)
			due = j->drain_until_ms;
		else if (j->kill_at_ms)
			due = j->kill_at_ms;
		else if (j->timeout_ms && !j->timed_out && !j->cancelled)
			due = j->start_ms + j->timeout_ms;
		if (due != UINT64_MAX)
			wait = due <= now ? 0 : due - now < wait ? due - now :
			       wait;
	}
	return (int)wait;
}

const struct kser_error *kser_jobs_run(struct kser_job *jobs, size_t n,
				       kser_jobs_tick_fn tick, void *arg)
{
	const struct kser_error *err = NULL;
	struct pollfd *pfd;
	size_t i, *owner;
	uint64_t last_tick = kser_now_ms();
	bool cancelled = false, forced = false;

	pfd = calloc(n ? 2 * n : 1, sizeof(*pfd));
	owner = calloc(n ? 2 * n : 1, sizeof(*owner));
	if (!pfd || !owner) {
		free(pfd);
		free(owner);
		return kser_error_nomem();
	}
	for (i = 0; i < n; i++) {
		struct kser_job *j = &jobs[i];

		j->pid = j->fd = j->log_fd = j->pidfd = -1;
		j->done = j->exited = false;
		j->timed_out = j->cancelled = j->spawn_failed = false;
		j->status = j->log_errno = 0;
		j->seconds = 0;
		j->output_bytes = 0;
		j->kill_at_ms = j->drain_until_ms = 0;
		kser_buf_clear(&j->tail);
	}
	for (i = 0; i < n && !err; i++) {
		err = job_start(&jobs[i]);
		if (err) {
			jobs[i].done = true;
			jobs_abort(jobs, i);
		}
	}

	while (!err) {
		uint64_t now = kser_now_ms();
		size_t np = 0;
		bool all_done = true;

		if (!cancelled && kser_cancel_requested()) {
			cancelled = true;
			for (i = 0; i < n; i++) {
				struct kser_job *j = &jobs[i];

				if (j->done)
					continue;
				if (j->exited) {
					j->drain_until_ms = now;
					continue;
				}
				j->cancelled = true;
				job_kill(j, SIGTERM);
				j->kill_at_ms = now + grace_of(j);
			}
		}
		if (cancelled && !forced && kser_cancel_forced()) {
			/* Asked twice: no more patience. */
			forced = true;
			for (i = 0; i < n; i++) {
				job_kill(&jobs[i], SIGKILL);
				jobs[i].kill_at_ms = 0;
				if (jobs[i].exited)
					jobs[i].drain_until_ms = now;
			}
		}
		for (i = 0; i < n; i++) {
			struct kser_job *j = &jobs[i];

			if (j->done)
				continue;
			if (!j->exited) {
				if (j->timeout_ms && !j->timed_out &&
				    !j->cancelled &&
				    now - j->start_ms >= j->timeout_ms) {
					j->timed_out = true;
					job_kill(j, SIGTERM);
					j->kill_at_ms = now + grace_of(j);
				}
				if (j->kill_at_ms && now >= j->kill_at_ms) {
					job_kill(j, SIGKILL);
					j->kill_at_ms = 0;
				}
				job_check_exit(j, now, forced);
			}
			if (j->exited &&
			    (j->fd < 0 || now >= j->drain_until_ms))
				job_finish(j);
			if (j->done)
				continue;
			all_done = false;
			if (j->fd >= 0) {
				pfd[np].fd = j->fd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				owner[np++] = i;
			}
			if (!j->exited && j->pidfd >= 0) {
				pfd[np].fd = j->pidfd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				owner[np++] = SIZE_MAX;
			}
		}
		if (all_done)
			break;
		/* A signal interrupts the wait: cancellation shows at once. */
		if (poll(pfd, np, next_wait(jobs, n, now)) < 0 &&
		    errno != EINTR) {
			err = kser_error_errno("poll failed");
			break;
		}
		for (i = 0; i < np; i++)
			if (owner[i] != SIZE_MAX && pfd[i].revents)
				job_read(&jobs[owner[i]]);
		now = kser_now_ms();
		if (tick && now - last_tick >= TICK_MS) {
			tick(arg);
			last_tick = now;
		}
	}
	if (err)
		jobs_abort(jobs, n);
	free(pfd);
	free(owner);
	if (!err && cancelled)
		err = kser_error_fmt(KSER_ERR_CANCELLED, "interrupted");
	return err;
}

const struct kser_error *kser_run_capture(struct kser_buf *out, int *status,
					  char *const *argv, const char *cwd,
					  uint64_t timeout_ms)
{
	struct kser_job job = { 0 };
	const struct kser_error *err;

	job.name = argv[0];
	job.argv = argv;
	job.cwd = cwd;
	job.tail_cap = 1 << 20;
	job.timeout_ms = timeout_ms;
	err = kser_jobs_run(&job, 1, NULL, NULL);
	if (!err) {
		kser_buf_clear(out);
		kser_buf_put(out, kser_buf_cstr(&job.tail), job.tail.len);
		err = kser_buf_check(out);
		*status = job.status;
		if (job.timed_out)
			err = kser_error_fmt(KSER_ERR_TIMEOUT,
					     "'%s' timed out", argv[0]);
	}
	kser_job_release(&job);
	return err;
}
