/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_VERIFY_H
#define KSER_LIB_VERIFY_H

/*
 * The inside of kser verify: the one private header of tools/lib/verify/,
 * for its files and for the tests. The public side is kser/verify.h and
 * kser/settings.h.
 *
 * The files, each of one responsibility; a file uses those listed above
 * it (and the layers below verify, docs/layers.md), never one below it:
 *
 *   settings.c    a series' settings (series.conf)
 *   ktap.c        the KTAP parser
 *   diag.c        diagnostics: the list, gcc's and checkpatch.pl's
 *                 parsers, fingerprints
 *   ccrecords.c   the records kser-cc leaves in a build directory
 *   record.c      results: statuses, summaries, their JSON records, the
 *                 report's memory, text made valid UTF-8
 *   report.c      the JSON and JUnit reports of a run
 *   range.c       the rows: base..tip by first parents; what a row's
 *                 tree holds
 *   checks.c      which checks run (the columns)
 *   preflight.c   tools and trees checked before any work; the
 *                 toolchain's identity
 *   farm.c        the build farm: a shared ccache and distcc from the
 *                 settings, and each build's figures of them
 *   state.c       the state directory: lock, kser-cc, build directories,
 *                 logs, the checkout, the builds' environment
 *   keys.c        cache keys: what determines each result
 *   cache.c       results stored in the repository, and read back
 *   events.c      what a run tells its caller (events, notes, ticks
 *                 while children run), and results stored as they come
 *   outcome.c     how a check's child ended: the patch's failure or the
 *                 machine's
 *   warnings.c    a build's diagnostics and verdict: errors, warnings by
 *                 fingerprint, the new ones
 *   kbuild.c      what kbuild leaves in a build directory: .cmd files,
 *                 thin archives
 *   kbdirs.c      which directories' kbuild passes read a kbuild file
 *   fpindex.c     the fast path's index of a build directory: its
 *                 targets, which are stale, the archives' members; a
 *                 small string map
 *   fpsnap.c      a build directory's snapshots, for the paranoid mode
 *   fpplan.c      what the fast path decides: may it be taken, which
 *                 objects it recompiles, whose kbuild passes it runs
 *   fpenv.c       make's environment, captured for the fast path, and
 *                 the stamp: what the build directory was built of
 *   fastpath.c    the build check's fast path: the stale objects
 *                 recompiled and the kernel linked without make's walk
 *   checkpatch.c  the checkpatch check
 *   kunit.c       the KUnit check: UML booted, KTAP read
 *   build.c       the build check: kunit.py config, the fast path or
 *                 make
 *   cpool.c       checkpatch for every patch at once, beside the builds
 *   verify.c      the driver: kser_verify(), row by row
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>
#include <jansson.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/proc.h"
#include "kser/settings.h"
#include "kser/verify.h"

struct kser_buf;
struct kser_error;
struct kser_worktree;
struct stat;

/* --- ktap.c ------------------------------------------------------------ */

/*
 * KTAP, as Documentation/dev-tools/ktap.rst specifies it and KUnit prints
 * it: version lines open a (nested) level, "1..N" plans it, result lines
 * close tests, "# Subtest:" names a level, anything else is a diagnostic
 * or an unknown line. Kernel log prefixes (timestamps) are stripped.
 */

enum kser_ktap_status {
	KSER_KTAP_PASS,
	KSER_KTAP_FAIL,
	KSER_KTAP_SKIP,
	KSER_KTAP_MISSING,	/* planned, never reported: a crash */
};

struct kser_ktap_test {
	char *name;
	unsigned int number;
	enum kser_ktap_status status;
	char *directive;	/* "SKIP", "TIMEOUT", ...; may be NULL */
	char *diagnostic;	/* after the directive; may be NULL */
	/*
	 * The lines said at its level since the result before it, without
	 * their indentation (KUnit's expectations); may be NULL.
	 */
	char *log;
	struct kser_ktap_test *children;
	size_t nchildren, alloc;
	size_t planned;		/* children the plan announced (0: none) */
};

struct kser_ktap_result {
	bool found;		/* any KTAP output at all */
	struct kser_ktap_test root;	/* the suites are its children */
	/* Leaf tests (cases), counted over every suite. */
	size_t passed, failed, skipped, missing;
	/* A crash: "Kernel panic", "BUG:", "Oops"..., or missing results. */
	bool crashed;
	char *crash_line;
};

/* Parses text (len bytes, need not end in NUL) into *out. */
const struct kser_error *kser_ktap_parse(struct kser_ktap_result *out,
					 const char *text, size_t len);

/* Frees what res holds and zeroes it. */
void kser_ktap_result_release(struct kser_ktap_result *res);

/* "pass", "fail", "skip" or "missing". */
const char *kser_ktap_status_name(enum kser_ktap_status s);

