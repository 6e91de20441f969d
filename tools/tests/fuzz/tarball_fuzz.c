// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a tarball read as kser base import reads one (the
 * input as a file, through libarchive, liblzma for .xz), its blobs and
 * trees written into a pack that is never installed, in a scratch
 * repository this target makes and removes. The tree must be one git
 * fsck --strict accepts (fuzz_git.h).
 */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <git2.h>
#include <sanitizer/common_interface_defs.h>

#include "fuzz_git.h"
#include "import/kser_lib_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];
static git_repository *repo;
static int input_fd = -1;
static char input_path[64];

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	return remove(path);
}

static void cleanup(void)
{
	if (*scratch)
		nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	*scratch = '\0';
}

static void setup(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	git_libgit2_init();
	snprintf(scratch, sizeof(scratch), "%s/kser-fuzz-XXXXXX", tmp);
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		abort();
	}
	/* Gone when libFuzzer exits, and when a sanitizer stops it. */
	atexit(cleanup);
	__sanitizer_set_death_callback(cleanup);
	if (git_repository_init(&repo, scratch, 1) < 0) {
		fprintf(stderr, "cannot make a repository in '%s'\n", scratch);
		abort();
	}
	/* The input as a file, as kser base import is given one. */
	input_fd = memfd_create("tarball", MFD_CLOEXEC);
	if (input_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d",
		 input_fd);
}

static const struct kser_error *check(git_repository *objects,
				      const git_oid *tree, void *arg)
{
	fuzz_check_tree(objects, tree, false);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_oid tree;

	if (!repo)
		setup();
	if (ftruncate(input_fd, 0) < 0 ||
	    pwrite(input_fd, data, size, 0) != (ssize_t)size) {
		perror("writing the input");
		abort();
	}
	kser_base_read_tree(&tree, repo, input_path, 1, check, NULL);
	return 0;
}
