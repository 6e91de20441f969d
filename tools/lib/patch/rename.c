// SPDX-License-Identifier: GPL-2.0
/*
 * Rename detection as git's diffcore-rename does it for merge-ort, so
 * that kser rebase pairs the same files git rebase pairs (and kser
 * export and kser diff score renames as git diff -M does): exact renames
 * over every source, then sources and destinations of the same unique
 * basename at the stricter basename score, then the similarity matrix
 * over the sources the merge needs. Similarity is git's: files cut into
 * chunks ending at a newline or 64 bytes long, each chunk hashed, and the
 * bytes of the destination found in the source counted.
 */
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/rename.h"
#include "kser/util.h"

#define MAX_SCORE 60000
#define HASHBASE 107927
#define CANDIDATES 4

struct span {
	unsigned int hashval, cnt;
};

/* A file's chunk counts: hash values sorted, each with its byte count. */
struct counts {
	struct span *v;
	size_t n;
	size_t size;
	bool loaded;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->hashval < y->hashval ? -1 : x->hashval > y->hashval;
}

static const struct kser_error *hash_chars(struct counts *out,
					   const unsigned char *buf,
					   size_t sz)
{
	unsigned int accum1 = 0, accum2 = 0, n = 0;
	bool is_text = !memchr(buf, 0, sz < 8000 ? sz : 8000);
	struct span *v = NULL;
	size_t nv = 0, alloc = 0, i, k;
	const struct kser_error *err;

	while (sz) {
		unsigned int c = *buf++, old_1 = accum1;

		sz--;
		if (is_text && c == '\r' && sz && *buf == '\n')
			continue;
		accum1 = (accum1 << 7) ^ (accum2 >> 25);
		accum2 = (accum2 << 7) ^ (old_1 >> 25);
		accum1 += c;
		if (++n < 64 && c != '\n')
			continue;
		err = kser_array_grow((void **)&v, &alloc, nv, sizeof(*v), 64);
		if (err) {
			free(v);
			return err;
		}
		v[nv].hashval = (accum1 + accum2 * 0x61) % HASHBASE;
		v[nv].cnt = n;
		nv++;
		n = 0;
		accum1 = accum2 = 0;
	}
	/* git's table is a map from hash value to bytes: merge equal ones. */
	if (nv)
		qsort(v, nv, sizeof(*v), span_cmp);
	for (i = 0, k = 0; i < nv; i++) {
		if (k && v[k - 1].hashval == v[i].hashval)
			v[k - 1].cnt += v[i].cnt;
		else
			v[k++] = v[i];
	}
	out->v = v;
	out->n = k;
	return NULL;
}

static unsigned long copied(const struct counts *src,
			    const struct counts *dst)
{
	size_t i = 0, j = 0;
	unsigned long sc = 0;

	for (i = 0; i < src->n; i++) {
		while (j < dst->n && dst->v[j].hashval < src->v[i].hashval)
			j++;
		if (j < dst->n && dst->v[j].hashval == src->v[i].hashval) {
			unsigned int d = dst->v[j].cnt, s = src->v[i].cnt;

			sc += s < d ? s : d;
			j++;
		}
	}
	return sc;
}

struct file {
	const struct kser_rename_input *in;
	struct counts c;
	bool sized, used;
	git_blob *blob;
};

static const struct kser_error *file_size(struct file *f,
					  git_repository *repo)
{
	if (f->sized)
		return NULL;
	if (git_blob_lookup(&f->blob, repo, &f->in->e.oid) < 0)
		return kser_error_git("cannot read '%s'", f->in->path);
	f->c.size = (size_t)git_blob_rawsize(f->blob);
	f->sized = true;
	return NULL;
}

static const struct kser_error *file_counts(struct file *f,
					    git_repository *repo)
{
	const struct kser_error *err;

	if (f->c.loaded)
		return NULL;
	err = file_size(f, repo);
	if (!err)
		err = hash_chars(&f->c, git_blob_rawcontent(f->blob),
				 f->c.size);
	if (!err)
		f->c.loaded = true;
	git_blob_free(f->blob);
	f->blob = NULL;
	return err;
}

