// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of pairing two patches, as git range-diff measures it: the
 * number of lines of their diff with three lines of context (hunk
 * headers, context, removed and added lines), made the way git's xdiff
 * makes it with its default options.
 *
 * A range-diff of n and m patches asks for up to n * m of these. xdiff
 * starts each diff by splitting both texts into lines, hashing them and
 * giving equal lines one class number; then it only compares numbers.
 * Here every line of every patch is numbered once, up front, so a pair
 * costs no more than the diff of two arrays of numbers. The steps on
 * those numbers are xdiff's, one for one, because any other diff (even
 * another minimal one) can count differently and change the pairing:
 *
 *  - the common first and last lines are set aside;
 *  - lines without a match on the other side are changed at once, and
 *    lines with many matches too when they sit among such lines;
 *  - Myers' divide and conquer on the rest, with xdiff's cut-offs for
 *    expensive boxes (only at the top, while no exact split was found);
 *  - each group of changed lines is slid as far as it goes, down, then
 *    back up to line up with a group of the other side;
 *  - changes closer than 2 * 3 lines share a hunk.
 *
 * tools/tests/unit/rangediff_test.c checks the counts against libgit2's
 * xdiff on generated and real pairs.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser_lib_series.h"

/* --- numbering the lines ----------------------------------------------- */

static ulong line_hash(const char *s, size_t len)
{
	ulong h = 0x9e3779b97f4a7c15ULL ^ len;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		ulong w;

		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	h ^= h >> 29;
	return h * 0xc4ceb9fe1a85ec53ULL;
}

/* A line is what xdiff calls a record: up to and with its newline. */
static size_t line_len(const char *s, size_t left)
{
	const char *nl = memchr(s, '\n', left);

	return nl ? (size_t)(nl - s) + 1 : left;
}

void kser_rdlines_release(struct kser_rdlines *l)
{
	free(l->ids);
	free(l->first);
	memset(l, 0, sizeof(*l));
}

const struct kser_error *kser_rdlines_build(struct kser_rdlines *out,
					    size_t ntexts,
					    const char *const *texts,
					    const size_t *lens)
{
	const struct kser_error *err = NULL;
	size_t total = 0, nslots = 16, i, at = 0;
	uint32_t *slots = NULL;		/* id + 1 of a line; 0: empty */
	ulong *hashes = NULL;	/* of each id */
	const char **starts = NULL;	/* of each id */
	size_t *sizes = NULL;		/* of each id */

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ntexts; i++) {
		const char *p = texts[i], *end = p + lens[i];

		while (p < end) {
			p += line_len(p, (size_t)(end - p));
			total++;
		}
	}
	if (total >= UINT32_MAX / 2)
		return kser_error_fmt(KSER_ERR_USAGE, "too many lines to "
				      "compare (%zu)", total);
	while (nslots < total * 2)
		nslots <<= 1;
	out->ids = malloc((total ? total : 1) * sizeof(*out->ids));
	out->first = malloc((ntexts + 1) * sizeof(*out->first));
	slots = calloc(nslots, sizeof(*slots));
	hashes = malloc((total ? total : 1) * sizeof(*hashes));
	starts = malloc((total ? total : 1) * sizeof(*starts));
	sizes = malloc((total ? total : 1) * sizeof(*sizes));
	if (!out->ids || !out->first || !slots || !hashes || !starts ||
	    !sizes) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < ntexts; i++) {
		const char *p = texts[i], *end = p + lens[i];

		out->first[i] = at;
		while (p < end) {
			size_t len = line_len(p, (size_t)(end - p));
			ulong h = line_hash(p, len);
			size_t s = (size_t)h & (nslots - 1);
			uint32_t id;

			for (;; s = (s + 1) & (nslots - 1)) {
				id = slots[s];
				if (!id) {
					id = out->nids++;
					hashes[id] = h;
					starts[id] = p;
					sizes[id] = len;
					slots[s] = id + 1;
					break;
				}
				id--;
				if (hashes[id] == h && sizes[id] == len &&
				    !memcmp(starts[id], p, len))
					break;
			}
			out->ids[at++] = id;
			p += len;
		}
	}
	out->first[ntexts] = at;
	out->ntexts = ntexts;
