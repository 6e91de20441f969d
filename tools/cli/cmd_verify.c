// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/settings.h"
#include "kser/verify.h"
#include "kser_cli.h"

static const char verify_usage[] =
	"usage: kser verify [--repo DIR] [--series DIR [--version N]]\n"
	"                   [--checks LIST] [--json FILE] [--junit FILE]\n"
	"                   [--no-cache] [--no-fast-path] [--paranoid]\n"
	"                   [--jobs N] RANGE\n"
	"\n"
	"Build, KUnit-test and checkpatch every commit of RANGE (BASE..TIP).\n"
	"\n"
	"Each commit is built for ARCH=um with the series' .kunitconfig in a\n"
	"persistent build directory through ccache (the base too, as the\n"
	"reference for warnings), booted to run its KUnit suites, and its\n"
	"patch is checked with the tree's scripts/checkpatch.pl (every\n"
	"patch from the start, on the cores the builds leave). When a patch\n"
	"changes only existing sources and headers, the stale objects are\n"
	"recompiled with kbuild's recorded commands and the kernel relinked\n"
	"without make's walk of the tree (the fast path); anything else is\n"
	"built by make. A patch fails its build if it adds a compiler warning the\n"
	"previous commit did not have. Results are cached in the repository\n"
	"(refs/kser/verify/) by what determines them: nothing runs twice.\n"
	"The user's work tree, index and branches are never touched.\n"
	"verify.ccacheRemote (a redis:// URL) shares ccache's cache between\n"
	"machines and verify.distccHosts sends compiles to distcc hosts, from\n"
	"git config or the series settings (kser-verify(1), Build farm).\n"
	"\n"
	"  --repo DIR       the repository (default: as git finds it)\n"
	"  --series DIR     the series' settings (DIR/series.conf)\n"
	"  --version N      only the configurations version N of the series\n"
	"                   names ([version \"N\"] verify = ...)\n"
	"  --checks LIST    comma-separated: build, kunit, checkpatch, and\n"
	"                   build:NAME, kunit:NAME for further configurations\n"
	"  --json FILE      write one record per patch and check\n"
	"  --junit FILE     write JUnit XML\n"
	"  --no-cache       run every check again\n"
	"  --no-fast-path   build with plain make only (no fast path)\n"
	"  --paranoid       after each fast-path build, run make: it must\n"
	"                   find nothing to rebuild\n"
	"  --jobs N         make -jN (default: one per CPU)\n"
	"\n"
	"Exit status: 0 when every check of every patch passed (but for the\n"
	"failures marked FAIL*, which the configuration expects), 1 otherwise.\n";

/* Without a terminal, a line at least this often (KSER_PROGRESS_INTERVAL). */
#define PROGRESS_INTERVAL_S 30

struct ui {
	bool tty;
	bool started;
	uint64_t run_start;
	uint64_t last_line;	/* when a line was last printed */
	uint64_t interval;	/* ms between progress lines */
	uint64_t *since;	/* when each check of the row started, and
				 * (last) the checkout */
	bool live;
	/* Durations seen, per kind, for the estimate. */
	double sum[3];
	size_t count[3];
};

static const char *cell(const struct kser_verify_result *r, char *buf,
			size_t len)
{
	switch (r->status) {
	case KSER_VERIFY_NA:
		return "-";
	case KSER_VERIFY_PENDING:
		return "not run";
	case KSER_VERIFY_SKIPPED:
		return "skipped";
	case KSER_VERIFY_RUNNING:
		return "...";
	default:
		break;
	}
	{
		const char *mark = r->status == KSER_VERIFY_PASS ? "ok" :
				   r->status == KSER_VERIFY_FAIL ? "FAIL" :
				   r->status == KSER_VERIFY_TIMEOUT ? "TIME" :
				   "ERR";

		/* FAIL*: a failure its configuration expects (since). */
		if (r->expected_failure)
			mark = "FAIL*";
		if (r->cached)
			snprintf(buf, len, "%-4s cached", mark);
		else
			snprintf(buf, len, "%-4s %.1fs", mark, r->seconds);
	}
	return buf;
}

