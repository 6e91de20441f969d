/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_MAIL_H
#define KSER_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kser/buf.h"
#include "kser/cancel.h"

struct kser_error;

/*
 * Mails as `git am` reads them: kser_mbox_split() does what git mailsplit
 * does, kser_mail_parse() what git mailinfo does, line by line as git
 * does it: its boundary stack for multipart mails (nested parts keep
 * what git keeps), quoted-printable and base64 decoded line by line,
 * RFC 2047 headers, the message converted to UTF-8 and the patch kept
 * as its bytes.
 */

struct kser_mail_options {
	unsigned int version;
	bool scissors;		/* honour "-- >8 --" lines, as am --scissors */
	bool keep_cr;		/* as am --keep-cr */
	bool mboxrd;		/* ">+From " lines are quoted once more, as
				 * am --patch-format=mboxrd */
	/*
	 * Asked between two mails of a mailbox: an error it returns stops
	 * the reading, which returns it. May be NULL.
	 */
	kser_cancel_cb cancel;
	void *cancel_arg;
};

#define KSER_MAIL_OPTIONS_VERSION 1
#define KSER_MAIL_OPTIONS_INIT { KSER_MAIL_OPTIONS_VERSION, false, false, \
				 false, NULL, NULL }

struct kser_mail {
	char *message_id;	/* without angle brackets; may be NULL */
	char *in_reply_to;	/* without angle brackets; may be NULL */
	char **references;	/* oldest first, without angle brackets */
	size_t nreferences;
	char *raw_subject;	/* decoded and unfolded, prefixes kept */
	char *subject;		/* with "[PATCH ...]" and "Re:" removed */
	bool has_from;		/* the mail named an author at all */
	char *author_name;	/* as git am would record them */
	char *author_email;
	bool has_date;
	int64_t time;		/* author date */
	int tz_minutes;		/* its offset from UTC */
	char *message;		/* the log message: after in-body headers,
				 * before the patch; may hold NUL bytes */
	size_t message_len;
	char *patch;		/* from the first line of the patch on; its
				 * bytes as sent, NUL bytes included */
	size_t patch_len;
	char *body;		/* the whole decoded text, for replies */
	size_t body_len;
	/*
	 * Why git am would refuse this mail as a patch (a NUL byte in a
	 * header, a charset that cannot be converted, a malformed encoded
	 * word...), or NULL. Only a mail applied as a patch fails for it.
	 */
	char *problem;
	const char *source;	/* where it came from, for messages */
	size_t source_index;	/* 1-based position in that source */
};

/* One raw mail out of an mbox, with mailsplit's CR handling applied. */
struct kser_raw_mail {
	char *text;
	size_t len;
};

struct kser_raw_mails {
	struct kser_raw_mail *v;
	size_t n, alloc;
};

void kser_raw_mails_release(struct kser_raw_mails *mails);

/*
 * Splits an mbox into mails at "From " lines as git mailsplit does. A
 * text that does not start with one is a single bare mail.
 */
const struct kser_error *kser_mbox_split(struct kser_raw_mails *out,
					 const char *text, size_t len,
					 const struct kser_mail_options *opts);

/* True if text looks like a mailbox or a mail (what git am accepts). */
bool kser_mail_looks_like_mail(const char *text, size_t len);

const struct kser_error *kser_mail_parse(struct kser_mail **out,
					 const char *raw, size_t len,
					 const struct kser_mail_options *opts);
void kser_mail_free(struct kser_mail *mail);

/*
 * The commit message git am makes: subject, blank line, cleaned body. A
 * NUL byte in the message is an error, as in git.
 */
const struct kser_error *kser_mail_commit_message(struct kser_buf *out,
						  const struct kser_mail *mail);

#endif