done:
	free(slots);
	free(hashes);
	free(starts);
	free(sizes);
	if (err)
		kser_rdlines_release(out);
	return err;
}

/* --- one pair ---------------------------------------------------------- */

#define CONTEXT 3		/* lines of context around a change */
#define SNAKE_LONG 20		/* a run of equal lines worth noticing */
#define HEUR_MIN_COST 256	/* cost before a box may be cut short */
#define MAX_COST_MIN 256	/* cost at which a box is cut in any case */
#define K_HEUR 4		/* how far past its cost a cut must reach */
#define MULTI_MAX 1024		/* cap on "many matches" */
#define SCAN_WINDOW 100		/* lines seen around a many-match line */
#define FAR_AWAY LONG_MAX

/* One text of the pair. */
struct side {
	const uint32_t *line;	/* its lines' numbers */
	long n;
	char *changed;		/* [-1] and [n] are 0 */
	uint32_t *kept;		/* the lines left for the Myers pass */
	long *at;		/* their indices in line */
	long nkept;
};

struct pair {
	struct side s1, s2;
	long *fwd, *bwd;	/* furthest points by diagonal */
	long max_cost;
};

/* A point to cut a box at, and whether each half must be minimal. */
struct cut {
	long x, y;
	bool exact_lo, exact_hi;
};

/* xdiff's rough square root: 2^ceil(log4(n + 1)). */
static long rough_sqrt(long n)
{
	long r = 1;

	for (; n > 0; n >>= 2)
		r <<= 1;
	return r;
}

static void *grow(void **v, size_t *alloc, size_t want)
{
	if (*alloc < want) {
		void *p = realloc(*v, want);

		if (!p)
			return NULL;
		*v = p;
		*alloc = want;
	}
	return *v;
}

void kser_rdsize_init(struct kser_rdsize *s)
{
	memset(s, 0, sizeof(*s));
}

void kser_rdsize_release(struct kser_rdsize *s)
{
	free(s->count1);
	free(s->count2);
	free(s->changed);
	free(s->dis);
	free(s->kept);
	free(s->at);
	free(s->kv);
	memset(s, 0, sizeof(*s));
}

/*
 * Is line i, which has many matches, in a run of lines that have none or
 * many, with few enough of the latter, so that it is better changed?
 */
static bool lost_in_changes(const char *dis, long i, long lo, long hi)
{
	long r, none_before = 0, many_before = 1, none_after = 0;
	long many_after = 1;

	if (i - lo > SCAN_WINDOW)
		lo = i - SCAN_WINDOW;
	if (hi - i > SCAN_WINDOW)
		hi = i + SCAN_WINDOW;
	for (r = i - 1; r >= lo && dis[r] != 1; r--) {
		if (dis[r])
			many_before++;
		else
			none_before++;
	}
	if (!none_before)
		return false;
	for (r = i + 1; r <= hi && dis[r] != 1; r++) {
		if (dis[r])
			many_after++;
		else
			none_after++;
	}
	if (!none_after)
		return false;
	return (many_before + many_after) * 4 <
	       many_before + many_after + none_before + none_after;
}

/*
 * Sets aside the lines between lo and hi of s that no line of the other
 * text matches, or that many do and that sit among such lines; the
 * others go to the Myers pass. other[id] counts the other text's lines.
 */
static void keep_lines(struct side *s, const uint32_t *other, char *dis,
		       long lo, long hi)
{
	long many = rough_sqrt(s->n), i;

	if (many > MULTI_MAX)
		many = MULTI_MAX;
	for (i = lo; i <= hi; i++) {
		uint32_t m = other[s->line[i]];

		dis[i] = !m ? 0 : m >= (uint32_t)many ? 2 : 1;
	}
	s->nkept = 0;
	for (i = lo; i <= hi; i++) {
		if (dis[i] == 1 ||
		    (dis[i] == 2 && !lost_in_changes(dis, i, lo, hi))) {
			s->kept[s->nkept] = s->line[i];
			s->at[s->nkept++] = i;
		} else {
			s->changed[i] = 1;
		}
	}
}