static double estimate_left(const struct ui *ui,
			    const struct kser_verify_report *r)
{
	double left = 0;
	size_t i, j;

	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->nchecks; j++) {
			const struct kser_verify_result *x =
				&r->rows[i].results[j];
			int k = r->checks[j].kind;

			if (x->status != KSER_VERIFY_PENDING &&
			    x->status != KSER_VERIFY_RUNNING)
				continue;
			if (ui->count[k])
				left += ui->sum[k] / (double)ui->count[k];
		}
	return left;
}

static void clear_live(struct ui *ui)
{
	if (ui->live) {
		fputs("\r\033[K", stderr);
		ui->live = false;
	}
}

static const char *what(const struct kser_verify_report *r, size_t check)
{
	return check == KSER_VERIFY_CHECKOUT ? "checkout" : r->checks[check].id;
}

static uint64_t *since_of(struct ui *ui, const struct kser_verify_report *r,
			  size_t check)
{
	return &ui->since[check == KSER_VERIFY_CHECKOUT ? r->nchecks : check];
}

/* What runs, how long it has and what is left, on the live line or not. */
static void progress(struct ui *ui, const struct kser_verify_report *r,
		     size_t row, size_t check, uint64_t now)
{
	double el = (double)(now - *since_of(ui, r, check)) / 1000.0;
	double left = estimate_left(ui, r);

	if (ui->tty) {
		fprintf(stderr, "\r\033[K[%u/%zu] %s %s  %d:%02d",
			r->rows[row].number, r->nrows - 1, what(r, check),
			r->rows[row].subject, (int)el / 60, (int)el % 60);
		if (left > 0)
			fprintf(stderr, "  about %d:%02d left", (int)left / 60,
				(int)left % 60);
		ui->live = true;
		return;
	}
	/* CI logs and pipes: a plain line now and then, never silence. */
	if (now - ui->last_line < ui->interval)
		return;
	fprintf(stderr, "[%u/%zu] %s '%s': running for %d:%02d",
		r->rows[row].number, r->nrows - 1, what(r, check),
		r->rows[row].subject, (int)el / 60, (int)el % 60);
	if (left > 0)
		fprintf(stderr, ", about %d:%02d left", (int)left / 60,
			(int)left % 60);
	fputc('\n', stderr);
	ui->last_line = now;
}

static const struct kser_error *on_event(enum kser_verify_event ev,
					 const struct kser_verify_report *r,
					 size_t row, size_t check,
					 const char *note, void *arg)
{
	struct ui *ui = arg;
	uint64_t now = kser_now_ms();

	switch (ev) {
	case KSER_VERIFY_EVENT_START:
		ui->run_start = now;
		ui->since = calloc(r->nchecks + 1, sizeof(*ui->since));
		ui->started = ui->since != NULL;
		fprintf(stderr, "verifying %zu patches on %.12s: %zu checks "
			"each, %zu results from the cache\n", r->nrows - 1,
			git_oid_tostr_s(&r->rows[0].commit), r->nchecks,
			r->from_cache);
		ui->last_line = now;
		break;
	case KSER_VERIFY_EVENT_CHECKOUT:
	case KSER_VERIFY_EVENT_CHECK_START:
		if (!ui->started)
			break;
		*since_of(ui, r, check) = now;
		if (!ui->tty) {
			fprintf(stderr, "[%u/%zu] %s: running\n",
				r->rows[row].number, r->nrows - 1,
				what(r, check));
			ui->last_line = now;
		}
		break;
	case KSER_VERIFY_EVENT_CHECK_DONE: {
		const struct kser_verify_result *x = &r->rows[row].results[check];
		int k = r->checks[check].kind;

		/* The base's cold build says nothing about the patches'. */
		if (!x->cached && (x->status == KSER_VERIFY_PASS ||
				   x->status == KSER_VERIFY_FAIL) && row) {
			ui->sum[k] += x->seconds;
			ui->count[k]++;
		}
		clear_live(ui);
		fprintf(stderr, "[%u/%zu] %s: %s (%.1f s)%s%s\n",
			r->rows[row].number, r->nrows - 1, r->checks[check].id,
			kser_verify_status_name(x->status), x->seconds,
			x->summary && x->status != KSER_VERIFY_PASS ? ": " : "",
			x->summary && x->status != KSER_VERIFY_PASS ?
			x->summary : "");
		ui->last_line = now;
		break;
	}
	case KSER_VERIFY_EVENT_TICK:
		if (ui->started)
			progress(ui, r, row, check, now);
		break;
	case KSER_VERIFY_EVENT_NOTE:
		clear_live(ui);
		fprintf(stderr, "kser: note: %s\n", note);
		ui->last_line = now;
		break;
	}
	return NULL;
}

