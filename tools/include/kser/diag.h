/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_DIAG_H
#define KSER_DIAG_H

#include <stdbool.h>
#include <stddef.h>

struct kser_error;

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

void kser_diags_release(struct kser_diags *d);
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
 * Fills in the fingerprints of out's warnings, reading each warning's
 * source line from srcdir.
 */
const struct kser_error *kser_diags_fingerprint(struct kser_diags *d,
						const char *srcdir);

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
const struct kser_error *kser_diag_collect(const char *dir,
					   kser_diag_record_fn fn, void *arg);

#endif
