// SPDX-License-Identifier: GPL-2.0
/*
 * git range-diff's pairing and output. Patches with equal diffs pair
 * first; the rest go to a least-cost assignment over a square matrix of
 * both sides plus as many "nothing" slots; then pairs are listed in the
 * new side's order, each dropped patch after the patches before it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kser/error.h"
#include "kser/rangediff.h"
#include "kser_lib_series.h"

void kser_rangediff_list_init(struct kser_rangediff_list *l)
{
	memset(l, 0, sizeof(*l));
	kser_buf_init(&l->warnings);
}

void kser_rangediff_list_release(struct kser_rangediff_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].id);
		free(l->v[i].subject);
	}
	free(l->v);
	kser_buf_release(&l->warnings);
	memset(l, 0, sizeof(*l));
}

void kser_rangediff_release(struct kser_rangediff *rd)
{
	free(rd->pairs);
	rd->pairs = NULL;
	rd->npairs = 0;
}

static const char *diff_part(const struct kser_rangediff_patch *p)
{
	return p->text + p->diff_offset;
}

static size_t diff_part_len(const struct kser_rangediff_patch *p)
{
	return p->len - p->diff_offset;
}

/* --- exact matches ----------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/*
 * Pairs equal diffs. Among equal patches of the old side the last one
 * goes first, as in git, whose hash map hands out the newest entry.
 */
static const struct kser_error *exact_matches(const struct kser_rangediff_list *a,
					      const struct kser_rangediff_list *b,
					      long *a2b, long *b2a)
{
	size_t nb = 1, i, j;
	long *head = NULL, *next = NULL;
	uint64_t *ha = NULL;

	while (nb < a->n * 2)
		nb <<= 1;
	head = malloc(nb * sizeof(*head));
	next = malloc((a->n ? a->n : 1) * sizeof(*next));
	ha = malloc((a->n ? a->n : 1) * sizeof(*ha));
	if (!head || !next || !ha) {
		free(head);
		free(next);
		free(ha);
		return kser_error_nomem();
	}
	for (i = 0; i < nb; i++)
		head[i] = -1;
	for (i = 0; i < a->n; i++) {
		size_t bucket;

		ha[i] = hash_bytes(diff_part(&a->v[i]), diff_part_len(&a->v[i]));
		bucket = ha[i] & (nb - 1);
		next[i] = head[bucket];
		head[bucket] = (long)i;
	}
	for (j = 0; j < b->n; j++) {
		const struct kser_rangediff_patch *p = &b->v[j];
		uint64_t h = hash_bytes(diff_part(p), diff_part_len(p));
		long *link = &head[h & (nb - 1)];

		for (; *link >= 0; link = &next[*link]) {
			const struct kser_rangediff_patch *q = &a->v[*link];

			if (ha[*link] != h || diff_part_len(q) != diff_part_len(p) ||
			    memcmp(diff_part(q), diff_part(p), diff_part_len(p)))
				continue;
			a2b[*link] = (long)j;
			b2a[j] = *link;
			*link = next[*link];
			break;
		}
	}
	free(head);
	free(next);
	free(ha);
	return NULL;
}

/* --- costs ------------------------------------------------------------- */

struct cost_job {
	const struct kser_rangediff_list *a, *b;
	const long *a2b, *b2a;
	int *cost;
	size_t n;		/* the matrix is n by n */
	size_t next_row;	/* shared: the next row to do */
	pthread_mutex_t lock;
	const struct kser_error *err;
};

static void *cost_worker(void *arg)
{
	struct cost_job *job = arg;
	const struct kser_error *err = NULL;

	for (;;) {
		size_t j, i;

		pthread_mutex_lock(&job->lock);
		j = job->next_row++;
		if (job->err)
			j = job->b->n;
		pthread_mutex_unlock(&job->lock);
		if (j >= job->b->n)
			break;
		for (i = 0; i < job->a->n; i++) {
			int c = KSER_ASSIGN_COST_MAX;

			if (job->a2b[i] == (long)j) {
				c = 0;
			} else if (job->a2b[i] < 0 && job->b2a[j] < 0) {
				const struct kser_rangediff_patch *x =
					&job->a->v[i], *y = &job->b->v[j];

				err = kser_rangediff_diffsize(&c, diff_part(x),
							      diff_part_len(x),
							      diff_part(y),
							      diff_part_len(y));
				if (err)
					break;
			}
			job->cost[i + job->n * j] = c;
		}
		if (err) {
			pthread_mutex_lock(&job->lock);
			if (!job->err)
				job->err = err;
			pthread_mutex_unlock(&job->lock);
			break;
		}
	}
	return NULL;
}

static const struct kser_error *fill_costs(struct cost_job *job, int threads)
{
	pthread_t tid[16];
	int i, started = 0;

	if (threads <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (int)cpus : 1;
	}
	if (threads > 16)
		threads = 16;
	if ((size_t)threads > job->b->n)
		threads = job->b->n ? (int)job->b->n : 1;
	pthread_mutex_init(&job->lock, NULL);
	for (i = 1; i < threads; i++)
		if (pthread_create(&tid[started], NULL, cost_worker, job) == 0)
			started++;
	cost_worker(job);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&job->lock);
	return job->err;
}

