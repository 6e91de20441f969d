/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_MAIL_H
#define KSER_LIB_MAIL_H

/*
 * What the parts of kser send share: address checks (outbox.c), the
 * SMTP transport over libcurl (smtp.c), used by the journal (send.c) and
 * the settings (sendconf.c).
 */

#include <stdbool.h>
#include <stddef.h>

#include "kser/send.h"

struct kser_buf;
struct kser_error;

/* True if s holds a control character (anything below 0x20, and DEL). */
bool kser_send_has_ctl(const char *s);

/*
 * Checks an envelope address (an addr-spec: local@domain, printable
 * ASCII, no quoting); NULL or a BAD_INPUT error "<what>: ...".
 */
const struct kser_error *kser_send_addr_check(const char *addr,
					      const char *what);

/*
 * Parses an address list (a header value, an option) into its
 * addr-specs, appended to *addrs (caller frees each and the array). Each
 * is checked; what names the source in errors.
 */
const struct kser_error *kser_send_addr_parse(char ***addrs, size_t *n,
					      size_t *alloc,
					      const char *value,
					      const char *what);

/*
 * The mailboxes of value whose addresses *addrs lacks, rendered for a
 * header by GMime (RFC 2047 for a name that needs it) and appended to out
 * (",\n\t" between them); their addresses are appended to *addrs.
 */
const struct kser_error *kser_send_addr_render_new(struct kser_buf *out,
						   char ***addrs, size_t *n,
						   size_t *alloc,
						   const char *value);

/* Arrays of strings: push a copy, look one up (case aside), free all. */
const struct kser_error *kser_send_strs_push(char ***v, size_t *n,
					     size_t *alloc, const char *s);
bool kser_send_strs_has(char *const *v, size_t n, const char *s);
void kser_send_strs_free(char **v, size_t n);

/* Setters behind kser_send_config_apply(); what names the setting. */
const struct kser_error *kser_send_config_set(char **field, const char *what,
					      const char *value);
const struct kser_error *kser_send_config_add(char ***list, size_t *n,
					      const char *what,
					      const char *value);
const struct kser_error *
kser_send_config_encryption(enum kser_smtp_encryption *out, const char *s);
const struct kser_error *kser_send_config_port(unsigned int *out,
					       const char *s);

/* --- the journal (send.c) --------------------------------------------- */

struct kser_lockfile;
struct kser_opstate;

struct kser_send {
	struct kser_lockfile *lock;
	struct kser_opstate *st;
	struct kser_outbox *box;
	char *input;
};

/* Writes message i's state (phase: sending, eod or idle). */
const struct kser_error *kser_send_write_state(struct kser_send *s, size_t i,
					       const char *phase);

/* True if the recipient is still to be sent to. */
bool kser_send_rcpt_left(const struct kser_send_rcpt *r);

/* --- the SMTP transport (smtp.c) ---------------------------------------- */

struct kser_smtp;

/* One answer of the server: code 0 when it never came. */
struct kser_smtp_answer {
	int code;
	char text[512];		/* the last line's text, printable */
};

/* What happened in one transaction, as far as it got. */
struct kser_smtp_result {
	struct kser_smtp_answer greeting, auth, mail, data, eod;
	struct kser_smtp_answer *rcpt;	/* one per recipient given */
	size_t nrcpt;
	bool data_sent;		/* the last byte was handed over: from here
				 * on the message may have arrived */
	bool failed;		/* libcurl reported an error */
	char error[256];	/* libcurl's words for it */
};

void kser_smtp_result_release(struct kser_smtp_result *res);

/*
 * Called once all the message but its last bytes is with libcurl, just
 * before those are handed over; an error stops the transfer before the
 * end of the data reaches the server.
 */
typedef const struct kser_error *(*kser_smtp_eod_cb)(
	void *arg, const struct kser_smtp_result *so_far);

/* A connection (made when the first message goes). */
const struct kser_error *kser_smtp_open(struct kser_smtp **out,
					const struct kser_send_config *cfg);

/* "smtp://host:port" for messages. */
const char *kser_smtp_url(const struct kser_smtp *c);

/*
 * Sends one message (LF line ends; sent with CRLF, dot-stuffed) to the
 * recipients. Returns an error only for what is not the server's answer:
 * no memory, or an error from eod or cancel (the transfer is aborted);
 * everything else, from a refused connection to a 5xx, is in res.
 */
const struct kser_error *kser_smtp_send(struct kser_smtp *c,
					const char *sender,
					char *const *rcpts, size_t nrcpts,
					const char *data, size_t len,
					struct kser_smtp_result *res,
					kser_smtp_eod_cb eod, void *eod_arg,
					kser_cancel_cb cancel,
					void *cancel_arg);

/* Says QUIT and closes; NULL is accepted. */
void kser_smtp_close(struct kser_smtp *c);

#endif
