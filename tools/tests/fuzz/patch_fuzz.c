// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the patch parser, then the apply engine: each text
 * file patch's hunks applied to the patch text itself, and the whole
 * patch applied (git am -3's fallback allowed) to the tree it expects
 * (fuzz_git.h), in a repository in memory. The tree written must be one
 * git fsck --strict accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_git.h"
#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/patch.h"
#include "patch/kser_lib_patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_repo fr;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_apply_options opts = KSER_APPLY_OPTIONS_INIT;
	struct kser_apply_report rep;
	struct kser_patch *p = NULL;
	struct kser_buf out = KSER_BUF_INIT;
	git_oid pre, post;
	size_t i;

	if (!fr.repo)
		fuzz_repo_open(&fr);
	if (kser_patch_parse(&p, (const char *)data, size, 1))
		return 0;
	for (i = 0; i < p->nfiles; i++)
		if (!p->files[i].is_binary)
			kser_apply_hunks(&out, (const char *)data, size,
					 &p->files[i], NULL);
	kser_buf_release(&out);

	fuzz_fake_tree(&pre, fr.repo, (const struct kser_patch *const *)&p, 1);
	opts.three_way = true;
	kser_apply_report_init(&rep);
	if (!kser_apply_to_tree(&post, fr.repo, &pre, p, &opts, &rep))
		fuzz_check_tree(fr.repo, &post, true);
	kser_apply_report_release(&rep);
	kser_patch_free(p);
	fuzz_repo_reset(&fr);
	return 0;
}
