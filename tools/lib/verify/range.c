// SPDX-License-Identifier: GPL-2.0
/*
 * The rows of a run: the range walked from the tip to the base by first
 * parents, and what a row's tree holds. Uses libgit2 and the core.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

const struct kser_error *verify_load_rows(struct kser_verify_report *r,
					  git_repository *repo,
					  const char *range)
{
	const struct kser_error *err = NULL;
	git_revspec spec;
	git_commit *cur = NULL;
	git_oid *chain = NULL;
	size_t n = 0, alloc = 0, i;

	if (!strstr(range, "..") || strstr(range, "..."))
		return kser_error_fmt(KSER_ERR_USAGE,
				      "'%s' is not a range BASE..TIP", range);
	if (git_revparse(&spec, repo, range) < 0)
		return kser_error_git("cannot resolve '%s'", range);
	if (git_object_peel((git_object **)&cur, spec.to,
			    GIT_OBJECT_COMMIT) < 0) {
		err = kser_error_git("'%s' is not a commit range", range);
		goto done;
	}
	{
		git_object *base = NULL;

		if (git_object_peel(&base, spec.from, GIT_OBJECT_COMMIT) < 0) {
			err = kser_error_git("'%s' is not a commit range",
					     range);
			goto done;
		}
		/* Walk back from the tip by first parents to the base. */
		for (;;) {
			git_commit *parent = NULL;

			err = kser_array_grow((void **)&chain, &alloc, n,
					      sizeof(*chain), 16);
			if (err)
				break;
			git_oid_cpy(&chain[n++], git_commit_id(cur));
			if (git_oid_equal(git_commit_id(cur),
					  git_object_id(base)))
				break;
			if (git_commit_parentcount(cur) != 1) {
				err = kser_error_fmt(
					KSER_ERR_BAD_INPUT,
					git_commit_parentcount(cur) ?
					"the range is not linear: %.12s is a "
					"merge" :
					"%.12s is a root commit: the base is "
					"not an ancestor of the tip",
					git_oid_tostr_s(git_commit_id(cur)));
				break;
			}
			if (n > 10000) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "the range holds more "
						     "than 10000 commits");
				break;
			}
			if (git_commit_parent(&parent, cur, 0) < 0) {
				err = kser_error_git("cannot read a parent");
				break;
			}
			git_commit_free(cur);
			cur = parent;
		}
		git_object_free(base);
	}
	if (err)
		goto done;
	if (n < 2) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' holds no commits", range);
		goto done;
	}
	r->rows = calloc(n, sizeof(*r->rows));
	if (!r->rows) {
		err = kser_error_nomem();
		goto done;
	}
	r->nrows = n;
	for (i = 0; i < n; i++) {
		struct kser_verify_row *row = &r->rows[i];
		git_commit *cm = NULL;

		row->number = (unsigned int)i;
		git_oid_cpy(&row->commit, &chain[n - 1 - i]);
		if (git_commit_lookup(&cm, repo, &row->commit) < 0) {
			err = kser_error_git("cannot read a commit");
			goto done;
		}
		git_oid_cpy(&row->tree, git_commit_tree_id(cm));
		row->subject = strdup(git_commit_summary(cm) ?
				      git_commit_summary(cm) : "");
		git_commit_free(cm);
		if (!row->subject) {
			err = kser_error_nomem();
			goto done;
		}
	}
done:
	free(chain);
	git_commit_free(cur);
	git_object_free(spec.from);
	git_object_free(spec.to);
	return err;
}

bool verify_tree_has(git_repository *repo, const git_oid *tree_oid,
		     const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	bool ok = git_tree_lookup(&t, repo, tree_oid) == 0 &&
		  git_tree_entry_bypath(&e, t, path) == 0;

	git_tree_entry_free(e);
	git_tree_free(t);
	return ok;
}

char *verify_tree_text(git_repository *repo, const git_oid *tree_oid,
		       const char *path, git_oid *blob_id)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	char *s = NULL;

	if (git_tree_lookup(&t, repo, tree_oid) == 0 &&
	    git_tree_entry_bypath(&e, t, path) == 0 &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0) {
		s = strndup(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		if (blob_id)
			git_oid_cpy(blob_id, git_tree_entry_id(e));
	}
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	return s;
}
