// SPDX-License-Identifier: GPL-2.0
/*
 * Finishing a pack: its checksum, its index (version 2, written by us
 * rather than by libgit2's indexer, which would inflate and hash every
 * object a second time), and installing both under their names, or
 * taking them back. Uses the pack writer (pack.c) and core.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/hash.h"
#include "kser/pack.h"
#include "kser/util.h"
#include "kser_lib_odb.h"

/* --- finishing --------------------------------------------------------- */

size_t kser_pack_writer_count(const struct kser_pack_writer *pw)
{
	return pw->npacked;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pack_entry *x = a, *y = b;

	return git_oid_cmp(&x->oid, &y->oid);
}

/* Hashes the whole temporary pack, which must be complete but unsealed. */
static const struct kser_error *hash_file(int fd, uint64_t len,
					  unsigned char *md,
					  kser_cancel_cb cancel,
					  void *cancel_arg)
{
	struct kser_sha1 *ctx = kser_sha1_new();
	const struct kser_error *err = NULL;
	char *buf = malloc(1 << 20);
	uint64_t off = 0;

	if (!ctx || !buf) {
		err = kser_error_nomem();
		goto done;
	}
	while (off < len) {
		size_t want = len - off > (1 << 20) ? (1 << 20) : len - off;
		ssize_t n;

		err = kser_cancel_check(cancel, cancel_arg);
		if (err)
			goto done;
		n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = kser_error_errno("cannot read back pack");
			goto done;
		}
		kser_sha1_update(ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	kser_sha1_final(ctx, md);
done:
	free(buf);
	kser_sha1_free(ctx);
	return err;
}

static const struct kser_error *build_index(struct kser_pack_writer *pw,
					    const unsigned char *pack_sha,
					    struct kser_buf *idx)
{
	unsigned char be[8];
	uint32_t fanout[256] = { 0 };
	size_t i, nlarge = 0;
	unsigned char md[20];

	qsort(pw->entries, pw->nentries, sizeof(*pw->entries), entry_cmp);
	for (i = 0; i < pw->nentries; i++)
		fanout[pw->entries[i].oid.id[0]]++;
	for (i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];

	kser_buf_put(idx, "\377tOc\0\0\0\2", 8);
	for (i = 0; i < 256; i++) {
		pack_put_be32(be, fanout[i]);
		kser_buf_put(idx, be, 4);
	}
	for (i = 0; i < pw->nentries; i++)
		kser_buf_put(idx, pw->entries[i].oid.id, GIT_OID_RAWSZ);
	for (i = 0; i < pw->nentries; i++) {
		pack_put_be32(be, pw->entries[i].crc);
		kser_buf_put(idx, be, 4);
	}
	for (i = 0; i < pw->nentries; i++) {
		uint64_t off = pw->entries[i].offset;

		if (off < 0x80000000u)
			pack_put_be32(be, (uint32_t)off);
		else
			pack_put_be32(be, 0x80000000u | (uint32_t)nlarge++);
		kser_buf_put(idx, be, 4);
	}
	for (i = 0; i < pw->nentries; i++) {
		uint64_t off = pw->entries[i].offset;

		if (off < 0x80000000u)
			continue;
		pack_put_be32(be, (uint32_t)(off >> 32));
		pack_put_be32(be + 4, (uint32_t)off);
		kser_buf_put(idx, be, 8);
	}
	kser_buf_put(idx, pack_sha, 20);
	if (kser_buf_check(idx))
		return kser_error_nomem();

	kser_sha1(md, idx->ptr, idx->len);
	kser_buf_put(idx, md, 20);
	return kser_buf_check(idx);
}

/* Drops the entries of objects the repository has: they are not packed. */
static void drop_had(struct kser_pack_writer *pw)
{
	size_t i, w = 0;

	for (i = 0; i < pw->nentries; i++)
		if (pw->entries[i].offset != OFFSET_HAVE)
			pw->entries[w++] = pw->entries[i];
	pw->nentries = w;
	/* The set no longer matches the entries. */
	free(pw->slots);
	pw->slots = NULL;
	pw->nslots = 0;
}

/*
 * Gives the temporary its final name, never replacing a file: one that
 * exists already has this content, since the name is its hash. *created
 * gets dest when this call made the file, for kser_pack_writer_uninstall.
 */
static const struct kser_error *pack_install(int fd, char **named,
					     const char *dest, char **created)
{
	bool made = false;
	char proc[64];

	*created = NULL;
	if (*named) {
		if (link(*named, dest) == 0) {
			made = true;
		} else if (errno != EEXIST && access(dest, F_OK) < 0) {
			/* File systems without hard links. */
			if (rename(*named, dest) < 0)
				return kser_error_errno("cannot install '%s'",
							dest);
			made = true;
		}
		unlink(*named);
		free(*named);
		*named = NULL;
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, dest,
			   AT_SYMLINK_FOLLOW) == 0)
			made = true;
		else if (errno != EEXIST)
			return kser_error_errno("cannot install '%s'", dest);
	}
	if (made) {
		*created = strdup(dest);
		if (!*created) {
			unlink(dest);
			return kser_error_nomem();
		}
	}
	return NULL;
}

