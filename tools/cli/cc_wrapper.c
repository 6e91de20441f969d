// SPDX-License-Identifier: GPL-2.0
/*
 * kser-cc: the compiler wrapper kser verify builds with. It runs the real
 * compiler (the rest of its arguments), passes its output through, and
 * keeps what the compiler said about an object in <object>.kser-diag, so
 * that the warnings of a whole build are known even when only a few files
 * were recompiled. ccache replays the compiler's output on a hit, so the
 * record is the same either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_cli.h"

extern char **environ;

static const char *object_of(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = NULL;
		size_t n;

		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			o = argv[i + 1];
		else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
			o = argv[i] + 2;
		if (!o)
			continue;
		n = strlen(o);
		return n > 2 && !strcmp(o + n - 2, ".o") ? o : NULL;
	}
	return NULL;
}

/*
 * kser-cc's own failures start with "kser-cc: error:", which kser verify
 * reads as an error of the machine: the build is then an error, never a
 * pass with its warnings lost.
 */
static int wrapper_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int wrapper_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kser-cc: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 125;
}

int kser_cc_wrapper(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct kser_buf said = KSER_BUF_INIT, diag = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	const char *obj;
	int pipefd[2], st = 0, r, read_errno = 0;
	pid_t pid;

	if (argc < 2) {
		fputs("kser-cc: usage: kser-cc COMPILER ARGS...\n", stderr);
		return 2;
	}
	obj = object_of(argc - 1, argv + 1);
	if (!obj) {
		execvp(argv[1], argv + 1);
		return wrapper_error("cannot run '%s': %s", argv[1],
				     strerror(errno));
	}

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return wrapper_error("cannot create a pipe: %s",
				     strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	r = posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r) {
		close(pipefd[0]);
		return wrapper_error("cannot run '%s': %s", argv[1],
				     strerror(r));
	}
	for (;;) {
		char buf[8192];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			read_errno = errno;
		if (n <= 0)
			break;
		kser_buf_put(&said, buf, (size_t)n);
		/* Passing the output on is best effort, as the compiler's
		 * own write would be. */
		(void)!write(2, buf, (size_t)n);
	}
	close(pipefd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;

	/* What the compiler said of obj, or that it said nothing. */
	kser_buf_printf(&diag, "%s.kser-diag", obj);
	if (read_errno)
		r = wrapper_error("cannot read what '%s' said: %s", argv[1],
				  strerror(read_errno));
	else if (kser_buf_check(&said) || kser_buf_check(&diag))
		r = wrapper_error("out of memory");
	else if (said.len &&
		 (err = kser_write_file_atomic(diag.ptr, said.ptr, said.len)))
		r = wrapper_error("cannot record the diagnostics of '%s': %s",
				  obj, err->msg);
	else if (!said.len && unlink(diag.ptr) < 0 && errno != ENOENT)
		r = wrapper_error("cannot remove the stale '%s': %s", diag.ptr,
				  strerror(errno));
	kser_buf_release(&said);
	kser_buf_release(&diag);
	if (r) {
		/* No object without its record: the next build redoes it. */
		unlink(obj);
		return r;
	}
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