/* KSER_PROGRESS_INTERVAL: seconds between progress lines off a terminal. */
static uint64_t progress_interval(void)
{
	const char *v = getenv("KSER_PROGRESS_INTERVAL");
	char *end;
	long n;

	if (!v || !*v)
		return PROGRESS_INTERVAL_S * 1000;
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > 86400)
		return PROGRESS_INTERVAL_S * 1000;
	return (uint64_t)n * 1000;
}

static void print_table(const struct kser_verify_report *r)
{
	size_t i, j, width = 20;
	char buf[64];

	for (i = 0; i < r->nrows; i++)
		if (strlen(r->rows[i].subject) > width)
			width = strlen(r->rows[i].subject);
	if (width > 50)
		width = 50;
	printf("%4s  %-*s", "#", (int)width, "patch");
	for (j = 0; j < r->nchecks; j++)
		printf("  %-14s", r->checks[j].id);
	printf("\n");
	for (i = 0; i < r->nrows; i++) {
		const struct kser_verify_row *row = &r->rows[i];

		if (row->number)
			printf("%4u  ", row->number);
		else
			printf("%4s  ", "base");
		printf("%-*.*s", (int)width, (int)width, row->subject);
		for (j = 0; j < r->nchecks; j++)
			printf("  %-14s", cell(&row->results[j], buf,
					       sizeof(buf)));
		printf("\n");
	}
}

static void print_failures(const struct kser_verify_report *r,
			   const struct kser_settings *s)
{
	size_t i, j;
	bool first = true, expected = false;

	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->nchecks; j++) {
			const struct kser_verify_result *x =
				&r->rows[i].results[j];

			if (x->status == KSER_VERIFY_PASS ||
			    x->status == KSER_VERIFY_NA)
				continue;
			if (first)
				printf("\n");
			first = false;
			expected |= x->expected_failure;
			printf("%s %s: %s: %s%s\n", r->rows[i].number ?
			       "patch" : "base", r->rows[i].subject,
			       r->checks[j].id, x->summary ? x->summary :
			       kser_verify_status_name(x->status),
			       x->expected_failure ? " (expected)" : "");
			if (x->log_path && x->status != KSER_VERIFY_PENDING)
				printf("    log: %s\n", x->log_path);
		}
	if (!expected)
		return;
	/* Say where each configuration starts to count. */
	printf("\n* expected: the base is the reference, and does not fail "
	       "the run");
	for (j = 0; j < r->nchecks; j++) {
		const struct kser_verify_config *vc =
			&s->configs[r->checks[j].config];

		if (r->checks[j].kind == KSER_CHECK_BUILD && vc->since > 1)
			printf("; %s must pass from patch %u on (since)",
			       vc->name, vc->since);
	}
	printf("\n");
}

/*
 * Each build's cache and distribution figures: whether the farm helped.
 * A cached build shows those of the run that built it.
 */
