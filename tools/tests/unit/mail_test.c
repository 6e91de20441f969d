// SPDX-License-Identifier: GPL-2.0
/* git mailsplit and git mailinfo semantics, and b4-style series logic. */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/ident.h"
#include "kser/mail.h"
#include "kser/series.h"
#include "mail/kser_lib_mail.h"
#include "test_helpers.h"

static struct kser_mail *parse_opts(const char *raw,
				    const struct kser_mail_options *o)
{
	struct kser_mail *m = NULL;

	assert_ok(kser_mail_parse(&m, raw, strlen(raw), o));
	return m;
}

static struct kser_mail *parse(const char *raw)
{
	return parse_opts(raw, NULL);
}

static void mbox_split_on_from_lines_only(void **state)
{
	static const char mbox[] =
		"\n\nFrom abc Mon Sep 17 00:00:00 2001\r\n"
		"Subject: one\r\n\r\nFrom the start, a sentence.\r\n"
		"From 0123 Tue Nov 19 10:00:00 2024\n"
		"Subject: two\n\nbody\n";
	struct kser_mail_options keep = KSER_MAIL_OPTIONS_INIT;
	struct kser_raw_mails mails;

	(void)state;
	assert_ok(kser_mbox_split(&mails, mbox, strlen(mbox), NULL));
	assert_int_equal(mails.n, 2);
	assert_non_null(strstr(mails.v[0].text, "a sentence.\n"));
	assert_null(strchr(mails.v[0].text, '\r'));
	assert_true(strncmp(mails.v[1].text, "From 0123", 9) == 0);
	kser_raw_mails_release(&mails);

	keep.keep_cr = true;
	assert_ok(kser_mbox_split(&mails, mbox, strlen(mbox), &keep));
	assert_non_null(strstr(mails.v[0].text, "sentence.\r\n"));
	kser_raw_mails_release(&mails);

	/* No From line: one bare mail, whatever it contains. */
	assert_ok(kser_mbox_split(&mails, "Subject: x\n\nFrom 1 Mon Sep 17 "
				  "00:00:00 2001\n", 45, NULL));
	assert_int_equal(mails.n, 1);
	kser_raw_mails_release(&mails);
}

static void subject_and_author_as_git_am(void **state)
{
	struct kser_mail *m = parse(
		"From: \"M\\\"uller, J\\u00f6rg\" <jm@example.org>\n"
		"Subject: Re: [PATCH net-next v2 3/7] net: fix\n"
		"   a   thing [really]\n"
		"Date: Tue, 19 Nov 2024 10:00:00 +0130\n"
		"Message-ID: <id@x>\n"
		"In-Reply-To: <parent@x>\n"
		"References: <root@x>\n <parent@x>\n"
		"\n"
		"Body line.\n");

	(void)state;
	assert_string_equal(m->subject, "net: fix a thing [really]");
	assert_string_equal(m->author_email, "jm@example.org");
	assert_string_equal(m->author_name, "M\"uller, Ju00f6rg");
	assert_string_equal(m->message_id, "id@x");
	assert_string_equal(m->in_reply_to, "parent@x");
	assert_int_equal(m->nreferences, 2);
	assert_string_equal(m->references[0], "root@x");
	assert_true(m->has_date);
	assert_int_equal(m->tz_minutes, 90);
	assert_int_equal(m->time, 1732005000);
	kser_mail_free(m);
}

static void names_git_would_replace(void **state)
{
	struct kser_mail *a = parse("From: Jo <jo@x.org>\nSubject: s\n\n");
	struct kser_mail *b = parse("From: jo@x.org (Joanna Doe)\n"
				    "Subject: s\n\n");
	struct kser_mail *c = parse("From: Bogus Person <bogus>\n"
				    "Subject: s\n\n");
	char *clean = kser_ident_clean("  \"Doe, J.\" <");

	(void)state;
	assert_string_equal(a->author_name, "jo@x.org");	/* too short */
	assert_string_equal(b->author_name, "Joanna Doe");
	assert_string_equal(c->author_email, "bogus");
	assert_string_equal(c->author_name, "Bogus Person");
	assert_string_equal(clean, "Doe, J");
	free(clean);
	kser_mail_free(a);
	kser_mail_free(b);
	kser_mail_free(c);
}

