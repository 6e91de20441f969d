// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "kser/error.h"

#define RING_SIZE 8
#define MSG_SIZE 4096

struct ring_slot {
	struct kser_error err;
	char buf[MSG_SIZE];
};

static _Thread_local struct ring_slot ring[RING_SIZE];
static _Thread_local unsigned int ring_next;

static const struct kser_error nomem = {
	.code = KSER_ERR_NOMEM,
	.errno_value = ENOMEM,
	.msg = "out of memory",
};

const struct kser_error *kser_error_nomem(void)
{
	return &nomem;
}

static struct ring_slot *slot_get(int code, int errno_value)
{
	struct ring_slot *s = &ring[ring_next++ % RING_SIZE];

	s->err.code = code;
	s->err.errno_value = errno_value;
	s->err.msg = s->buf;
	s->buf[0] = '\0';
	return s;
}

/* Append to a slot's message; a message too long is cut with "...". */
static void slot_vappend(struct ring_slot *s, const char *fmt, va_list ap)
{
	size_t len = strlen(s->buf);
	int n;

	if (len >= MSG_SIZE - 1)
		return;
	n = vsnprintf(s->buf + len, MSG_SIZE - len, fmt, ap);
	if (n >= 0 && (size_t)n >= MSG_SIZE - len)
		memcpy(s->buf + MSG_SIZE - 4, "...", 4);
}

static void slot_append(struct ring_slot *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slot_vappend(s, fmt, ap);
	va_end(ap);
}

const struct kser_error *kser_error_fmt(int code, const char *fmt, ...)
{
	struct ring_slot *s = slot_get(code, 0);
	va_list ap;

	va_start(ap, fmt);
	slot_vappend(s, fmt, ap);
	va_end(ap);
	return &s->err;
}

const struct kser_error *kser_error_errno(const char *fmt, ...)
{
	int saved = errno;
	struct ring_slot *s;
	va_list ap;

	if (saved == ENOMEM)
		return &nomem;
	s = slot_get(KSER_ERR_ERRNO, saved);
	va_start(ap, fmt);
	slot_vappend(s, fmt, ap);
	va_end(ap);
	slot_append(s, ": %s", strerror(saved));
	errno = saved;
	return &s->err;
}

const struct kser_error *kser_error_git(const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	struct ring_slot *s;
	va_list ap;

	if (ge && ge->klass == GIT_ERROR_NOMEMORY)
		return &nomem;
	s = slot_get(KSER_ERR_GIT, 0);
	va_start(ap, fmt);
	slot_vappend(s, fmt, ap);
	va_end(ap);
	if (ge && ge->message && ge->message[0])
		slot_append(s, ": %s", ge->message);
	else
		slot_append(s, ": unknown libgit2 error");
	return &s->err;
}

const struct kser_error *kser_error_wrap(const struct kser_error *err,
					 const char *fmt, ...)
{
	struct ring_slot *s;
	char inner[MSG_SIZE];
	va_list ap;

	if (!err)
		return NULL;
	if (err == &nomem)
		return err;
	/* err may live in the slot we are about to reuse: copy it first. */
	snprintf(inner, sizeof(inner), "%s", err->msg);
	s = slot_get(err->code, err->errno_value);
	va_start(ap, fmt);
	slot_vappend(s, fmt, ap);
	va_end(ap);
	slot_append(s, ": %s", inner);
	return &s->err;
}
