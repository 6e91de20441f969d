// SPDX-License-Identifier: GPL-2.0
/*
 * The commits of a revision range (kser/revrange.h): libgit2's walk,
 * checked against the commit graph. Uses libgit2 and the core.
 */
#include <stdlib.h>
#include <string.h>

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

enum { UNKNOWN, SHOWN, HIDDEN };

#define NO_INDEX ((size_t)-1)

/* The listed commits, with their parents among them. */
struct listed {
	const git_oid *ids;
	size_t n;
	size_t *slots, nslots;	/* a hash table of indices + 1; 0: free */
	size_t *parents;	/* indices, NO_INDEX: not listed */
	size_t *first;		/* commit i's are parents[first[i]..first[i+1]) */
	unsigned char *state;
	size_t *stack;
};

static size_t slot_of(const struct listed *l, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (l->nslots - 1);
}

static size_t index_of(const struct listed *l, const git_oid *id)
{
	size_t s;

	for (s = slot_of(l, id); l->slots[s]; s = (s + 1) & (l->nslots - 1))
		if (git_oid_equal(&l->ids[l->slots[s] - 1], id))
			return l->slots[s] - 1;
	return NO_INDEX;
}

static void listed_release(struct listed *l)
{
	free(l->slots);
	free(l->parents);
	free(l->first);
	free(l->state);
	free(l->stack);
}

static const struct kser_error *listed_init(struct listed *l,
					    git_repository *repo,
					    const git_oid *ids, size_t n)
{
	size_t i, np = 0, alloc = 0;

	memset(l, 0, sizeof(*l));
	l->ids = ids;
	l->n = n;
	for (l->nslots = 16; l->nslots < 2 * n; l->nslots *= 2)
		;
	l->slots = calloc(l->nslots, sizeof(*l->slots));
	l->first = calloc(n + 1, sizeof(*l->first));
	l->state = calloc(n ? n : 1, 1);
	l->stack = calloc(n ? n : 1, sizeof(*l->stack));
	if (!l->slots || !l->first || !l->state || !l->stack)
		return kser_error_nomem();
	for (i = 0; i < n; i++) {
		size_t s = slot_of(l, &ids[i]);

		while (l->slots[s])
			s = (s + 1) & (l->nslots - 1);
		l->slots[s] = i + 1;
	}
	for (i = 0; i < n; i++) {
		git_commit *c = NULL;
		unsigned int k, nparents;

		if (git_commit_lookup(&c, repo, &ids[i]) < 0)
			return kser_error_git("cannot read commit %s",
					      git_oid_tostr_s(&ids[i]));
		nparents = git_commit_parentcount(c);
		l->first[i] = np;
		for (k = 0; k < nparents; k++) {
			if (kser_array_grow((void **)&l->parents, &alloc, np,
					    sizeof(*l->parents), 64)) {
				git_commit_free(c);
				return kser_error_nomem();
			}
			l->parents[np++] = index_of(l,
						    git_commit_parent_id(c, k));
		}
		git_commit_free(c);
	}
	l->first[n] = np;
	return NULL;
}

/*
 * Is commit i one a hidden commit reaches? What such a commit reaches
 * hidden ones reach too: a commit with a parent that is shown is
 * shown. Only the others (the first of a series, whose parent is the
 * base, and what the walk let through) are asked of the graph, which
 * walks the history each time.
 */
static const struct kser_error *resolve(struct listed *l,
					git_repository *repo, size_t i,
					const git_oid *hide, size_t nhide)
{
	size_t top = 0;

	l->stack[top++] = i;
	while (top) {
		size_t t = l->stack[top - 1], k, pending = NO_INDEX;
		int h;

		if (l->state[t] != UNKNOWN) {
			top--;
			continue;
		}
		for (k = l->first[t]; k < l->first[t + 1]; k++) {
			size_t p = l->parents[k];

			if (p == NO_INDEX)
				continue;
			if (l->state[p] == SHOWN)
				break;
			if (l->state[p] == UNKNOWN && pending == NO_INDEX)
				pending = p;
		}
		if (k < l->first[t + 1]) {
			l->state[t] = SHOWN;
			top--;
			continue;
		}
		if (pending != NO_INDEX) {
			/* The stack is a line of parents: a DAG's has each
			 * commit once at most. */
			if (top == l->n)
				return kser_error_fmt(KSER_ERR_BAD_INPUT,
						      "the history of %s "
						      "has a cycle",
						      git_oid_tostr_s(
							      &l->ids[i]));
			l->stack[top++] = pending;
			continue;
		}
		h = hidden(repo, &l->ids[t], hide, nhide);
		if (h < 0)
			return kser_error_git("cannot read the history of %s",
					      git_oid_tostr_s(&l->ids[t]));
		l->state[t] = h ? HIDDEN : SHOWN;
		top--;
	}
	return NULL;
}

/* Leaves out of ids what one of hide reaches, keeping the order. */
static const struct kser_error *drop_hidden(git_oid *ids, size_t *n,
					    git_repository *repo,
					    const git_oid *hide, size_t nhide)
{
	const struct kser_error *err;
	struct listed l;
	size_t i, kept = 0;

	err = listed_init(&l, repo, ids, *n);
	for (i = 0; i < *n && !err; i++)
		err = resolve(&l, repo, i, hide, nhide);
	if (!err) {
		for (i = 0; i < *n; i++)
			if (l.state[i] == SHOWN)
				git_oid_cpy(&ids[kept++], &ids[i]);
		*n = kept;
	}
	listed_release(&l);
	return err;
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
		err = kser_array_grow((void **)out, &alloc, *n, sizeof(**out),
				      16);
		if (err)
			break;
		git_oid_cpy(&(*out)[(*n)++], &id);
	}
	if (!err && r != GIT_ITEROVER)
		err = kser_error_git("cannot walk the history");
	if (!err && nhide)
		err = drop_hidden(*out, n, repo, hide, nhide);
done:
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	git_revwalk_free(w);
	return err;
}
