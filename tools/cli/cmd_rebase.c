// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/rebase.h"
#include "kser_cli.h"

static const char rebase_usage[] =
	"usage: kser rebase [--repo DIR] --onto REV [--upstream REV] "
	"[--empty=drop|keep|stop] [BRANCH]\n"
	"       kser rebase [--repo DIR] --continue | --skip | --abort\n"
	"\n"
	"Move the commits of BRANCH (default: the branch HEAD names) that are\n"
	"not in its upstream onto REV, in memory, making the commits git\n"
	"rebase makes. The upstream is --upstream, else the base kser apply\n"
	"applied the branch on. The branch moves once, at the end; its old\n"
	"tip stays in its reflog and in refs/kser/rebase/BRANCH/orig. A\n"
	"checked-out branch must be clean, and its files are updated.\n"
	"\n"
	"On a conflict the rebase stops: the work tree (the repository's, or\n"
	"one kser makes under the git directory) holds the partial result\n"
	"with conflict markers and the index the conflict stages. Resolve,\n"
	"'git add', then --continue; or --skip the patch; or --abort.\n"
	"\n"
	"  --repo DIR       the repository (default: as git finds it)\n"
	"  --onto REV       the new base\n"
	"  --upstream REV   the commits of BRANCH not in REV are moved\n"
	"  --empty=WHAT     a patch whose changes are already in the new\n"
	"                   base: drop it (the default, as git), keep it as\n"
	"                   an empty commit, or stop\n"
	"  --continue       commit the resolved patch and go on\n"
	"  --skip           drop the patch the rebase stopped at and go on\n"
	"  --abort          put branch, HEAD, index and work tree back\n";

static const struct kser_error *on_event(const struct kser_rebase_event *ev,
					 void *arg)
{
	char old[13], new[13];

	(void)arg;
	git_oid_tostr(old, sizeof(old), ev->old_commit);
	switch (ev->kind) {
	case KSER_REBASE_PICKED:
		git_oid_tostr(new, sizeof(new), ev->new_commit);
		printf("[%zu/%zu] %s %s%s\n", ev->index, ev->total, new,
		       ev->subject, ev->reused ? " (unchanged)" :
		       ev->patch_id_changed ? " (patch changed)" : "");
		break;
	case KSER_REBASE_DROPPED_UPSTREAM:
		printf("dropping %s %s -- already upstream (same patch-id)\n",
		       git_oid_tostr_s(ev->old_commit), ev->subject);
		break;
	case KSER_REBASE_DROPPED_EMPTY:
		printf("dropping %s %s -- patch contents already upstream\n",
		       git_oid_tostr_s(ev->old_commit), ev->subject);
		break;
	case KSER_REBASE_SKIPPED:
		printf("[%zu/%zu] skipped %s %s\n", ev->index, ev->total, old,
		       ev->subject);
		break;
	}
	return NULL;
}

static const struct kser_error *report(const struct kser_rebase_result *r)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	switch (r->status) {
	case KSER_REBASE_UP_TO_DATE:
		printf("branch '%s' is up to date\n%s\n", r->branch,
		       git_oid_tostr(hex, sizeof(hex), &r->tip));
		return NULL;
	case KSER_REBASE_DONE:
		printf("rebased '%s' onto %.12s: %zu picked, %zu dropped, "
		       "%zu patch%s changed\n", r->branch,
		       git_oid_tostr_s(&r->onto), r->picked, r->dropped,
		       r->changed_ids, r->changed_ids == 1 ? "" : "es");
		printf("old tip: %.12s (refs/kser/rebase/%s/orig)\n%s\n",
		       git_oid_tostr_s(&r->orig), r->branch,
		       git_oid_tostr(hex, sizeof(hex), &r->tip));
		return NULL;
	case KSER_REBASE_ABORTED:
		printf("rebase of '%s' aborted; it is at %.12s\n", r->branch,
		       git_oid_tostr_s(&r->orig));
		return NULL;
	case KSER_REBASE_STOPPED_EMPTY:
		printf("stopped at patch %zu/%zu '%s': it is empty now\n"
		       "  kser rebase --continue  to drop it\n"
		       "  kser rebase --skip      likewise\n"
		       "  kser rebase --abort     to put everything back\n",
		       r->index, r->total, r->subject);
		break;
	case KSER_REBASE_STOPPED_CONFLICT:
		fputs(r->messages ? r->messages : "", stdout);
		printf("stopped at patch %zu/%zu '%s' (%.12s): conflict in\n",
		       r->index, r->total, r->subject,
		       git_oid_tostr_s(&r->commit));
		for (i = 0; i < r->npaths; i++)
			printf("  %s\n", r->paths[i]);
		if (r->linked_worktree)
			printf("the branch is not checked out here, so kser "
			       "made a work tree for the resolution:\n  %s\n",
			       r->workdir);
		printf("resolve in %s (git status, git diff and git mergetool "
		       "work there), 'git add' the files, then\n"
		       "  kser rebase --continue  to commit it and go on\n"
		       "  kser rebase --skip      to drop this patch\n"
		       "  kser rebase --abort     to put everything back\n",
		       r->workdir ? r->workdir : "the work tree");
		break;
	}
	return kser_error_fmt(KSER_ERR_CONFLICT, "%s", KSER_CLI_QUIET_FAILURE);
}