static void message_patch_split_and_inbody_headers(void **state)
{
	struct kser_mail *m = parse(
		"From: Sender <s@x.org>\n"
		"Subject: [PATCH] outer subject\n\n"
		"\n"
		"From: Real Author <ra@x.org>\n"
		"Subject: inner\n"
		" continued\n"
		"\n"
		"The log.\n"
		"\n"
		"Signed-off-by: Real Author <ra@x.org>\n"
		"---\n"
		" f | 1 +\n"
		"\n"
		"diff --git a/f b/f\n");

	(void)state;
	assert_string_equal(m->author_name, "Real Author");
	assert_string_equal(m->subject, "inner continued");
	assert_string_equal(m->message,
			    "The log.\n\nSigned-off-by: Real Author "
			    "<ra@x.org>\n");
	assert_true(strncmp(m->patch, "---\n f | 1 +", 12) == 0);
	kser_mail_free(m);
}

static void scissors_only_when_asked(void **state)
{
	static const char raw[] =
		"From: A <a@x.org>\nSubject: [PATCH] outer\n\n"
		"Chatter.\n\n-- >8 --\nSubject: real\n\nLog.\n---\ndiff -u\n";
	struct kser_mail_options o = KSER_MAIL_OPTIONS_INIT;
	struct kser_mail *plain = parse(raw), *cut;
	struct kser_buf msg = KSER_BUF_INIT;

	(void)state;
	o.scissors = true;
	cut = parse_opts(raw, &o);
	assert_string_equal(plain->subject, "outer");
	assert_non_null(strstr(plain->message, "Chatter."));
	assert_string_equal(cut->subject, "real");
	assert_string_equal(cut->message, "Log.\n");
	assert_ok(kser_mail_commit_message(&msg, cut));
	assert_string_equal(msg.ptr, "real\n\nLog.\n");
	kser_buf_release(&msg);
	kser_mail_free(plain);
	kser_mail_free(cut);
}