static int unmatched_cost(const struct kser_rangediff_patch *p, long match,
			  int factor)
{
	return match < 0 ? p->diffsize * factor / 100 : KSER_ASSIGN_COST_MAX;
}

static const struct kser_error *correspond(const struct kser_rangediff_list *a,
					   const struct kser_rangediff_list *b,
					   long *a2b, long *b2a,
					   const struct kser_rangediff_options *o)
{
	size_t n = a->n + b->n, i, j;
	size_t limit = o->max_memory ? o->max_memory : (size_t)1 << 30;
	struct cost_job job;
	const struct kser_error *err;
	int *cost = NULL, *c2r = NULL, *r2c = NULL;

	if (n && (n > SIZE_MAX / n / sizeof(int) ||
		  n * n * sizeof(int) > limit))
		return kser_error_fmt(KSER_ERR_USAGE,
				      "comparing %zu with %zu patches needs "
				      "%zu MiB for the cost matrix, more than "
				      "the %zu MiB allowed (--max-memory)",
				      a->n, b->n,
				      n > SIZE_MAX / n / sizeof(int) ? SIZE_MAX :
				      n * n * sizeof(int) >> 20, limit >> 20);
	if (n > INT32_MAX)
		return kser_error_fmt(KSER_ERR_USAGE, "too many patches");
	cost = malloc((n ? n * n : 1) * sizeof(int));
	c2r = malloc((n ? n : 1) * sizeof(int));
	r2c = malloc((n ? n : 1) * sizeof(int));
	if (!cost || !c2r || !r2c) {
		err = kser_error_nomem();
		goto done;
	}
	memset(&job, 0, sizeof(job));
	job.a = a;
	job.b = b;
	job.a2b = a2b;
	job.b2a = b2a;
	job.cost = cost;
	job.n = n;
	err = fill_costs(&job, o->threads);
	if (err)
		goto done;
	for (i = 0; i < a->n; i++) {
		int c = unmatched_cost(&a->v[i], a2b[i], o->creation_factor);

		for (j = b->n; j < n; j++)
			cost[i + n * j] = c;
	}
	for (j = 0; j < b->n; j++) {
		int c = unmatched_cost(&b->v[j], b2a[j], o->creation_factor);

		for (i = a->n; i < n; i++)
			cost[i + n * j] = c;
	}
	for (i = a->n; i < n; i++)
		for (j = b->n; j < n; j++)
			cost[i + n * j] = 0;
	err = kser_assign((int)n, (int)n, cost, c2r, r2c);
	if (err)
		goto done;
	for (i = 0; i < a->n; i++)
		if (c2r[i] >= 0 && (size_t)c2r[i] < b->n) {
			a2b[i] = c2r[i];
			b2a[c2r[i]] = (long)i;
		}
done:
	free(cost);
	free(c2r);
	free(r2c);
	return err;
}

/* --- pairing ----------------------------------------------------------- */

static const struct kser_error *push_pair(struct kser_rangediff *rd,
					  size_t *alloc, long a, long b,
					  char status)
{
	struct kser_rangediff_pair *p;

	if (rd->npairs == *alloc) {
		size_t want = *alloc ? *alloc * 2 : 16;

		p = realloc(rd->pairs, want * sizeof(*p));
		if (!p)
			return kser_error_nomem();
		rd->pairs = p;
		*alloc = want;
	}
	p = &rd->pairs[rd->npairs++];
	p->a = a;
	p->b = b;
	p->status = status;
	return NULL;
}

static char pair_status(const struct kser_rangediff_patch *x,
			const struct kser_rangediff_patch *y)
{
	return x->len == y->len && !memcmp(x->text, y->text, x->len) ?
	       KSER_RANGEDIFF_SAME : KSER_RANGEDIFF_CHANGED;
}

