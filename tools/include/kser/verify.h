/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_VERIFY_H
#define KSER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>
#include <jansson.h>

#include "kser/settings.h"

struct kser_error;

/*
 * kser verify: every commit of base..tip built (ARCH=um, the series'
 * .kunitconfig, incrementally, through ccache), KUnit-tested on UML and
 * checked with the tree's checkpatch.pl, each result cached in the
 * repository under refs/kser/verify/ by exactly what determines it.
 *
 * Row 0 is the base: it is built (not tested), so that the first patch's
 * warnings have something to be compared with.
 */

enum kser_verify_status {
	KSER_VERIFY_PENDING = 0,
	KSER_VERIFY_RUNNING,
	KSER_VERIFY_PASS,
	KSER_VERIFY_FAIL,
	KSER_VERIFY_TIMEOUT,
	KSER_VERIFY_ERROR,	/* the check itself could not run */
	KSER_VERIFY_SKIPPED,	/* not run: what it needs failed */
	KSER_VERIFY_NA,		/* does not apply to this row */
};

const char *kser_verify_status_name(enum kser_verify_status s);

enum kser_check_kind {
	KSER_CHECK_BUILD,
	KSER_CHECK_KUNIT,
	KSER_CHECK_CHECKPATCH,
};

struct kser_verify_check {
	char *id;		/* "build", "kunit", "checkpatch", "build:NAME" */
	enum kser_check_kind kind;
	size_t config;		/* index into the settings' configs */
};

struct kser_verify_result {
	enum kser_verify_status status;
	double seconds;
	bool cached;
	char *summary;		/* one line */
	char *log_path;		/* the full log, on disk */
	char key[GIT_OID_HEXSZ + 1];	/* the cache key */
	json_t *record;		/* everything, as stored in the cache */
};

struct kser_verify_row {
	unsigned int number;	/* 0 for the base */
	git_oid commit;
	git_oid tree;
	char *subject;
	struct kser_verify_result *results;	/* one per check */
};

struct kser_verify_report {
	struct kser_verify_check *checks;
	size_t nchecks;
	struct kser_verify_row *rows;	/* rows[0] is the base */
	size_t nrows;
	bool passed;		/* every check of every patch passed */
	size_t ran, from_cache;
	double seconds;
};

void kser_verify_report_release(struct kser_verify_report *r);

/*
 * Events, with the row and check they are about. While kser's checkout
 * moves to a row's tree, check is KSER_VERIFY_CHECKOUT.
 */
enum kser_verify_event {
	KSER_VERIFY_EVENT_START,	/* checks decided, before any work */
	KSER_VERIFY_EVENT_CHECKOUT,	/* the checkout moves to row's tree */
	KSER_VERIFY_EVENT_CHECK_START,
	KSER_VERIFY_EVENT_CHECK_DONE,
	/*
	 * Every ~200 ms while work runs, about what is running: the build
	 * (when checkpatch.pl runs beside it), KUnit, checkpatch.pl alone,
	 * or the checkout.
	 */
	KSER_VERIFY_EVENT_TICK,
	KSER_VERIFY_EVENT_NOTE,		/* a message for the user */
};

#define KSER_VERIFY_CHECKOUT SIZE_MAX

typedef void (*kser_verify_event_fn)(enum kser_verify_event ev,
				     const struct kser_verify_report *r,
				     size_t row, size_t check,
				     const char *note, void *arg);

struct kser_verify_options {
	unsigned int version;
	const struct kser_settings *settings;	/* NULL: defaults */
	const char *checks;	/* "build,kunit,checkpatch"; NULL: all */
	bool no_cache;
	unsigned int jobs;	/* make -j; 0: online CPUs */
	const char *state_dir;	/* NULL: <git dir>/kser/verify */
	kser_verify_event_fn event;
	void *event_arg;
};

#define KSER_VERIFY_OPTIONS_VERSION 1
#define KSER_VERIFY_OPTIONS_INIT { KSER_VERIFY_OPTIONS_VERSION }

/*
 * Verifies range ("base..tip"). Returns an error only when verification
 * could not be done (bad range, missing tools, interruption); failed
 * checks are in the report. On interruption the report holds what
 * finished, and every finished result is in the cache.
 */
const struct kser_error *kser_verify(struct kser_verify_report *out,
				     git_repository *repo, const char *range,
				     const struct kser_verify_options *opts);

/*
 * The verify cache on its own, for commands that want kser verify's
 * answers without verifying (kser export's gate). Opening identifies the
 * toolchain as kser verify does (it keys builds); nothing else runs and
 * no lock is taken. opts->settings chooses the checks (NULL: defaults).
 */
struct kser_verify_cache;

const struct kser_error *
kser_verify_cache_open(struct kser_verify_cache **out, git_repository *repo,
		       const struct kser_verify_options *opts);
void kser_verify_cache_free(struct kser_verify_cache *vc);

/* The id of check i ("build", "kunit:lean", "checkpatch"), NULL past the
 * last. */
const char *kser_verify_cache_check(const struct kser_verify_cache *vc,
				    size_t i);

/*
 * The cached result of check for commit, as kser verify reports it when
 * the commit follows its first parent (a build passes if it adds no
 * warning the parent's build had not): *found is false, and out empty,
 * when the cache has none. out is the caller's, released with
 * kser_verify_result_release().
 */
const struct kser_error *
kser_verify_cache_lookup(struct kser_verify_cache *vc, const git_oid *commit,
			 const char *check, struct kser_verify_result *out,
			 bool *found);
void kser_verify_result_release(struct kser_verify_result *r);

/* One record per patch and check (documented in kser-verify(1)). */
const struct kser_error *
kser_verify_write_json(const struct kser_verify_report *r, const char *path);
/* JUnit XML: one test case per patch and check. */
const struct kser_error *
kser_verify_write_junit(const struct kser_verify_report *r, const char *path);

#endif
