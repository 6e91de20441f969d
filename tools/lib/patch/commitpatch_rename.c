// SPDX-License-Identifier: GPL-2.0
/*
 * Renames in a commit's diff as git diff finds them. libgit2 scores
 * similarity its own way (97 % where git says 93 %), so the pairs are
 * chosen here with git's algorithm and score (kser_rename_find(), which
 * kser rebase uses for merge-ort's renames), and libgit2 is then given a
 * similarity metric that knows only those pairs: it marks exactly them
 * renamed, with git's percent, and its patch text follows.
 */
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_patch.h"
#include "kser/rename.h"

#define MAX_SCORE 60000
#define MIN_SCORE 30000		/* git's default -M50% */
#define RENAME_LIMIT_DEFAULT 1000	/* diff.renameLimit */

struct pair {
	const char *src, *dst;	/* paths, borrowed from the diff */
	int percent;
};

struct plan {
	struct pair *v;
	size_t n, alloc;
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool is_empty_blob(const git_oid *id)
{
	static const char empty[] = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return !strcmp(hex, empty);
}

static const struct kser_error *plan_add(struct plan *p, const char *src,
					 const char *dst, int score)
{
	const struct kser_error *err = kser_array_grow((void **)&p->v,
						       &p->alloc, p->n,
						       sizeof(*p->v), 8);

	if (err)
		return err;
	p->v[p->n].src = src;
	p->v[p->n].dst = dst;
	p->v[p->n].percent = score * 100 / MAX_SCORE;
	p->n++;
	return NULL;
}

/*
 * Empty files: kser_rename_find() never renames them (merge-ort does not),
 * but git diff does (diff.renameEmpty's default), exactly, preferring a
 * source of the same basename as find_identical_files() does.
 */
static const struct kser_error *empty_renames(struct plan *p,
					      struct kser_rename_input *s,
					      size_t ns, bool *s_used,
					      struct kser_rename_input *d,
					      size_t nd, bool *d_used)
{
	size_t i, j;

	for (j = 0; j < nd; j++) {
		long best = -1;
		int best_score = -1;

		if (!is_empty_blob(&d[j].e.oid))
			continue;
		d_used[j] = true;
		for (i = 0; i < ns; i++) {
			int sc;

			if (s_used[i] || !is_empty_blob(&s[i].e.oid))
				continue;
			if (((s[i].e.mode & 0170000) != 0100000 ||
			     (d[j].e.mode & 0170000) != 0100000) &&
			    s[i].e.mode != d[j].e.mode)
				continue;
			sc = 1 + !strcmp(base_name(s[i].path),
					 base_name(d[j].path));
			if (sc > best_score) {
				best = (long)i;
				best_score = sc;
			}
		}
		if (best >= 0) {
			const struct kser_error *err;

			s_used[best] = true;
			err = plan_add(p, s[best].path, d[j].path, MAX_SCORE);
			if (err)
				return err;
		}
	}
	for (i = 0; i < ns; i++)
		if (is_empty_blob(&s[i].e.oid))
			s_used[i] = true;
	return NULL;
}

static int rename_limit(git_repository *repo)
{
	git_config *cfg = NULL;
	int32_t v = RENAME_LIMIT_DEFAULT;

	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_int32(&v, cfg, "diff.renamelimit") < 0)
		v = RENAME_LIMIT_DEFAULT;
	git_config_free(cfg);
	return v;
}

/* The remaining candidates, packed, for kser_rename_find(). */
static size_t pack(struct kser_rename_input *out, size_t *map,
		   const struct kser_rename_input *in, const bool *used,
		   size_t n, bool relevant)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		out[k] = in[i];
		out[k].relevant = relevant;
		map[k++] = i;
	}
	return k;
}

static const struct kser_error *choose(struct plan *p, git_repository *repo,
				       struct kser_rename_input *s, size_t ns,
				       struct kser_rename_input *d, size_t nd)
{
	const struct kser_error *err = NULL;
	struct kser_rename_input *ps = NULL, *pd = NULL;
	size_t *smap = NULL, *dmap = NULL, nps, npd, i, npairs = 0;
	struct kser_rename *pairs = NULL;
	bool *s_used = calloc(ns ? ns : 1, sizeof(bool));
	bool *d_used = calloc(nd ? nd : 1, sizeof(bool));
	long long limit = rename_limit(repo);