static void file_release(struct file *f)
{
	git_blob_free(f->blob);
	free(f->c.v);
}

static const struct kser_error *similarity(int *score, git_repository *repo,
					   struct file *src, struct file *dst,
					   int min_score)
{
	const struct kser_error *err;
	size_t max_size, base_size;

	*score = 0;
	/* Only regular files are renamed with edits. */
	if ((src->in->e.mode & 0170000) != 0100000 ||
	    (dst->in->e.mode & 0170000) != 0100000)
		return NULL;
	if ((err = file_size(src, repo)) || (err = file_size(dst, repo)))
		return err;
	max_size = src->c.size > dst->c.size ? src->c.size : dst->c.size;
	base_size = src->c.size < dst->c.size ? src->c.size : dst->c.size;
	if ((unsigned long long)max_size * (MAX_SCORE - min_score) <
	    (unsigned long long)(max_size - base_size) * MAX_SCORE)
		return NULL;
	if ((err = file_counts(src, repo)) || (err = file_counts(dst, repo)))
		return err;
	if (dst->c.size)
		*score = (int)((unsigned long long)copied(&src->c, &dst->c) *
			       MAX_SCORE / max_size);
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int basename_same(const char *a, const char *b)
{
	return !strcmp(base_name(a), base_name(b));
}

struct cand {
	int dst, src, score, name_score;
};

/* git's score_compare: best first, unused slots last. */
static int cand_cmp(const void *a_, const void *b_)
{
	const struct cand *a = a_, *b = b_;

	if (a->dst < 0)
		return 0 <= b->dst;
	if (b->dst < 0)
		return -1;
	if (a->score == b->score)
		return b->name_score - a->name_score;
	return b->score - a->score;
}

static const struct kser_error *add_pair(struct kser_rename **out, size_t *n,
					 size_t *alloc, size_t src,
					 size_t dst, int score)
{
	const struct kser_error *err = kser_array_grow((void **)out, alloc,
						       *n, sizeof(**out), 8);

	if (err)
		return err;
	(*out)[*n].src = src;
	(*out)[*n].dst = dst;
	(*out)[*n].score = score;
	(*n)++;
	return NULL;
}

/* Is name the basename of exactly one element (returned) of v? */
static long unique_base(struct file *v, size_t n, const char *name,
			bool skip_used)
{
	long found = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (skip_used && v[i].used)
			continue;
		if (!strcmp(base_name(v[i].in->path), name)) {
			if (found >= 0)
				return -2;
			found = (long)i;
		}
	}
	return found;
}

static bool is_empty_blob(const struct kser_rename_entry *e)
{
	static const char empty[] = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), &e->oid);
	return !strcmp(hex, empty);
}