/* --- diag.c ------------------------------------------------------------ */

/*
 * Findings of the checks, in one shape: compiler errors and warnings, and
 * checkpatch.pl's errors, warnings and checks.
 */
struct kser_diag {
	char *level;		/* "error", "warning", "check" */
	char *type;		/* checkpatch's type, or the -W flag */
	char *file;		/* relative to the tree; may be NULL */
	unsigned int line;	/* 0 when not known */
	char *text;
	/*
	 * For compiler warnings: file, message and the source line with its
	 * whitespace collapsed, but not the line number, so that a warning
	 * keeps its identity when unrelated lines move it.
	 */
	char *fingerprint;
};

struct kser_diags {
	struct kser_diag *v;
	size_t n, alloc;
};

/* Frees the list's diagnostics and zeroes it. */
void kser_diags_release(struct kser_diags *d);

/* Appends a diagnostic (type and file may be NULL), copying the strings. */
const struct kser_error *kser_diags_add(struct kser_diags *d,
					const char *level, const char *type,
					const char *file, unsigned int line,
					const char *text);

struct kser_checkpatch_totals {
	bool found;		/* the "total:" line was there */
	unsigned int errors, warnings, checks;
	unsigned int lines;
};

/*
 * Parses `checkpatch.pl --show-types` output: "LEVEL:TYPE: message" lines,
 * each followed by "#N: FILE: path:line:" when it is about a file.
 */
const struct kser_error *
kser_checkpatch_parse(struct kser_diags *out,
		      struct kser_checkpatch_totals *totals,
		      const char *text, size_t len);

/*
 * Parses gcc/ld diagnostics ("path:line:col: warning: message [-Wflag]").
 * Paths under srcdir (or written relative to the build directory, as
 * "../src/...") are made relative to the tree. With want_warnings false,
 * only errors are kept.
 */
const struct kser_error *kser_gcc_parse(struct kser_diags *out,
					const char *text, size_t len,
					const char *srcdir, bool want_warnings);

/*
 * A path a build printed (n bytes), relative to the tree: "/abs/src/x.c"
 * and "../src/x.c" (kbuild's with O=) are "x.c" when srcdir is
 * "/abs/src". Owned; NULL when memory runs out.
 */
char *kser_diag_tree_path(const char *path, size_t n, const char *srcdir);

/*
 * Fills in the fingerprints of out's warnings, reading each warning's
 * source line from srcdir.
 */
const struct kser_error *kser_diags_fingerprint(struct kser_diags *d,
						const char *srcdir);

/* --- ccrecords.c ------------------------------------------------------- */

/*
 * Calls fn with every *.kser-diag file under dir (what kser-cc recorded of
 * an object's compilation): the object's path relative to dir, and the
 * record. In the order of the paths; symbolic links are not followed. A
 * directory or a record that cannot be read is an error: the warnings in
 * it would be lost, and the build would pass. An error fn returns stops
 * the walk.
 */
typedef const struct kser_error *(*kser_diag_record_fn)(const char *object,
							const char *text,
							size_t len,
							void *arg);
/*
 * cancel (may be NULL) is asked before each directory; an error it
 * returns stops the walk too.
 */
const struct kser_error *kser_diag_collect(const char *dir,
					   kser_diag_record_fn fn, void *arg,
					   kser_cancel_cb cancel,
					   void *cancel_arg);

/* --- record.c ---------------------------------------------------------- */

/* What the public struct kser_verify_result keeps of its record. */
struct kser_verify_record {
	json_t *json;		/* owned */
};

/* The status named name (kser_verify_status_name()), or ERROR. */
enum kser_verify_status verify_status_from_name(const char *name);

/* The result's record, or NULL. Borrowed. */
json_t *verify_record(const struct kser_verify_result *res);

/*
 * Makes json (owned, may be NULL) the result's record, freeing the one
 * it had. False when memory runs out: json is freed, and the result has
 * no record.
 */
bool verify_record_set(struct kser_verify_result *res, json_t *json);

