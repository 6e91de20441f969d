// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/rangediff.h"
#include "kser/series.h"
#include "kser_cli.h"

static const char diff_usage[] =
	"usage: kser diff [--repo DIR] [--creation-factor N] [--json] [--stat]\n"
	"                 [--color[=WHEN] | --no-color] [-s] OLD NEW\n"
	"       kser diff [OPTIONS] BASE OLD-TIP NEW-TIP\n"
	"       kser diff [OPTIONS] OLD-TIP...NEW-TIP\n"
	"       kser diff [OPTIONS] THREAD\n"
	"\n"
	"Compare two versions of a patch series as git range-diff does,\n"
	"without applying anything.\n"
	"\n"
	"OLD and NEW are each a commit range (A..B or A...B), an mbox (one\n"
	"version, or a whole thread of several: the newest is taken unless\n"
	"--old-version/--new-version say otherwise), a directory of git\n"
	"format-patch files or a quilt directory, in any combination; an\n"
	"argument that names an existing file or directory is read as mails.\n"
	"A single THREAD compares its two newest versions. Patches are paired\n"
	"as git range-diff pairs them and shown in its format; for commit\n"
	"ranges the output is git range-diff's, byte for byte. Patches from\n"
	"mails are named by version and number: v3-0002 is patch 2 of v3.\n"
	"A version that lacks patches is compared as far as it goes, with a\n"
	"warning naming each missing one.\n"
	"\n"
	"  --repo DIR             the repository (for commit ranges)\n"
	"  --creation-factor N    the cost of an unpaired patch, in percent of\n"
	"                         its size (default 60)\n"
	"  --old-version N, --new-version N\n"
	"                         the versions to take from mails\n"
	"  --json                 pairs, statuses and diffs as JSON\n"
	"  --stat                 one line per pair, with the +/- line counts\n"
	"                         of the diff between its patches\n"
	"  -s, --no-patch         the pair lines only\n"
	"  --color[=WHEN]         always, never or auto (default: auto, colour\n"
	"                         on a terminal); --no-color is never\n"
	"  --max-memory SIZE      the cost matrix's limit, in MiB (default\n"
	"                         1024)\n";

struct side {
	const char *arg;
	bool mails;
	unsigned int version;	/* asked for; 0: newest */
	unsigned int got;	/* taken */
	struct kser_mailset set;
	struct kser_rangediff_list list;
};

static bool is_path(const char *arg)
{
	struct stat st;

	return !strcmp(arg, "-") || stat(arg, &st) == 0;
}

static const struct kser_error *parse_uint(const char *arg, const char *what,
					   unsigned int *out, unsigned int max)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (!*arg || *end || n > max)
		return kser_cli_usage(&kser_cmd_diff, "bad %s '%s'", what, arg);
	*out = (unsigned int)n;
	return NULL;
}

/* The versions a thread holds, ascending. */
static const struct kser_error *second_newest(struct side *s,
					      unsigned int *out)
{
	unsigned int newest = 0, second = 0;
	size_t i;

	for (i = 0; i < s->set.n; i++) {
		unsigned int v = s->set.v[i].info.version;

		if (s->set.v[i].role != KSER_ROLE_PATCH)
			continue;
		if (v > newest) {
			second = newest;
			newest = v;
		} else if (v < newest && v > second) {
			second = v;
		}
	}
	if (!second)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "'%s' holds only one version of the "
				      "series; name the other one too",
				      s->arg);
	*out = second;
	return NULL;
}

static const struct kser_error *load(struct side *s, git_repository **repo,
				     struct kser_cli *cli)
{
	struct kser_mail_options mopts = KSER_MAIL_OPTIONS_INIT;
	const struct kser_error *err;

	mopts.cancel = kser_cli_cancel;
	if (s->mails) {
		err = s->set.n ? NULL : kser_mailset_add(&s->set, s->arg,
							 &mopts);
		if (!err)
			err = kser_rangediff_list_from_mails(&s->list, &s->set,
							     s->version,
							     &s->got);
		return err ? kser_error_wrap(err, "'%s'", s->arg) : NULL;
	}
	if (!*repo) {
		err = kser_cli_open_repo(repo, cli, false);
		if (err)
			return kser_error_wrap(err, "'%s' is neither a file nor "
					       "a directory, and as a commit "
					       "range it needs a repository",
					       s->arg);
	}
	return kser_rangediff_list_from_range(&s->list, *repo, s->arg);
}

struct range_job {
	struct side *side;
	git_repository *repo;
	const struct kser_error *err;
};

static void *load_range(void *arg)
{
	struct range_job *job = arg;

	job->err = kser_rangediff_list_from_range(&job->side->list, job->repo,
						  job->side->arg);
	return NULL;
}

/*
 * Two ranges are read at once, each with its own repository handle (a
 * libgit2 repository is not to be shared between threads).
 */
static const struct kser_error *load_ranges(struct side *a, struct side *b,
					    git_repository **repo,
					    struct kser_cli *cli)
{
	struct range_job job = { b, NULL, NULL };
	const struct kser_error *err;
	pthread_t tid;
	bool threaded;