static void mime_bodies_are_decoded(void **state)
{
	struct kser_mail *qp = parse(
		"From: A <a@x.org>\nSubject: =?iso-8859-1?q?caf=E9?=\n"
		"MIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"Caf=E9 au lait, a long line that was soft=\n-broken.\n");
	struct kser_mail *multi = parse(
		"From: A <a@x.org>\nSubject: [PATCH] m\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
		"--b\nContent-Type: text/plain\n\nThe message.\n"
		"--b\nContent-Type: text/x-patch\n"
		"Content-Transfer-Encoding: base64\n\n"
		"LS0tCmRpZmYgLS1naXQgYS9mIGIvZgo=\n"
		"--b--\n");

	(void)state;
	assert_string_equal(qp->subject, "caf\xc3\xa9");
	assert_string_equal(qp->message, "Caf\xc3\xa9 au lait, a long line "
			    "that was soft-broken.\n");
	assert_string_equal(multi->message, "The message.\n");
	/* git leaves a blank line for the end boundary. */
	assert_string_equal(multi->patch, "---\ndiff --git a/f b/f\n\n");
	kser_mail_free(qp);
	kser_mail_free(multi);
}

static void not_a_mail(void **state)
{
	struct kser_mail *m = NULL;

	(void)state;
	assert_err(kser_mail_parse(&m, "just text\n", 10, NULL),
		   KSER_ERR_BAD_INPUT, "not a mail");
	assert_null(m);
	assert_false(kser_mail_looks_like_mail("\x00\x01", 2));
	assert_true(kser_mail_looks_like_mail("\n\nX-Foo: bar\n", 12));
}

static void subject_prefixes(void **state)
{
	struct kser_subject_info i;

	(void)state;
	kser_subject_parse(&i, "[RFC PATCH net-next v3 02/10] x: y");
	assert_true(i.is_patch && i.rfc && !i.is_reply);
	assert_int_equal(i.version, 3);
	assert_int_equal(i.number, 2);
	assert_int_equal(i.total, 10);
	assert_string_equal(i.tags, "net-next");
	kser_subject_parse(&i, "Re: [PATCHv2 0/4] cover");
	assert_true(i.is_reply && i.is_patch && i.has_counter);
	assert_int_equal(i.version, 2);
	assert_int_equal(i.number, 0);
	kser_subject_parse(&i, "[PATCH RESEND] single");
	assert_true(i.resend && !i.has_counter);
	assert_int_equal(i.version, 1);
	kser_subject_parse(&i, "plain subject [not a prefix 1/2]");
	assert_false(i.is_patch || i.has_counter);
}

static void trailers_join_the_trailer_block(void **state)
{
	struct kser_mail *m = parse(
		"From: A U Thor <a@x.org>\nSubject: [PATCH 1/1] s\n\n"
		"Why.\n\nSigned-off-by: A U Thor <a@x.org>\n"
		"Reviewed-by: R <r@x.org>\n---\ndiff -u\n");
	struct kser_mail *n = parse(
		"From: A U Thor <a@x.org>\nSubject: [PATCH 1/1] s\n\n"
		"No trailers here.\n---\ndiff -u\n");
	char *t[] = { "Reviewed-by: R <r@x.org>", "Acked-by: M <m@x.org>" };
	struct kser_series_patch p = { m, 1, t, 2 };
	struct kser_series_patch q = { n, 1, t, 1 };
	struct kser_buf msg = KSER_BUF_INIT;

	(void)state;
	assert_ok(kser_series_commit_message(&msg, &p));
	assert_string_equal(msg.ptr, "s\n\nWhy.\n\nSigned-off-by: A U Thor "
			    "<a@x.org>\nReviewed-by: R <r@x.org>\n"
			    "Acked-by: M <m@x.org>\n");
	assert_ok(kser_series_commit_message(&msg, &q));
	assert_string_equal(msg.ptr, "s\n\nNo trailers here.\n\n"
			    "Reviewed-by: R <r@x.org>\n");
	kser_buf_release(&msg);
	kser_mail_free(m);
	kser_mail_free(n);
}

static void branch_names(void **state)
{
	struct kser_mail *m = parse("From: A <a@x.org>\n"
				    "Subject: [PATCH v3 0/10] Allocation "
				    "APIs: a *much* longer title than "
				    "anyone needs\n\n");
	struct kser_series s = { 0 };
	char *name;

	(void)state;
	s.version = 3;
	s.cover = m;
	name = kser_series_branch_name(&s);
	assert_string_equal(name, "allocation-apis-a-much-longer-title-than-v3");
	free(name);
	kser_mail_free(m);
}

static struct kser_mail *parse_len(const char *raw, size_t len)
{
	struct kser_mail *m = NULL;

	assert_ok(kser_mail_parse(&m, raw, len, NULL));
	return m;
}

/* git am applies a NUL in a diff; the patch keeps its full length. */
static void nul_in_the_diff_is_carried(void **state)
{
	static const char raw[] =
		"From: A U Thor <a@x.org>\nSubject: [PATCH] t\n\nmsg\n---\n"
		"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1,2 @@\n one\n"
		"+T\0O\n";
	static const char patch[] =
		"---\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1,2 @@\n"
		" one\n+T\0O\n";
	struct kser_mail *m = parse_len(raw, sizeof(raw) - 1);
	struct kser_buf msg = KSER_BUF_INIT;

	(void)state;
	assert_int_equal(m->patch_len, sizeof(patch) - 1);
	assert_memory_equal(m->patch, patch, sizeof(patch) - 1);
	/* The body: the blank line after the headers, the message, the
	 * patch. */
	assert_int_equal(m->body_len, 5 + sizeof(patch) - 1);
	assert_null(m->problem);
	assert_ok(kser_mail_commit_message(&msg, m));
	assert_string_equal(msg.ptr, "t\n\nmsg\n");
	kser_buf_release(&msg);
	kser_mail_free(m);
}

/* Where git refuses a NUL: the message, and decoded headers. */
static void nul_in_message_or_header_is_refused(void **state)
{
	static const char body[] = "From: A U Thor <a@x.org>\n"
				   "Subject: [PATCH] t\n\nm\0sg\n---\ndiff -u\n";
	static const char from[] = "From: =?UTF-8?q?A_U_Th=00or?= <a@x.org>\n"
				   "Subject: [PATCH] t\n\nmsg\n---\ndiff -u\n";
	static const char subj[] = "From: A U Thor <a@x.org>\n"
				   "Subject: =?UTF-8?b?dAB4?=\n\nmsg\n---\n";
	static const char raw[] = "From: A U Th\0or <a@x.org>\n"
				  "Subject: [PATCH] t\n\nmsg\n---\ndiff -u\n";
	struct kser_mail *a = parse_len(body, sizeof(body) - 1);
	struct kser_mail *b = parse_len(from, sizeof(from) - 1);
	struct kser_mail *c = parse_len(subj, sizeof(subj) - 1);
	struct kser_mail *d = parse_len(raw, sizeof(raw) - 1);
	struct kser_buf msg = KSER_BUF_INIT;

	(void)state;
	assert_int_equal(a->message_len, 5);
	assert_err(kser_mail_commit_message(&msg, a), KSER_ERR_BAD_INPUT,
		   "NUL byte in the commit message");
	assert_non_null(b->problem);
	assert_non_null(strstr(b->problem, "NUL byte in the 'From' header"));
	assert_non_null(c->problem);
	assert_non_null(strstr(c->problem, "'Subject'"));
	/* A raw NUL ends the header for git: "A U Th", no address. */
	assert_null(d->problem);
	assert_string_equal(d->author_email, "");
	kser_buf_release(&msg);
	kser_mail_free(a);
	kser_mail_free(b);
	kser_mail_free(c);
	kser_mail_free(d);
}

/*
 * git's mailinfo on a Gmail mail: the inner boundary line and the text
 * part's headers stay in the message (the inner boundary is read as the
 * first line of the alternative part), the HTML part is decoded into it,
 * and the end boundary leaves a blank line.
 */
static void nested_multipart_as_git(void **state)
{
	struct kser_mail *m = parse(
		"From: A U Thor <a@x.org>\nSubject: [PATCH] a: add four\n"
		"Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
		"--outer\n"
		"Content-Type: multipart/alternative; boundary=\"inner\"\n\n"
		"--inner\nContent-Type: text/plain; charset=\"UTF-8\"\n\n"
		"Add the line.\n\n"
		"--inner\nContent-Type: text/html; charset=\"UTF-8\"\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"<div dir=3D\"ltr\">Add the =\nline.</div>\n\n"
		"--inner--\n\n"
		"--outer\nContent-Type: text/x-patch; charset=\"US-ASCII\"\n"
		"Content-Transfer-Encoding: base64\n\n"
		"LS0tCmRpZmYgLS1naXQgYS9mIGIvZgo=\n"
		"--outer--\n");
	struct kser_buf msg = KSER_BUF_INIT;

	(void)state;
	assert_string_equal(m->message,
			    "--inner\nContent-Type: text/plain; "
			    "charset=\"UTF-8\"\n\nAdd the line.\n\n"
			    "<div dir=\"ltr\">Add the line.</div>\n\n\n");
	assert_string_equal(m->patch, "---\ndiff --git a/f b/f\n\n");
	assert_ok(kser_mail_commit_message(&msg, m));
	assert_string_equal(msg.ptr,
			    "a: add four\n\n--inner\nContent-Type: text/plain; "
			    "charset=\"UTF-8\"\n\nAdd the line.\n\n"
			    "<div dir=\"ltr\">Add the line.</div>\n");
	kser_buf_release(&msg);
	kser_mail_free(m);
}

/* The message is converted to UTF-8; the patch keeps its bytes. */
static void charset_converts_message_not_patch(void **state)
{
	struct kser_mail *l1 = parse(
		"From: A <a@x.org>\nSubject: [PATCH] t\n"
		"Content-Type: text/plain; charset=iso-8859-1\n\n"
		"caf\xe9\n---\ndiff -u\n+caf\xe9\n");
	struct kser_mail *bad = parse(
		"From: A <a@x.org>\nSubject: [PATCH] t\n"
		"Content-Type: text/plain; charset=us-ascii\n\n"
		"caf\xe9\n---\ndiff -u\n");
	struct kser_mail *enc = parse(
		"From: A <a@x.org>\nSubject: [PATCH] fix =? parsing\n\n"
		"x\n---\ndiff -u\n");

	(void)state;
	assert_string_equal(l1->message, "caf\xc3\xa9\n");
	assert_string_equal(l1->patch, "---\ndiff -u\n+caf\xe9\n");
	assert_null(l1->problem);
	assert_non_null(bad->problem);
	assert_string_equal(bad->problem,
			    "cannot convert from us-ascii to UTF-8");
	assert_non_null(enc->problem);
	assert_non_null(strstr(enc->problem, "encoded word"));
	kser_mail_free(l1);
	kser_mail_free(bad);
	kser_mail_free(enc);
}

/* git's verify_utf8: what is not UTF-8 is Latin-1. */
static void invalid_utf8_becomes_latin1(void **state)
{
	size_t n;
	char *s = kser_utf8_fixup("caf\xe9 ok \xc3\xa9 \xed\xa0\x80", 14, &n);

	(void)state;
	assert_string_equal(s, "caf\xc3\xa9 ok \xc3\xa9 \xc3\xad\xc2\xa0"
			    "\xc2\x80");
	assert_int_equal(n, strlen(s));
	free(s);
}

static void mboxrd_unquotes_once(void **state)
{
	static const char mbox[] =
		"From x Mon Sep 17 00:00:00 2001\nSubject: s\n\n"
		">From the start\n>>From deeper\n>Fromage\nFrom me\n";
	struct kser_mail_options rd = KSER_MAIL_OPTIONS_INIT;
	struct kser_raw_mails mails;

	(void)state;
	rd.mboxrd = true;
	assert_ok(kser_mbox_split(&mails, mbox, strlen(mbox), &rd));
	assert_int_equal(mails.n, 1);
	assert_non_null(strstr(mails.v[0].text, "\n\nFrom the start\n"
			       ">From deeper\n>Fromage\nFrom me\n"));
	kser_raw_mails_release(&mails);
	assert_ok(kser_mbox_split(&mails, mbox, strlen(mbox), NULL));
	assert_non_null(strstr(mails.v[0].text, "\n>From the start\n"
			       ">>From deeper\n"));
	kser_raw_mails_release(&mails);
}




static void add_mail(struct kser_mailset *set, const char *raw,
		     enum kser_mail_role role)
{
	struct kser_mailset_entry *e;

	set->v = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	assert_non_null(set->v);
	e = &set->v[set->n++];
	memset(e, 0, sizeof(*e));
	e->mail = parse(raw);
	e->mail->source = "t.mbox";
	e->mail->source_index = set->n;
	kser_subject_parse(&e->info, e->mail->raw_subject);
	e->role = role;
}

/* b4 keeps the first of two "[PATCH 1/2]"; kser says so. */
static void duplicate_patch_keeps_the_first(void **state)
{
	struct kser_mailset set;
	struct kser_series *s = NULL;

	(void)state;
	kser_mailset_init(&set);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 1/2] first\n"
		 "Message-Id: <p1@x>\n\n---\ndiff -u\n", KSER_ROLE_PATCH);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 2/2] two\n"
		 "Message-Id: <p2@x>\n\n---\ndiff -u\n", KSER_ROLE_PATCH);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 1/2] again\n"
		 "Message-Id: <p3@x>\n\n---\ndiff -u\n", KSER_ROLE_PATCH);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 1/2] first\n"
		 "Message-Id: <p1@x>\n\n---\ndiff -u\n", KSER_ROLE_PATCH);
	assert_ok(kser_series_select(&s, &set, 0));
	assert_string_equal(s->patches[0].mail->subject, "first");
	assert_string_equal(kser_buf_cstr(&set.notes),
			    "patch 1/2 appears more than once: using "
			    "'t.mbox' mail 1, ignoring 't.mbox' mail 3\n");
	kser_series_free(s);
	kser_mailset_release(&set);
}