/* Replaces the result's summary (one line). */
void verify_summary(struct kser_verify_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A result found: the status, the time it took, and the record (owned),
 * which gets the check's id, status, seconds, summary and key.
 */
void verify_finish(struct kser_verify_report *rep, size_t row, size_t check,
		   enum kser_verify_status status, double seconds, json_t *rec);

/*
 * A check that could not finish: not run (interrupted, err's code
 * KSER_ERR_CANCELLED), or an error of its own, saying err.
 */
void verify_fail(struct kser_verify_result *res, const struct kser_error *err);

/* JSON of the diagnostics, or NULL when memory runs out. */
json_t *verify_diags_json(const struct kser_diags *d, bool with_fingerprint);

/*
 * What compilers, kernels and commits say need not be UTF-8 (a Latin-1
 * comment quoted in a warning), and JSON and XML must be: jansson refuses
 * such a string, and a warning dropped from its record would pass. Each
 * byte that is not part of a valid sequence becomes "\xNN".
 */
void kser_verify_utf8(struct kser_buf *out, const char *s);

/* A JSON string of s made valid so; NULL when memory runs out. */
json_t *kser_verify_json_text(const char *s);

/* --- range.c ----------------------------------------------------------- */

/*
 * The rows of range ("base..tip"): the commits tip reaches and base does
 * not, as git rev-list base..tip lists them, parents first, after the
 * base row: the parent of the first (base, or where tip forked from it).
 * A range that is not linear, reaches a root commit or holds no commit
 * is an error.
 */
const struct kser_error *verify_load_rows(struct kser_verify_report *rep,
					  git_repository *repo,
					  const char *range);

/* Does the tree have path? */
bool verify_tree_has(git_repository *repo, const git_oid *tree,
		     const char *path);

/*
 * The text of the file at path in the tree (owned), or NULL when it has
 * none; with blob_id not NULL, the file's blob ID.
 */
char *verify_tree_text(git_repository *repo, const git_oid *tree,
		       const char *path, git_oid *blob_id);

/* --- checks.c ---------------------------------------------------------- */

/*
 * The columns: every check of the settings that list (comma-separated
 * ids; NULL: all) names, a build for each KUnit check, in the
 * configurations version (NULL: every one) is verified in; a build-only
 * configuration (kunit = false) has no KUnit check. A name no check
 * has, a version the settings lack, or no check at all, is a usage
 * error.
 */
const struct kser_error *verify_choose_checks(struct kser_verify_report *rep,
					      const struct kser_settings *s,
					      const char *list,
					      const char *version);

/* Does some column have this kind? */
bool verify_have_kind(const struct kser_verify_report *rep,
		      enum kser_check_kind kind);

/*
 * May the row's check fail without failing the run? Its configuration's
 * rows before since (the base is row 0) are run and shown, and a build
 * failed there, or a KUnit check failed or skipped there, is expected.
 * checkpatch, a timeout and an error never are.
 */
bool verify_expected_failure(const struct kser_verify_report *rep,
			     const struct kser_settings *s, size_t row,
			     size_t check);

/* --- preflight.c ------------------------------------------------------- */

/*
 * Before any work: the tools the checks need are on PATH, and the base
 * and the tip are kernel trees with what the checks run (and the tip has
 * every configuration's kunitconfig).
 */
const struct kser_error *verify_preflight(const struct kser_verify_report *rep,
					  git_repository *repo,
					  const struct kser_settings *s);

/* What the results depend on of the machine's tools. */
struct verify_toolchain {
	char *tools;		/* gcc, ld, make and python3 versions */
	char *perl;		/* perl's version */
	bool ccache;		/* builds go through ccache */
};

/*
 * Asks the tools their versions. An error cancel returns stops it: the
 * versions it would not know must not make keys.
 */
const struct kser_error *verify_toolchain_identify(struct verify_toolchain *tc,
						   kser_cancel_cb cancel,
						   void *cancel_arg);

void verify_toolchain_release(struct verify_toolchain *tc);

/* --- farm.c ------------------------------------------------------------ */

/*
 * The build farm: ccache's remote storage (verify.ccacheRemote) and
 * distcc as ccache's prefix command (verify.distccHosts), from git config
 * or else the series settings, and the figures each build reports of
 * them. None of it is a property of the patch: nothing here enters a key
 * or decides a status.
 */
struct verify_farm {
	bool ccache;		/* builds go through ccache */
	char *ccache_remote;	/* ccache's remote_storage; NULL: none */
	char *remote_shown;	/* the same without credentials */
	char *distcc_hosts;	/* DISTCC_HOSTS; NULL: no distcc */
	unsigned int distcc_slots;	/* what the hosts offer */
	char *dir;		/* <state dir>/farm, which holds: */
	char *stats_log;	/* ccache's stats_log of the build */
	char *distcc_log;	/* DISTCC_LOG of the build */
	char *distcc_dir;	/* DISTCC_DIR: distcc's locks and backoffs */
	char **env;		/* "NAME=value" for builds, NULL-ended, owned */
};

/*
 * Reads the farm's settings and checks them (a URL ccache takes, hosts
 * distcc takes, the tools on PATH), and makes its environment. Release f
 * with verify_farm_release() whatever this returns.
 */
const struct kser_error *verify_farm_open(struct verify_farm *f,
					  git_repository *repo,
					  const struct kser_settings *s,
					  const char *state_dir);

void verify_farm_release(struct verify_farm *f);

/*
 * make's -j: jobs when the user asked for it or there is no distcc;
 * otherwise jobs (one per local CPU, for what stays local) and every slot
 * the hosts offer.
 */
unsigned int verify_farm_jobs(const struct verify_farm *f, unsigned int jobs,
			      bool asked);

/* Before a build: its logs emptied, so its figures are its own. */
const struct kser_error *verify_farm_begin(const struct verify_farm *f);

/*
 * After a build: its figures (owned) from ccache's and distcc's logs,
 * with "summary", one line.
 */
const struct kser_error *verify_farm_figures(json_t **out,
					     const struct verify_farm *f,
					     unsigned int jobs);

/* remote without its credentials (userinfo, attributes); owned. */
char *verify_remote_shown(const char *remote);

/* The slots a distcc host list offers, as `distcc -j` counts them. */
const struct kser_error *verify_distcc_slots(const char *hosts,
					     unsigned int *out);

/* A build's ccache calls, from its stats_log. */
struct verify_ccache_figures {
	size_t calls;
	size_t local_hits, remote_hits, misses;
	size_t uncacheable;	/* links, preprocessing, failed compiles */
	size_t remote_errors;	/* errors and timeouts of remote storage */
};

void verify_ccache_stats_parse(struct verify_ccache_figures *out,
			       const char *text, size_t len);

/* A build's distcc jobs, from its DISTCC_LOG. */
struct verify_distcc_host {
	char *host;		/* as the list names it; "localhost": here */
	size_t jobs;		/* compiled there */
	size_t failures;	/* jobs it could not take */
	char *error;		/* the first failure's error; may be NULL */
};

struct verify_distcc_pending {
	long pid;
	char *error;
};

struct verify_distcc_figures {
	struct verify_distcc_host *v;
	size_t n, alloc;
	size_t fallbacks;	/* jobs compiled here after a failure */
	/* The parser's: errors not yet tied to a host. */
	struct verify_distcc_pending *pending;
	size_t npending, pending_alloc;
};

const struct kser_error *
verify_distcc_log_parse(struct verify_distcc_figures *out, const char *text,
			size_t len);

void verify_distcc_figures_release(struct verify_distcc_figures *d);

/* --- state.c ----------------------------------------------------------- */

/* The state directory and what is in it; one run holds its lock. */
struct verify_state {
	char *dir, *log_dir, *tmp_dir, *uml_dir;
	char *wrapper;		/* the kser-cc link */
	char **build_dirs;	/* one per configuration */
	size_t nbuild_dirs;
	struct kser_worktree *wt;	/* the checkout, in dir/src */
	int lock_fd;
	struct verify_farm farm;	/* ccache and distcc */
	char **env;		/* environment for builds */
	size_t env_owned;	/* the last env_owned entries are ours */
};

/*
 * Opens the state directory (dir, or kser.verifyDir, or <git dir>/kser/
 * verify), taking its lock: another kser verify on it is an error.
 * Installs kser-cc, names a build directory per configuration of s, opens
 * the checkout and makes the builds' environment.
 */
const struct kser_error *verify_state_open(struct verify_state *st,
					   git_repository *repo,
					   const char *dir,
					   const struct kser_settings *s);

/* Releases the lock and what st holds; st->lock_fd must be -1 or open. */
void verify_state_release(struct verify_state *st);

/*
 * The log file of a check whose cache key is key (owned; NULL when
 * memory runs out): named by the key, as a cached result's log is, so
 * that a run does not write over the logs of another range's rows.
 */
char *verify_log_path(const struct verify_state *st, const char *key);

/* "a/b" (owned; NULL when memory runs out). */
char *verify_path_join(const char *a, const char *b);

/* --- keys.c ------------------------------------------------------------ */

/*
 * The configuration's .config fragment for a tree (owned): the tree's
 * kunitconfig, or the kconfig fragment the settings read; NULL when the
 * tree has no such kunitconfig (or memory runs out).
 */
char *verify_config_text(git_repository *repo, const git_oid *tree,
			 const struct kser_verify_config *vc);

/* A configuration of a tree: its fragment and arch, as a hash. */
void verify_config_hash(git_repository *repo, const git_oid *tree,
			const struct kser_verify_config *vc,
			char out[GIT_OID_HEXSZ + 1]);

/* The cache key of a row's check: what determines its result. */
void verify_key(char out[GIT_OID_HEXSZ + 1], git_repository *repo,
		const struct kser_verify_report *rep,
		const struct kser_settings *s,
		const struct verify_toolchain *tc, size_t row, size_t check);

/* --- cache.c ----------------------------------------------------------- */

/*
 * Fills in res from the cache, by res->key, when it holds an answer; its
 * log is then log_dir/<key>.log (log_dir NULL: none), written out by
 * verify_cache_extract_log().
 */
void verify_cache_load(git_repository *repo, const char *log_dir,
		       struct kser_verify_result *res);

/* Writes the log of a cached result out, if it is not on disk yet. */
void verify_cache_extract_log(git_repository *repo,
			      const struct kser_verify_result *res);

/*
 * Stores a result under refs/kser/verify/<key>, if it is what the patch
 * determines (a pass or a failure): a timeout, an error of the machine or
 * an interruption would be replayed as the patch's.
 */
const struct kser_error *
verify_cache_store(git_repository *repo, const struct kser_verify_result *res);

/* --- the run's context ------------------------------------------------- */

/* One run of kser_verify(): the files below take it, the others do not. */
struct verify_ctx {
	git_repository *repo;
	const struct kser_verify_options *opts;
	const struct kser_settings *settings;
	struct kser_verify_report *rep;
	struct verify_toolchain tc;
	struct verify_state st;
	unsigned int jobs;	/* make -j */
	bool fast_path;		/* the build check's fast path is on */
	bool paranoid;		/* make after it must find nothing to do */
	struct verify_cpool *cpool;	/* checkpatch beside the builds */
	/* Called on the run's thread each time the job runner wakes. */
	void (*on_wake)(struct verify_ctx *c);

	/* What runs, for the ticks (events.c). */
	size_t busy_row, busy_check;
	uint64_t last_tick_ms;

	/*
	 * Why the run stops: the first error a callback returned, kept
	 * (the error ring does not keep it), and whether the user asked
	 * for a hard stop (events.c).
	 */
	bool stopped, stop_hard;
	int stop_code;
	char *stop_msg;
};

/* --- events.c ---------------------------------------------------------- */

/*
 * Should the run stop? Asks the cancel callback and remembers an event
 * callback's error: then returns kser_error_cancelled() (hard when asked
 * to be), which the files of the folder pass up as any interruption, and
 * verify_stop_error() makes it the callback's error at the end.
 */
const struct kser_error *verify_stop(struct verify_ctx *c);

/* verify_stop() as a kser_cancel_cb; arg is the run's context. */
const struct kser_error *verify_stop_cb(void *arg);

/*
 * What kser_verify() returns for err: the error that stopped the run when
 * err is the interruption it caused, err otherwise. Forgets the stop.
 */
const struct kser_error *verify_stop_error(struct verify_ctx *c,
					   const struct kser_error *err);

/* Tells the caller of an event. */
void verify_emit(struct verify_ctx *c, enum kser_verify_event ev, size_t row,
		 size_t check);

/* What runs now, for the ticks. */
void verify_busy(struct verify_ctx *c, size_t row, size_t check);

/* A tick, when the last one is old enough. */
void verify_tick(struct verify_ctx *c);

/* Runs a check's jobs, ticking while they run, stopping them at a stop. */
const struct kser_error *verify_run_jobs(struct verify_ctx *c,
					 struct kser_job *jobs, size_t n);

/* Moves the checkout to tree, ticking while it writes, stopping at a stop. */
const struct kser_error *verify_checkout(struct verify_ctx *c,
					 const git_oid *tree);

/* Stores a finished result; a failure to store only costs a rerun. */
void verify_store(struct verify_ctx *c, size_t row, size_t check);

/* --- outcome.c --------------------------------------------------------- */

/*
 * Is the job's failure the machine's rather than the patch's? Then the
 * check is an error, never cached. any_signal: a signal can only have
 * come from outside (make does not crash on a bad patch; a kernel may, so
 * there only the signals of kill(1) and the OOM killer count);
 * read_output: look for the markers in what the job said. why says what.
 */
bool verify_machine_trouble(const struct kser_job *job, bool any_signal,
			    bool read_output, struct kser_buf *why);

/*
 * Did the job end on its own, so that its result stands although the run
 * was interrupted while others went on?
 */
bool verify_finished_anyway(const struct kser_error *err,
			    const struct kser_job *job);

/* The last nlines lines of text. */
void verify_tail_lines(struct kser_buf *out, const char *text, size_t len,
		       size_t nlines);

/* --- warnings.c -------------------------------------------------------- */

/*
 * The warnings kser-cc recorded in configuration cfg's build directory,
 * of files the checkout still has, fingerprinted, each once. cancel (may
 * be NULL) can stop the walk.
 */
const struct kser_error *verify_build_warnings(const struct verify_state *st,
					       size_t cfg,
					       struct kser_diags *out,
					       kser_cancel_cb cancel,
					       void *cancel_arg);

/* The build's record, or NULL when memory runs out. */
json_t *verify_build_record(const struct kser_job *job, bool ok,
			    const struct kser_diags *errors,
			    const struct kser_diags *warnings);

/*
 * A build's status from its record: it must have built, and it must not
 * add a warning the previous row (the last one that built) did not have.
 */
void verify_resolve_build(struct kser_verify_report *rep, size_t row,
			  size_t check);

/* Did the build of this result build (as far as its record says)? */
bool verify_built(const struct kser_verify_result *res);

/* --- kbuild.c ---------------------------------------------------------- */

/* A target's .cmd file, as fixdep or if_changed wrote it. */
struct verify_cmd_dep {
	char *path;		/* as written, relative to the build dir */
	bool wildcard;		/* $(wildcard include/config/X) */
};

struct verify_cmd {
	char *target;
	char *savedcmd;		/* as written: make's escapes ($$, $(pound)) */
	char *source;		/* NULL when the file has none */
	struct verify_cmd_dep *deps;
	size_t ndeps, alloc;
	bool has_deps;		/* a deps_ list (fixdep's), maybe empty */
};

/*
 * Parses a .cmd file of kbuild 6.12 into *out (release it with
 * verify_cmd_release()). Anything that is not what fixdep or if_changed
 * writes is an error.
 */
const struct kser_error *verify_cmd_parse(struct verify_cmd *out,
					  const char *text, size_t len);

void verify_cmd_release(struct verify_cmd *c);

/* The shell command of a savedcmd, make's escapes undone; owned. */
char *verify_cmd_shell(const char *savedcmd);

/* path with "//", "/./" and "dir/.." taken out (owned; NULL: nomem). */
char *verify_path_normalize(const char *path);

/*
 * The members of a thin archive (data, len bytes), as its name table
 * holds them (relative to the archive's directory); *out is owned.
 */
const struct kser_error *verify_thin_members(char ***out, size_t *n,
					     const char *data, size_t len);

/* --- kbdirs.c ---------------------------------------------------------- */

/* Directories, relative to the source tree, none inside another. */
struct verify_dirs {
	char **v;
	size_t n, alloc;
};

void verify_dirs_release(struct verify_dirs *d);

/* Adds dir (len bytes, no '/' at the end); one inside another goes. */
const struct kser_error *verify_dirs_add(struct verify_dirs *d,
					 const char *dir, size_t len);

/* The directory of d that path is in (or is), or NULL. */
const char *verify_dirs_holding(const struct verify_dirs *d,
				const char *path);

/*
 * Is dir (len bytes) one whose kbuild file kbuild's top Makefile reads
 * besides its pass (the top, arch/ARCH), or kbuild's own (scripts/,
 * tools/, usr/)?
 */
bool verify_kbuild_top_read(const char *dir, size_t len);

/* Is path a directory's own kbuild file (DIR/Makefile, DIR/Kbuild)? */
bool verify_kbuild_own_file(const char *path);

/*
 * The directories whose kbuild passes read the changed kbuild files
 * paths (of the tree): DIR for DIR/Makefile and DIR/Kbuild, and for an
 * included file (a .mk, a Makefile.x) every directory whose own Makefile
 * names it; added to out. When one is read by kbuild's top Makefile
 * (the top directory's, arch/ARCH/'s, scripts/'s) or by anything but a
 * directory's own Makefile, why says so (and out is not to be used).
 */
const struct kser_error *verify_kbuild_readers(git_repository *repo,
					       const git_oid *tree,
					       const char *const *paths,
					       size_t n,
					       struct verify_dirs *out,
					       struct kser_buf *why);

/* --- the fast path: what its files share ------------------------------- */

/*
 * What the files of the build check's fast path share: the index of a
 * build directory and what is decided over it, what changed, the run.
 * build.c uses the fast path through verify_fastpath_*() and
 * verify_snapshot_*() alone.
 */

/* kser's make command line for a configuration (build.c). */
struct verify_make {
	char *const *argv;
};

/* What the fast path did, or why it was not taken. */
struct verify_fastpath {
	bool taken;		/* it ran (and the build's result is its) */
	bool ok;		/* it built */
	struct kser_buf why;	/* what it did, or why make builds */
	size_t objects;		/* recompiled */
	size_t dirs;		/* directories kbuild made (their passes) */
	double plan_s, compile_s, link_s;
};

/* A small string map (open addressing): path -> value. */
struct fp_smap_entry {
	char *key;
	int64_t mtime_ns;	/* -1: missing */
	size_t value;		/* an index, for the maps that need one */
	bool used;
};

struct fp_smap {
	struct fp_smap_entry *v;
	size_t n, cap;
};

/* A target of the build directory: its .cmd file, and is it stale? */
struct fp_target {
	struct verify_cmd cmd;
	int64_t mtime_ns;	/* -1: the target does not exist */
	bool stale;
	bool orphan;		/* its source is gone: no rule makes it now */
	bool archived;		/* a member of some built-in.a or lib.a */
	const char *why_stale;	/* a dependency's path; borrowed */
};

/* A thin archive (built-in.a, lib.a) and its members. */
struct fp_archive {
	size_t target;		/* its .cmd */
	char **members;		/* relative to the build directory */
	size_t nmembers;
	bool rerun;
};

/*
 * The index of a build directory, and what is decided over it: the
 * archives to make again, the directories whose kbuild passes run, or
 * why the fast path cannot be taken.
 */
struct fp_index {
	const char *bdir, *src;	/* absolute, as make sees them */
	struct fp_target *t;
	size_t n, alloc;
	struct fp_archive *ar;
	size_t nar, aralloc;
	struct fp_smap files;	/* absolute path -> mtime */
	struct fp_smap srcdeps;	/* source-relative path -> a target */
	struct fp_smap targets;	/* target -> its index */
	struct verify_dirs dirs;	/* whose kbuild passes run */
	struct kser_buf why;	/* why the fast path cannot be taken */
};

/* A path that differs between the stamp's tree and the row's. */
struct fp_change {
	char *path;
	git_delta_t status;
};

/* A run of the fast path: where, in what environment, logged where. */
struct fp_run {
	struct verify_ctx *c;
	const char *bdir, *src;
	char **env;		/* make's environment for its recipes */
	char *ldflags_vmlinux;	/* exported to Makefile.vmlinux alone */
	int log_fd;
	struct verify_fastpath *out;
};

/* --- fpindex.c --------------------------------------------------------- */

/* The entry of key, added (zeroed, key copied) when absent; NULL: nomem. */
struct fp_smap_entry *verify_fp_smap_get(struct fp_smap *m, const char *key,
					 bool *added);

/* The entry of key, or NULL. */
struct fp_smap_entry *verify_fp_smap_find(const struct fp_smap *m,
					  const char *key);

void verify_fp_smap_release(struct fp_smap *m);

/* A modification time, in nanoseconds. */
int64_t verify_fp_mtime_of(const struct stat *st);

/* Records why the fast path is not taken (the first reason stands). */
bool verify_fp_fallback(struct fp_index *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Reads every .cmd file under x->bdir into x: the targets, their
 * modification times and staleness, the map from source files to the
 * targets that depend on them, and the archives' members. What the fast
 * path cannot read that way is a reason in x->why, not an error.
 */
const struct kser_error *verify_fp_index_build(struct fp_index *x);

void verify_fp_index_release(struct fp_index *x);

/* --- fpsnap.c ---------------------------------------------------------- */

/* Every file of a build directory, for the paranoid mode. */
struct verify_snapshot {
	struct fp_smap *map;
};

const struct kser_error *verify_snapshot_take(struct verify_snapshot *s,
					      const char *bdir);
void verify_snapshot_release(struct verify_snapshot *s);

/*
 * How many files b made, rebuilt or removed against a (up to five of
 * them named in why), less those every make rewrites.
 */
size_t verify_snapshot_diff(const struct verify_snapshot *a,
			    const struct verify_snapshot *b,
			    struct kser_buf *why);

/* --- fpplan.c ---------------------------------------------------------- */

/* Does the kernel configuration have only options the fast path knows? */
bool verify_fp_config_allows(struct fp_index *x);

/* The paths that differ between the trees from and to (*out is owned). */
const struct kser_error *verify_fp_changes(struct fp_index *x,
					   git_repository *repo,
					   const git_oid *from,
					   const git_oid *to,
					   struct fp_change **out,
					   size_t *nout);

/*
 * The reasons against the fast path that need no index (a change of
 * type, a kbuild file no directory's pass takes care of); false with
 * the reason in x->why.
 */
bool verify_fp_cheap_allows(struct fp_index *x, const struct fp_change *ch,
			    size_t nch, const char *kunitconfig);

/*
 * The targets the fast path rebuilds itself and the kbuild passes it
 * runs (in x), or x->why says why not.
 */
/* Is target a thin archive kbuild makes (built-in.a, lib.a)? */
bool verify_fp_is_archive(const char *target);

/* Is it a compile of its target, as rule_cc_o_c and rule_as_o_S run it? */
bool verify_fp_is_compile(const struct verify_cmd *c);

const struct kser_error *verify_fp_plan(struct fp_index *x,
					git_repository *repo,
					const git_oid *tree,
					const struct fp_change *ch, size_t nch,
					const char *kunitconfig);

/* --- fpenv.c ----------------------------------------------------------- */

/*
 * r->env and r->ldflags_vmlinux: the environment kbuild's top Makefile
 * gives its recipes, captured from make itself, kept in the build
 * directory until the next plain make.
 */
const struct kser_error *verify_fp_env_capture(struct fp_run *r,
					       const struct verify_make *mi);

/* Frees a NULL-ended environment (NULL is fine). */
void verify_fp_env_free(char **env);

/* The tree of the build directory's stamp, when it is valid for mi. */
bool verify_fp_stamp_tree(const char *bdir, const struct verify_make *mi,
			  git_oid *tree);

/*
 * The stamp: the build directory was completely built from tree with
 * mi. Without one, the fast path is not taken; remove it before a build
 * (unstamp), write it when the build succeeds, and forget (the stamp and
 * the captured environment of make) when the configuration changes.
 */
const struct kser_error *verify_fastpath_stamp(const char *bdir,
					       const struct verify_make *mi,
					       const git_oid *tree);
void verify_fastpath_unstamp(const char *bdir);
void verify_fastpath_forget(const char *bdir);

/*
 * The passes of dir's enclosing directories (up to the top's) give the
 * passes under them what they set for their subdirectories
 * (subdir-ccflags-y, KBUILD_ variables, exports); a pass of dir alone
 * would not have it. why says which file sets such a thing, or what it
 * includes that might (and dir's pass alone is not make's).
 */
const struct kser_error *verify_kbuild_inherits(git_repository *repo,
						const git_oid *tree,
						const char *dir,
						struct kser_buf *why);

/* --- fastpath.c -------------------------------------------------------- */

/*
 * Tries the fast path for configuration cfg of the row (the checkout is
 * at the row's tree). Not taken: out->why says why, and nothing was
 * touched. Taken: its log is log_path, and out->ok says whether it built.
 * An error is the machine's (or an interruption).
 */
const struct kser_error *verify_fastpath_run(struct verify_ctx *c,
					     size_t row, size_t cfg,
					     const struct verify_make *mi,
					     const char *log_path,
					     struct verify_fastpath *out);

void verify_fastpath_release(struct verify_fastpath *fp);

/* --- build.c, kunit.c, checkpatch.c ------------------------------------ */

/* Builds a row for a build check. */
void verify_run_build(struct verify_ctx *c, size_t row, size_t check);

/* Boots the row's kernel, built by its build check, for a KUnit check. */
void verify_run_kunit(struct verify_ctx *c, size_t row, size_t check);

/* checkpatch.pl on a row's patch, as a job. */
struct verify_checkpatch {
	char *patch_path;
	char *argv[16];
	char *opts;		/* the split options, owned */
	/*
	 * The builds' environment with GIT_DIR naming the user's repository
	 * (read only: git log), so that checkpatch.pl finds the commits a
	 * message names; the checkout has no .git. Owned, but for the
	 * strings of the builds' environment.
	 */
	char **env;
	char *git_dir;
	/*
	 * GIT_INDEX_FILE: an index of the row's tree, which git ls-files
	 * lists to checkpatch.pl (its CamelCase names from include/).
	 */
	char *index_path, *git_index;
};

/*
 * Does MAINTAINERS (its text) cover path, as get_maintainer.pl matches
 * its F: entries: a section with an F: pattern that matches it and no
 * X: that excludes it? A pattern is a glob ("*", "?") matched at the
 * start of the path: one ending in "/", or naming a directory (is_dir,
 * may be NULL), covers everything below it; another only paths as deep
 * as itself.
 */
bool verify_maintainers_cover(const char *maintainers, const char *path,
			      bool (*is_dir)(const char *pattern, void *arg),
			      void *arg);

/*
 * Writes the row's patch out and sets job up to check it (cp and job are
 * zeroed first; release cp with verify_checkpatch_release()).
 */
const struct kser_error *verify_checkpatch_prepare(struct verify_ctx *c,
						   size_t row, size_t check,
						   struct verify_checkpatch *cp,
						   struct kser_job *job);

/* The check's result from the job that ran. */
void verify_checkpatch_finish(struct verify_ctx *c, size_t row, size_t check,
			      struct kser_job *job);

void verify_checkpatch_release(struct verify_checkpatch *cp);

/*
 * Removes checkpatch.pl's CamelCase cache from the checkout src: its
 * name is of the user's HEAD (GIT_DIR), not of the row's tree, so a
 * cache another row left would answer for this one.
 */
void verify_checkpatch_forget_camelcase(const char *src);

/* --- cpool.c ----------------------------------------------------------- */

/*
 * Starts checkpatch (column check) for every row whose result is
 * pending, on worker threads, one per core to spare (at most 4), each
 * with a checkout of its own in the state directory.
 */
const struct kser_error *verify_cpool_start(struct verify_ctx *c,
					    size_t check);

/*
 * Tells the caller of what started and finished, and stores the results;
 * with wait, waits for the workers to end first (stop them first with
 * verify_cpool_stop() when the run stops).
 */
void verify_cpool_reap(struct verify_ctx *c, bool wait);

void verify_cpool_stop(struct verify_ctx *c, bool hard);

/*
 * Waits for every checkpatch of the pool, telling the caller as they end
 * and ticking; a stop (verify_stop()) stops them, and is returned.
 */
const struct kser_error *verify_cpool_wait(struct verify_ctx *c);

/* Stops, reaps and frees the pool (NULL is fine). */
void verify_cpool_free(struct verify_ctx *c);

#endif
