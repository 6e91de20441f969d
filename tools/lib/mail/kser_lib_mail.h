/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_MAIL_H
#define KSER_LIB_MAIL_H

/*
 * The mail layer, private to its files. What the layers above use is
 * public: kser/mail.h and kser/send.h. The mail layer uses core and
 * libgit2, GMime (dates) and libcurl (SMTP).
 *
 * Reading mails, as git mailsplit and git mailinfo do, each file using
 * only those before it:
 *   mbox.c             an mbox split into mails
 *   mail_ident.c       names, addresses, subjects, Message-IDs
 *   mailinfo_header.c  mailinfo's headers and their encodings
 *   mailinfo.c         mailinfo's line filter: charsets, the body
 *   mail.c             a mail parsed; the commit message git am makes
 *
 * Sending them: address checks (addr.c, outbox.c), the SMTP transport
 * over libcurl (smtp.c), used by the journal (send.c, send_run.c) and
 * the settings (sendconf.c). mailcompose.c (mail headers and names as
 * git format-patch writes them, public: kser/mailcompose.h) uses the
 * control character test.
 */

#include <stdbool.h>
#include <stddef.h>

#include "kser/buf.h"
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


/* mail.c, for its tests. */
/*
 * git's cleanup of a name for an identity line: crud (spaces, quotes,
 * punctuation) stripped from both ends, '<', '>' and newlines dropped.
 */
char *kser_ident_clean(const char *s);

/* --- reading mails ---------------------------------------------------- */

struct kser_mail_options;

/* git's limit: deeper nesting makes the mail unreadable to git am. */
#define MAX_BOUNDARIES 5

enum hdr { HDR_FROM, HDR_SUBJECT, HDR_DATE, NHDR };
extern const char *const mi_hdr_names[NHDR];

enum transfer_encoding { TE_NONE, TE_QP, TE_BASE64 };

struct mailinfo {
	const struct kser_mail_options *opts;
	const char *in;
	size_t len, pos;

	struct kser_buf p_hdr[NHDR];	/* the mail's (and parts') headers */
	bool p_set[NHDR];
	struct kser_buf s_hdr[NHDR];	/* in-body headers */
	bool s_set[NHDR];

	struct kser_buf charset;
	enum transfer_encoding te;
	bool format_flowed, delsp;
	/* boundary[1..top], "--" included; boundary[0] is never set */
	char *boundary[MAX_BOUNDARIES];
	size_t blen[MAX_BOUNDARIES];
	int top;

	bool header_stage, in_patch;
	struct kser_buf accum;		/* an in-body header being read */
	struct kser_buf log, patch, body;
	size_t patch_lines;

	char *message_id, *in_reply_to, *references;
	char *problem;			/* the first reason git would refuse */
	bool nomem;
};

void mi_problem(struct mailinfo *mi, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- mbox.c ------------------------------------------------------------ */

/* The length of the line at s, its newline included. */
size_t mail_line_len(const char *s, size_t len);

/* --- mail_ident.c ------------------------------------------------------ */

bool mail_starts_with(const char *s, const char *prefix);
/* Collapses every run of whitespace into one space and trims the ends. */
char *mail_cleanup_space(const char *s);
/*
 * Drops leading "Re:", ":", whitespace and bracketed groups such as
 * "[PATCH v2 3/7]", as git mailinfo does without -k or -b.
 */
char *mail_cleanup_subject(const char *s);
/*
 * git's reading of a From line: the word around '@' (maybe in <>) is the
 * address, the rest the name; a name that is too short, too long or looks
 * like an address is replaced by the address. Without an '@', only
 * "Name <addr>" is understood.
 */
const struct kser_error *mail_parse_from(const char *from, char **name,
					 char **email);
/* "<a@b> <c@d>" -> {"a@b", "c@d"} */
const struct kser_error *mail_parse_msgids(const char *s, char ***out,
					   size_t *n);
/* A Message-ID without its angle brackets and blanks. */
char *mail_msgid_strip(const char *s);

/* --- mailinfo_header.c ------------------------------------------------- */

/* Quoted-printable (rfc2047: the header form, '_' for space). */
void mi_decode_q(struct kser_buf *out, const char *in, bool rfc2047);
/* Base64, skipping what is not base64, each line on its own as git. */
void mi_decode_b(struct kser_buf *out, const char *in);
/* Converts b (in charset) to UTF-8 in place; false if it cannot. */
bool mi_convert_to_utf8(struct mailinfo *mi, struct kser_buf *b,
			const char *charset);
/*
 * The headers git looks at: From, Subject and Date (into hdr, replacing
 * what is there only when overwrite), and the MIME ones.
 */
bool mi_check_header(struct mailinfo *mi, const char *line,
		     struct kser_buf *hdr, bool *set, bool overwrite);
/* The headers kser wants for threading; git ignores them. */
void mi_thread_header(struct mailinfo *mi, const char *line);

/* --- mailinfo.c (and its charsets) -------------------------------------- */

/* "utf-8", "UTF8"... compared as git compares them. */
bool mail_is_utf8_name(const char *cs);
/* in (of charset from) converted to UTF-8 into out; false if it cannot. */
bool mail_iconv_convert(struct kser_buf *out, const char *in, size_t len,
			const char *from);
/* One line of the mail, with its newline when keep_nl; false at EOF. */
bool mi_next_line(struct mailinfo *mi, struct kser_buf *line,
		  bool keep_nl);
/*
 * Reads one header, unfolded: continuation lines join with their first
 * blank turned into a space. False at the blank line ending the headers
 * or at a line that is no header; line then holds it with a newline.
 */
bool mi_read_header_line(struct mailinfo *mi, struct kser_buf *line);
/* "Name:" at the start, case-insensitively; *val after ':' and blanks. */
bool mi_skip_header(const char *line, const char *name, const char **val);
/* One line of the body: the message, the patch, or a part's headers. */
void mi_handle_body(struct mailinfo *mi, struct kser_buf *line);

#endif
