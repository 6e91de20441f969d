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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/proc.h"

extern char **environ;

#define KILL_GRACE_MS 2000

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

static const struct kser_error *job_start(struct kser_job *job)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int pipefd[2] = { -1, -1 }, r;
	pid_t pid;

	job->fd = job->log_fd = -1;
	job->pid = -1;
	if (job->log_path) {
		job->log_fd = open(job->log_path,
				   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				   0644);
		if (job->log_fd < 0)
			return kser_error_errno("cannot create '%s'",
						job->log_path);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return kser_error_errno("cannot create a pipe");

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
		close(pipefd[0]);
		errno = r;
		job->spawn_failed = true;
		return kser_error_errno("cannot run '%s'", job->argv[0]);
	}
	job->pid = pid;
	job->fd = pipefd[0];
	job->start_ms = kser_now_ms();
	job->kill_at_ms = 0;
	fcntl(job->fd, F_SETFL, O_NONBLOCK);
	return NULL;
}

static void job_kill(struct kser_job *job, int sig)
{
	if (job->pid > 0)
		kill(-job->pid, sig);
}

/* Reads what is there; returns true at end of output. */
static bool job_read(struct kser_job *job)
{
	char buf[65536];
	size_t cap = job->tail_cap ? job->tail_cap : 65536;

	for (;;) {
		ssize_t n = read(job->fd, buf, sizeof(buf));

		if (n > 0) {
			job->output_bytes += (size_t)n;
			tail_append(&job->tail, cap, buf, (size_t)n);
			if (job->log_fd >= 0 &&
			    write(job->log_fd, buf, (size_t)n) != n) {
				close(job->log_fd);
				job->log_fd = -1;
			}
			continue;
		}
		if (n == 0)
			return true;
		if (errno == EINTR)
			continue;
		return errno != EAGAIN;
	}
}

static void job_reap(struct kser_job *job)
{
	int st = 0;

	while (waitpid(job->pid, &st, 0) < 0 && errno == EINTR)
		;
	/* Whatever it left running in its group goes too. */
	kill(-job->pid, SIGKILL);
	job->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		      WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	job->seconds = (double)(kser_now_ms() - job->start_ms) / 1000.0;
	close(job->fd);
	job->fd = -1;
	if (job->log_fd >= 0)
		close(job->log_fd);
	job->log_fd = -1;
	job->done = true;
}

const struct kser_error *kser_jobs_run(struct kser_job *jobs, size_t n,
				       kser_jobs_tick_fn tick, void *arg)
{
	const struct kser_error *err = NULL;
	struct pollfd *pfd;
	size_t i, running = 0;
	uint64_t last_tick = kser_now_ms();
	bool cancelled = false;

	pfd = calloc(n ? n : 1, sizeof(*pfd));
	if (!pfd)
		return kser_error_nomem();
	for (i = 0; i < n; i++) {
		jobs[i].done = false;
		jobs[i].timed_out = jobs[i].cancelled = false;
		jobs[i].spawn_failed = false;
		jobs[i].output_bytes = 0;
		kser_buf_clear(&jobs[i].tail);
		err = job_start(&jobs[i]);
		if (err) {
			/* Stop the ones already started. */
			size_t k;

			for (k = 0; k < i; k++) {
				job_kill(&jobs[k], SIGKILL);
				job_read(&jobs[k]);
				job_reap(&jobs[k]);
			}
			if (jobs[i].log_fd >= 0)
				close(jobs[i].log_fd);
			free(pfd);
			return err;
		}
		running++;
	}

	while (running) {
		uint64_t now = kser_now_ms();
		int timeout = 200;

		if (!cancelled && kser_cancel_requested()) {
			cancelled = true;
			for (i = 0; i < n; i++) {
				if (jobs[i].done)
					continue;
				jobs[i].cancelled = true;
				job_kill(&jobs[i], SIGTERM);
				jobs[i].kill_at_ms = now + KILL_GRACE_MS;
			}
		}
		for (i = 0; i < n; i++) {
			struct kser_job *j = &jobs[i];

			pfd[i].fd = j->done ? -1 : j->fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			if (j->done)
				continue;
			if (j->timeout_ms && !j->timed_out && !j->cancelled &&
			    now - j->start_ms >= j->timeout_ms) {
				j->timed_out = true;
				job_kill(j, SIGTERM);
				j->kill_at_ms = now + KILL_GRACE_MS;
			}
			if (j->kill_at_ms && now >= j->kill_at_ms) {
				job_kill(j, SIGKILL);
				j->kill_at_ms = 0;
			}
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			err = kser_error_errno("poll failed");
			break;
		}
		for (i = 0; i < n; i++) {
			if (jobs[i].done || !pfd[i].revents)
				continue;
			if (job_read(&jobs[i])) {
				job_reap(&jobs[i]);
				running--;
			}
		}
		now = kser_now_ms();
		if (tick && now - last_tick >= 200) {
			tick(arg);
			last_tick = now;
		}
	}
	if (err) {
		for (i = 0; i < n; i++) {
			if (jobs[i].done)
				continue;
			job_kill(&jobs[i], SIGKILL);
			job_read(&jobs[i]);
			job_reap(&jobs[i]);
		}
	}
	free(pfd);
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
