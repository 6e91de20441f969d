/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LOCKFILE_H
#define KSER_LOCKFILE_H

/*
 * Lock files: one kser at a time on a repository's operation (a send, a
 * rebase). The lock is a file made with an exclusive create that names
 * its holder (pid, host, boot, when); a second taker gets an error naming
 * the holder. A lock whose holder is gone (its pid is dead on this host,
 * or belongs to a later process, or to an earlier boot) is stale and is
 * taken over; takers breaking the same stale lock serialise on an flock
 * of its directory, so exactly one of them wins.
 *
 * The lock's directory must exist. Nothing here prints.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct kser_error;
struct kser_lockfile;

/* What a lock file says about its holder. */
struct kser_lock_holder {
	long pid;
	char host[256];
	char boot_id[64];		/* "" when the holder did not say */
	int64_t since;			/* seconds since the epoch */
	unsigned long long start;	/* the holder's start, in clock ticks
					 * after boot; 0 when unknown */
};

/*
 * Takes the lock at path. When it is held by a live process: a
 * KSER_ERR_EXISTS error "'<path>' is locked by kser (pid N) since ...; if
 * no kser is running, remove it". A stale lock is taken over.
 */
const struct kser_error *kser_lockfile_lock(struct kser_lockfile **out,
					    const char *path);

/*
 * Releases the lock (removing the file only if it is still the one this
 * handle made) and frees the handle; NULL is accepted.
 */
const struct kser_error *kser_lockfile_unlock(struct kser_lockfile *lf);

/*
 * Reads the holder of the lock at path: NOT_FOUND when there is no lock,
 * BAD_INPUT when the file is not a kser lock.
 */
const struct kser_error *kser_lockfile_holder(struct kser_lock_holder *out,
					      const char *path);

/* True if the holder is certainly gone (see above). */
bool kser_lockfile_holder_is_stale(const struct kser_lock_holder *h);

#endif
