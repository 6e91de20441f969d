/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_SEND_H
#define KSER_SEND_H

/*
 * kser send: the mails of an export (a git format-patch directory or an
 * mbox) sent over SMTP so that nothing is lost or sent twice.
 *
 * A send is a journal under the git dir (<gitdir>/kser/send/, see
 * kser/opstate.h) holding each mail exactly as it goes out and, per
 * recipient, what the server answered; a lock (<gitdir>/kser/send.lock)
 * keeps two sends apart. Each message's state is written before it is
 * sent, again just before its last byte is handed to the server, and
 * after the server's answer, so an interrupted send resumes with only
 * what was not accepted. Nothing here prints: progress comes through a
 * callback, and a cancel callback that returns an error stops the work.
 */

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

#include "kser/cancel.h"

struct kser_error;

enum kser_smtp_encryption {
	KSER_SMTP_NONE = 0,
	KSER_SMTP_STARTTLS,	/* sendemail.smtpEncryption = tls */
	KSER_SMTP_SSL,		/* = ssl: TLS from the first byte */
};

/*
 * What git send-email reads from git config (sendemail.*), and the same
 * settings from the command line. Strings are owned (malloc'd) and freed
 * by kser_send_config_release(); every value was checked to hold no
 * control character.
 */
struct kser_send_config {
	/* The server. */
	char *server;		/* sendemail.smtpServer; NULL: localhost */
	unsigned int port;	/* smtpServerPort; 0: 465 for ssl, else 25 */
	enum kser_smtp_encryption encryption;
	char *user;		/* smtpUser; NULL: no login */
	char *password;		/* smtpPass; NULL: ask git credential */
	char *auth;		/* smtpAuth: a SASL mechanism, or NULL */
	bool no_auth;		/* smtpAuth = none */
	char *domain;		/* smtpDomain: the EHLO name */
	char *ca_path;		/* smtpSSLCertPath: a file or directory */
	bool no_verify;		/* smtpSSLCertPath set to "" */
	unsigned int batch_size;	/* smtpBatchSize; 0: no limit */
	unsigned int relogin_delay;	/* smtpReloginDelay, seconds */
	unsigned int timeout;		/* seconds to wait for the server */

	/* The mails. */
	char *from;		/* sendemail.from: for mails without From */
	char *envelope_sender;	/* sendemail.envelopeSender; NULL: From */
	char **to, **cc, **bcc;	/* added to every mail */
	size_t nto, ncc, nbcc;
	bool thread;		/* sendemail.thread (default true) */
};

void kser_send_config_init(struct kser_send_config *cfg);
/* Clears the password from memory too. */
void kser_send_config_release(struct kser_send_config *cfg);

/*
 * Reads sendemail.* from the repository's configuration (honouring
 * sendemail.identity, or identity when not NULL, as git send-email
 * does), over what cfg holds.
 */
const struct kser_error *kser_send_config_load(struct kser_send_config *cfg,
					       git_repository *repo,
					       const char *identity);

/*
 * Sets one setting by its git config name after "sendemail." (case does
 * not matter): smtpServer, smtpServerPort, smtpEncryption, smtpUser,
 * smtpPass, smtpAuth, smtpDomain, smtpSSLCertPath, smtpBatchSize,
 * smtpReloginDelay, from, envelopeSender, to, cc, bcc (these three add
 * to the list), thread. The value is checked: a control character, a bad
 * address, port or encryption is a KSER_ERR_BAD_INPUT error naming the
 * setting. The command line sets its options through this too.
 */
const struct kser_error *kser_send_config_apply(struct kser_send_config *cfg,
						const char *key,
						const char *value);

/* "host:port" as git send-email names the server to git credential. */
char *kser_send_config_host(const struct kser_send_config *cfg);

/*
 * Asks `git credential fill` (run in dir) for the password of cfg->user
 * on the server, as git send-email does; approve and reject tell the
 * helpers whether it worked.
 */
const struct kser_error *kser_credential_fill(struct kser_send_config *cfg,
					      const char *dir);
const struct kser_error *
kser_credential_report(const struct kser_send_config *cfg, const char *dir,
		       bool approved);

/* --- the mails ---------------------------------------------------------- */

enum kser_rcpt_state {
	KSER_RCPT_TODO = 0,	/* not sent yet, or a temporary failure */
	KSER_RCPT_OK,		/* accepted by the server */
	KSER_RCPT_REFUSED,	/* a permanent failure (5xx) */
	KSER_RCPT_UNKNOWN,	/* all was sent, the answer never came */
	KSER_RCPT_SKIPPED,	/* given up with --skip */
};

struct kser_send_rcpt {
	char *addr;
	enum kser_rcpt_state state;
	int code;		/* the server's last answer, 0 if none */
	char *reply;		/* its text, or NULL */
	bool deferred;		/* a 4xx in this run: not retried in it */
};

