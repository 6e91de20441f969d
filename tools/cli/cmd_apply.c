// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/am.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/series.h"
#include "kser/util.h"
#include "kser_cli.h"

static const char apply_usage[] =
	"usage: kser apply [--repo DIR] [--onto REV] [--branch NAME] [-v N] "
	"[-3] [--force] [--patch-format=mbox|mboxrd] INPUT...\n"
	"\n"
	"Apply a patch series in memory and point a branch at the result.\n"
	"\n"
	"INPUT is an mbox (one mail or a whole thread: cover letter, replies,\n"
	"several versions), a directory of git format-patch files, a quilt\n"
	"directory (DIR/series or DIR/patches/series) or a single patch mail.\n"
	"The highest version is taken unless -v says otherwise; patches are\n"
	"ordered by their [PATCH i/n] numbers; Reviewed-by, Acked-by,\n"
	"Tested-by and similar trailers sent as replies are added to the\n"
	"patches they answer (replies to the cover letter: to all). Commits\n"
	"are made exactly as git am makes them. Nothing is changed unless\n"
	"every patch applies. The last line printed is the new tip.\n"
	"\n"
	"  --repo DIR       the repository (default: as git finds it)\n"
	"  --onto REV       apply on REV (default: the series' base-commit\n"
	"                   if the repository has it, else HEAD)\n"
	"  --branch NAME    the branch to create (default: from the cover\n"
	"                   letter's subject and the version)\n"
	"  -v, --version N  apply version N of the series\n"
	"  -3, --3way       fall back to a three-way merge when a patch does\n"
	"                   not apply exactly and its blobs are known\n"
	"  --force          move the branch if it exists (never one that is\n"
	"                   checked out in a worktree)\n"
	"  --scissors       drop the message above a '-- >8 --' line\n"
	"  --keep-cr        keep CRs at the ends of mbox lines\n"
	"  --patch-format=mboxrd\n"
	"                   the mboxes quote '>From ' lines once more, as\n"
	"                   lore and public-inbox export them (as git am;\n"
	"                   never guessed)\n";

struct apply_out {
	size_t shown;
};

static const struct kser_error *
print_patch(const struct kser_series_patch *p, size_t total,
	    const git_oid *commit, const struct kser_apply_report *rep,
	    void *arg)
{
	char hex[13];
	const char *n;

	(void)arg;
	git_oid_tostr(hex, sizeof(hex), commit);
	printf("[%u/%zu] %s %s\n", p->number, total, hex, p->mail->subject);
	for (n = kser_buf_cstr(&rep->notes); *n;) {
		const char *nl = strchr(n, '\n');
		int len = nl ? (int)(nl - n) : (int)strlen(n);

		printf("      note: %.*s\n", len, n);
		n += len + (nl ? 1 : 0);
	}
	if (p->ntrailers)
		printf("      +%zu trailer%s from replies\n", p->ntrailers,
		       p->ntrailers == 1 ? "" : "s");
	return NULL;
}

static const struct kser_error *resolve_base(git_oid *out, char *label,
					     size_t label_len,
					     git_repository *repo,
					     const char *onto,
					     const struct kser_series *s)
{
	git_object *obj = NULL, *commit = NULL;
	const struct kser_error *err = NULL;

	if (onto) {
		if (git_revparse_single(&obj, repo, onto) < 0)
			return kser_error_git("cannot resolve --onto '%s'",
					      onto);
		snprintf(label, label_len, "%s", onto);
	} else if (s->base_commit) {
		git_oid prefix, full;
		git_odb *odb = NULL;
		int found = -1;

		if (git_oid_fromstrn(&prefix, s->base_commit,
				     strlen(s->base_commit)) == 0 &&
		    git_repository_odb(&odb, repo) == 0)
			found = git_odb_exists_prefix(&full, odb, &prefix,
						      strlen(s->base_commit));
		git_odb_free(odb);
		if (found == 0 && git_object_lookup(&obj, repo, &full,
						    GIT_OBJECT_COMMIT) == 0) {
			snprintf(label, label_len, "base-commit %.12s",
				 s->base_commit);
		} else {
			fprintf(stderr, "kser: note: the series names "
				"base-commit %s, which the repository lacks; "
				"applying onto HEAD\n", s->base_commit);
		}
	}
	if (!obj) {
		if (git_revparse_single(&obj, repo, "HEAD") < 0)
			return kser_error_fmt(KSER_ERR_NOT_FOUND,
					      "no base to apply to: the "
					      "repository has no HEAD; use "
					      "--onto REV");
		snprintf(label, label_len, "HEAD");
	}
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0)
		err = kser_error_git("'%s' is not a commit", label);
	else
		git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	return err;
}

