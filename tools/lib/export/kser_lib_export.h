/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_EXPORT_H
#define KSER_LIB_EXPORT_H

/*
 * The inside of kser export, the top layer (docs/layers.md): the one
 * private header of tools/lib/export/, sharing one context. It uses the
 * layers below: commitpatch and rename (patch), mailcompose (mail), the
 * series and range-diff, rebase's patch-ids, verify's cache.
 *
 * The files:
 *
 *   export.c           the driver: the range, the patch mails, the
 *                      output; the helpers the others share (settings,
 *                      progress, common headers)
 *   export_identity.c  the series' identity: version, change-id, sender,
 *                      dates, subject prefix, Message-Ids
 *   export_gate.c      the verify gate (kser_verify() with cache_only)
 *   export_rcpt.c      the recipients, from get_maintainer.pl
 *   export_cover.c     the cover letter: text, links, range-diff, the
 *                      base-commit/change-id/prerequisite-patch-id lines
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "kser/buf.h"
#include "kser/export.h"
#include "kser/settings.h"

struct kser_error;

/* Addresses, each once (compared without case), with how they show. */
struct ex_rcpts {
	char **addr;
	char **shown;		/* "Name <addr>", ready for a header */
	size_t n, alloc;
};

void ex_rcpts_release(struct ex_rcpts *r);
/* Adds a mailbox unless its address is there already (or in skip). */
const struct kser_error *ex_rcpts_add(struct ex_rcpts *r,
				      const struct ex_rcpts *skip,
				      const char *mailbox, const char *what);
bool ex_rcpts_has(const struct ex_rcpts *r, const char *addr);

struct ex_patch {
	git_commit *commit;
	char *subject;		/* the first paragraph, joined */
	char *message_id;	/* with the angle brackets */
	struct ex_rcpts to, cc;
};

struct ex_ctx {
	git_repository *repo;
	const struct kser_export_options *opts;
	struct kser_export *out;

	git_config *settings;	/* series.conf, or NULL */
	char *series_dir;
	struct kser_settings vsettings;	/* kser verify's view of them */

	char *branch;		/* the tip's branch, or NULL */
	git_oid base, tip;	/* the range */
	git_oid base_commit;	/* what base-commit: names */
	git_oid *prereqs;	/* base_commit..base, oldest first */
	size_t nprereqs;
	struct ex_patch *p;
	size_t n;

	unsigned int version;
	char *change_id;
	char *sender_name, *sender_addr;
	int64_t cover_time;
	int cover_tz;
	char *prefix;		/* "PATCH", "RFC PATCH net-next" */
	char *signature;	/* NULL: none */
	char *linkmask;		/* "https://lore.kernel.org/r/%s" */
	int abbrev;		/* hex digits of abbreviated object names */
	struct ex_rcpts to, cc;	/* the cover letter's: everyone */
};

/*
 * A setting of series.conf ("mail.link"), checked to hold no control
 * character; *out is NULL when unset. Owned by the caller.
 */
const struct kser_error *ex_setting(char **out, const struct ex_ctx *c,
				    const char *key);

/* A setting of the repository's git configuration, checked so. */
const struct kser_error *ex_repo_setting(char **out, git_repository *repo,
					const char *key);

void ex_sha1_hex(char out[41], const char *s);

/* The version: the caller's, the branch's, else 1 (export_identity.c). */
const struct kser_error *ex_find_version(struct ex_ctx *c);

/* The change-id, sender, cover date, subject prefix, signature and
 * link mask (export_identity.c). */
const struct kser_error *ex_find_identity(struct ex_ctx *c);

/* The Message-Id of version v's cover letter (0) or patch k. */
const struct kser_error *ex_message_id(char **out, const struct ex_ctx *c,
				       unsigned int v, unsigned int k);

/* "[PATCH v3 01/10] " for patch k (0: the cover letter). */
void ex_subject_prefix(struct kser_buf *out, const struct ex_ctx *c,
		       unsigned int k);

const struct kser_error *ex_progress(const struct ex_ctx *c,
				     enum kser_export_stage stage,
				     size_t index, size_t total);

/* The gate: every patch's checks cached and passing (export_gate.c). */
const struct kser_error *ex_gate(struct ex_ctx *c);

/* To and Cc of every patch and of the cover letter (export_rcpt.c). */
const struct kser_error *ex_recipients(struct ex_ctx *c);

/* The cover letter's mail (export_cover.c). */
const struct kser_error *ex_cover(struct ex_ctx *c,
				  struct kser_export_mail *mail);

/* The headers every mail shares, after Subject (export.c). */
void ex_common_headers(struct kser_buf *out, const struct ex_ctx *c,
		       const struct ex_rcpts *to, const struct ex_rcpts *cc,
		       bool eight_bit);

#endif
