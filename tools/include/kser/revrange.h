/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_REVRANGE_H
#define KSER_REVRANGE_H

#include <stddef.h>
#include <git2.h>

struct kser_error;

/*
 * The commits of a revision range, as git rev-list lists them: those
 * reachable from one of tips and from none of hide, sorted by sort (a
 * git_sort_t mask, as git_revwalk_sorting() takes it).
 *
 * libgit2's revision walk alone stops marking what the hidden commits
 * reach too early when commit dates are out of order (a tree imported
 * with kser base import is dated after the commits of a series on it, or
 * before them), and lets such commits through: every commit it lists is
 * checked against the commit graph, and those a hidden one reaches are
 * left out.
 *
 * *out (free() it) holds *n IDs; NULL and 0 when there are none.
 */
const struct kser_error *kser_revrange_list(git_oid **out, size_t *n,
					    git_repository *repo,
					    const git_oid *tips, size_t ntips,
					    const git_oid *hide, size_t nhide,
					    unsigned int sort);

#endif
