// SPDX-License-Identifier: GPL-2.0
/*
 * The rows of a run: the commits of the range as git rev-list lists them
 * (kser/revrange.h), which must be one line of parents, and what a row's
 * tree holds. Uses the odb layer's revision ranges, libgit2 and the core.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/error.h"
#include "kser/revrange.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

/*
 * The commits of base..tip as git rev-list lists them (those tip reaches
 * and base does not), parents first, and the parent of the first: a
 * linear range, whose base row is that parent (base itself, or where tip
 * forked from it).
 */
static const struct kser_error *range_chain(git_oid **chain, size_t *n,
					    git_repository *repo,
					    const git_oid *base,
					    const git_oid *tip)
{
	const struct kser_error *err;
	git_oid *list = NULL;
	size_t nlist = 0, i;

	*chain = NULL;
	*n = 0;
	err = kser_revrange_list(&list, &nlist, repo, tip, 1, base, 1,
				 GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	if (err || !nlist)
		goto done;
	if (nlist > 10000) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "the range holds more than 10000 commits");
		goto done;
	}
	*chain = calloc(nlist + 1, sizeof(**chain));
	if (!*chain) {
		err = kser_error_nomem();
		goto done;
	}
	/* A merge or a root anywhere is named first: it is the cause. */
	for (i = 0; i < nlist && !err; i++) {
		git_commit *cm = NULL;
		unsigned int np;

		if (git_commit_lookup(&cm, repo, &list[i]) < 0) {
			err = kser_error_git("cannot read a commit");
			break;
		}
		np = git_commit_parentcount(cm);
		if (np == 1)
			git_oid_cpy(&(*chain)[i], git_commit_parent_id(cm, 0));
		git_commit_free(cm);
		if (np != 1)
			err = kser_error_fmt(KSER_ERR_BAD_INPUT, np ?
					     "the range is not linear: %.12s "
					     "is a merge" :
					     "%.12s is a root commit: the base "
					     "is not an ancestor of the tip",
					     git_oid_tostr_s(&list[i]));
	}
	/* One line of parents: each the one before it. */
	for (i = 1; i < nlist && !err; i++) {
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];

		if (git_oid_equal(&(*chain)[i], &list[i - 1]))
			continue;
		git_oid_tostr(a, sizeof(a), &list[i]);
		git_oid_tostr(b, sizeof(b), &list[i - 1]);
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "the range is not linear: %.12s does "
				     "not follow %.12s", a, b);
	}
	if (err)
		goto done;
	/* chain[0] is the base row's commit, then the range's. */
	for (i = 0; i < nlist; i++)
		git_oid_cpy(&(*chain)[i + 1], &list[i]);
	*n = nlist + 1;
done:
	if (err) {
		free(*chain);
		*chain = NULL;
		*n = 0;
	}
	free(list);
	return err;
}

const struct kser_error *verify_load_rows(struct kser_verify_report *r,
					  git_repository *repo,
					  const char *range)
{
	const struct kser_error *err = NULL;
	git_revspec spec;
	git_object *base = NULL, *tip = NULL;
	git_oid *chain = NULL;
	size_t n = 0, i;

	if (!strstr(range, "..") || strstr(range, "..."))
		return kser_error_fmt(KSER_ERR_USAGE,
				      "'%s' is not a range BASE..TIP", range);
	if (git_revparse(&spec, repo, range) < 0)
		return kser_error_git("cannot resolve '%s'", range);
	if (git_object_peel(&tip, spec.to, GIT_OBJECT_COMMIT) < 0 ||
	    git_object_peel(&base, spec.from, GIT_OBJECT_COMMIT) < 0) {
		err = kser_error_git("'%s' is not a commit range", range);
		goto done;
	}
	err = range_chain(&chain, &n, repo, git_object_id(base),
			  git_object_id(tip));
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
		git_oid_cpy(&row->commit, &chain[i]);
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
	git_object_free(base);
	git_object_free(tip);
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
