/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_BASE_H
#define KSER_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/cancel.h"

struct kser_error;

/*
 * kser base import: one commit holding a source tree exactly as it is in a
 * tarball or directory (every file, executable bits, symlinks, no ignore
 * rules), optionally a second commit laying an overlay over it, and a tag
 * named after the version pointing at the tip.
 *
 * The result is deterministic: identity, dates and messages derive from
 * the source (the kernel version and the newest timestamp in it) and the
 * overlay's content, never from the clock or the machine.
 *
 * The import is all or nothing: the objects go into one new pack, which
 * is installed, with the tag, only when every step has succeeded; a
 * failure or an interruption (the options' cancel callback) leaves the
 * repository as it was. Objects the repository already has are not
 * written again, so importing the same source twice writes nothing.
 */

struct kser_base_import_options {
	unsigned int version;
	/* A directory with files/ (new files) and patches/ (edits). */
	const char *overlay_dir;
	/* The tag's name; default: "v" + the kernel version. */
	const char *label;
	/* Move an existing tag that points elsewhere. */
	bool force;
	/* Worker threads; 0 means one per online CPU. */
	unsigned int threads;
	/* zlib level for the pack, 0-9; -1 means 1, as git's loose objects. */
	int compression;
	/*
	 * Asked between two pieces of work (a file, a megabyte of a big
	 * one, a tree): an error it returns stops the import, which
	 * undoes what it did and returns that error. May be NULL.
	 */
	kser_cancel_cb cancel;
	void *cancel_arg;
	/*
	 * Told of the files read so far, every KSER_BASE_PROGRESS_FILES of
	 * them, from the thread that called kser_base_import(); an error it
	 * returns stops the import as cancel's does. May be NULL.
	 */
	const struct kser_error *(*progress)(size_t files, void *arg);
	void *progress_arg;
};

#define KSER_BASE_PROGRESS_FILES 1024

#define KSER_BASE_IMPORT_OPTIONS_VERSION 1
#define KSER_BASE_IMPORT_OPTIONS_INIT \
	{ KSER_BASE_IMPORT_OPTIONS_VERSION, NULL, NULL, false, 0, -1, NULL, \
	  NULL, NULL, NULL }

struct kser_base_result {
	git_oid source_commit;	/* the source tree's commit */
	git_oid commit;		/* the tip: the overlay commit, or the above */
	char *label;
	char *refname;
	char *kernel_version;	/* "6.12.117", or NULL if not a kernel tree */
	size_t nfiles;		/* files in the source tree */
	size_t noverlay_files;	/* files the overlay added */
	size_t noverlay_patches;
	bool ref_unchanged;	/* the tag already pointed at the commit */
};

void kser_base_result_release(struct kser_base_result *res);

const struct kser_error *
kser_base_import(struct kser_base_result *out, git_repository *repo,
		 const char *source,
		 const struct kser_base_import_options *opts);

#endif
