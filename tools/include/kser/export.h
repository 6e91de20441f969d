/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_EXPORT_H
#define KSER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <git2.h>

#include "kser/buf.h"
#include "kser/cancel.h"

struct kser_error;

/*
 * kser export: a range of commits as the mails of one version of a
 * series. The patches are git format-patch's (the mbox From line, From,
 * Date, Subject "[PATCH vN i/n]", the message, "---", the diffstat, the
 * diff, the signature), threaded shallowly under a cover letter laid out
 * as b4 lays it out: the description with "Changes in vK" and links to
 * the earlier versions, "---", the shortlog and diffstat, the range-diff
 * against the previous version as git format-patch --range-diff writes
 * it, and base-commit:, change-id:, prerequisite-patch-id: at the bottom.
 *
 * Message-Ids are derived from the change-id, the version and the patch
 * number (or taken from the series settings for versions already sent),
 * so the same export gives the same bytes and version N+1 links to N.
 * Recipients come from the tree's scripts/get_maintainer.pl, split as b4
 * splits them, plus the settings and the caller's. Every patch must have
 * passed each of kser verify's checks, by its cache, or the export is
 * refused (unless forced, which marks the cover letter).
 *
 * The series settings (series.conf, git-config syntax) read here:
 *
 *   [series]  name, subject, change-id, rfc (bool), tree (a subject tag
 *             such as net-next), author (the sender, if [mail] has none)
 *   [mail]    from, to, cc (repeated), link (a URL with %s for the
 *             Message-Id; lore's by default), signature
 *   [version "N"]  base (a [base] section or a revision: base-commit),
 *             date (the cover letter's, "YYYY-MM-DD HH:MM:SS +ZZZZ"),
 *             message-id (the cover letter's, as sent), cover (a file
 *             beside series.conf: the cover letter's text),
 *             creation-factor (the range-diff's, in percent)
 */

enum kser_export_stage {
	KSER_EXPORT_STAGE_GATE,		/* looking up verify results */
	KSER_EXPORT_STAGE_RECIPIENTS,	/* get_maintainer.pl, patch index */
	KSER_EXPORT_STAGE_COMPOSE,	/* writing mail index */
	KSER_EXPORT_STAGE_RANGEDIFF,	/* comparing with the previous one */
};

struct kser_export_progress {
	enum kser_export_stage stage;
	size_t index, total;
};

/* Returning an error stops the export (nothing is written). */
typedef const struct kser_error *(*kser_export_progress_fn)(
	void *arg, const struct kser_export_progress *p);

struct kser_export_options {
	unsigned int version;
	/* The series' directory (its series.conf), or NULL. */
	const char *series_dir;
	/* The version to write; 0: the branch's (kser apply records it),
	 * else 1. */
	unsigned int series_version;
	/* The cover letter's text: its first line the subject, then a
	 * blank line and the description; NULL: the settings, else the
	 * branch description. */
	const char *cover_file;
	/* More recipients, "Name <addr>" or "addr". */
	char *const *to;
	size_t nto;
	char *const *cc;
	size_t ncc;
	/* No get_maintainer.pl and no [mail] to/cc of the settings. */
	bool no_auto_cc;
	/* The previous version: a commit range, a revision (its commits
	 * not in the series, as git format-patch --range-diff takes it),
	 * a directory of mails or an mbox; NULL: none, or vN-1/ beside
	 * series.conf when that exists. */
	const char *prev;
	/* The range-diff's creation factor, in percent (git range-diff
	 * --creation-factor); 0: the settings' version.N.creation-factor,
	 * else 999, git format-patch's for the versions of one series. */
	unsigned int creation_factor;
	/* Export even what is not verified; the cover letter says so. */
	bool force;
	kser_export_progress_fn progress;
	void *progress_arg;
	/* Asked between steps and while get_maintainer.pl runs (may be
	 * NULL); an error it returns stops the export. */
	kser_cancel_cb cancel_cb;
	void *cancel_arg;
};

#define KSER_EXPORT_CREATION_FACTOR_MAX 10000
#define KSER_EXPORT_OPTIONS_VERSION 1
#define KSER_EXPORT_OPTIONS_INIT { KSER_EXPORT_OPTIONS_VERSION }

struct kser_export_mail {
	unsigned int number;	/* 0 for the cover letter */
	char *file_name;	/* "v3-0001-subject.patch" */
	char *message_id;	/* with the angle brackets */
	char *subject;		/* the Subject, as it reads */
	char *text;		/* the whole mail, its "From " line first */
	size_t len;
};

struct kser_export {
	unsigned int version;
	char *change_id;
	/* Made up by this export, and recorded in the branch's
	 * configuration (branch.<name>.kserchangeid) when it has one. */
	bool change_id_new;
	struct kser_export_mail *mails;	/* the cover letter first */
	size_t nmails;
	size_t npatches;
	/* Exported unverified (force): one line per patch and check. */
	struct kser_buf unverified;
	/* Things the user should know, one line each. */
	struct kser_buf notes;
};

/*
 * Composes the mails of range ("BASE..TIP", or a branch that kser apply
 * made, whose base it recorded). An unverified patch is a
 * KSER_ERR_BAD_INPUT error naming every patch and what is missing or
 * failed, unless opts->force.
 */
const struct kser_error *kser_export_prepare(struct kser_export **out,
					     git_repository *repo,
					     const char *range,
					     const struct kser_export_options
					     *opts);
void kser_export_free(struct kser_export *e);

/*
 * Writes one file per mail into dir (made if missing), named as git
 * format-patch names them; files of those names are replaced, nothing
 * else in dir is touched.
 */
const struct kser_error *kser_export_write_dir(const struct kser_export *e,
					       const char *dir);

/* All the mails, one after the other, as an mbox. */
void kser_export_mbox(const struct kser_export *e, struct kser_buf *out);

#endif