/* Whether the worktree of repository wr is on refname, or rebasing it. */
static bool worktree_uses(git_repository *wr, const char *refname)
{
	static const char *const state[] = { "rebase-merge/head-name",
					     "rebase-apply/head-name" };
	git_reference *head = NULL;
	bool yes = false;
	size_t i;

	if (git_reference_lookup(&head, wr, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    !strcmp(git_reference_symbolic_target(head), refname))
		yes = true;
	git_reference_free(head);
	for (i = 0; i < 2 && !yes; i++) {
		struct kser_buf path = KSER_BUF_INIT, name = KSER_BUF_INIT;

		kser_buf_printf(&path, "%s%s", git_repository_path(wr),
				state[i]);
		if (!kser_buf_check(&path) &&
		    !kser_read_file(&name, path.ptr)) {
			kser_buf_rtrim(&name);
			yes = !strcmp(kser_buf_cstr(&name), refname);
		}
		kser_buf_release(&path);
		kser_buf_release(&name);
	}
	return yes;
}

/*
 * The worktree (main or linked) that has refname checked out, as git
 * refuses to move such a branch: the worktree would show the difference
 * as changes of its own. *where is NULL when none has.
 */
static const struct kser_error *checked_out_at(char **where,
					       git_repository *repo,
					       const char *refname)
{
	git_strarray names = { 0 };
	git_repository *main_repo = NULL;
	size_t i;

	*where = NULL;
	if (git_repository_open(&main_repo,
				git_repository_commondir(repo)) == 0 &&
	    !git_repository_is_bare(main_repo) &&
	    worktree_uses(main_repo, refname))
		*where = strdup(git_repository_workdir(main_repo));
	git_repository_free(main_repo);
	if (git_worktree_list(&names, repo) < 0)
		return kser_error_git("cannot list the worktrees");
	for (i = 0; i < names.count && !*where; i++) {
		git_worktree *wt = NULL;
		git_repository *wr = NULL;

		if (git_worktree_lookup(&wt, repo, names.strings[i]) == 0 &&
		    git_repository_open_from_worktree(&wr, wt) == 0 &&
		    worktree_uses(wr, refname))
			*where = strdup(git_worktree_path(wt));
		git_repository_free(wr);
		git_worktree_free(wt);
	}
	git_strarray_dispose(&names);
	if (*where) {
		size_t n = strlen(*where);

		/* git names it without the final slash. */
		if (n > 1 && (*where)[n - 1] == '/')
			(*where)[n - 1] = '\0';
	}
	return NULL;
}

/* Keeps the cover letter and series facts with the branch. */
static void describe_branch(git_repository *repo, const char *branch,
			    const struct kser_series *s, const git_oid *base)
{
	struct kser_buf key = KSER_BUF_INIT, desc = KSER_BUF_INIT;
	git_config *cfg = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	if (git_repository_config(&cfg, repo) < 0)
		goto fail;
	if (s->cover) {
		kser_buf_printf(&desc, "%s\n\n%s", s->cover->subject,
				s->cover->message ? s->cover->message : "");
		kser_buf_rtrim(&desc);
		kser_buf_putc(&desc, '\n');
		kser_buf_printf(&key, "branch.%s.description", branch);
		if (kser_buf_check(&desc) || kser_buf_check(&key) ||
		    git_config_set_string(cfg, key.ptr, desc.ptr) < 0)
			goto fail;
	}
	kser_buf_clear(&key);
	kser_buf_printf(&key, "branch.%s.kserversion", branch);
	if (kser_buf_check(&key) ||
	    git_config_set_int32(cfg, key.ptr, (int32_t)s->version) < 0)
		goto fail;
	kser_buf_clear(&key);
	kser_buf_printf(&key, "branch.%s.kserbase", branch);
	git_oid_tostr(hex, sizeof(hex), base);
	if (kser_buf_check(&key) ||
	    git_config_set_string(cfg, key.ptr, hex) < 0)
		goto fail;
	goto done;
fail:
	fprintf(stderr, "kser: warning: cannot record the series "
		"description in the branch's configuration\n");
done:
	git_config_free(cfg);
	kser_buf_release(&key);
	kser_buf_release(&desc);
}

static const struct kser_error *cmd_apply(struct kser_cli *cli, int argc,
					  char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "onto", required_argument, NULL, 'o' },
		{ "branch", required_argument, NULL, 'b' },
		{ "version", required_argument, NULL, 'v' },
		{ "3way", no_argument, NULL, '3' },
		{ "force", no_argument, NULL, 'f' },
		{ "scissors", no_argument, NULL, 's' },
		{ "keep-cr", no_argument, NULL, 'k' },
		{ "patch-format", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_mail_options mopts = KSER_MAIL_OPTIONS_INIT;
	struct kser_am_options aopts = KSER_AM_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_series *series = NULL;
	struct kser_mailset set;
	struct kser_buf refname = KSER_BUF_INIT, log = KSER_BUF_INIT;
	const char *onto = NULL, *branch_opt = NULL, *note;
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	char *branch = NULL;
	char hex[GIT_OID_HEXSZ + 1], base_label[128];
	unsigned int version = 0;
	bool force = false;
	git_oid base, tip;
	int opt, valid = 0;
	size_t i, ntrailers = 0;

	kser_mailset_init(&set);
	mopts.cancel = aopts.cancel = kser_cli_cancel;
	while ((opt = getopt_long(argc, argv, "v:3fh", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o':
			onto = optarg;
			break;
		case 'b':
			branch_opt = optarg;
			break;
		case 'v': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 9999)
				return kser_cli_usage(&kser_cmd_apply,
						      "bad version '%s'",
						      optarg);
			version = (unsigned int)n;
			break;
		}
		case '3':
			aopts.three_way = true;
			break;
		case 'f':
			force = true;
			break;
		case 's':
			mopts.scissors = true;
			break;
		case 'k':
			mopts.keep_cr = true;
			break;
		case 'P':
			if (!strcmp(optarg, "mboxrd"))
				mopts.mboxrd = true;
			else if (!strcmp(optarg, "mbox"))
				mopts.mboxrd = false;
			else
				return kser_cli_usage(&kser_cmd_apply,
						      "patch format '%s' is "
						      "not supported (mbox, "
						      "mboxrd)", optarg);
			break;
		case 'h':
			fputs(apply_usage, stdout);
			return NULL;
		default:
			return kser_cli_usage(&kser_cmd_apply,
					      "unknown option");
		}
	}
	if (optind >= argc)
		return kser_cli_usage(&kser_cmd_apply, "no INPUT given");

	err = kser_cli_open_repo(&repo, cli, false);
	if (err)
		return err;
	for (i = (size_t)optind; i < (size_t)argc && !err; i++)
		err = kser_mailset_add(&set, argv[i], &mopts);
	if (!err)
		err = kser_series_select(&series, &set, version);
	if (err)
		goto done;

	branch = branch_opt ? strdup(branch_opt) :
		 kser_series_branch_name(series);
	if (!branch) {
		err = kser_error_nomem();
		goto done;
	}
	kser_buf_printf(&refname, "refs/heads/%s", branch);
	if (kser_buf_check(&refname)) {
		err = kser_error_nomem();
		goto done;
	}
	if (git_reference_name_is_valid(&valid, refname.ptr) < 0 || !valid) {
		err = kser_error_fmt(KSER_ERR_USAGE,
				     "'%s' is not a valid branch name",
				     branch);
		goto done;
	}
	if (git_reference_lookup(&ref, repo, refname.ptr) == 0) {
		char *where = NULL;

		if (!force) {
			err = kser_error_fmt(KSER_ERR_EXISTS,
					     "branch '%s' already exists; use "
					     "--branch NAME or --force", branch);
			goto done;
		}
		err = checked_out_at(&where, repo, refname.ptr);
		if (!err && where)
			err = kser_error_fmt(KSER_ERR_EXISTS,
					     "cannot force update the branch "
					     "'%s' checked out at '%s'",
					     branch, where);
		free(where);
		if (err)
			goto done;
	}
	err = resolve_base(&base, base_label, sizeof(base_label), repo, onto,
			   series);
	if (err)
		goto done;

	for (i = 0; i < series->npatches; i++)
		ntrailers += series->patches[i].ntrailers;
	printf("series: \"%s\" v%u, %zu patch%s%s", kser_series_title(series),
	       series->version, series->npatches,
	       series->npatches == 1 ? "" : "es",
	       series->cover ? ", with cover letter" : "");
	if (ntrailers)
		printf(", %zu trailer%s from %zu repl%s", ntrailers,
		       ntrailers == 1 ? "" : "s", series->nfollowups,
		       series->nfollowups == 1 ? "y" : "ies");
	printf("\n");
	for (note = kser_buf_cstr(&set.notes); *note;) {
		const char *nl = strchr(note, '\n');
		int len = nl ? (int)(nl - note) : (int)strlen(note);

		printf("note: %.*s\n", len, note);
		note += len + (nl ? 1 : 0);
	}
	git_oid_tostr(hex, sizeof(hex), &base);
	printf("base: %s (%.12s)\n", base_label, hex);

	err = kser_am_apply(&tip, repo, series, &base, &aopts, print_patch,
			    NULL);
	if (err)
		goto done;

	kser_buf_printf(&log, "kser apply: %s v%u", kser_series_title(series),
			series->version);
	if (kser_buf_check(&log)) {
		err = kser_error_nomem();
		goto done;
	}
	git_reference_free(ref);
	ref = NULL;
	/* A signal after the last patch still leaves no branch. */
	err = kser_cli_cancel(NULL);
	if (err)
		goto done;
	if (git_reference_create(&ref, repo, refname.ptr, &tip, force,
				 log.ptr) < 0) {
		err = kser_error_git("cannot create branch '%s'", branch);
		goto done;
	}
	describe_branch(repo, branch, series, &base);
	git_oid_tostr(hex, sizeof(hex), &tip);
	printf("branch: %s\n%s\n", branch, hex);
done:
	git_reference_free(ref);
	kser_buf_release(&refname);
	kser_buf_release(&log);
	free(branch);
	kser_series_free(series);
	kser_mailset_release(&set);
	git_repository_free(repo);
	return err;
}

const struct kser_cmd kser_cmd_apply = {
	.name = "apply",
	.fn = cmd_apply,
	.summary = "apply a patch series in memory onto a branch",
	.usage = apply_usage,
};