struct kser_send_message {
	char *name;		/* where it came from, for messages */
	char *data;		/* the mail as it goes out (LF line ends) */
	size_t len;
	size_t header_len;	/* bytes of the header block, blank line
				 * excluded */
	char *subject;		/* decoded, for messages */
	char *message_id;	/* with the angle brackets */
	char *sender;		/* the envelope sender */
	struct kser_send_rcpt *rcpts;
	size_t nrcpts;
	unsigned int attempts;
};

struct kser_outbox {
	struct kser_send_message *v;
	size_t n, alloc;
};

/*
 * Reads the mails of input (a directory: every file in it, sorted, each
 * a mail or an mbox; or an mbox file; "-" for stdin) and prepares them
 * as git send-email would: the mbox "From " line dropped, cfg's To, Cc
 * and From added, a Message-Id and a Date where the mail has none, and
 * (cfg->thread) mails after the first that answer none made replies to
 * it. The envelope: sender from cfg->envelope_sender or the From
 * address; recipients from To, Cc and Bcc (Bcc headers are dropped) and
 * cfg->bcc, each once. Every address is checked; a mail with a control
 * character in its header, a line over 998 octets, or no recipient is
 * an error naming it.
 */
const struct kser_error *kser_outbox_load(struct kser_outbox **out,
					  const char *input,
					  const struct kser_send_config *cfg);
void kser_outbox_free(struct kser_outbox *box);

/* --- the journal -------------------------------------------------------- */

struct kser_send;

/*
 * Takes the lock and starts a send of box (which the send then owns, even
 * on failure) in the repository whose git dir is gitdir; a send already
 * in progress is a KSER_ERR_EXISTS error. input names it in messages.
 * options are "key=value" settings (kser_send_config_apply) that the
 * command line gave, kept for kser_send_resume; never a password.
 */
const struct kser_error *kser_send_start(struct kser_send **out,
					 const char *gitdir,
					 struct kser_outbox *box,
					 const char *input,
					 char *const *options,
					 size_t noptions);

/*
 * Takes the lock and loads the send in progress; KSER_ERR_NOT_FOUND if
 * there is none. The options the start was given are applied to cfg (so
 * that the first run's command line still holds, under what the caller
 * applies next).
 */
const struct kser_error *kser_send_resume(struct kser_send **out,
					  const char *gitdir,
					  struct kser_send_config *cfg);

/* True if a send is in progress (without taking the lock). */
bool kser_send_in_progress(const char *gitdir);

const struct kser_outbox *kser_send_outbox(const struct kser_send *s);
const char *kser_send_input(const struct kser_send *s);

enum kser_send_event {
	KSER_SEND_CONNECTING,	/* a new connection: url */
	KSER_SEND_MESSAGE,	/* message index is about to go */
	KSER_SEND_RESULT,	/* the server answered for message index */
	KSER_SEND_WAITING,	/* relogin delay: seconds */
};

struct kser_send_progress {
	enum kser_send_event event;
	size_t index, total;		/* 0-based index */
	const struct kser_send_message *msg;
	bool resend;		/* the message may have arrived already */
	const char *url;
	unsigned int seconds;
};

typedef const struct kser_error *(*kser_send_progress_cb)(
	void *arg, const struct kser_send_progress *p);

struct kser_send_summary {
	size_t messages;
	size_t complete;	/* every recipient answered for good */
	size_t accepted, refused, pending, unknown, skipped; /* recipients */
	bool finished;		/* nothing left to retry: journal removed */
	bool logged_in;		/* a login succeeded */
	bool login_failed;	/* the server refused the login */
};

/*
 * Sends what is left: every recipient not yet accepted, refused or
 * skipped, message by message in order, reconnecting every
 * cfg->batch_size messages after cfg->relogin_delay seconds. A
 * recipient's 5xx is recorded and the rest go on; a recipient's 4xx is
 * retried by the next run. A lost connection, a 4xx for a whole
 * message, a refused sender or login stop the run with an error (the
 * journal keeps the rest for kser_send_resume). When nothing is left to
 * retry the journal is removed (summary->finished).
 */
const struct kser_error *kser_send_run(struct kser_send *s,
				       const struct kser_send_config *cfg,
				       kser_send_progress_cb progress,
				       void *progress_arg,
				       kser_cancel_cb cancel, void *cancel_arg,
				       struct kser_send_summary *summary);

/*
 * Gives up the recipients left of the first message not complete (its
 * outcome unknown after a crash, or refused for now again and again):
 * they are marked skipped. *index is that message's, 0-based.
 */
const struct kser_error *kser_send_skip(struct kser_send *s, size_t *index);

/* Counts what the journal says, as kser_send_run's summary. */
void kser_send_summarize(const struct kser_send *s,
			 struct kser_send_summary *summary);

/* Ends the send in progress: the journal is removed. */
const struct kser_error *kser_send_abort(struct kser_send *s);

/* Releases the lock; NULL is accepted. */
void kser_send_free(struct kser_send *s);

#endif