const struct kser_error *
kser_rangediff_compare(struct kser_rangediff *out,
		       const struct kser_rangediff_list *a,
		       const struct kser_rangediff_list *b,
		       const struct kser_rangediff_options *opts)
{
	static const struct kser_rangediff_options defaults =
		KSER_RANGEDIFF_OPTIONS_INIT;
	const struct kser_rangediff_options *o = opts ? opts : &defaults;
	const struct kser_error *err = NULL;
	long *a2b, *b2a;
	bool *shown;
	size_t i = 0, j = 0, alloc = 0, k;

	memset(out, 0, sizeof(*out));
	a2b = malloc((a->n ? a->n : 1) * sizeof(*a2b));
	b2a = malloc((b->n ? b->n : 1) * sizeof(*b2a));
	shown = calloc(a->n ? a->n : 1, sizeof(*shown));
	if (!a2b || !b2a || !shown) {
		err = kser_error_nomem();
		goto done;
	}
	for (k = 0; k < a->n; k++)
		a2b[k] = -1;
	for (k = 0; k < b->n; k++)
		b2a[k] = -1;
	err = exact_matches(a, b, a2b, b2a);
	if (!err)
		err = correspond(a, b, a2b, b2a, o);
	while (!err && (i < a->n || j < b->n)) {
		while (i < a->n && shown[i])
			i++;
		if (i < a->n && a2b[i] < 0) {
			err = push_pair(out, &alloc, (long)i, -1,
					KSER_RANGEDIFF_DROPPED);
			i++;
			continue;
		}
		while (!err && j < b->n && b2a[j] < 0) {
			err = push_pair(out, &alloc, -1, (long)j,
					KSER_RANGEDIFF_ADDED);
			j++;
		}
		if (!err && j < b->n) {
			long m = b2a[j];

			err = push_pair(out, &alloc, m, (long)j,
					pair_status(&a->v[m], &b->v[j]));
			shown[m] = true;
			j++;
		}
	}
done:
	free(a2b);
	free(b2a);
	free(shown);
	if (err)
		kser_rangediff_release(out);
	return err;
}

/* --- output ------------------------------------------------------------ */

static int decimal_width(size_t n)
{
	int w = 1;

	while (n >= 10) {
		n /= 10;
		w++;
	}
	return w;
}

#define C_RESET "\033[m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"

static void pair_header(struct kser_buf *out, const struct kser_rangediff_pair *p,
			const struct kser_rangediff_list *a,
			const struct kser_rangediff_list *b, int width,
			struct kser_buf *dashes, bool color, const char *tail)
{
	const struct kser_rangediff_patch *x = p->a >= 0 ? &a->v[p->a] : NULL;
	const struct kser_rangediff_patch *y = p->b >= 0 ? &b->v[p->b] : NULL;
	const struct kser_rangediff_patch *subj = x ? x : y;
	const char *reset = color ? C_RESET : "";
	const char *c_old = color ? C_RED : "", *c_new = color ? C_GREEN : "";
	const char *c_commit = color ? C_YELLOW : "";
	const char *c = p->status == '<' ? c_old : p->status == '>' ? c_new :
			c_commit;
	bool changed = p->status == '!';

	if (!dashes->len) {
		size_t k, len = strlen(subj->id);

		for (k = 0; k < len; k++)
			kser_buf_putc(dashes, '-');
	}
	kser_buf_puts(out, changed ? c_old : c);
	if (x)
		kser_buf_printf(out, "%*ld:  %s ", width, p->a + 1, x->id);
	else
		kser_buf_printf(out, "%*s:  %s ", width, "-",
				kser_buf_cstr(dashes));
	if (changed)
		kser_buf_printf(out, "%s%s", reset, c);
	kser_buf_putc(out, p->status);
	if (changed)
		kser_buf_printf(out, "%s%s", reset, c_new);
	if (y)
		kser_buf_printf(out, " %*ld:  %s", width, p->b + 1, y->id);
	else
		kser_buf_printf(out, " %*s:  %s", width, "-",
				kser_buf_cstr(dashes));
	if (subj->subject) {
		if (changed)
			kser_buf_printf(out, "%s%s", reset, c);
		kser_buf_printf(out, " %s", subj->subject);
	}
	if (tail)
		kser_buf_puts(out, tail);
	kser_buf_printf(out, "%s\n", reset);
}

const struct kser_error *
kser_rangediff_write(struct kser_buf *out, const struct kser_rangediff *rd,
		     const struct kser_rangediff_list *a,
		     const struct kser_rangediff_list *b,
		     const struct kser_rangediff_output *o)
{
	struct kser_buf dashes = KSER_BUF_INIT, diff = KSER_BUF_INIT;
	struct kser_buf tail = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	int width = decimal_width(1 + (a->n > b->n ? a->n : b->n));
	size_t i;

	for (i = 0; i < rd->npairs && !err; i++) {
		const struct kser_rangediff_pair *p = &rd->pairs[i];
		bool show = p->status == '!' && !o->no_patch;
		size_t adds = 0, dels = 0;

		kser_buf_clear(&diff);
		kser_buf_clear(&tail);
		if (p->status == '!' && (show || o->stat))
			err = kser_rangediff_diff(&diff, &a->v[p->a],
						  &b->v[p->b],
						  o->color && !o->stat, &adds,
						  &dels);
		if (err)
			break;
		if (o->stat && p->status == '!')
			kser_buf_printf(&tail, " (+%zu -%zu)", adds, dels);
		pair_header(out, p, a, b, width, &dashes, o->color,
			    tail.len ? tail.ptr : NULL);
		if (show && !o->stat)
			kser_buf_put(out, diff.ptr ? diff.ptr : "", diff.len);
	}
	kser_buf_release(&dashes);
	kser_buf_release(&diff);
	kser_buf_release(&tail);
	return err ? err : kser_buf_check(out);
}
