// SPDX-License-Identifier: GPL-2.0
/*
 * Child processes (core): kser_jobs_run() and what is built on it. Uses
 * only the core: errors, buffers, the cancel callback's type.
 */
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

#include "kser/error.h"
#include "kser/proc.h"
#include "kser/util.h"

extern char **environ;

/* SIGTERM, then SIGKILL this much later. */
#define KILL_GRACE_MS 2000
/* Output still read after the child exited, for what is in flight. */
#define DRAIN_GRACE_MS 500
#define TICK_MS 200

/* What the runner keeps of a job while it runs. */
struct child {
	struct kser_job *job;
	int pid, fd, log_fd, pidfd;
	uint64_t start_ms, kill_at_ms, drain_until_ms;
	bool exited, done;
};

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

static void child_close(struct child *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	if (ch->log_fd >= 0)
		close(ch->log_fd);
	if (ch->pidfd >= 0)
		close(ch->pidfd);
	ch->fd = ch->log_fd = ch->pidfd = -1;
}

static const struct kser_error *child_start(struct child *ch)
{
	struct kser_job *job = ch->job;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int pipefd[2] = { -1, -1 }, r;
	pid_t pid;

	if (job->log_path) {
		ch->log_fd = open(job->log_path,
				  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				  0644);
		if (ch->log_fd < 0)
			return kser_error_errno("cannot create '%s'",
						job->log_path);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		const struct kser_error *err =
			kser_error_errno("cannot create a pipe");

		child_close(ch);
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
		child_close(ch);
		errno = r;
		job->spawn_failed = true;
		err = kser_error_errno("cannot run '%s'", job->argv[0]);
		return err;
	}
	ch->pid = pid;
	ch->fd = pipefd[0];
	ch->start_ms = kser_now_ms();
	fcntl(ch->fd, F_SETFL, O_NONBLOCK);
	/* Without a pidfd (old kernels), the loop polls waitpid instead. */
	ch->pidfd = open_pidfd(pid);
	return NULL;
}

static void child_kill(struct child *ch, int sig)
{
	/* Only while the child is unreaped: its group ID is still its own. */
	if (ch->pid > 0 && !ch->exited)
		kill(-ch->pid, sig);
}

static void log_write(struct child *ch, const char *p, size_t len)
{
	if (ch->log_fd < 0 || !len)
		return;
	if (kser_write_all(ch->log_fd, p, len) < 0) {
		/* A full disk: say so rather than keep half a log. */
		ch->job->log_errno = errno;
		close(ch->log_fd);
		ch->log_fd = -1;
	}
}

/*
 * Reads what is there, a bounded amount so that a child that writes
 * without pause cannot keep the loop from its clocks; closes the pipe at
 * its end.
 */
static void child_read(struct child *ch)
{
	struct kser_job *job = ch->job;
	char buf[65536];
	size_t cap = job->tail_cap ? job->tail_cap : 65536;
	int rounds;

	for (rounds = 0; ch->fd >= 0 && rounds < 16; rounds++) {
		ssize_t n = read(ch->fd, buf, sizeof(buf));

		if (n > 0) {
			job->output_bytes += (size_t)n;
			tail_append(&job->tail, cap, buf, (size_t)n);
			log_write(ch, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(ch->fd);
		ch->fd = -1;
	}
}

/*
 * Reaps the child if it has exited. Before reaping, while the zombie
 * still holds its process group ID, whatever it left in its group is
 * killed; then output is read for a short grace only (none when forced).
 */
static void child_check_exit(struct child *ch, uint64_t now, bool forced)
{
	struct kser_job *job = ch->job;
	siginfo_t si;
	int st = 0;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)ch->pid, &si,
		   WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return;
	kill(-ch->pid, SIGKILL);
	while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
		;
	ch->exited = true;
	job->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		      WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	job->seconds = (double)(now - ch->start_ms) / 1000.0;
	ch->kill_at_ms = 0;
	ch->drain_until_ms = forced ? now : now + DRAIN_GRACE_MS;
	if (ch->pidfd >= 0)
		close(ch->pidfd);
	ch->pidfd = -1;
}

static void child_finish(struct child *ch)
{
	child_close(ch);
	ch->done = true;
}

/* Kills and reaps what was started, after an error. */
static void children_abort(struct child *chs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct child *ch = &chs[i];
		int st;

		if (ch->done)
			continue;
		if (!ch->exited && ch->pid > 0) {
			kill(-ch->pid, SIGKILL);
			while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
				;
			ch->exited = true;
			ch->job->status = 128 + SIGKILL;
		}
		child_finish(ch);
	}
}

static uint64_t grace_of(const struct kser_job *job)
{
	return job->kill_grace_ms ? job->kill_grace_ms : KILL_GRACE_MS;
}