	ps = calloc(ns ? ns : 1, sizeof(*ps));
	pd = calloc(nd ? nd : 1, sizeof(*pd));
	smap = calloc(ns ? ns : 1, sizeof(*smap));
	dmap = calloc(nd ? nd : 1, sizeof(*dmap));
	if (!s_used || !d_used || !ps || !pd || !smap || !dmap) {
		err = kser_error_nomem();
		goto done;
	}
	err = empty_renames(p, s, ns, s_used, d, nd, d_used);
	if (err)
		goto done;
	nps = pack(ps, smap, s, s_used, ns, true);
	npd = pack(pd, dmap, d, d_used, nd, true);
	/*
	 * git gives up inexact renames when the candidates left after the
	 * exact ones exceed diff.renameLimit squared; they are counted here
	 * after exact renames only (git also takes out basename matches
	 * first), so only a diff right at the limit can differ.
	 */
	if (limit > 0 && (long long)nps * (long long)npd > limit * limit) {
		for (i = 0; i < nps; i++)
			ps[i].relevant = false;
	}
	err = kser_rename_find(&pairs, &npairs, repo, ps, nps, pd, npd,
			      MIN_SCORE);
	for (i = 0; !err && i < npairs; i++)
		err = plan_add(p, ps[pairs[i].src].path, pd[pairs[i].dst].path,
			       pairs[i].score);
done:
	free(pairs);
	free(ps);
	free(pd);
	free(smap);
	free(dmap);
	free(s_used);
	free(d_used);
	return err;
}

/* --- the metric libgit2 is given ----------------------------------------- */

static int sig_of(void **out, const git_diff_file *file, const char *buf,
		  size_t len, void *payload)
{
	(void)buf;
	(void)len;
	(void)payload;
	*out = strdup(file->path ? file->path : "");
	return *out ? 0 : -1;
}

static int sig_of_file(void **out, const git_diff_file *file,
		       const char *fullpath, void *payload)
{
	(void)fullpath;
	return sig_of(out, file, NULL, 0, payload);
}

static void sig_free(void *sig, void *payload)
{
	(void)payload;
	free(sig);
}

static int known_pair(int *score, void *a, void *b, void *payload)
{
	const struct plan *p = payload;
	size_t i;

	*score = 0;
	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].src, a) && !strcmp(p->v[i].dst, b)) {
			*score = p->v[i].percent;
			break;
		}
	return 0;
}

const struct kser_error *kser_commitpatch_find_renames(git_diff *diff,
						       git_repository *repo)
{
	git_diff_find_options fopts = GIT_DIFF_FIND_OPTIONS_INIT;
	git_diff_similarity_metric metric;
	const struct kser_error *err = NULL;
	struct kser_rename_input *s = NULL, *d = NULL;
	size_t i, n = git_diff_num_deltas(diff), ns = 0, nd = 0;
	struct plan plan = { NULL, 0, 0 };

	s = calloc(n ? n : 1, sizeof(*s));
	d = calloc(n ? n : 1, sizeof(*d));
	if (!s || !d) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < n; i++) {
		const git_diff_delta *dl = git_diff_get_delta(diff, i);

		if (dl->status == GIT_DELTA_DELETED) {
			s[ns].path = dl->old_file.path;
			s[ns].e.mode = dl->old_file.mode;
			git_oid_cpy(&s[ns].e.oid, &dl->old_file.id);
			ns++;
		} else if (dl->status == GIT_DELTA_ADDED) {
			d[nd].path = dl->new_file.path;
			d[nd].e.mode = dl->new_file.mode;
			git_oid_cpy(&d[nd].e.oid, &dl->new_file.id);
			nd++;
		}
	}
	/*
	 * A path both deleted and added changed type (git shows the two
	 * halves of one pair): neither half is a rename candidate.
	 */
	for (i = 0; i < ns; i++) {
		size_t j;

		for (j = 0; j < nd; j++)
			if (!strcmp(s[i].path, d[j].path))
				break;
		if (j < nd) {
			memmove(&d[j], &d[j + 1], (nd - j - 1) * sizeof(*d));
			nd--;
			memmove(&s[i], &s[i + 1], (ns - i - 1) * sizeof(*s));
			ns--;
			i--;
		}
	}
	if (!ns || !nd)
		goto done;
	err = choose(&plan, repo, s, ns, d, nd);
	if (err || !plan.n)
		goto done;

	memset(&metric, 0, sizeof(metric));
	metric.file_signature = sig_of_file;
	metric.buffer_signature = sig_of;
	metric.free_signature = sig_free;
	metric.similarity = known_pair;
	metric.payload = &plan;
	fopts.flags = GIT_DIFF_FIND_RENAMES;
	fopts.rename_threshold = 50;
	/* The limit is git's, applied above. */
	fopts.rename_limit = (size_t)-1 / 4;
	fopts.metric = &metric;
	if (git_diff_find_similar(diff, &fopts) < 0)
		err = kser_error_git("cannot mark the renames");
done:
	free(plan.v);
	free(s);
	free(d);
	return err;
}
