/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_VERIFY_H
#define KSER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/cancel.h"
#include "kser/settings.h"

struct kser_error;

/*
 * kser verify: every commit of base..tip built (ARCH=um, the series'
 * .kunitconfig, incrementally, through ccache), KUnit-tested on UML and
 * checked with the tree's checkpatch.pl, each result cached in the
 * repository under refs/kser/verify/ by exactly what determines it.
 *
 * The report is a table: one row per commit, one column per check, a
 * result in each cell. Row 0 is the base: it is built (not tested), so
 * that the first patch's warnings have something to be compared with;
 * its failure is shown, and does not fail the run.
 */

/* What became of one check of one row. */
enum kser_verify_status {
	KSER_VERIFY_PENDING = 0,	/* not run (yet, or interrupted) */
	KSER_VERIFY_RUNNING,
	KSER_VERIFY_PASS,
	KSER_VERIFY_FAIL,
	KSER_VERIFY_TIMEOUT,
	KSER_VERIFY_ERROR,	/* the check itself could not run */
	KSER_VERIFY_SKIPPED,	/* not run: what it needs failed */
	KSER_VERIFY_NA,		/* does not apply to this row */
};

/*
 * The name of a status as kser-verify(1) and the JSON report spell it:
 * "pass", "fail", "n/a"...; "?" for a value out of range.
 */
const char *kser_verify_status_name(enum kser_verify_status s);

enum kser_check_kind {
	KSER_CHECK_BUILD,
	KSER_CHECK_KUNIT,
	KSER_CHECK_CHECKPATCH,
};

/* A column of the report. */
struct kser_verify_check {
	char *id;		/* "build", "kunit", "checkpatch", "build:NAME" */
	enum kser_check_kind kind;
	size_t config;		/* index into the settings' configs */
};

/* Everything a result was decided on, as the cache stores it (private). */
struct kser_verify_record;

/* A cell of the report. */
struct kser_verify_result {
	enum kser_verify_status status;
	double seconds;
	bool cached;		/* answered from the cache, not run */
	char *summary;		/* one line; may be NULL */
	char *log_path;		/* the full log, on disk; may be NULL */
	/*
	 * A failure its configuration expects (a row before its since; the
	 * base by default): shown as a failure, it does not fail the run.
	 */
	bool expected_failure;
	char key[GIT_OID_HEXSZ + 1];	/* the cache key */
	/*
	 * A build's cache and distribution figures, one line ("make -j4;
	 * ccache: 3 misses, 702 remote hits, ..."); of the run that built
	 * it when cached. NULL for other checks. Never part of the result.
	 */
	char *farm;
	struct kser_verify_record *record;	/* the library's; may be NULL */
};

/* A row of the report: a commit of the range. */
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
	/*
	 * Every check of every row passed, but for the failures expected
	 * (kser_verify_result.expected_failure).
	 */
	bool passed;
	size_t ran, from_cache;
	double seconds;
};

/* Frees what kser_verify() put in r and zeroes it; r itself stays. */
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

/*
 * The progress callback: an event, the report as it stands (read it, do
 * not change it), the row and check the event is about, and for
 * KSER_VERIFY_EVENT_NOTE the message (NULL otherwise). It returns NULL to
 * let the work go on, or an error to stop it as cancel_cb does.
 */
typedef const struct kser_error *(*kser_verify_event_fn)(
	enum kser_verify_event ev, const struct kser_verify_report *r,
	size_t row, size_t check, const char *note, void *arg);

struct kser_verify_options {
	unsigned int version;
	const struct kser_settings *settings;	/* NULL: defaults */
	const char *checks;	/* "build,kunit,checkpatch"; NULL: all */
	/*
	 * The series version ([version "N"] of the settings) whose
	 * configurations run; NULL: every configuration.
	 */
	const char *series_version;
	bool no_cache;		/* run every check, whatever is cached */
	/*
	 * Run nothing: every result is the cache's, and what it lacks stays
	 * KSER_VERIFY_PENDING, as does a build whose new warnings cannot be
	 * known (the row before has none cached). No tool, tree, lock or
	 * state directory is needed but the toolchain's versions (they key
	 * builds), and no log is written out (log_path is NULL). For
	 * commands that want kser verify's answers without verifying: kser
	 * export's gate.
	 */
	bool cache_only;
	unsigned int jobs;	/* make -j; 0: online CPUs */
	const char *state_dir;	/* NULL: kser.verifyDir, or
				 * <git dir>/kser/verify */
	kser_verify_event_fn event;	/* may be NULL */
	void *event_arg;
	/*
	 * Asked between steps and while children run (may be NULL). An
	 * error it returns (or the event callback returns) stops the work:
	 * children still running are stopped (at once, when the error is
	 * kser_error_cancelled(true)), checks not finished stay
	 * KSER_VERIFY_PENDING, and kser_verify() returns that error.
	 */
	kser_cancel_cb cancel_cb;
	void *cancel_arg;
	/*
	 * The build's fast path off (plain make for every build), whatever
	 * the settings say; the paranoid mode on: after the fast path, make
	 * runs and must find nothing to rebuild, or the build is an error.
	 */
	bool no_fast_path;
	bool paranoid;
};

#define KSER_VERIFY_OPTIONS_VERSION 1
#define KSER_VERIFY_OPTIONS_INIT { KSER_VERIFY_OPTIONS_VERSION }

/*
 * Verifies range ("base..tip", linear) in repo, filling in *out (release
 * it with kser_verify_report_release()). Returns an error only when
 * verification could not be done (bad range, missing tools, a callback
 * that stopped it); failed checks are in the report. When a callback
 * stopped it, the report holds what finished, and every finished result
 * is in the cache.
 */
const struct kser_error *kser_verify(struct kser_verify_report *out,
				     git_repository *repo, const char *range,
				     const struct kser_verify_options *opts);

/*
 * Writes the report as JSON to path (atomically): one record per patch
 * and check, with the fields kser-verify(1) documents.
 */
const struct kser_error *
kser_verify_write_json(const struct kser_verify_report *r, const char *path);

/*
 * Writes the report as JUnit XML to path (atomically): one test case per
 * patch and check.
 */
const struct kser_error *
kser_verify_write_junit(const struct kser_verify_report *r, const char *path);

#endif