/* Thousands of replies, chained: each finds its patch, in linear time. */
static void many_replies_are_threaded(void **state)
{
	struct kser_mailset set;
	struct kser_series *s = NULL;
	struct kser_buf raw = KSER_BUF_INIT;
	const size_t nreplies = 3000;
	size_t i;

	(void)state;
	kser_mailset_init(&set);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 0/2] cover\n"
		 "Message-Id: <c@x>\n\nCover.\n", KSER_ROLE_COVER);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 1/2] one\n"
		 "Message-Id: <p1@x>\nIn-Reply-To: <c@x>\n\n---\ndiff -u\n",
		 KSER_ROLE_PATCH);
	add_mail(&set, "From: A <a@x.org>\nSubject: [PATCH 2/2] two\n"
		 "Message-Id: <p2@x>\nIn-Reply-To: <c@x>\n\n---\ndiff -u\n",
		 KSER_ROLE_PATCH);
	/* Replies to 2/2, each to the one before; every 100th acks. */
	for (i = 0; i < nreplies; i++) {
		kser_buf_clear(&raw);
		kser_buf_printf(&raw, "From: R <r@x.org>\nSubject: Re: two\n"
				"Message-Id: <r%zu@x>\nIn-Reply-To: <%s%zu@x>"
				"\n\nYes.\n", i, i ? "r" : "p", i ? i - 1 : 2);
		if (i % 100 == 0)
			kser_buf_printf(&raw, "Acked-by: R%zu <r%zu@x.org>\n",
					i, i);
		add_mail(&set, raw.ptr, KSER_ROLE_FOLLOWUP);
	}
	/* The same ack again, to the cover letter: no duplicate. */
	add_mail(&set, "From: R <r@x.org>\nSubject: Re: cover\n"
		 "Message-Id: <rc@x>\nIn-Reply-To: <c@x>\n\n"
		 "acked-by: R0 <r0@x.org>\n", KSER_ROLE_FOLLOWUP);
	assert_ok(kser_series_select(&s, &set, 0));
	assert_int_equal(s->patches[0].ntrailers, 1);
	/* Replies deeper than 64 in the chain no longer count, as before. */
	assert_int_equal(s->patches[1].ntrailers, 1);
	assert_string_equal(s->patches[1].trailers[0],
			    "Acked-by: R0 <r0@x.org>");
	kser_series_free(s);
	kser_mailset_release(&set);
	kser_buf_release(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mbox_split_on_from_lines_only),
		cmocka_unit_test(subject_and_author_as_git_am),
		cmocka_unit_test(names_git_would_replace),
		cmocka_unit_test(message_patch_split_and_inbody_headers),
		cmocka_unit_test(scissors_only_when_asked),
		cmocka_unit_test(mime_bodies_are_decoded),
		cmocka_unit_test(not_a_mail),
		cmocka_unit_test(subject_prefixes),
		cmocka_unit_test(trailers_join_the_trailer_block),
		cmocka_unit_test(branch_names),
		cmocka_unit_test(nul_in_the_diff_is_carried),
		cmocka_unit_test(nul_in_message_or_header_is_refused),
		cmocka_unit_test(nested_multipart_as_git),
		cmocka_unit_test(charset_converts_message_not_patch),
		cmocka_unit_test(invalid_utf8_becomes_latin1),
		cmocka_unit_test(mboxrd_unquotes_once),
		cmocka_unit_test(duplicate_patch_keeps_the_first),
		cmocka_unit_test(many_replies_are_threaded),
	};

	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