/* Do the n lines before (or from) these points match? */
static bool run_before(const uint32_t *a, const uint32_t *b, long n)
{
	long k;

	for (k = 1; k <= n; k++)
		if (a[-k] != b[-k])
			return false;
	return true;
}

static bool run_from(const uint32_t *a, const uint32_t *b, long n)
{
	long k;

	for (k = 0; k < n; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

/*
 * A cut of the box [lo1, hi1) x [lo2, hi2) of the kept lines, found by
 * growing paths from both corners, one edit at a time, until they meet
 * (Myers' middle snake). Unless exact, a box that costs too much is cut
 * where a path got furthest, as xdiff cuts it.
 */
static void find_cut(const struct pair *p, long lo1, long hi1, long lo2,
		     long hi2, bool exact, struct cut *cut)
{
	const uint32_t *a = p->s1.kept, *b = p->s2.kept;
	long *fwd = p->fwd, *bwd = p->bwd;
	long kmin = lo1 - hi2, kmax = hi1 - lo2;
	long fmid = lo1 - lo2, bmid = hi1 - hi2;
	bool odd = (fmid - bmid) & 1;
	long flo = fmid, fhi = fmid, blo = bmid, bhi = bmid;
	long cost, k;

	fwd[fmid] = lo1;
	bwd[bmid] = hi1;
	for (cost = 1;; cost++) {
		bool long_run = false;
		long best;

		/* Forward, each diagonal one edit further. */
		if (flo > kmin) {
			flo--;
			fwd[flo - 1] = -1;
		} else {
			flo++;
		}
		if (fhi < kmax) {
			fhi++;
			fwd[fhi + 1] = -1;
		} else {
			fhi--;
		}
		for (k = fhi; k >= flo; k -= 2) {
			long x = fwd[k - 1] >= fwd[k + 1] ? fwd[k - 1] + 1 :
				 fwd[k + 1];
			long from = x, y = x - k;

			while (x < hi1 && y < hi2 && a[x] == b[y]) {
				x++;
				y++;
			}
			if (x - from > SNAKE_LONG)
				long_run = true;
			fwd[k] = x;
			if (odd && blo <= k && k <= bhi && bwd[k] <= x) {
				*cut = (struct cut){ x, y, true, true };
				return;
			}
		}

		/* Backward, likewise. */
		if (blo > kmin) {
			blo--;
			bwd[blo - 1] = FAR_AWAY;
		} else {
			blo++;
		}
		if (bhi < kmax) {
			bhi++;
			bwd[bhi + 1] = FAR_AWAY;
		} else {
			bhi--;
		}
		for (k = bhi; k >= blo; k -= 2) {
			long x = bwd[k - 1] < bwd[k + 1] ? bwd[k - 1] :
				 bwd[k + 1] - 1;
			long from = x, y = x - k;

			while (x > lo1 && y > lo2 && a[x - 1] == b[y - 1]) {
				x--;
				y--;
			}
			if (from - x > SNAKE_LONG)
				long_run = true;
			bwd[k] = x;
			if (!odd && flo <= k && k <= fhi && x <= fwd[k]) {
				*cut = (struct cut){ x, y, true, true };
				return;
			}
		}
		if (exact)
			continue;

		/*
		 * Costly, but a long run was seen: cut after a run of equal
		 * lines on a path that went far for its cost, forward paths
		 * first.
		 */
		if (long_run && cost > HEUR_MIN_COST) {
			best = 0;
			for (k = fhi; k >= flo; k -= 2) {
				long off = k > fmid ? k - fmid : fmid - k;
				long x = fwd[k], y = x - k;
				long v = (x - lo1) + (y - lo2) - off;

				if (v > K_HEUR * cost && v > best &&
				    lo1 + SNAKE_LONG <= x && x < hi1 &&
				    lo2 + SNAKE_LONG <= y && y < hi2 &&
				    run_before(a + x, b + y, SNAKE_LONG)) {
					best = v;
					cut->x = x;
					cut->y = y;
				}
			}
			if (best > 0) {
				cut->exact_lo = true;
				cut->exact_hi = false;
				return;
			}
			for (k = bhi; k >= blo; k -= 2) {
				long off = k > bmid ? k - bmid : bmid - k;
				long x = bwd[k], y = x - k;
				long v = (hi1 - x) + (hi2 - y) - off;

				if (v > K_HEUR * cost && v > best &&
				    lo1 < x && x <= hi1 - SNAKE_LONG &&
				    lo2 < y && y <= hi2 - SNAKE_LONG &&
				    run_from(a + x, b + y, SNAKE_LONG)) {
					best = v;
					cut->x = x;
					cut->y = y;
				}
			}
			if (best > 0) {
				cut->exact_lo = false;
				cut->exact_hi = true;
				return;
			}
		}

		/* Too costly: cut where a path got furthest. */
		if (cost >= p->max_cost) {
			long fbest = -1, fx = -1, bbest = FAR_AWAY;
			long bx = FAR_AWAY;

			for (k = fhi; k >= flo; k -= 2) {
				long x = fwd[k] < hi1 ? fwd[k] : hi1;
				long y = x - k;

				if (y > hi2) {
					x = hi2 + k;
					y = hi2;
				}
				if (x + y > fbest) {
					fbest = x + y;
					fx = x;
				}
			}
			for (k = bhi; k >= blo; k -= 2) {
				long x = bwd[k] > lo1 ? bwd[k] : lo1;
				long y = x - k;

				if (y < lo2) {
					x = lo2 + k;
					y = lo2;
				}
				if (x + y < bbest) {
					bbest = x + y;
					bx = x;
				}
			}
			if ((hi1 + hi2) - bbest < fbest - (lo1 + lo2))
				*cut = (struct cut){ fx, fbest - fx,
						     true, false };
			else
				*cut = (struct cut){ bx, bbest - bx,
						     false, true };
			return;
		}
	}
}

/* Marks the changed lines of a box of kept lines, and of its halves. */
static void diff_box(struct pair *p, long lo1, long hi1, long lo2, long hi2,
		     bool exact)
{
	const uint32_t *a = p->s1.kept, *b = p->s2.kept;
	struct cut cut;

	while (lo1 < hi1 && lo2 < hi2 && a[lo1] == b[lo2]) {
		lo1++;
		lo2++;
	}
	while (lo1 < hi1 && lo2 < hi2 && a[hi1 - 1] == b[hi2 - 1]) {
		hi1--;
		hi2--;
	}
	if (lo1 == hi1) {
		for (; lo2 < hi2; lo2++)
			p->s2.changed[p->s2.at[lo2]] = 1;
		return;
	}
	if (lo2 == hi2) {
		for (; lo1 < hi1; lo1++)
			p->s1.changed[p->s1.at[lo1]] = 1;
		return;
	}
	find_cut(p, lo1, hi1, lo2, hi2, exact, &cut);
	diff_box(p, lo1, cut.x, lo2, cut.y, cut.exact_lo);
	diff_box(p, cut.x, hi1, cut.y, hi2, cut.exact_hi);
}

/*
 * A run of changed lines [start, end), or an empty one at start, between
 * two unchanged lines. Runs of the two texts go in step: the k-th of one
 * faces the k-th of the other.
 */
struct group {
	long start, end;
};

static void group_first(const struct side *s, struct group *g)
{
	g->start = g->end = 0;
	while (s->changed[g->end])
		g->end++;
}

static bool group_next(const struct side *s, struct group *g)
{
	if (g->end == s->n)
		return false;
	g->start = g->end + 1;
	for (g->end = g->start; s->changed[g->end]; g->end++)
		;
	return true;
}

static bool group_prev(const struct side *s, struct group *g)
{
	if (g->start == 0)
		return false;
	g->end = g->start - 1;
	for (g->start = g->end; s->changed[g->start - 1]; g->start--)
		;
	return true;
}

/* Moves the run one line down (merging what it meets), if it can. */
static bool slide_down(struct side *s, struct group *g)
{
	if (g->end >= s->n || s->line[g->start] != s->line[g->end])
		return false;
	s->changed[g->start++] = 0;
	s->changed[g->end++] = 1;
	while (s->changed[g->end])
		g->end++;
	return true;
}

static bool slide_up(struct side *s, struct group *g)
{
	if (g->start <= 0 || s->line[g->start - 1] != s->line[g->end - 1])
		return false;
	s->changed[--g->start] = 1;
	s->changed[--g->end] = 0;
	while (s->changed[g->start - 1])
		g->start--;
	return true;
}

/*
 * Each run of s slides up as far as it goes, then down as far as it
 * goes, merging with the runs it meets, until it stops growing; then it
 * goes back up to the last place where it faced a run of the other text,
 * if there was one.
 */
static void compact(struct side *s, const struct side *o)
{
	struct group g, go;

	group_first(s, &g);
	group_first(o, &go);
	for (;;) {
		if (g.end != g.start) {
			long size, top_end, faced;

			do {
				size = g.end - g.start;
				faced = -1;
				while (slide_up(s, &g))
					group_prev(o, &go);
				top_end = g.end;
				if (go.end > go.start)
					faced = g.end;
				while (slide_down(s, &g)) {
					group_next(o, &go);
					if (go.end > go.start)
						faced = g.end;
				}
			} while (size != g.end - g.start);
			if (g.end != top_end && faced != -1) {
				while (go.end == go.start) {
					slide_up(s, &g);
					group_prev(o, &go);
				}
			}
		}
		if (!group_next(s, &g))
			break;
		group_next(o, &go);
	}
}

static long min3(long a, long b, long c)
{
	long m = a < b ? a : b;

	return m < c ? m : c;
}

/* The lines of the diff: hunk headers, context, removed, added. */
static long count_lines(const struct side *s1, const struct side *s2)
{
	long i1 = 0, i2 = 0, end1 = 0, end2 = 0, count = 0;
	bool open = false;

	for (;;) {
		long c1, c2;

		while (i1 < s1->n && i2 < s2->n && !s1->changed[i1] &&
		       !s2->changed[i2]) {
			i1++;
			i2++;
		}
		c1 = i1;
		c2 = i2;
		while (i1 < s1->n && s1->changed[i1])
			i1++;
		while (i2 < s2->n && s2->changed[i2])
			i2++;
		if (c1 == i1 && c2 == i2)
			break;
		if (open && c1 - end1 <= 2 * CONTEXT) {
			count += c1 - end1;
		} else {
			if (open)
				count += min3(CONTEXT, s1->n - end1,
					      s2->n - end2);
			count += 1 + (c2 < CONTEXT ? c2 : CONTEXT);
			open = true;
		}
		count += (i1 - c1) + (i2 - c2);
		end1 = i1;
		end2 = i2;
	}
	if (open)
		count += min3(CONTEXT, s1->n - end1, s2->n - end2);
	return count;
}

static const struct kser_error *reserve(struct kser_rdsize *s, long n1,
					long n2, uint32_t nids)
{
	size_t n = (size_t)n1 + (size_t)n2;
	size_t diags = n + 3;

	if (s->nids < nids) {
		uint32_t *c1 = realloc(s->count1, nids * sizeof(*c1));
		uint32_t *c2;

		if (c1)
			s->count1 = c1;
		c2 = c1 ? realloc(s->count2, nids * sizeof(*c2)) : NULL;
		if (!c2)
			return kser_error_nomem();
		s->count2 = c2;
		memset(s->count1 + s->nids, 0,
		       (nids - s->nids) * sizeof(*c1));
		memset(s->count2 + s->nids, 0,
		       (nids - s->nids) * sizeof(*c2));
		s->nids = nids;
	}
	if (!grow((void **)&s->changed, &s->changed_alloc, n + 4) ||
	    !grow((void **)&s->dis, &s->dis_alloc, n + 2) ||
	    !grow((void **)&s->kept, &s->kept_alloc,
		  (n + 1) * sizeof(*s->kept)) ||
	    !grow((void **)&s->at, &s->at_alloc, (n + 1) * sizeof(*s->at)) ||
	    !grow((void **)&s->kv, &s->kv_alloc,
		  (2 * diags + 2) * sizeof(*s->kv)))
		return kser_error_nomem();
	return NULL;
}

const struct kser_error *kser_rdsize_count(struct kser_rdsize *s, int *out,
					   const struct kser_rdlines *l,
					   size_t ia, size_t ib)
{
	const uint32_t *a = l->ids + l->first[ia], *b = l->ids + l->first[ib];
	long n1 = (long)(l->first[ia + 1] - l->first[ia]);
	long n2 = (long)(l->first[ib + 1] - l->first[ib]);
	const struct kser_error *err;
	struct pair p;
	long lo, lim, tail, i, count;

	*out = 0;
	if (n1 == n2 && !memcmp(a, b, (size_t)n1 * sizeof(*a)))
		return NULL;
	err = reserve(s, n1, n2, l->nids);
	if (err)
		return err;
	memset(&p, 0, sizeof(p));
	p.s1.line = a;
	p.s1.n = n1;
	p.s1.changed = s->changed + 1;
	p.s1.kept = s->kept;
	p.s1.at = s->at;
	p.s2.line = b;
	p.s2.n = n2;
	p.s2.changed = s->changed + n1 + 3;
	p.s2.kept = s->kept + n1;
	p.s2.at = s->at + n1;
	memset(s->changed, 0, (size_t)(n1 + n2 + 4));

	/* The first and last lines both have in common. */
	lim = n1 < n2 ? n1 : n2;
	for (lo = 0; lo < lim && a[lo] == b[lo]; lo++)
		;
	for (tail = 0; tail < lim - lo &&
	     a[n1 - 1 - tail] == b[n2 - 1 - tail]; tail++)
		;

	/* How often each line occurs in each whole text. */
	for (i = 0; i < n1; i++)
		s->count1[a[i]]++;
	for (i = 0; i < n2; i++)
		s->count2[b[i]]++;
	keep_lines(&p.s1, s->count2, s->dis, lo, n1 - tail - 1);
	keep_lines(&p.s2, s->count1, s->dis, lo, n2 - tail - 1);
	for (i = 0; i < n1; i++)
		s->count1[a[i]] = 0;
	for (i = 0; i < n2; i++)
		s->count2[b[i]] = 0;

	i = p.s1.nkept + p.s2.nkept + 3;
	p.fwd = s->kv + p.s2.nkept + 1;
	p.bwd = p.fwd + i;
	p.max_cost = rough_sqrt(i);
	if (p.max_cost < MAX_COST_MIN)
		p.max_cost = MAX_COST_MIN;
	diff_box(&p, 0, p.s1.nkept, 0, p.s2.nkept, false);
	compact(&p.s1, &p.s2);
	compact(&p.s2, &p.s1);
	count = count_lines(&p.s1, &p.s2);
	*out = count > INT32_MAX ? INT32_MAX : (int)count;
	return NULL;
}

const struct kser_error *kser_rangediff_diffsize(int *out, const char *a,
						 size_t alen, const char *b,
						 size_t blen)
{
	const char *texts[2] = { a, b };
	size_t lens[2] = { alen, blen };
	struct kser_rdlines l;
	struct kser_rdsize s;
	const struct kser_error *err;

	*out = 0;
	err = kser_rdlines_build(&l, 2, texts, lens);
	if (err)
		return err;
	kser_rdsize_init(&s);
	err = kser_rdsize_count(&s, out, &l, 0, 1);
	kser_rdsize_release(&s);
	kser_rdlines_release(&l);
	return err;
}
