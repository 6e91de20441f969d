/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_PACK_H
#define KSER_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/cancel.h"

/*
 * Writes objects straight into a new pack file (version 2, no deltas) and
 * its index, for imports of whole trees where 86,000 loose objects would
 * be slow. kser_pack_writer_add() may be called from several threads at
 * once; objects already in the pack, or in the repository, are skipped.
 *
 * Nothing is visible in the repository until kser_pack_writer_commit()
 * links the finished pack into place; until then the pack is an unnamed
 * file, which a crash leaves nowhere. kser_pack_writer_free() of an
 * uncommitted writer removes what it wrote.
 */
struct kser_pack_writer;
struct kser_pack_stream;
struct kser_error;

const struct kser_error *kser_pack_writer_new(struct kser_pack_writer **out,
					      git_repository *repo,
					      int level);
const struct kser_error *kser_pack_writer_add(struct kser_pack_writer *pw,
					      git_oid *out, git_object_t type,
					      const void *data, size_t len);

/*
 * An object too big to hold in memory, written as its data arrives: size
 * bytes in kser_pack_stream_write() calls, then kser_pack_stream_finish()
 * gives its ID (or an error when the data fell short). Other writers wait
 * until the stream is finished or aborted; the thread that began it must
 * not wait for them meanwhile.
 */
const struct kser_error *
kser_pack_stream_begin(struct kser_pack_stream **out,
		       struct kser_pack_writer *pw, git_object_t type,
		       uint64_t size);
const struct kser_error *kser_pack_stream_write(struct kser_pack_stream *s,
						const void *data, size_t len);
/* Ends the stream (freeing it) in all cases. */
const struct kser_error *kser_pack_stream_finish(struct kser_pack_stream *s,
						 git_oid *out);
void kser_pack_stream_abort(struct kser_pack_stream *s);

/*
 * A libgit2 object database backend on the pack being written: it reads
 * the objects written so far and writes new objects into the pack. Added
 * to the odb of a repository made for the purpose, it lets libgit2 build
 * on the new objects (commits, tree edits) before anything is installed.
 * The writer must outlive the backend's odb.
 */
const struct kser_error *kser_pack_writer_backend(git_odb_backend **out,
						  struct kser_pack_writer *pw);

/*
 * Finishes the pack, installs it, and refreshes the repository's odb.
 * When every object was in the repository already, writes nothing.
 * Nothing can be added afterwards. cancel (may be NULL) is asked between
 * two megabytes of the pack's checksum: an error it returns stops the
 * commit before anything is installed.
 */
const struct kser_error *kser_pack_writer_commit(struct kser_pack_writer *pw,
						 kser_cancel_cb cancel,
						 void *cancel_arg);
/* Removes the files commit created, when a later step fails. */
void kser_pack_writer_uninstall(struct kser_pack_writer *pw);
void kser_pack_writer_free(struct kser_pack_writer *pw);

/* Worker threads that called kser_pack_writer_add() call this before exit. */
void kser_pack_thread_cleanup(void);

#endif
