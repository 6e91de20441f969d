// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/export.h"
#include "kser/util.h"
#include "kser_cli.h"

static const char export_usage[] =
	"usage: kser export [--repo DIR] [--series DIR] [-v N]\n"
	"                   [-o DIR | --mbox FILE | --stdout] [--cover FILE]\n"
	"                   [--to ADDR]... [--cc ADDR]... [--no-auto-cc]\n"
	"                   [--prev REV|DIR|MBOX] [--creation-factor N]\n"
	"                   [--force] RANGE\n"
	"\n"
	"Write a verified series as the mails of one version: git format-patch's\n"
	"patches, threaded under a cover letter laid out as b4 lays it out.\n"
	"\n"
	"RANGE is BASE..TIP, or a branch kser apply made (its base is\n"
	"recorded). Every patch must have passed kser verify's checks (build,\n"
	"KUnit, checkpatch), by its cache; otherwise nothing is written and\n"
	"each patch is named with what is missing or failed. Recipients come\n"
	"from the tree's scripts/get_maintainer.pl, as b4 takes them (people\n"
	"to To, lists to Cc), the series settings ([mail] to, cc) and the\n"
	"options. Message-Ids are derived from the change-id, the version and\n"
	"the patch number, so the same export gives the same bytes.\n"
	"\n"
	"  --repo DIR         the repository (default: as git finds it)\n"
	"  --series DIR       the series' directory (its series.conf): settings,\n"
	"                     checks, versions already sent\n"
	"  -v, --version N    the version (default: the branch's, as kser apply\n"
	"                     recorded it, else 1)\n"
	"  -o, --output DIR   one file per mail in DIR, named as git format-patch\n"
	"                     names them (default: the current directory)\n"
	"  --mbox FILE        all the mails in one mbox\n"
	"  --stdout           the mbox on the standard output\n"
	"  --cover FILE       the cover letter's text: its subject on the first\n"
	"                     line, a blank line, the description (default: the\n"
	"                     settings' version.N.cover, else the branch\n"
	"                     description)\n"
	"  --to ADDR, --cc ADDR\n"
	"                     more recipients of every mail\n"
	"  --no-auto-cc       do not run scripts/get_maintainer.pl\n"
	"  --prev REV|DIR|MBOX\n"
	"                     the previous version, for the range-diff in the\n"
	"                     cover letter: a range, a revision (its commits\n"
	"                     not in RANGE), or mails (default: vN-1/ of the\n"
	"                     series' directory, if there is one)\n"
	"  --creation-factor N\n"
	"                     the range-diff's, in percent, as git range-diff\n"
	"                     takes it (default: the settings'\n"
	"                     version.N.creation-factor, else 999)\n"
	"  --force            export even what is not verified; the cover\n"
	"                     letter says so (X-Kser-Unverified and a line\n"
	"                     under ---)\n";

static const struct kser_error *add_arg(char ***v, size_t *n,
					const char *arg)
{
	char **x = realloc(*v, (*n + 1) * sizeof(**v));

	if (!x)
		return kser_error_nomem();
	*v = x;
	x[(*n)++] = (char *)arg;
	return NULL;
}

static const struct kser_error *cmd_export(struct kser_cli *cli, int argc,
					   char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "series", required_argument, NULL, 's' },
		{ "version", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' },
		{ "mbox", required_argument, NULL, 'm' },
		{ "stdout", no_argument, NULL, 'S' },
		{ "cover", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "cc", required_argument, NULL, 'C' },
		{ "no-auto-cc", no_argument, NULL, 'n' },
		{ "prev", required_argument, NULL, 'p' },
		{ "creation-factor", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_export_options eo = KSER_EXPORT_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_export *e = NULL;
	struct kser_buf mbox = KSER_BUF_INIT;
	git_repository *repo = NULL;
	const char *out_dir = NULL, *mbox_path = NULL;
	char **to = NULL, **cc = NULL;
	bool to_stdout = false;
	int opt, outputs = 0;
	size_t i;

	while ((opt = getopt_long(argc, argv, "v:o:fh", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 's':
			eo.series_dir = optarg;
			break;
		case 'v': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || !v || v > 9999)
				err = kser_cli_usage(&kser_cmd_export,
						     "bad version '%s'",
						     optarg);
			eo.series_version = (unsigned int)v;
			break;
		}
		case 'o':
			out_dir = optarg;
			outputs++;
			break;
		case 'm':
			mbox_path = optarg;
			outputs++;
			break;
		case 'S':
			to_stdout = true;
			outputs++;
			break;
		case 'c':
			eo.cover_file = optarg;
			break;
		case 't':
			err = add_arg(&to, &eo.nto, optarg);
			break;
		case 'C':
			err = add_arg(&cc, &eo.ncc, optarg);
			break;
		case 'n':
			eo.no_auto_cc = true;
			break;
		case 'p':
			eo.prev = optarg;
			break;
		case 'F': {
			char *end;
			unsigned long f = strtoul(optarg, &end, 10);

			if (!*optarg || *end || !f ||
			    f > KSER_EXPORT_CREATION_FACTOR_MAX)
				err = kser_cli_usage(&kser_cmd_export,
						     "bad creation factor '%s'",
						     optarg);
			eo.creation_factor = (unsigned int)f;
			break;
		}
		case 'f':
			eo.force = true;
			break;
		case 'h':
			fputs(export_usage, stdout);
			goto done;
		default:
			err = kser_cli_usage(&kser_cmd_export,
					     "unknown option");
			break;
		}
		if (err)
			goto done;
	}
	if (outputs > 1) {
		err = kser_cli_usage(&kser_cmd_export, "-o, --mbox and "
				     "--stdout exclude each other");
		goto done;
	}
	if (argc - optind != 1) {
		err = kser_cli_usage(&kser_cmd_export, argc - optind ?
				     "one RANGE only" : "no RANGE");
		goto done;
	}
	eo.to = to;
	eo.cc = cc;
	eo.cancel_cb = kser_cli_cancel;
	err = kser_cli_open_repo(&repo, cli, false);
	if (!err)
		err = kser_export_prepare(&e, repo, argv[optind], &eo);
	if (err)
		goto done;
	fputs(kser_buf_cstr(&e->notes), stderr);
	if (to_stdout || mbox_path) {
		kser_export_mbox(e, &mbox);
		err = kser_buf_check(&mbox);
		if (!err && to_stdout)
			fwrite(mbox.ptr, 1, mbox.len, stdout);
		else if (!err)
			err = kser_write_file_atomic(mbox_path, mbox.ptr,
						     mbox.len);
	} else {
		if (!out_dir)
			out_dir = ".";
		err = kser_export_write_dir(e, out_dir);
		for (i = 0; !err && i < e->nmails; i++)
			printf("%s/%s\n", out_dir, e->mails[i].file_name);
	}
	if (!err && e->change_id_new)
		fprintf(stderr, "kser: new change-id %s (keep it: [series] "
			"change-id in the series settings)\n", e->change_id);
done:
	kser_buf_release(&mbox);
	kser_export_free(e);
	git_repository_free(repo);
	free(to);
	free(cc);
	return err;
}

const struct kser_cmd kser_cmd_export = {
	.name = "export",
	.fn = cmd_export,
	.summary = "write a verified series as mails, with a cover letter",
	.usage = export_usage,
};
