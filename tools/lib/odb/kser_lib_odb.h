/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_ODB_H
#define KSER_LIB_ODB_H

/*
 * The object database layer (odb), private to its files: what the files
 * of the pack writer share. What the layers above use is public:
 * kser/pack.h, kser/treeedit.h, kser/worktree.h, kser/abbrev.h,
 * kser/revrange.h. The odb layer uses core and libgit2.
 *
 * Its files, each using only those before it:
 *   pack.c         the pack writer: objects added from many threads, the
 *                  set of their IDs, the unnamed temporary
 *   pack_stream.c  objects too big to hold, streamed into the pack
 *   pack_odb.c     a libgit2 odb backend on the pack being written
 *   pack_finish.c  the checksum, the index, installing the pack
 *   treeedit.c     edits of a tree by path, written once
 *   worktree.c     kser's own checkout of a tree, for builds
 *   abbrev.c       git's default length of abbreviated object names
 *   revrange.c     the commits of a revision range, checked against
 *                  the commit graph
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

struct kser_error;
struct kser_sha1;


/* The offset of an object the repository has, so the pack leaves out. */
#define OFFSET_HAVE UINT64_MAX


struct pack_entry {
	git_oid oid;
	uint64_t offset;	/* or OFFSET_HAVE */
	uint64_t len;		/* entry header and deflated data */
	uint32_t crc;
};


struct kser_pack_writer {
	git_repository *repo;
	int level;
	int fd;
	char *dir;		/* objects/pack/, ending in '/' */
	char *tmp_path;		/* the temporary's name, if it has one */
	uint64_t offset;	/* end of data written so far */
	bool failed, closed;
	/* The .pack and .idx that commit created, for uninstall. */
	char *installed[2];

	/* The repository's objects, NULL when it has none; own lock. */
	git_odb *have;
	pthread_mutex_t have_lock;

	pthread_mutex_t lock;	/* guards everything below */
	struct pack_entry *entries;
	size_t nentries, alloc;
	size_t npacked;		/* entries that are in the pack */
	/* Open-addressing set of indices into entries, keyed by oid. */
	uint32_t *slots;
	size_t nslots;
	/* Objects being compressed by some thread right now. */
	git_oid *pending;
	size_t npending, pending_alloc;
	pthread_cond_t pending_done;
};

/* --- pack.c, for the other files of the pack writer ------------------- */

/* p[0..3] = v, big-endian. */
void pack_put_be32(unsigned char *p, uint32_t v);
/* "blob", "tree", "commit" or "tag"; NULL for any other type. */
const char *pack_type_name(git_object_t type);
/* Starts an object's name in h (fresh): its "<type> <len>\0" header. */
void pack_hash_begin(struct kser_sha1 *h, git_object_t type, uint64_t len);

/* With pw->lock held: the entry of oid, or NULL. */
struct pack_entry *pack_set_find(struct kser_pack_writer *pw,
				 const git_oid *oid);
/* With pw->lock held: records an object at offset (or OFFSET_HAVE). */
const struct kser_error *pack_record(struct kser_pack_writer *pw,
				     const git_oid *oid, uint64_t offset,
				     uint64_t len, uint32_t crc);
/* With pw->lock held: is oid being compressed by some thread? */
bool pack_pending_contains(struct kser_pack_writer *pw, const git_oid *oid);
/* Has the repository the object already (then it is not packed)? */
bool pack_repo_has(struct kser_pack_writer *pw, const git_oid *oid);

/* kser_write_all(), with the pack writer's error. */
const struct kser_error *pack_write_all(int fd, const void *buf, size_t len);
/* An entry's type-and-size header into hdr (16 bytes); its length. */
size_t pack_entry_header(unsigned char *hdr, git_object_t type,
			 uint64_t len);
/* The header at p (avail bytes): its length, or 0 when malformed. */
size_t pack_parse_entry_header(const unsigned char *p, size_t avail,
			       git_object_t *type, uint64_t *len);
/*
 * An unnamed file in dir (*named = NULL), or, where the file system or a
 * missing /proc cannot link one into place later, a named temporary.
 */
const struct kser_error *pack_open_temporary(int *fd, char **named,
					     const char *dir);

/* --- for the tests --------------------------------------------------- */

struct kser_pack_writer;

/* pack_finish.c: the objects in the pack so far, not those the
 * repository had. */
size_t kser_pack_writer_count(const struct kser_pack_writer *pw);
/* pack_finish.c: whether commit created files (the pack did not exist
 * before). */
bool kser_pack_writer_installed(const struct kser_pack_writer *pw);

#endif
