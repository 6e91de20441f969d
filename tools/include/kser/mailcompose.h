/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_MAILCOMPOSE_H
#define KSER_MAILCOMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kser/buf.h"

struct kser_error;

/*
 * The pieces of a mail as git format-patch writes them: dates, the From
 * and Subject headers (RFC 2047 where git encodes, RFC 822 quoting where
 * git quotes), address lists, file names, and git's word wrapping. Text
 * from users (names, addresses, subjects, settings) is checked here: a
 * control character is refused or encoded, never written raw into a
 * header, and addresses must be plain name@domain.
 */

/* The longest line a mail may carry (RFC 5322), without its CRLF. */
#define KSER_MAIL_LINE_MAX 998

/* True if s holds a control character: below 0x20, or DEL. */
bool kser_mailcompose_has_ctl(const char *s);

/*
 * Refuses s (a KSER_ERR_BAD_INPUT error naming what) if it holds a
 * control character; tab is allowed when allow_tab.
 */
const struct kser_error *kser_mailcompose_check_text(const char *s,
						     const char *what,
						     bool allow_tab);

/* "Fri, 20 Nov 2026 10:00:00 +0100": a date as git's mails carry it. */
void kser_mailcompose_date(struct kser_buf *out, int64_t time,
			   int offset_minutes);

/*
 * A mailbox read from a user: "Name <addr>", "\"Name\" <addr>" or a bare
 * "addr". The address is checked (name@domain, nothing SMTP could misread)
 * and the whole refused if it holds a control character; *name is "" for
 * a bare address. what names the source in errors.
 */
const struct kser_error *kser_mailcompose_parse_mailbox(char **name,
							char **addr,
							const char *s,
							const char *what);

/*
 * A mailbox for a header: the name RFC 2047-encoded when it is not ASCII,
 * quoted when it holds RFC 822 specials (as git quotes the author), then
 * " <addr>"; a bare address without a name.
 */
void kser_mailcompose_mailbox(struct kser_buf *out, const char *name,
			      const char *addr);

/*
 * "From: Name <addr>\n" as git format-patch writes the author: encoded or
 * quoted as kser_mailcompose_mailbox(), the address moved to a line of its
 * own when the header would pass 78 columns.
 */
void kser_mailcompose_from(struct kser_buf *out, const char *name,
			   const char *addr);

/*
 * "Subject: <prefix><subject>\n". The subject is RFC 2047-encoded as git
 * encodes it when it is not plain ASCII (or holds a control character,
 * which git would write raw). It is not folded: b4 0.12 cannot read a
 * folded Subject, so only a subject past the 998-octet line limit is
 * folded, at spaces or between encoded words.
 */
void kser_mailcompose_subject(struct kser_buf *out, const char *prefix,
			      const char *subject);

/*
 * "To: a,\n    b\n", the layout of git format-patch's --to and --cc;
 * nothing when n is 0. The mailboxes are written as given.
 */
void kser_mailcompose_address_header(struct kser_buf *out, const char *field,
				     char *const *mailboxes, size_t n);

/*
 * git format-patch's file name: "v3-0002-<sanitized subject>.patch"
 * (version 0: no "vN-" prefix), at most 64 bytes.
 */
void kser_mailcompose_patch_filename(struct kser_buf *out,
				     unsigned int version,
				     unsigned int number,
				     const char *subject);

/*
 * git's strbuf_add_wrapped_text(): text wrapped at width columns, the
 * first line indented by indent1 (negative: already that many columns
 * in, and not indented), the others by indent2.
 */
void kser_mailcompose_wrap(struct kser_buf *out, const char *text,
			   int indent1, int indent2, int width);

/* True if some line of text is longer than KSER_MAIL_LINE_MAX; *line is
 * its number (1-based). */
bool kser_mailcompose_long_line(const char *text, size_t len, size_t *line);

#endif