	err = kser_cli_open_repo(repo, cli, false);
	if (err)
		return err;
	if (git_repository_open(&job.repo, git_repository_path(*repo)) < 0)
		return kser_error_git("cannot open the repository");
	threaded = pthread_create(&tid, NULL, load_range, &job) == 0;
	err = kser_rangediff_list_from_range(&a->list, *repo, a->arg);
	if (threaded)
		pthread_join(tid, NULL);
	else
		load_range(&job);
	git_repository_free(job.repo);
	return err ? err : job.err;
}

static const char *patch_id(const struct kser_rangediff_list *l, long i)
{
	return i >= 0 ? l->v[i].id : NULL;
}

static json_t *json_warnings(const struct kser_buf *w, json_t *arr)
{
	const char *p = kser_buf_cstr(w);

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > 9 && !strncmp(p, "warning: ", 9))
			json_array_append_new(arr, json_stringn(p + 9, n - 9));
		else
			json_array_append_new(arr, json_stringn(p, n));
		p += n + (nl ? 1 : 0);
	}
	return arr;
}

static json_t *json_side(const struct side *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "input", json_string(s->arg));
	json_object_set_new(o, "kind", json_string(s->mails ? "mails" :
						   "range"));
	if (s->mails)
		json_object_set_new(o, "version", json_integer(s->got));
	json_object_set_new(o, "patches", json_integer((json_int_t)s->list.n));
	return o;
}

static const struct kser_error *write_json(const struct kser_rangediff *rd,
					   const struct side *a,
					   const struct side *b)
{
	json_t *root = json_object(), *pairs = json_array();
	json_t *warnings = json_array();
	struct kser_buf diff = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	size_t i;
	char *text;

	for (i = 0; i < rd->npairs && !err; i++) {
		const struct kser_rangediff_pair *p = &rd->pairs[i];
		const struct kser_rangediff_patch *x =
			p->a >= 0 ? &a->list.v[p->a] : NULL;
		const struct kser_rangediff_patch *y =
			p->b >= 0 ? &b->list.v[p->b] : NULL;
		const char *subject = x ? x->subject : y->subject;
		char st[2] = { p->status, '\0' };
		json_t *o = json_object();
		size_t adds = 0, dels = 0;

		json_object_set_new(o, "old", x ? json_integer(p->a + 1) :
				    json_null());
		json_object_set_new(o, "new", y ? json_integer(p->b + 1) :
				    json_null());
		json_object_set_new(o, "old_id", x ? json_string(patch_id(
					    &a->list, p->a)) : json_null());
		json_object_set_new(o, "new_id", y ? json_string(patch_id(
					    &b->list, p->b)) : json_null());
		json_object_set_new(o, "status", json_string(st));
		json_object_set_new(o, "subject", subject ?
				    json_string(subject) : json_null());
		kser_buf_clear(&diff);
		if (p->status == '!')
			err = kser_rangediff_diff(&diff, x, y, false, &adds,
						  &dels);
		json_object_set_new(o, "diff", p->status == '!' ?
				    json_stringn(kser_buf_cstr(&diff),
						 diff.len) : json_null());
		json_object_set_new(o, "added", json_integer((json_int_t)adds));
		json_object_set_new(o, "removed",
				    json_integer((json_int_t)dels));
		json_array_append_new(pairs, o);
	}
	json_object_set_new(root, "old", json_side(a));
	json_object_set_new(root, "new", json_side(b));
	json_object_set_new(root, "pairs", pairs);
	json_warnings(&a->list.warnings, warnings);
	json_warnings(&b->list.warnings, warnings);
	json_object_set_new(root, "warnings", warnings);
	text = err ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!err && !text)
		err = kser_error_nomem();
	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
		free(text);
	}
	json_decref(root);
	kser_buf_release(&diff);
	return err;
}

static bool want_color(const char *when)
{
	const char *term = getenv("TERM");

	if (!strcmp(when, "always"))
		return true;
	if (!strcmp(when, "never"))
		return false;
	return isatty(STDOUT_FILENO) && term && strcmp(term, "dumb");
}

