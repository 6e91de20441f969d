// SPDX-License-Identifier: GPL-2.0
/*
 * The commits of a revision range (kser/revrange.h): libgit2's walk,
 * checked against the commit graph. Uses libgit2 and the core.
 */
#include <stdlib.h>

#include <git2.h>

#include "kser/error.h"
#include "kser/revrange.h"
#include "kser/util.h"

/* Does one of hide reach id (or is it one of them)? */
static int hidden(git_repository *repo, const git_oid *id,
		  const git_oid *hide, size_t nhide)
{
	size_t i;

	for (i = 0; i < nhide; i++)
		if (git_oid_equal(id, &hide[i]))
			return 1;
	return nhide ? git_graph_reachable_from_any(repo, id, hide, nhide) : 0;
}

const struct kser_error *kser_revrange_list(git_oid **out, size_t *n,
					    git_repository *repo,
					    const git_oid *tips, size_t ntips,
					    const git_oid *hide, size_t nhide,
					    unsigned int sort)
{
	const struct kser_error *err = NULL;
	git_revwalk *w = NULL;
	size_t alloc = 0, i;
	git_oid id;
	int r;

	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&w, repo) < 0 ||
	    git_revwalk_sorting(w, sort) < 0) {
		err = kser_error_git("cannot walk the history");
		goto done;
	}
	for (i = 0; i < ntips; i++)
		if (git_revwalk_push(w, &tips[i]) < 0) {
			err = kser_error_git("cannot walk from %s",
					     git_oid_tostr_s(&tips[i]));
			goto done;
		}
	for (i = 0; i < nhide; i++)
		if (git_revwalk_hide(w, &hide[i]) < 0) {
			err = kser_error_git("cannot walk past %s",
					     git_oid_tostr_s(&hide[i]));
			goto done;
		}
	while ((r = git_revwalk_next(&id, w)) == 0) {
		int h = hidden(repo, &id, hide, nhide);

		if (h < 0) {
			err = kser_error_git("cannot read the history of %s",
					     git_oid_tostr_s(&id));
			break;
		}
		if (h)
			continue;
		err = kser_array_grow((void **)out, &alloc, *n, sizeof(**out),
				      16);
		if (err)
			break;
		git_oid_cpy(&(*out)[(*n)++], &id);
	}
	if (!err && r != GIT_ITEROVER)
		err = kser_error_git("cannot walk the history");
done:
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	git_revwalk_free(w);
	return err;
}
