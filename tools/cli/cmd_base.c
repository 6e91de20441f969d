// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/base.h"
#include "kser/error.h"
#include "kser_cli.h"

static const char base_usage[] =
	"usage: kser base import [--repo DIR] [--overlay DIR] [--label TEXT] "
	"[--force] [--threads N] SOURCE\n"
	"\n"
	"Import a kernel source tree as a base to apply series to.\n"
	"\n"
	"SOURCE is a source tarball (.tar.xz, .tar.gz, ...) or a directory.\n"
	"One commit holds the tree exactly: every file, executable bits and\n"
	"symlinks, no ignore rules. With --overlay, a second commit lays the\n"
	"overlay's files/ over the tree and applies its patches/. The result\n"
	"is deterministic (same inputs, same commit IDs on any machine) and a\n"
	"tag named after the version (e.g. v6.12.117) points at it. The last\n"
	"line printed is the commit ID. The repository is created if needed.\n"
	"Objects it already has are not written again, and a failed or\n"
	"interrupted import leaves it as it was.\n"
	"\n"
	"  --repo DIR       the repository (default: as git finds it)\n"
	"  --overlay DIR    lay DIR/files and DIR/patches over the tree\n"
	"  --label TEXT     name the tag TEXT instead of v<version>\n"
	"  --force          move the tag if it points elsewhere\n"
	"  --threads N      worker threads (default: one per CPU)\n";

static const struct kser_error *base_import(struct kser_cli *cli, int argc,
					    char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "overlay", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_base_import_options o = KSER_BASE_IMPORT_OPTIONS_INIT;
	struct kser_base_result res = { 0 };
	const struct kser_error *err;
	git_repository *repo = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int opt;

	o.cancel = kser_cli_cancel;
	while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o':
			o.overlay_dir = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 't': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 256)
				return kser_cli_usage(&kser_cmd_base,
						      "bad --threads '%s'",
						      optarg);
			o.threads = (unsigned int)n;
			break;
		}
		case 'h':
			fputs(base_usage, stdout);
			return NULL;
		default:
			return kser_cli_usage(&kser_cmd_base,
					      "unknown option");
		}
	}
	if (optind != argc - 1)
		return kser_cli_usage(&kser_cmd_base,
				      "base import takes one SOURCE");

	err = kser_cli_open_repo(&repo, cli, true);
	if (err)
		return err;
	err = kser_base_import(&res, repo, argv[optind], &o);
	if (err)
		goto done;

	printf("imported %zu files from '%s'", res.nfiles, argv[optind]);
	if (res.kernel_version)
		printf(" (Linux %s)", res.kernel_version);
	printf("\n");
	git_oid_tostr(hex, sizeof(hex), &res.source_commit);
	printf("source tree: %s\n", hex);
	if (o.overlay_dir)
		printf("overlay '%s': %zu new files, %zu patches\n",
		       o.overlay_dir, res.noverlay_files,
		       res.noverlay_patches);
	git_oid_tostr(hex, sizeof(hex), &res.commit);
	printf("%s %s\n", res.ref_unchanged ? "unchanged:" : "tagged:",
	       res.refname);
	printf("%s\n", hex);
done:
	kser_base_result_release(&res);
	git_repository_free(repo);
	return err;
}

static const struct kser_error *cmd_base(struct kser_cli *cli, int argc,
					 char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h"))) {
		fputs(base_usage, stdout);
		return NULL;
	}
	if (argc < 2)
		return kser_cli_usage(&kser_cmd_base, "missing subcommand");
	if (!strcmp(argv[1], "import"))
		return base_import(cli, argc - 1, argv + 1);
	return kser_cli_usage(&kser_cmd_base, "unknown subcommand '%s'",
			      argv[1]);
}

const struct kser_cmd kser_cmd_base = {
	.name = "base",
	.fn = cmd_base,
	.summary = "import a kernel source tree as a base",
	.usage = base_usage,
};
