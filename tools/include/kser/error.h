/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_ERROR_H
#define KSER_ERROR_H

/*
 * Every fallible function in kser returns a const struct kser_error *; NULL
 * means success. Messages live in a small per-thread ring, so callers never
 * free them, but a message is only valid until a few more errors have been
 * made on the same thread: copy it if it must live longer.
 */

enum kser_error_code {
	KSER_ERR_GENERIC = 1,
	KSER_ERR_NOMEM,
	KSER_ERR_ERRNO,		/* a system call failed; errno_value says why */
	KSER_ERR_GIT,		/* libgit2 reported an error */
	KSER_ERR_USAGE,		/* the caller asked for something impossible */
	KSER_ERR_BAD_INPUT,	/* malformed or hostile input */
	KSER_ERR_NOT_FOUND,
	KSER_ERR_EXISTS,
	KSER_ERR_APPLY,		/* a patch does not apply */
	KSER_ERR_CONFLICT,	/* a three-way merge left conflicts */
	KSER_ERR_CHILD,		/* a child process failed */
	KSER_ERR_TIMEOUT,
	KSER_ERR_CANCELLED,	/* interrupted by a signal */
};

struct kser_error {
	int code;
	int errno_value;
	const char *msg;
};

/* Not using the ring: always available, even when memory is exhausted. */
const struct kser_error *kser_error_nomem(void);

const struct kser_error *kser_error_fmt(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "<what>: <strerror(errno)>", with errno captured on entry. */
const struct kser_error *kser_error_errno(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* "<what>: <libgit2's last error>"; tolerates git_error_last() == NULL. */
const struct kser_error *kser_error_git(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Prefix an existing error with context: "<context>: <err->msg>", keeping
 * its code. Returns err unchanged when err is NULL.
 */
const struct kser_error *kser_error_wrap(const struct kser_error *err,
					 const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
