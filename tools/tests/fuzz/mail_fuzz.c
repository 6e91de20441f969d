// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: an mbox as kser apply reads one, all the way. The
 * input, as a file, goes into a mailset (mailsplit, mailinfo, subjects),
 * every mail's commit message is made and its patch parsed (with its
 * length: it may hold NUL bytes), then every version of the series in it
 * is picked out (threading, trailers from replies, the cover letter),
 * each patch's message made, and the newest version applied as git am
 * would, onto the tree its patches expect (fuzz_git.h), in a repository
 * in memory. The tip's tree must be one git fsck --strict accepts.
 *
 * An input with a CR, a ">From " line or scissors ("8<", ">8") is read
 * a second time with --keep-cr, --patch-format=mboxrd and --scissors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_git.h"
#include "kser/am.h"
#include "kser/buf.h"
#include "kser/mail.h"
#include "kser/patch.h"
#include "kser/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Versions picked out of one input, newest first. */
#define MAX_VERSIONS 4

static struct fuzz_repo fr;
static git_signature *committer;
static int input_fd = -1;
static char input_path[64];

static void setup(void)
{
	fuzz_repo_open(&fr);
	if (git_signature_new(&committer, "C O Mitter",
			      "committer@example.org", 1700000000, 60) < 0)
		abort();
	input_fd = memfd_create("mbox", MFD_CLOEXEC);
	if (input_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d",
		 input_fd);
}

/* git am onto the tree the patches expect; the result is checked. */
static void am(const struct kser_series *s)
{
	struct kser_am_options opts = KSER_AM_OPTIONS_INIT;
	struct kser_patch **patches = calloc(s->npatches + 1,
					     sizeof(*patches));
	git_oid tree_id, base, tip;
	git_tree *tree = NULL;
	git_commit *tip_commit = NULL;
	size_t i, n = 0;

	if (!patches)
		abort();
	for (i = 0; i < s->npatches; i++)
		if (s->patches[i].mail->patch &&
		    !kser_patch_parse(&patches[n], s->patches[i].mail->patch,
				      s->patches[i].mail->patch_len, 1))
			n++;
	fuzz_fake_tree(&tree_id, fr.repo,
		       (const struct kser_patch *const *)patches, n);
	for (i = 0; i < n; i++)
		kser_patch_free(patches[i]);
	free(patches);
	if (git_tree_lookup(&tree, fr.repo, &tree_id) < 0 ||
	    git_commit_create(&base, fr.repo, NULL, committer, committer,
			      NULL, "base\n", tree, 0, NULL) < 0)
		abort();
	git_tree_free(tree);
	opts.committer = committer;
	opts.three_way = true;
	if (kser_am_apply(&tip, fr.repo, s, &base, &opts, NULL, NULL))
		return;
	if (git_commit_lookup(&tip_commit, fr.repo, &tip) < 0)
		abort();
	fuzz_check_tree(fr.repo, git_commit_tree_id(tip_commit), true);
	git_commit_free(tip_commit);
}

static void series(struct kser_mailset *set, unsigned int version,
		   unsigned int *versions, size_t *nversions)
{
	struct kser_series *s = NULL;
	struct kser_buf msg = KSER_BUF_INIT;
	size_t i;

	if (kser_series_select(&s, set, version))
		return;
	kser_series_title(s);
	free(kser_series_branch_name(s));
	for (i = 0; i < s->npatches; i++) {
		kser_buf_clear(&msg);
		kser_series_commit_message(&msg, &s->patches[i]);
	}
	kser_buf_release(&msg);
	if (!version) {
		for (i = 0; i < s->nversions && i < MAX_VERSIONS; i++)
			versions[i] = s->versions[s->nversions - 1 - i];
		*nversions = i;
		am(s);
	}
	kser_series_free(s);
}

static void run(const struct kser_mail_options *opts)
{
	struct kser_mailset set;
	struct kser_buf msg = KSER_BUF_INIT;
	unsigned int versions[MAX_VERSIONS];
	size_t nversions = 0, i;

	kser_mailset_init(&set);
	if (kser_mailset_add(&set, input_path, opts))
		goto done;
	for (i = 0; i < set.n; i++) {
		const struct kser_mail *m = set.v[i].mail;
		struct kser_patch *p = NULL;

		kser_buf_clear(&msg);
		kser_mail_commit_message(&msg, m);
		if (m->patch && !kser_patch_parse(&p, m->patch, m->patch_len,
						  1))
			kser_patch_free(p);
	}
	series(&set, 0, versions, &nversions);
	/* The older versions too: versions[0] is the one just picked. */
	for (i = 1; i < nversions; i++)
		series(&set, versions[i], NULL, NULL);
done:
	kser_buf_release(&msg);
	kser_mailset_release(&set);
	fuzz_repo_reset(&fr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_mail_options plain = KSER_MAIL_OPTIONS_INIT;
	struct kser_mail_options all = KSER_MAIL_OPTIONS_INIT;

	if (!fr.repo)
		setup();
	if (ftruncate(input_fd, 0) < 0 ||
	    pwrite(input_fd, data, size, 0) != (ssize_t)size) {
		perror("writing the input");
		abort();
	}
	run(&plain);
	if (memchr(data, '\r', size) || memmem(data, size, ">From ", 6) ||
	    memmem(data, size, "8<", 2) || memmem(data, size, ">8", 2)) {
		all.keep_cr = all.mboxrd = all.scissors = true;
		run(&all);
	}
	return 0;
}
