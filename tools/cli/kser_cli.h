/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_CLI_H
#define KSER_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <git2.h>

struct kser_error;

/* State shared by every command: the global options. */
struct kser_cli {
	const char *repo_dir;	/* --repo, or NULL: as git finds it */
	bool repo_created;	/* kser_cli_open_repo() made a new one */
	char *created_dir;	/* the directory it made, if it made one */
};

struct kser_cmd {
	const char *name;
	/* Returns NULL on success; main prints the error and exits. */
	const struct kser_error *(*fn)(struct kser_cli *cli, int argc,
				       char **argv);
	const char *summary;
	const char *usage;	/* full help text */
};

/* Exit status for a failed check with nothing more to say. */
#define KSER_CLI_QUIET_FAILURE "\001"

/*
 * Opens the repository given with --repo or found as git finds it. With
 * create, makes a new one (at --repo, or in the current directory) when
 * there is none, and records that in cli so a failure can undo it.
 */
const struct kser_error *kser_cli_open_repo(git_repository **out,
					    struct kser_cli *cli, bool create);
/* Removes the repository kser_cli_open_repo() created, after a failure. */
void kser_cli_undo_create(struct kser_cli *cli);

/* A usage error for cmd (exit status 2). */
const struct kser_error *kser_cli_usage(const struct kser_cmd *cmd,
					const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A cancel callback (kser/cancel.h) for the library: NULL until a signal
 * asked kser to stop (SIGINT, SIGTERM, SIGHUP), then "interrupted", hard
 * from the second one on. arg is unused.
 */
const struct kser_error *kser_cli_cancel(void *arg);

/* Handles the options every command takes; returns true if it did. */
bool kser_cli_common_option(struct kser_cli *cli, int opt, const char *arg);

extern const struct kser_cmd kser_cmd_base;
extern const struct kser_cmd kser_cmd_apply;
extern const struct kser_cmd kser_cmd_rebase;
extern const struct kser_cmd kser_cmd_verify;
extern const struct kser_cmd kser_cmd_diff;
extern const struct kser_cmd kser_cmd_export;
extern const struct kser_cmd kser_cmd_send;

/* kser called as kser-cc: the compiler wrapper of kser verify. */
int kser_cc_wrapper(int argc, char **argv);

#endif
