// SPDX-License-Identifier: GPL-2.0
/*
 * Sample use of the ctnr containers: a growable array, an owned object and
 * reference-counted objects shared with a work item.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kalloc.h>
#include <linux/module.h>
#include <linux/workqueue.h>

struct sample_config {
	unsigned int limit;
	unsigned int batch;
};

/* A work item that reports primes into a shared vec. */
struct prime_work {
	struct work_struct work;
	struct kalloc_locked_vec *out;
	const struct ctnr_vec *primes;
};

static bool is_prime(unsigned int n)
{
	unsigned int d;

	if (n < 2)
		return false;
	for (d = 2; d * d <= n; d++)
		if (!(n % d))
			return false;
	return true;
}

static int collect_primes(struct ctnr_vec *primes, unsigned int limit)
{
	unsigned int n;
	int ret;

	ret = ctnr_vec_try_with_capacity(primes, sizeof(n), __alignof__(n), 8);
	if (ret)
		return ret;
	for (n = 0; n < limit; n++) {
		if (!is_prime(n))
			continue;
		ret = ctnr_vec_try_push(primes, &n);
		if (ret)
			return ret;
	}
	return 0;
}

static void prime_work_fn(struct work_struct *work)
{
	struct prime_work *pw = container_of(work, struct prime_work, work);
	const unsigned int *p;

	ctnr_vec_for_each(p, pw->primes) {
		if (kalloc_locked_vec_push(pw->out, p))
			break;
	}
}

static int prime_work_init(void *obj, void *arg)
{
	struct prime_work *pw = obj;
	struct prime_work *tmpl = arg;

	INIT_WORK(&pw->work, prime_work_fn);
	pw->out = ctnr_arc_get(tmpl->out);
	pw->primes = tmpl->primes;
	return 0;
}

static void prime_work_drop(void *obj)
{
	struct prime_work *pw = obj;

	kalloc_locked_vec_put(pw->out);
}

static int __init ctnr_sample_init(void)
{
	static const struct sample_config defaults = { .limit = 100,
						       .batch = 5 };
	struct ctnr_vec primes = CTNR_VEC_INIT(unsigned int);
	struct prime_work tmpl, *pw = NULL;
	struct sample_config *cfg;
	unsigned int batch[8], sum = 0;
	size_t n, i;
	int ret;

	cfg = ctnr_box_try_new(&defaults, sizeof(defaults),
			       __alignof__(defaults));
	if (!cfg)
		return -ENOMEM;

	ret = collect_primes(&primes, cfg->limit);
	if (ret)
		goto free_primes;
	pr_info("%zu primes below %u\n", ctnr_vec_len(&primes), cfg->limit);

	tmpl.out = kalloc_locked_vec_try_new(sizeof(unsigned int),
					     __alignof__(unsigned int));
	if (IS_ERR(tmpl.out)) {
		ret = PTR_ERR(tmpl.out);
		goto free_primes;
	}
	tmpl.primes = &primes;
	pw = kalloc_arc_try_init(sizeof(*pw), __alignof__(*pw),
				 prime_work_init, &tmpl);
	if (IS_ERR(pw)) {
		ret = PTR_ERR(pw);
		goto put_out;
	}
	schedule_work(&pw->work);
	flush_work(&pw->work);

	while ((n = kalloc_locked_vec_take(tmpl.out, batch,
					   min_t(size_t, cfg->batch,
						 ARRAY_SIZE(batch))))) {
		for (i = 0; i < n; i++)
			sum += batch[i];
	}
	pr_info("sum of the primes reported by the work item: %u\n", sum);
	ctnr_arc_put(pw, prime_work_drop);
	ret = 0;
put_out:
	kalloc_locked_vec_put(tmpl.out);
free_primes:
	ctnr_vec_free(&primes);
	CTNR_BOX_FREE(cfg);
	return ret;
}

static void __exit ctnr_sample_exit(void)
{
}

module_init(ctnr_sample_init);
module_exit(ctnr_sample_exit);

MODULE_DESCRIPTION("Sample use of the ctnr containers");
MODULE_LICENSE("GPL");
