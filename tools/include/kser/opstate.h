/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_OPSTATE_H
#define KSER_OPSTATE_H

/*
 * The state of an operation that must survive a crash (a send, a
 * rebase), as small named files in a directory under the git dir, as git
 * am keeps rebase-apply/: <gitdir>/kser/<op>/<name>.
 *
 * Every write goes to a temporary, is synced, renamed over the old file
 * and the directory synced, so a kill -9 at any moment leaves each file
 * with either its old or its new contents. The module remembers every
 * name it wrote (in the directory's ".files", updated before a new name
 * is first written), so that releasing removes what it created and
 * nothing else. Callers serialise with a lock (kser/lockfile.h); a
 * handle is not for two threads.
 *
 * Names are 1 to 64 characters of [A-Za-z0-9._-], not starting with '.'.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>

struct kser_buf;
struct kser_error;
struct kser_opstate;

/*
 * A handle on <gitdir>/kser/<op>; nothing is created yet. gitdir is what
 * git_repository_path() returns.
 */
const struct kser_error *kser_opstate_open(struct kser_opstate **out,
					   const char *gitdir,
					   const char *op);
void kser_opstate_free(struct kser_opstate *st);

/* The state directory, for messages. */
const char *kser_opstate_dir(const struct kser_opstate *st);

/* True between kser_opstate_begin() and kser_opstate_release(). */
bool kser_opstate_in_progress(const struct kser_opstate *st);

/*
 * Begins an operation: creates the directory (and <gitdir>/kser). An
 * operation already in progress is a KSER_ERR_EXISTS error.
 */
const struct kser_error *kser_opstate_begin(struct kser_opstate *st);

/* Writes (replaces) a file, atomically and durably. */
const struct kser_error *kser_opstate_write(struct kser_opstate *st,
					    const char *name,
					    const void *data, size_t len);
/* s and a newline. */
const struct kser_error *kser_opstate_write_str(struct kser_opstate *st,
						const char *name,
						const char *s);
const struct kser_error *kser_opstate_write_int(struct kser_opstate *st,
						const char *name, int64_t v);
const struct kser_error *kser_opstate_write_oid(struct kser_opstate *st,
						const char *name,
						const git_oid *oid);

/* Reads a file; KSER_ERR_NOT_FOUND if there is none. */
const struct kser_error *kser_opstate_read(struct kser_opstate *st,
					   const char *name,
					   struct kser_buf *out);
/* The contents without their final newline; *out is the caller's. */
const struct kser_error *kser_opstate_read_str(struct kser_opstate *st,
					       const char *name, char **out);
/* A malformed value is a KSER_ERR_BAD_INPUT error naming the file. */
const struct kser_error *kser_opstate_read_int(struct kser_opstate *st,
					       const char *name,
					       int64_t *out);
const struct kser_error *kser_opstate_read_oid(struct kser_opstate *st,
					       const char *name,
					       git_oid *out);

bool kser_opstate_exists(struct kser_opstate *st, const char *name);

/* Removes one file (no error if it is not there). */
const struct kser_error *kser_opstate_remove(struct kser_opstate *st,
					     const char *name);

/* The names written and not removed, sorted; borrowed until the next
 * write or remove. */
const struct kser_error *kser_opstate_list(struct kser_opstate *st,
					   const char *const **names,
					   size_t *n);

/*
 * Ends the operation: removes the files it wrote, their temporaries and
 * its record, then the directory if nothing else is in it. Files that
 * others put there are left alone.
 */
const struct kser_error *kser_opstate_release(struct kser_opstate *st);

#endif
