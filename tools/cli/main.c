// SPDX-License-Identifier: GPL-2.0
/*
 * kser: keep a Linux kernel patch series alive. One binary, git-style
 * subcommands; only this file prints errors, once, as "kser: message".
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_cli.h"

#ifndef KSER_VERSION
#define KSER_VERSION "0.1"
#endif

static const struct kser_cmd *const commands[] = {
	&kser_cmd_base,
	&kser_cmd_apply,
	&kser_cmd_rebase,
	&kser_cmd_verify,
	&kser_cmd_diff,
	&kser_cmd_export,
	&kser_cmd_send,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char main_usage[] =
	"usage: kser [--repo DIR] COMMAND [ARGS]\n"
	"       kser help COMMAND\n"
	"       kser --version\n";

static void print_main_help(FILE *f)
{
	size_t i;

	fputs(main_usage, f);
	fputs("\nkser keeps a Linux kernel patch series alive: import a "
	      "base, apply a series\nin memory, verify, rebase, compare and "
	      "send it.\n\ncommands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name,
			commands[i]->summary);
	fputs("\nThe repository is the one git would find from the current "
	      "directory, or\nthe one given with --repo DIR. Exit status: 0 "
	      "success, 1 failure, 2 usage.\nSee kser(1) and kser-COMMAND(1)."
	      "\n", f);
}

static const struct kser_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

const struct kser_error *kser_cli_usage(const struct kser_cmd *cmd,
					const char *fmt, ...)
{
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;
	const char *nl;
	va_list ap;

	va_start(ap, fmt);
	kser_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	/* The first line of the help text is the synopsis. */
	nl = strchr(cmd->usage, '\n');
	kser_buf_printf(&b, "\n%.*s", nl ? (int)(nl - cmd->usage) :
			(int)strlen(cmd->usage), cmd->usage);
	err = kser_buf_check(&b) ? kser_error_nomem() :
	      kser_error_fmt(KSER_ERR_USAGE, "%s", b.ptr);
	kser_buf_release(&b);
	return err;
}

bool kser_cli_common_option(struct kser_cli *cli, int opt, const char *arg)
{
	if (opt == 'R') {
		cli->repo_dir = arg;
		return true;
	}
	return false;
}

static bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/*
 * A directory git cannot open as a repository but that looks like one: a
 * .git without HEAD, say, or a bare repository's insides. Initialising it
 * would write into someone's broken repository, and undoing that after a
 * failure would remove it: refuse, naming it.
 */
static const struct kser_error *refuse_broken_repo(const char *dir)
{
	struct kser_buf p = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	bool is_dot = !strcmp(dir, ".");

	kser_buf_printf(&p, "%s%s.git", is_dot ? "" : dir, is_dot ? "" : "/");
	if (kser_buf_check(&p))
		return kser_error_nomem();
	if (path_exists(p.ptr)) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' exists but is not a git repository "
				     "(no HEAD?); repair or remove it", p.ptr);
		goto done;
	}
	kser_buf_clear(&p);
	kser_buf_printf(&p, "%s/objects", dir);
	if (kser_buf_check(&p)) {
		err = kser_error_nomem();
		goto done;
	}
	if (dir_exists(p.ptr)) {
		kser_buf_truncate(&p, p.len - strlen("objects"));
		kser_buf_puts(&p, "refs");
		if (kser_buf_check(&p))
			err = kser_error_nomem();
		else if (dir_exists(p.ptr))
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s' looks like a git directory "
					     "but is not a repository (no "
					     "HEAD?); repair or remove it",
					     dir);
	}
done:
	kser_buf_release(&p);
	return err;
}

/* The outermost directory of dir that does not exist, or NULL. */
static char *first_missing_dir(const char *dir)
{
	char *copy = strdup(dir), *p;

	if (!copy)
		return NULL;
	for (p = copy + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (!path_exists(copy))
				return copy;
			*p = c;
			if (!c)
				break;
		}
	}
	free(copy);
	return NULL;
}

const struct kser_error *kser_cli_open_repo(git_repository **out,
					    struct kser_cli *cli, bool create)
{
	const char *dir = cli->repo_dir;
	int r;

