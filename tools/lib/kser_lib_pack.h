/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_PACK_H
#define KSER_LIB_PACK_H

#include <stddef.h>
#include <git2.h>

/*
 * Writes objects straight into a new pack file (version 2, no deltas) and
 * its index, for imports of whole trees where 86,000 loose objects would
 * be slow. kser_pack_writer_add() may be called from several threads at
 * once; objects already in the pack are skipped.
 *
 * Nothing is visible in the repository until kser_pack_writer_commit()
 * renames the finished pack into place; kser_pack_writer_free() of an
 * uncommitted writer removes its temporary files.
 */
struct kser_pack_writer;
struct kser_error;

const struct kser_error *kser_pack_writer_new(struct kser_pack_writer **out,
					      git_repository *repo,
					      int level);
/* Computes the object ID of (type, data) as git does. */
void kser_pack_hash(git_oid *out, git_object_t type, const void *data,
		    size_t len);
const struct kser_error *kser_pack_writer_add(struct kser_pack_writer *pw,
					      git_oid *out, git_object_t type,
					      const void *data, size_t len);
size_t kser_pack_writer_count(const struct kser_pack_writer *pw);
/* Finishes the pack, installs it, and refreshes the repository's odb. */
const struct kser_error *kser_pack_writer_commit(struct kser_pack_writer *pw);
void kser_pack_writer_free(struct kser_pack_writer *pw);

/* Worker threads that called kser_pack_writer_add() call this before exit. */
void kser_pack_thread_cleanup(void);

#endif