static const struct kser_error *cmd_rebase(struct kser_cli *cli, int argc,
					   char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "onto", required_argument, NULL, 'o' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "empty", required_argument, NULL, 'e' },
		{ "continue", no_argument, NULL, 'c' },
		{ "skip", no_argument, NULL, 's' },
		{ "abort", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_rebase_options ro = KSER_REBASE_OPTIONS_INIT;
	struct kser_rebase_result *res = NULL;
	const struct kser_error *err;
	git_repository *repo = NULL;
	int opt, action = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o':
			ro.onto = optarg;
			break;
		case 'u':
			ro.upstream = optarg;
			break;
		case 'e':
			if (!strcmp(optarg, "drop"))
				ro.empty = KSER_REBASE_EMPTY_DROP;
			else if (!strcmp(optarg, "keep"))
				ro.empty = KSER_REBASE_EMPTY_KEEP;
			else if (!strcmp(optarg, "stop") ||
				 !strcmp(optarg, "ask"))
				ro.empty = KSER_REBASE_EMPTY_STOP;
			else
				return kser_cli_usage(&kser_cmd_rebase,
						      "bad --empty '%s'",
						      optarg);
			break;
		case 'c':
		case 's':
		case 'a':
			if (action && action != opt)
				return kser_cli_usage(&kser_cmd_rebase,
						      "--continue, --skip and "
						      "--abort exclude each "
						      "other");
			action = opt;
			break;
		case 'h':
			fputs(rebase_usage, stdout);
			return NULL;
		default:
			return kser_cli_usage(&kser_cmd_rebase,
					      "unknown option");
		}
	}
	if (action && (ro.onto || ro.upstream || optind < argc))
		return kser_cli_usage(&kser_cmd_rebase, "--continue, --skip "
				      "and --abort take no other arguments");
	if (!action && !ro.onto)
		return kser_cli_usage(&kser_cmd_rebase, "no --onto REV given");
	if (optind + 1 < argc)
		return kser_cli_usage(&kser_cmd_rebase, "one BRANCH at most");
	if (optind < argc)
		ro.branch = argv[optind];
	ro.progress = on_event;
	ro.cancel = kser_cli_cancel;

	err = kser_cli_open_repo(&repo, cli, false);
	if (err)
		return err;
	/* Trees are read over and over on the paths a series touches. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
			 (size_t)1 << 20);
	/* Blobs are read by the merge and again for the patch-ids. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB,
			 (size_t)4 << 20);
	/* git does not hash what it reads back, nor does kser elsewhere. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	switch (action) {
	case 'c':
		err = kser_rebase_continue(&res, repo, &ro);
		break;
	case 's':
		err = kser_rebase_skip(&res, repo, &ro);
		break;
	case 'a':
		err = kser_rebase_abort(&res, repo);
		break;
	default:
		err = kser_rebase_start(&res, repo, &ro);
		break;
	}
	if (!err)
		err = report(res);
	kser_rebase_result_free(res);
	git_repository_free(repo);
	return err;
}

const struct kser_cmd kser_cmd_rebase = {
	.name = "rebase",
	.fn = cmd_rebase,
	.summary = "move a branch onto a new base, in memory",
	.usage = rebase_usage,
};
