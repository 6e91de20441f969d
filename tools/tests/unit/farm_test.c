// SPDX-License-Identifier: GPL-2.0
/*
 * kser verify's build farm (verify/farm.c): ccache's stats log and
 * distcc's log read into figures, distcc's host lists counted in slots,
 * make's -j scaled to them, and remote URLs shown without credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/kser_lib_verify.h"
#include "test_helpers.h"

static void remote_shown_without_credentials(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "redis://127.0.0.1:6379", "redis://127.0.0.1:6379" },
		{ "redis://:s3cret@cache.example:6379",
		  "redis://cache.example:6379" },
		{ "redis://user:pw@h:1|connect-timeout=50 http://x/y|bearer=t",
		  "redis://h:1 http://x/y" },
		{ "http://u:p@host/path@with-at", "http://host/path@with-at" },
		{ "file:/srv/ccache", "file:/srv/ccache" },
		{ "  redis://a:1  ", "redis://a:1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *s = verify_remote_shown(cases[i].in);

		assert_non_null(s);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

static void distcc_slots_as_distcc_counts(void **state)
{
	static const struct {
		const char *hosts;
		unsigned int slots;
	} good[] = {
		{ "a", 4 },
		{ "a b/2 localhost", 8 },
		{ "127.0.0.1:3632/3,lzo", 3 },
		{ "--randomize a/1\tb/5", 6 },
		{ "h/2:3632", 2 },
		{ "localhost/1 me@ssh-host/6", 7 },
	};
	static const char *const bad[] = {
		"", "  ", "h/x", "h/0", "/4", "+zeroconf", "h/", "h/99999",
	};
	unsigned int n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_ok(verify_distcc_slots(good[i].hosts, &n));
		assert_int_equal(n, good[i].slots);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_err(verify_distcc_slots(bad[i], &n), KSER_ERR_BAD_INPUT,
			   "distcc");
}

static void jobs_scaled_to_the_slots(void **state)
{
	struct verify_farm f = { 0 };

	(void)state;
	/* Without distcc, or with --jobs: what was asked. */
	assert_int_equal(verify_farm_jobs(&f, 2, false), 2);
	f.distcc_hosts = "a/4 b/4";
	f.distcc_slots = 8;
	assert_int_equal(verify_farm_jobs(&f, 2, true), 2);
	/* Otherwise the local CPUs and every slot of the hosts. */
	assert_int_equal(verify_farm_jobs(&f, 2, false), 10);
	f.distcc_slots = 1024;
	assert_int_equal(verify_farm_jobs(&f, 2, false), 1024);
}

static void ccache_stats_log(void **state)
{
	/* As ccache 4.7 writes it (stats_log), calls interleaved whole. */
	static const char log[] =
		"# ../src/lib/a.c\n"
		"cache_miss\ndirect_cache_miss\nlocal_storage_miss\n"
		"local_storage_read_miss\nlocal_storage_write\n"
		"preprocessed_cache_miss\nremote_storage_miss\n"
		"remote_storage_write\n"
		"# ../src/lib/b.c\n"
		"direct_cache_hit\nlocal_storage_miss\nlocal_storage_write\n"
		"remote_storage_hit\nremote_storage_read_hit\n"
		"# ../src/lib/c.c\n"
		"direct_cache_hit\nlocal_storage_hit\nlocal_storage_read_hit\n"
		"# ../src/arch/um/kernel/vmlinux.lds.S\n"
		"called_for_preprocessing\n"
		"# ../src/lib/d.c\n"
		"cache_miss\nlocal_storage_miss\nremote_storage_error\n"
		"# ../src/lib/e.c\n"
		"preprocessed_cache_hit\nremote_storage_hit";
	struct verify_ccache_figures c;

	(void)state;
	verify_ccache_stats_parse(&c, log, strlen(log));
	assert_int_equal(c.calls, 6);
	assert_int_equal(c.misses, 2);
	assert_int_equal(c.remote_hits, 2);
	assert_int_equal(c.local_hits, 1);
	assert_int_equal(c.uncacheable, 1);
	assert_int_equal(c.remote_errors, 1);
	verify_ccache_stats_parse(&c, "", 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(c.misses, 0);
}

static const struct verify_distcc_host *
host(const struct verify_distcc_figures *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].host, name))
			return &d->v[i];
	fail_msg("no host '%s'", name);
	return NULL;
}

static void distcc_log(void **state)
{
	/* As distcc 3.4 writes DISTCC_LOG, two processes interleaved. */
	static const char log[] =
		"distcc[10] compile from a.c to a.o\n"
		"distcc[10] exec on 127.0.0.1:3632/2: /usr/bin/gcc -c a.c\n"
		"distcc[11] compile from b.c to b.o\n"
		"distcc[10] cpp ../src/lib/a.c on localhost completed ok\n"
		"distcc[10] compile ../src/lib/a.c on 127.0.0.1:3632/2 "
		"completed ok\n"
		"distcc[11] ERROR: nonblocking connect to 10.0.0.9:3632 "
		"failed: Connection refused\n"
		"distcc[12] compile ../src/lib/c.c on 127.0.0.1:3632/2 "
		"completed ok\n"
		"distcc[11] Warning: failed to distribute ../src/lib/b.c to "
		"10.0.0.9:3632/4, running locally instead\n"
		"distcc[11] compile ../src/lib/b.c on localhost completed ok\n"
		"distcc[13] Warning: failed to distribute, running locally "
		"instead\n"
		"distcc[13] compile ../src/lib/d.c on localhost completed ok\n"
		"not a distcc line on 127.0.0.1\n"
		"distcc[14] compile ../src/lib/e.c on 127.0.0.1:3632/2 failed";
	struct verify_distcc_figures d;

	(void)state;
	assert_ok(verify_distcc_log_parse(&d, log, strlen(log)));
	assert_int_equal(host(&d, "127.0.0.1:3632/2")->jobs, 3);
	assert_int_equal(host(&d, "127.0.0.1:3632/2")->failures, 0);
	assert_int_equal(host(&d, "localhost")->jobs, 2);
	assert_int_equal(host(&d, "10.0.0.9:3632/4")->jobs, 0);
	assert_int_equal(host(&d, "10.0.0.9:3632/4")->failures, 1);
	assert_string_equal(host(&d, "10.0.0.9:3632/4")->error,
			    "nonblocking connect to 10.0.0.9:3632 failed: "
			    "Connection refused");
	assert_int_equal(d.fallbacks, 2);
	assert_int_equal(d.n, 3);
	verify_distcc_figures_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(remote_shown_without_credentials),
		cmocka_unit_test(distcc_slots_as_distcc_counts),
		cmocka_unit_test(jobs_scaled_to_the_slots),
		cmocka_unit_test(ccache_stats_log),
		cmocka_unit_test(distcc_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