	*out = NULL;
	if (dir)
		r = git_repository_open_ext(out, dir,
					    GIT_REPOSITORY_OPEN_NO_SEARCH,
					    NULL);
	else
		r = git_repository_open_ext(out, NULL,
					    GIT_REPOSITORY_OPEN_FROM_ENV,
					    NULL);
	if (r == 0)
		return NULL;
	if (r != GIT_ENOTFOUND || !create) {
		if (r == GIT_ENOTFOUND)
			return kser_error_fmt(KSER_ERR_NOT_FOUND,
					      "not a git repository: '%s'",
					      dir ? dir : ".");
		return kser_error_git("cannot open the repository '%s'",
				      dir ? dir : ".");
	}
	if (!dir)
		dir = ".";
	if (path_exists(dir) && !dir_exists(dir))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "'%s' is not a directory", dir);
	if (!dir_exists(dir)) {
		/* What a failure removes: the parents made as well. */
		char *top = first_missing_dir(dir);
		const struct kser_error *err;

		if (!top)
			return kser_error_nomem();
		err = kser_mkdir_p(dir);
		if (err) {
			kser_remove_tree(top, NULL, NULL);
			free(top);
			return err;
		}
		cli->created_dir = top;
	} else {
		const struct kser_error *err = refuse_broken_repo(dir);

		if (err)
			return err;
	}
	if (git_repository_init(out, dir, 0) < 0) {
		const struct kser_error *err =
			kser_error_git("cannot create a repository in '%s'",
				       dir);

		if (cli->created_dir)
			kser_remove_tree(cli->created_dir, NULL, NULL);
		return err;
	}
	cli->repo_created = true;
	return NULL;
}

void kser_cli_undo_create(struct kser_cli *cli)
{
	struct kser_buf gitdir = KSER_BUF_INIT;

	if (!cli->repo_created)
		return;
	if (cli->created_dir) {
		kser_remove_tree(cli->created_dir, NULL, NULL);
	} else {
		kser_buf_printf(&gitdir, "%s/.git",
				cli->repo_dir ? cli->repo_dir : ".");
		if (!kser_buf_check(&gitdir))
			kser_remove_tree(gitdir.ptr, NULL, NULL);
	}
	kser_buf_release(&gitdir);
	cli->repo_created = false;
}

/*
 * SIGINT, SIGTERM and SIGHUP: the CLI's own record of them, which
 * kser_cli_cancel() reports to the library's cancel callbacks.
 */
static volatile sig_atomic_t signal_seen, signal_count;

static void on_signal(int signo)
{
	signal_seen = signo;
	if (signal_count < 2)
		signal_count = signal_count + 1;
}

const struct kser_error *kser_cli_cancel(void *arg)
{
	(void)arg;
	if (!signal_count)
		return NULL;
	return kser_error_cancelled(signal_count >= 2);
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int cmd_help(int argc, char **argv)
{
	const struct kser_cmd *cmd;

	if (argc < 2) {
		print_main_help(stdout);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "kser: no such command '%s'\n%s", argv[1],
			main_usage);
		return 2;
	}
	fputs(cmd->usage, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct kser_cli cli = { 0 };
	const struct kser_error *err;
	const struct kser_cmd *cmd;
	const char *self = strrchr(argv[0], '/');
	int opt, status;

	if (!strcmp(self ? self + 1 : argv[0], "kser-cc"))
		return kser_cc_wrapper(argc, argv);

	/* Global options stop at the command name. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'R':
			cli.repo_dir = optarg;
			break;
		case 'h':
			print_main_help(stdout);
			return 0;
		case 'V':
			printf("kser %s (libgit2 %s)\n", KSER_VERSION,
			       LIBGIT2_VERSION);
			return 0;
		default:
			fputs(main_usage, stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fputs(main_usage, stderr);
		return 2;
	}
	if (!strcmp(argv[0], "help"))
		return cmd_help(argc, argv);
	cmd = find_command(argv[0]);
	if (!cmd) {
		fprintf(stderr, "kser: '%s' is not a kser command; see "
			"'kser help'\n", argv[0]);
		return 2;
	}

	setup_signals();
	git_libgit2_init();
	optind = 1;
	err = cmd->fn(&cli, argc, argv);
	status = 0;
	if (err) {
		if (cli.repo_created)
			kser_cli_undo_create(&cli);
		if (strcmp(err->msg, KSER_CLI_QUIET_FAILURE))
			fprintf(stderr, "kser: %s\n", err->msg);
		status = err->code == KSER_ERR_USAGE ? 2 : 1;
		if (err->code == KSER_ERR_CANCELLED && signal_seen)
			status = 128 + signal_seen;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "kser: cannot write output: %s\n",
				strerror(errno));
		if (!status)
			status = 1;
	}
	free(cli.created_dir);
	git_libgit2_shutdown();
	return status;
}