const struct kser_error *kser_rename_find(struct kser_rename **out,
					  size_t *nout, git_repository *repo,
					  const struct kser_rename_input *srcs,
					  size_t nsrcs,
					  const struct kser_rename_input *dsts,
					  size_t ndsts, int min_score)
{
	const struct kser_error *err = NULL;
	struct file *s = NULL, *d = NULL;
	struct cand *mx = NULL;
	size_t i, j, alloc = 0, nd = 0;
	int min_base = min_score + (MAX_SCORE - min_score) / 2;

	*out = NULL;
	*nout = 0;
	if (!nsrcs || !ndsts)
		return NULL;
	s = calloc(nsrcs, sizeof(*s));
	d = calloc(ndsts, sizeof(*d));
	if (!s || !d) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < nsrcs; i++) {
		s[i].in = &srcs[i];
		/* Empty files are never renamed (rename_empty off). */
		s[i].used = is_empty_blob(&srcs[i].e);
	}
	for (j = 0; j < ndsts; j++) {
		d[j].in = &dsts[j];
		d[j].used = is_empty_blob(&dsts[j].e);
	}

	/* Exact renames: the same blob; prefer an unused source of the
	 * same basename, as find_identical_files() does. */
	for (j = 0; j < ndsts; j++) {
		long best = -1;
		int best_score = -1;

		if (d[j].used)
			continue;
		for (i = 0; i < nsrcs; i++) {
			int sc;

			if (s[i].used || !git_oid_equal(&s[i].in->e.oid,
							&d[j].in->e.oid))
				continue;
			if (((s[i].in->e.mode & 0170000) != 0100000 ||
			     (d[j].in->e.mode & 0170000) != 0100000) &&
			    s[i].in->e.mode != d[j].in->e.mode)
				continue;
			sc = 1 + basename_same(s[i].in->path, d[j].in->path);
			if (sc > best_score) {
				best = (long)i;
				best_score = sc;
				if (sc == 2)
					break;
			}
		}
		if (best >= 0) {
			s[best].used = d[j].used = true;
			err = add_pair(out, nout, &alloc, (size_t)best, j,
				       MAX_SCORE);
			if (err)
				goto done;
		}
	}

	/* Same unique basename among what is left, relevant sources only. */
	for (i = 0; i < nsrcs; i++) {
		const char *name = base_name(s[i].in->path);
		long si, di;
		int sc;

		if (s[i].used || !s[i].in->relevant)
			continue;
		si = unique_base(s, nsrcs, name, true);
		di = unique_base(d, ndsts, name, true);
		/* With several candidates git asks its directory rename
		 * guesses, which kser does not make: no basename match. */
		if (si != (long)i || di < 0)
			continue;
		err = similarity(&sc, repo, &s[i], &d[di], min_score);
		if (err)
			goto done;
		if (sc < min_base)
			continue;
		s[i].used = d[di].used = true;
		err = add_pair(out, nout, &alloc, i, (size_t)di, sc);
		if (err)
			goto done;
	}

	/* The matrix: the best CANDIDATES sources of each destination. */
	mx = calloc(ndsts * CANDIDATES, sizeof(*mx));
	if (!mx) {
		err = kser_error_nomem();
		goto done;
	}
	for (j = 0; j < ndsts; j++) {
		struct cand *m;

		if (d[j].used)
			continue;
		m = &mx[nd * CANDIDATES];
		for (i = 0; i < CANDIDATES; i++)
			m[i].dst = -1;
		for (i = 0; i < nsrcs; i++) {
			struct cand c;
			int worst = 0, k;

			if (s[i].used || !s[i].in->relevant)
				continue;
			err = similarity(&c.score, repo, &s[i], &d[j],
					 min_score);
			if (err)
				goto done;
			c.name_score = basename_same(s[i].in->path,
						     d[j].in->path);
			c.dst = (int)j;
			c.src = (int)i;
			for (k = 1; k < CANDIDATES; k++)
				if (cand_cmp(&m[k], &m[worst]) > 0)
					worst = k;
			if (cand_cmp(&m[worst], &c) > 0)
				m[worst] = c;
		}
		nd++;
	}
	/* A stable sort, as git's STABLE_QSORT. */
	for (i = 1; i < nd * CANDIDATES; i++) {
		struct cand c = mx[i];

		for (j = i; j > 0 && cand_cmp(&mx[j - 1], &c) > 0; j--)
			mx[j] = mx[j - 1];
		mx[j] = c;
	}
	for (i = 0; i < nd * CANDIDATES; i++) {
		if (mx[i].dst < 0 || mx[i].score < min_score)
			break;
		if (d[mx[i].dst].used || s[mx[i].src].used)
			continue;
		d[mx[i].dst].used = s[mx[i].src].used = true;
		err = add_pair(out, nout, &alloc, (size_t)mx[i].src,
			       (size_t)mx[i].dst, mx[i].score);
		if (err)
			goto done;
	}
done:
	if (err) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	for (i = 0; s && i < nsrcs; i++)
		file_release(&s[i]);
	for (j = 0; d && j < ndsts; j++)
		file_release(&d[j]);
	free(s);
	free(d);
	free(mx);
	return err;
}
