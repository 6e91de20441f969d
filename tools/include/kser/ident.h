/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_IDENT_H
#define KSER_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

struct kser_error;

/*
 * Identities and dates as git makes and reads them, for every command
 * that writes commits (am, rebase, export).
 */

/*
 * The committer identity git would use: GIT_COMMITTER_NAME/EMAIL, else
 * user.name/user.email (else EMAIL); GIT_COMMITTER_DATE, else now. *out
 * is the caller's, for git_signature_free().
 */
const struct kser_error *kser_committer(git_signature **out,
					git_repository *repo);

/*
 * A signature as git writes it into a commit: name and email bytes that
 * are not valid UTF-8 are taken as Latin-1 (git's verify_utf8).
 */
const struct kser_error *kser_signature_new(git_signature **out,
					    const char *name,
					    const char *email,
					    git_time_t when, int tz_minutes);

/*
 * Parses a date as git's GIT_*_DATE accepts the common forms of it: its
 * internal "@1700000000 +0100", ISO 8601 and RFC 2822. False if s is none
 * of them.
 */
bool kser_parse_date(const char *s, git_time_t *when, int *tz_minutes);

/* An RFC 2822 date, as a mail's Date: header gives it; false if not. */
bool kser_parse_mail_date(const char *s, int64_t *when, int *tz_minutes);

/*
 * What git does to a commit before writing it: bytes that are not valid
 * UTF-8 are taken as Latin-1 and converted. Returns a new string (NULL
 * when memory runs out) and, if out_len is not NULL, its length.
 */
char *kser_utf8_fixup(const char *s, size_t len, size_t *out_len);

#endif
