// SPDX-License-Identifier: GPL-2.0
/*
 * Which checks run: the report's columns, from the settings'
 * configurations and the user's --checks. Uses the settings and the core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

/* "build", "kunit:lean", "checkpatch": the name a user gives a check. */
static void check_id(const struct kser_settings *s, enum kser_check_kind kind,
		     size_t config, char *out, size_t len)
{
	const char *base = kind == KSER_CHECK_BUILD ? "build" :
			   kind == KSER_CHECK_KUNIT ? "kunit" : "checkpatch";

	if (kind != KSER_CHECK_CHECKPATCH && config)
		snprintf(out, len, "%s:%s", base, s->configs[config].name);
	else
		snprintf(out, len, "%s", base);
}

static const struct kser_error *add_check(struct kser_verify_report *r,
					  size_t *alloc,
					  const struct kser_settings *s,
					  enum kser_check_kind kind,
					  size_t config)
{
	const struct kser_error *err;
	struct kser_verify_check *v;
	char id[160];

	err = kser_array_grow((void **)&r->checks, alloc, r->nchecks,
			      sizeof(*v), 4);
	if (err)
		return err;
	v = r->checks;
	check_id(s, kind, config, id, sizeof(id));
	v[r->nchecks].id = strdup(id);
	if (!v[r->nchecks].id)
		return kser_error_nomem();
	v[r->nchecks].kind = kind;
	v[r->nchecks].config = config;
	r->nchecks++;
	return NULL;
}

/* Is id one of the comma-separated names in list (NULL: all)? */
static bool wanted(const char *list, const char *id)
{
	size_t n = strlen(id);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, id))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/*
 * Does some check of these settings have this name? A build-only
 * configuration has no KUnit check, and one the version is not verified
 * in has none at all.
 */
static bool known_check(const struct kser_settings *s, const char *version,
			const char *name, size_t n)
{
	char id[160];
	size_t k;

	for (k = 0; k < s->nconfigs; k++) {
		if (!kser_settings_version_has(s, version, k))
			continue;
		check_id(s, KSER_CHECK_BUILD, k, id, sizeof(id));
		if (strlen(id) == n && !strncmp(name, id, n))
			return true;
		check_id(s, KSER_CHECK_KUNIT, k, id, sizeof(id));
		if (s->configs[k].kunit && strlen(id) == n &&
		    !strncmp(name, id, n))
			return true;
	}
	return n == 10 && !strncmp(name, "checkpatch", 10);
}

const struct kser_error *verify_choose_checks(struct kser_verify_report *rep,
					      const struct kser_settings *s,
					      const char *list,
					      const char *version)
{
	const struct kser_error *err = NULL;
	const char *p;
	size_t i, alloc = 0;

	if (version && !kser_settings_version(s, version))
		return kser_error_fmt(KSER_ERR_USAGE, "the series settings "
				      "have no [version \"%s\"]", version);
	for (p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if (!known_check(s, version, p, n))
			return kser_error_fmt(KSER_ERR_USAGE,
					      "unknown check '%.*s' in --checks",
					      (int)n, p);
		p += n + (p[n] == ',');
	}
	for (i = 0; i < s->nconfigs && !err; i++) {
		bool kunit = s->configs[i].kunit;
		char b[160], k[160];

		check_id(s, KSER_CHECK_BUILD, i, b, sizeof(b));
		check_id(s, KSER_CHECK_KUNIT, i, k, sizeof(k));
		if (!kser_settings_version_has(s, version, i))
			goto checkpatch;
		/* KUnit needs the kernel it boots: kunit implies build. */
		if (wanted(list, b) || (kunit && wanted(list, k)))
			err = add_check(rep, &alloc, s, KSER_CHECK_BUILD, i);
		if (!err && kunit && wanted(list, k))
			err = add_check(rep, &alloc, s, KSER_CHECK_KUNIT, i);
checkpatch:
		/* One checkpatch column, after the default configuration's. */
		if (!err && i == 0 && wanted(list, "checkpatch"))
			err = add_check(rep, &alloc, s,
					KSER_CHECK_CHECKPATCH, 0);
	}
	if (!err && !rep->nchecks)
		err = kser_error_fmt(KSER_ERR_USAGE, "no checks to run");
	return err;
}

bool verify_have_kind(const struct kser_verify_report *rep,
		      enum kser_check_kind kind)
{
	size_t i;

	for (i = 0; i < rep->nchecks; i++)
		if (rep->checks[i].kind == kind)
			return true;
	return false;
}

bool verify_expected_failure(const struct kser_verify_report *rep,
			     const struct kser_settings *s, size_t row,
			     size_t check)
{
	const struct kser_verify_check *ck = &rep->checks[check];
	enum kser_verify_status st = rep->rows[row].results[check].status;

	if (ck->kind == KSER_CHECK_CHECKPATCH ||
	    rep->rows[row].number >= s->configs[ck->config].since)
		return false;
	return st == KSER_VERIFY_FAIL ||
	       (ck->kind == KSER_CHECK_KUNIT && st == KSER_VERIFY_SKIPPED);
}