static const struct kser_error *cmd_diff(struct kser_cli *cli, int argc,
					 char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "creation-factor", required_argument, NULL, 'c' },
		{ "old-version", required_argument, NULL, 'O' },
		{ "new-version", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "stat", no_argument, NULL, 'S' },
		{ "no-patch", no_argument, NULL, 's' },
		{ "color", optional_argument, NULL, 'C' },
		{ "colour", optional_argument, NULL, 'C' },
		{ "no-color", no_argument, NULL, 'n' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_rangediff_options ropts = KSER_RANGEDIFF_OPTIONS_INIT;
	struct kser_mail_options mopts = KSER_MAIL_OPTIONS_INIT;
	struct kser_rangediff_output out_opts = { false, false, false };
	struct kser_rangediff rd = { NULL, 0 };
	const struct kser_error *err = NULL;
	struct kser_buf range1 = KSER_BUF_INIT, range2 = KSER_BUF_INIT;
	struct kser_buf out = KSER_BUF_INIT;
	struct side a, b;
	git_repository *repo = NULL;
	const char *color = "auto";
	unsigned int n = 0, old_version = 0, new_version = 0;
	bool json = false;
	int opt, nargs;

	mopts.cancel = kser_cli_cancel;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	kser_mailset_init(&a.set);
	kser_mailset_init(&b.set);
	kser_rangediff_list_init(&a.list);
	kser_rangediff_list_init(&b.list);
	while ((opt = getopt_long(argc, argv, "sh", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'c':
			err = parse_uint(optarg, "creation factor", &n, 100000);
			ropts.creation_factor = (int)n;
			break;
		case 'O':
			err = parse_uint(optarg, "version", &old_version, 9999);
			break;
		case 'N':
			err = parse_uint(optarg, "version", &new_version, 9999);
			break;
		case 'M':
			err = parse_uint(optarg, "--max-memory", &n, 1 << 20);
			ropts.max_memory = (size_t)n << 20;
			break;
		case 'j':
			json = true;
			break;
		case 'S':
			out_opts.stat = true;
			break;
		case 's':
			out_opts.no_patch = true;
			break;
		case 'C':
			color = optarg ? optarg : "always";
			if (strcmp(color, "always") && strcmp(color, "never") &&
			    strcmp(color, "auto"))
				err = kser_cli_usage(&kser_cmd_diff,
						     "bad --color '%s'", color);
			break;
		case 'n':
			color = "never";
			break;
		case 'h':
			fputs(diff_usage, stdout);
			goto done;
		default:
			err = kser_cli_usage(&kser_cmd_diff, "unknown option");
			break;
		}
		if (err)
			goto done;
	}
	nargs = argc - optind;
	argv += optind;
	if (nargs == 1 && is_path(argv[0])) {
		/* A thread: its two newest versions, or those asked for. */
		a.arg = b.arg = argv[0];
		a.mails = b.mails = true;
		err = kser_mailset_add(&a.set, argv[0], &mopts);
		if (!err)
			err = kser_mailset_add(&b.set, argv[0], &mopts);
		if (!err && !old_version)
			err = second_newest(&a, &old_version);
		if (err)
			goto done;
	} else if (nargs == 1 && strstr(argv[0], "...")) {
		const char *dots = strstr(argv[0], "...");
		int alen = (int)(dots - argv[0]);
		const char *tip_a = alen ? argv[0] : "HEAD";
		const char *tip_b = dots[3] ? dots + 3 : "HEAD";

		if (!alen)
			alen = 4;
		kser_buf_printf(&range1, "%s..%.*s", tip_b, alen, tip_a);
		kser_buf_printf(&range2, "%.*s..%s", alen, tip_a, tip_b);
		a.arg = kser_buf_cstr(&range1);
		b.arg = kser_buf_cstr(&range2);
	} else if (nargs == 2) {
		a.arg = argv[0];
		b.arg = argv[1];
		a.mails = is_path(a.arg);
		b.mails = is_path(b.arg);
	} else if (nargs == 3) {
		kser_buf_printf(&range1, "%s..%s", argv[0], argv[1]);
		kser_buf_printf(&range2, "%s..%s", argv[0], argv[2]);
		a.arg = kser_buf_cstr(&range1);
		b.arg = kser_buf_cstr(&range2);
	} else {
		err = kser_cli_usage(&kser_cmd_diff, nargs ? "too many "
				     "arguments" : "nothing to compare");
		goto done;
	}
	if (kser_buf_check(&range1) || kser_buf_check(&range2)) {
		err = kser_error_nomem();
		goto done;
	}
	a.version = old_version;
	b.version = new_version;
	if (!a.mails && !b.mails) {
		err = load_ranges(&a, &b, &repo, cli);
	} else {
		err = load(&a, &repo, cli);
		if (!err)
			err = load(&b, &repo, cli);
	}
	if (err)
		goto done;
	fputs(kser_buf_cstr(&a.list.warnings), stderr);
	fputs(kser_buf_cstr(&b.list.warnings), stderr);
	err = kser_rangediff_compare(&rd, &a.list, &b.list, &ropts);
	if (err)
		goto done;
	if (json) {
		err = write_json(&rd, &a, &b);
		goto done;
	}
	out_opts.color = want_color(color);
	err = kser_rangediff_write(&out, &rd, &a.list, &b.list, &out_opts);
	if (!err)
		fwrite(kser_buf_cstr(&out), 1, out.len, stdout);
done:
	kser_buf_release(&out);
	kser_buf_release(&range1);
	kser_buf_release(&range2);
	kser_rangediff_release(&rd);
	kser_rangediff_list_release(&a.list);
	kser_rangediff_list_release(&b.list);
	kser_mailset_release(&a.set);
	kser_mailset_release(&b.set);
	git_repository_free(repo);
	return err;
}

const struct kser_cmd kser_cmd_diff = {
	.name = "diff",
	.fn = cmd_diff,
	.summary = "compare two versions of a series, as git range-diff",
	.usage = diff_usage,
};