static void print_farm(const struct kser_verify_report *r)
{
	size_t i, j;
	bool first = true;

	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->nchecks; j++) {
			const struct kser_verify_result *x =
				&r->rows[i].results[j];

			if (!x->farm)
				continue;
			if (first)
				printf("\nbuilds:\n");
			first = false;
			if (r->rows[i].number)
				printf("%4u  ", r->rows[i].number);
			else
				printf("%4s  ", "base");
			printf("%s: %s%s\n", r->checks[j].id,
			       x->cached ? "cached; when built: " : "",
			       x->farm);
		}
}

static const struct kser_error *cmd_verify(struct kser_cli *cli, int argc,
					   char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "series", required_argument, NULL, 's' },
		{ "checks", required_argument, NULL, 'c' },
		{ "version", required_argument, NULL, 'v' },
		{ "json", required_argument, NULL, 'J' },
		{ "junit", required_argument, NULL, 'U' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "no-fast-path", no_argument, NULL, 'F' },
		{ "paranoid", no_argument, NULL, 'P' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_verify_options vo = KSER_VERIFY_OPTIONS_INIT;
	struct kser_verify_report rep = { 0 };
	struct kser_settings settings = { 0 };
	const struct kser_error *err = NULL, *werr;
	const char *series = NULL, *json = NULL, *junit = NULL;
	git_repository *repo = NULL;
	struct ui ui = { 0 };
	int opt;

	while ((opt = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 's':
			series = optarg;
			break;
		case 'c':
			vo.checks = optarg;
			break;
		case 'v':
			vo.series_version = optarg;
			break;
		case 'J':
			json = optarg;
			break;
		case 'U':
			junit = optarg;
			break;
		case 'n':
			vo.no_cache = true;
			break;
		case 'F':
			vo.no_fast_path = true;
			break;
		case 'P':
			vo.paranoid = true;
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 1024)
				return kser_cli_usage(&kser_cmd_verify,
						      "bad --jobs '%s'",
						      optarg);
			vo.jobs = (unsigned int)n;
			break;
		}
		case 'h':
			fputs(verify_usage, stdout);
			return NULL;
		default:
			return kser_cli_usage(&kser_cmd_verify,
					      "unknown option");
		}
	}
	if (optind != argc - 1)
		return kser_cli_usage(&kser_cmd_verify,
				      "verify takes one RANGE (BASE..TIP)");
	if (vo.series_version && !series)
		return kser_cli_usage(&kser_cmd_verify,
				      "--version needs --series");

	err = series ? kser_settings_load(&settings, series) :
		       kser_settings_defaults(&settings);
	if (err)
		return err;
	vo.settings = &settings;
	err = kser_cli_open_repo(&repo, cli, false);
	if (err)
		goto done;
	ui.tty = isatty(2);
	ui.interval = progress_interval();
	vo.event = on_event;
	vo.event_arg = &ui;
	vo.cancel_cb = kser_cli_cancel;
	err = kser_verify(&rep, repo, argv[optind], &vo);
	clear_live(&ui);
	if (rep.rows && rep.rows[0].results) {
		print_table(&rep);
		print_farm(&rep);
		print_failures(&rep, &settings);
		printf("\n%s: %zu checks ran, %zu from the cache, %.1f s\n",
		       rep.passed && !err ? "all passed" : "FAILED", rep.ran,
		       rep.from_cache, rep.seconds);
		/* Reports are written even when interrupted. */
		if (json && (werr = kser_verify_write_json(&rep, json)) &&
		    !err)
			err = werr;
		if (junit && (werr = kser_verify_write_junit(&rep, junit)) &&
		    !err)
			err = werr;
	}
	if (!err && !rep.passed)
		err = kser_error_fmt(KSER_ERR_GENERIC,
				     KSER_CLI_QUIET_FAILURE);
done:
	free(ui.since);
	kser_verify_report_release(&rep);
	kser_settings_release(&settings);
	git_repository_free(repo);
	return err;
}

const struct kser_cmd kser_cmd_verify = {
	.name = "verify",
	.fn = cmd_verify,
	.summary = "build, KUnit-test and checkpatch every patch of a range",
	.usage = verify_usage,
};
