/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_SERIES_H
#define KSER_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "kser/mail.h"

struct kser_error;

/*
 * A series picked out of a pile of mails, as b4 does: "[PATCH vN i/n]"
 * subjects name the version and position, the highest version wins unless
 * one is asked for, the cover letter (0/n) describes the series, and
 * Reviewed-by and similar trailers sent as replies are collected for the
 * patches they answer (replies to the cover letter count for all).
 */

/* What a subject's bracketed prefix says. */
struct kser_subject_info {
	bool is_reply;		/* "Re: ..." */
	bool is_patch;		/* "[PATCH ...]" or "[RFC ...]" */
	bool rfc, resend;
	unsigned int version;	/* 1 when not given */
	unsigned int number, total;	/* 0/0 when not given */
	bool has_counter;
	char tags[128];		/* other words: "net-next", "bpf" */
};

void kser_subject_parse(struct kser_subject_info *out, const char *subject);

enum kser_mail_role {
	KSER_ROLE_OTHER = 0,
	KSER_ROLE_COVER,
	KSER_ROLE_PATCH,
	KSER_ROLE_FOLLOWUP,
};

struct kser_mailset_entry {
	struct kser_mail *mail;
	struct kser_subject_info info;
	enum kser_mail_role role;
};

/* Every mail of every input, in input order. */
struct kser_mailset {
	struct kser_mailset_entry *v;
	size_t n, alloc;
	struct kser_buf notes;	/* things worth telling the user */
	char **paths;		/* the file names mails point at */
	size_t npaths, paths_alloc;
};

void kser_mailset_init(struct kser_mailset *set);
void kser_mailset_release(struct kser_mailset *set);

/*
 * Adds one input: an mbox or single mail file, a directory of
 * format-patch files, or a quilt directory (DIR/series or
 * DIR/patches/series). Quilt patches are numbered by their place in the
 * series file.
 */
const struct kser_error *kser_mailset_add(struct kser_mailset *set,
					  const char *input,
					  const struct kser_mail_options *opts);

struct kser_series_patch {
	struct kser_mail *mail;		/* borrowed from the mailset */
	unsigned int number;
	char **trailers;		/* collected from replies */
	size_t ntrailers;
	size_t trailers_alloc;
};

struct kser_series {
	unsigned int version;
	unsigned int total;
	bool rfc;
	char tags[128];
	struct kser_mail *cover;	/* may be NULL; borrowed */
	struct kser_series_patch *patches;
	size_t npatches;
	char *base_commit;		/* "base-commit:" line, or NULL */
	unsigned int *versions;		/* every version seen, ascending */
	size_t nversions;
	size_t nfollowups;		/* replies that gave trailers */
};

/* Picks version (0: the highest) out of the set. */
const struct kser_error *kser_series_select(struct kser_series **out,
					    struct kser_mailset *set,
					    unsigned int version);
void kser_series_free(struct kser_series *series);

/* The series' title: the cover letter's subject, else the first patch's. */
const char *kser_series_title(const struct kser_series *series);

/* "allocation-apis-v3": a branch name from the title and version. */
char *kser_series_branch_name(const struct kser_series *series);

/*
 * The commit message for patch i: git am's message with the collected
 * trailers appended to its trailer block.
 */
const struct kser_error *
kser_series_commit_message(struct kser_buf *out,
			   const struct kser_series_patch *patch);

#endif
