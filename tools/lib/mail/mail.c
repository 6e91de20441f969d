// SPDX-License-Identifier: GPL-2.0
/*
 * Mails, the way git mailsplit and git mailinfo read them, so that kser
 * and `git am` make the same commits from the same input. git's mailinfo
 * is not a MIME parser but a line filter with a stack of boundaries, and
 * what it does with nested parts, part headers and blank lines ends up in
 * commit messages; so it is followed here line by line rather than
 * approximated with a MIME library. GMime only parses dates.
 *
 * This file parses one mail and makes git am's commit message of it; the
 * splitting, identities, headers and body are mbox.c, mail_ident.c,
 * mailinfo_header.c and mailinfo.c (kser_lib_mail.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <gmime/gmime.h>

#include "kser/error.h"
#include "kser/ident.h"
#include "kser/util.h"
#include "kser/mail.h"
#include "kser_lib_mail.h"

static void gmime_init_once(void)
{
	static bool done;

	if (!done) {
		g_mime_init();
		done = true;
	}
}

static void set_date(struct kser_mail *mail, const char *s)
{
	if (kser_parse_mail_date(s, &mail->time, &mail->tz_minutes))
		mail->has_date = true;
}

static char *memdup_nul(const char *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		if (len)
			memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/*
 * What git's mailinfo reports: the in-body headers when there is a patch,
 * else the mail's; a NUL byte in any of them is refused.
 */
static const struct kser_error *mail_info(struct mailinfo *mi,
					  struct kser_mail *mail)
{
	const struct kser_error *err = NULL;
	const struct kser_buf *h[NHDR] = { NULL };
	char *from = NULL;
	int i;

	for (i = 0; i < NHDR; i++) {
		if (mi->patch_lines && mi->s_set[i])
			h[i] = &mi->s_hdr[i];
		else if (mi->p_set[i])
			h[i] = &mi->p_hdr[i];
		if (h[i] && memchr(kser_buf_cstr(h[i]), '\0', h[i]->len))
			mi_problem(mi, "a NUL byte in the '%s' header is not "
				   "allowed", mi_hdr_names[i]);
	}
	mail->raw_subject =
		mail_cleanup_space(h[HDR_SUBJECT] ?
				   kser_buf_cstr(h[HDR_SUBJECT]) : "");
	mail->subject = h[HDR_SUBJECT] ?
			mail_cleanup_subject(kser_buf_cstr(h[HDR_SUBJECT])) :
			strdup("");
	if (!mail->raw_subject || !mail->subject)
		return kser_error_nomem();
	if (mail->subject[0]) {
		/* Inner runs of blanks become one space. */
		char *c = mail_cleanup_space(mail->subject);

		if (!c)
			return kser_error_nomem();
		free(mail->subject);
		mail->subject = c;
	}
	if (h[HDR_DATE]) {
		char *d = mail_cleanup_space(kser_buf_cstr(h[HDR_DATE]));

		if (!d)
			return kser_error_nomem();
		set_date(mail, d);
		free(d);
	}
	mail->has_from = h[HDR_FROM] != NULL;
	if (h[HDR_FROM]) {
		char *name, *email;

		from = mail_cleanup_space(kser_buf_cstr(h[HDR_FROM]));
		if (!from)
			return kser_error_nomem();
		err = mail_parse_from(from, &name, &email);
		free(from);
		if (err)
			return err;
		mail->author_name = kser_ident_clean(name);
		mail->author_email = kser_ident_clean(email);
		free(name);
		free(email);
		if (!mail->author_name || !mail->author_email)
			return kser_error_nomem();
	}
	return NULL;
}

