/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_ABBREV_H
#define KSER_ABBREV_H

#include <stddef.h>
#include <git2.h>

struct kser_error;

/*
 * Object names abbreviated as git abbreviates them by default: the length
 * grows with the number of packed objects (7 for small repositories, 12 for
 * the kernel's), and an abbreviation is lengthened until it is unique.
 * core.abbrev, when set to a number, wins.
 */

/* git's default abbreviation length for repo, before uniqueness. */
int kser_abbrev_default_len(git_repository *repo);

/*
 * Writes the unique abbreviation of id, at least len hex digits (len <= 0:
 * kser_abbrev_default_len()), into out, which holds GIT_OID_HEXSZ + 1.
 */
const struct kser_error *kser_abbrev(char *out, git_repository *repo,
				     const git_oid *id, int len);

#endif