/* The milliseconds until something is due: a deadline, a kill, a drain. */
static int next_wait(const struct child *chs, size_t n, uint64_t now)
{
	uint64_t wait = TICK_MS, due;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct child *ch = &chs[i];
		const struct kser_job *j = ch->job;

		if (ch->done)
			continue;
		due = UINT64_MAX;
		if (ch->exited)
			due = ch->drain_until_ms;
		else if (ch->kill_at_ms)
			due = ch->kill_at_ms;
		else if (j->timeout_ms && !j->timed_out && !j->cancelled)
			due = ch->start_ms + j->timeout_ms;
		if (due != UINT64_MAX)
			wait = due <= now ? 0 : due - now < wait ? due - now :
			       wait;
	}
	return (int)wait;
}

/* Stops what still runs: politely, or at once when hard. */
static void children_stop(struct child *chs, size_t n, uint64_t now,
			  bool hard)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct child *ch = &chs[i];

		if (ch->done)
			continue;
		if (hard) {
			child_kill(ch, SIGKILL);
			ch->kill_at_ms = 0;
			if (ch->exited)
				ch->drain_until_ms = now;
			continue;
		}
		if (ch->exited) {
			ch->drain_until_ms = now;
			continue;
		}
		ch->job->cancelled = true;
		child_kill(ch, SIGTERM);
		ch->kill_at_ms = now + grace_of(ch->job);
	}
}

const struct kser_error *kser_jobs_run(struct kser_job *jobs, size_t n,
				       kser_cancel_cb cancel, void *cancel_arg)
{
	const struct kser_error *err = NULL, *stop = NULL;
	struct child *chs;
	struct pollfd *pfd;
	size_t i, *owner;
	bool cancelled = false, forced = false;

	chs = calloc(n ? n : 1, sizeof(*chs));
	pfd = calloc(n ? 2 * n : 1, sizeof(*pfd));
	owner = calloc(n ? 2 * n : 1, sizeof(*owner));
	if (!chs || !pfd || !owner) {
		free(chs);
		free(pfd);
		free(owner);
		return kser_error_nomem();
	}
	for (i = 0; i < n; i++) {
		struct kser_job *j = &jobs[i];

		chs[i].job = j;
		chs[i].pid = chs[i].fd = chs[i].log_fd = chs[i].pidfd = -1;
		j->timed_out = j->cancelled = j->spawn_failed = false;
		j->status = j->log_errno = 0;
		j->seconds = 0;
		j->output_bytes = 0;
		kser_buf_clear(&j->tail);
	}
	for (i = 0; i < n && !err; i++) {
		err = child_start(&chs[i]);
		if (err) {
			chs[i].done = true;
			children_abort(chs, i);
		}
	}

	while (!err) {
		uint64_t now = kser_now_ms();
		size_t np = 0;
		bool all_done = true;
		const struct kser_error *e = cancel ? cancel(cancel_arg) : NULL;

		if (e) {
			stop = e;
			if (!cancelled) {
				cancelled = true;
				children_stop(chs, n, now, false);
			}
			if (!forced && kser_error_cancel_is_hard(e)) {
				/* Asked twice: no more patience. */
				forced = true;
				children_stop(chs, n, now, true);
			}
		}
		for (i = 0; i < n; i++) {
			struct child *ch = &chs[i];
			struct kser_job *j = ch->job;

			if (ch->done)
				continue;
			if (!ch->exited) {
				if (j->timeout_ms && !j->timed_out &&
				    !j->cancelled &&
				    now - ch->start_ms >= j->timeout_ms) {
					j->timed_out = true;
					child_kill(ch, SIGTERM);
					ch->kill_at_ms = now + grace_of(j);
				}
				if (ch->kill_at_ms && now >= ch->kill_at_ms) {
					child_kill(ch, SIGKILL);
					ch->kill_at_ms = 0;
				}
				child_check_exit(ch, now, forced);
			}
			if (ch->exited &&
			    (ch->fd < 0 || now >= ch->drain_until_ms))
				child_finish(ch);
			if (ch->done)
				continue;
			all_done = false;
			if (ch->fd >= 0) {
				pfd[np].fd = ch->fd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				owner[np++] = i;
			}
			if (!ch->exited && ch->pidfd >= 0) {
				pfd[np].fd = ch->pidfd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				owner[np++] = SIZE_MAX;
			}
		}
		if (all_done)
			break;
		/* A signal interrupts the wait: cancellation shows at once. */
		if (poll(pfd, np, next_wait(chs, n, now)) < 0 &&
		    errno != EINTR) {
			err = kser_error_errno("poll failed");
			break;
		}
		for (i = 0; i < np; i++)
			if (owner[i] != SIZE_MAX && pfd[i].revents)
				child_read(&chs[owner[i]]);
	}
	if (err)
		children_abort(chs, n);
	free(chs);
	free(pfd);
	free(owner);
	if (!err && cancelled)
		err = stop;
	return err;
}

const struct kser_error *kser_run_capture(struct kser_buf *out, int *status,
					  char *const *argv, const char *cwd,
					  uint64_t timeout_ms,
					  kser_cancel_cb cancel,
					  void *cancel_arg)
{
	struct kser_job job = { 0 };
	const struct kser_error *err;

	job.name = argv[0];
	job.argv = argv;
	job.cwd = cwd;
	job.tail_cap = 1 << 20;
	job.timeout_ms = timeout_ms;
	err = kser_jobs_run(&job, 1, cancel, cancel_arg);
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