const struct kser_error *kser_mail_parse(struct kser_mail **out,
					 const char *raw, size_t len,
					 const struct kser_mail_options *opts)
{
	static const struct kser_mail_options defaults =
		KSER_MAIL_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct mailinfo mi = { 0 };
	struct kser_buf line = KSER_BUF_INIT;
	struct kser_mail *mail;
	int i;

	*out = NULL;
	gmime_init_once();
	if (!kser_mail_looks_like_mail(raw, len))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "not a mail: no headers");
	mail = calloc(1, sizeof(*mail));
	if (!mail)
		return kser_error_nomem();
	mi.opts = opts ? opts : &defaults;
	mi.in = raw;
	mi.len = len;
	mi.header_stage = true;
	while (mi.pos < len && isspace((unsigned char)raw[mi.pos]))
		mi.pos++;

	/* The mail's headers: the last From, Subject or Date wins. */
	while (mi_read_header_line(&mi, &line)) {
		mi_check_header(&mi, line.ptr, mi.p_hdr, mi.p_set, true);
		mi_thread_header(&mi, line.ptr);
	}
	mi_handle_body(&mi, &line);
	if (mi.nomem || line.oom || mi.log.oom || mi.patch.oom ||
	    mi.body.oom || mi.accum.oom) {
		err = kser_error_nomem();
		goto done;
	}

	mail->message_id = mi.message_id;
	mail->in_reply_to = mi.in_reply_to;
	mi.message_id = mi.in_reply_to = NULL;
	err = mail_parse_msgids(mi.references, &mail->references,
				&mail->nreferences);
	if (!err)
		err = mail_info(&mi, mail);
	if (err)
		goto done;
	mail->message_len = mi.log.len;
	mail->message = memdup_nul(kser_buf_cstr(&mi.log), mi.log.len);
	mail->patch_len = mi.patch.len;
	mail->patch = memdup_nul(kser_buf_cstr(&mi.patch), mi.patch.len);
	mail->body_len = mi.body.len;
	mail->body = memdup_nul(kser_buf_cstr(&mi.body), mi.body.len);
	mail->problem = mi.problem;
	mi.problem = NULL;
	if (mi.nomem || !mail->message || !mail->patch || !mail->body)
		err = kser_error_nomem();
done:
	for (i = 0; i < NHDR; i++) {
		kser_buf_release(&mi.p_hdr[i]);
		kser_buf_release(&mi.s_hdr[i]);
	}
	for (i = 0; i < MAX_BOUNDARIES; i++)
		free(mi.boundary[i]);
	kser_buf_release(&mi.charset);
	kser_buf_release(&mi.accum);
	kser_buf_release(&mi.log);
	kser_buf_release(&mi.patch);
	kser_buf_release(&mi.body);
	kser_buf_release(&line);
	free(mi.message_id);
	free(mi.in_reply_to);
	free(mi.references);
	free(mi.problem);
	if (err) {
		kser_mail_free(mail);
		return err;
	}
	*out = mail;
	return NULL;
}

void kser_mail_free(struct kser_mail *mail)
{
	size_t i;

	if (!mail)
		return;
	free(mail->message_id);
	free(mail->in_reply_to);
	for (i = 0; i < mail->nreferences; i++)
		free(mail->references[i]);
	free(mail->references);
	free(mail->raw_subject);
	free(mail->subject);
	free(mail->author_name);
	free(mail->author_email);
	free(mail->message);
	free(mail->patch);
	free(mail->body);
	free(mail->problem);
	free(mail);
}

const struct kser_error *kser_mail_commit_message(struct kser_buf *out,
						  const struct kser_mail *mail)
{
	struct kser_buf raw = KSER_BUF_INIT;
	git_buf pretty = GIT_BUF_INIT;
	const struct kser_error *err = NULL;

	if (mail->message && memchr(mail->message, '\0', mail->message_len))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "a NUL byte in the commit message is "
				      "not allowed");
	kser_buf_printf(&raw, "%s\n\n", mail->subject);
	if (mail->message)
		kser_buf_put(&raw, mail->message, mail->message_len);
	if (kser_buf_check(&raw))
		return kser_error_nomem();
	/* git am runs the message through stripspace, keeping comments. */
	if (git_message_prettify(&pretty, raw.ptr, 0, '#') < 0) {
		err = kser_error_git("cannot clean up the commit message");
		goto done;
	}
	kser_buf_clear(out);
	kser_buf_put(out, pretty.ptr, pretty.size);
	err = kser_buf_check(out);
done:
	git_buf_dispose(&pretty);
	kser_buf_release(&raw);
	return err;
}