const struct kser_error *kser_pack_writer_commit(struct kser_pack_writer *pw,
						 kser_cancel_cb cancel,
						 void *cancel_arg)
{
	const struct kser_error *err = NULL;
	struct kser_buf idx = KSER_BUF_INIT, name = KSER_BUF_INIT;
	unsigned char be[4], sha[20];
	char hex[41], *idx_named = NULL;
	git_odb *odb = NULL;
	int idx_fd = -1;
	size_t i;

	pthread_mutex_lock(&pw->lock);
	if (pw->closed || pw->failed || pw->npending) {
		pthread_mutex_unlock(&pw->lock);
		return kser_error_fmt(KSER_ERR_GENERIC, "pack writer failed");
	}
	pw->closed = true;
	pthread_mutex_unlock(&pw->lock);
	drop_had(pw);
	if (!pw->nentries)
		return NULL;
	pack_put_be32(be, (uint32_t)pw->nentries);
	if (pwrite(pw->fd, be, 4, 8) != 4)
		return kser_error_errno("cannot write pack header");
	err = hash_file(pw->fd, pw->offset, sha, cancel, cancel_arg);
	if (err)
		return err;
	if (pwrite(pw->fd, sha, 20, (off_t)pw->offset) != 20)
		return kser_error_errno("cannot write pack trailer");
	if (fsync(pw->fd) < 0)
		return kser_error_errno("cannot sync pack");

	err = build_index(pw, sha, &idx);
	if (err)
		goto done;
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha[i]);
	err = pack_open_temporary(&idx_fd, &idx_named, pw->dir);
	if (err)
		goto done;
	err = pack_write_all(idx_fd, idx.ptr, idx.len);
	if (!err && fsync(idx_fd) < 0)
		err = kser_error_errno("cannot sync pack index");
	if (err)
		goto done;

	/* The pack first: git finds packs through their index. */
	if (pw->tmp_path)
		fchmod(pw->fd, 0444);
	if (idx_named)
		fchmod(idx_fd, 0444);
	kser_buf_printf(&name, "%spack-%s.pack", pw->dir, hex);
	err = kser_buf_check(&name);
	if (!err)
		err = pack_install(pw->fd, &pw->tmp_path, name.ptr,
			      &pw->installed[0]);
	if (err)
		goto done;
	memcpy(name.ptr + name.len - 4, "idx", 4);
	name.len--;
	err = pack_install(idx_fd, &idx_named, name.ptr, &pw->installed[1]);
	if (err)
		goto done;

	if (git_repository_odb(&odb, pw->repo) < 0 || git_odb_refresh(odb) < 0)
		err = kser_error_git("cannot refresh the object database");
done:
	if (err)
		kser_pack_writer_uninstall(pw);
	if (idx_fd >= 0)
		close(idx_fd);
	if (idx_named)
		unlink(idx_named);
	free(idx_named);
	git_odb_free(odb);
	kser_buf_release(&idx);
	kser_buf_release(&name);
	return err;
}

bool kser_pack_writer_installed(const struct kser_pack_writer *pw)
{
	return pw->installed[0] || pw->installed[1];
}

void kser_pack_writer_uninstall(struct kser_pack_writer *pw)
{
	int i;

	/* The index first, so that git never sees an index without pack. */
	for (i = 1; i >= 0; i--) {
		if (pw->installed[i])
			unlink(pw->installed[i]);
		free(pw->installed[i]);
		pw->installed[i] = NULL;
	}
}
