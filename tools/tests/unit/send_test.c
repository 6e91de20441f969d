// SPDX-License-Identifier: GPL-2.0
/* kser send's preparation: addresses, headers, envelopes, settings. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/send.h"
#include "kser/util.h"
#include "mail/kser_lib_mail.h"
#include "test_helpers.h"

struct fixture {
	char dir[64];
	struct kser_send_config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kser-send-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	kser_send_config_init(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kser_send_config_release(&f->cfg);
	kser_remove_tree(f->dir, NULL, NULL);
	free(f);
	return 0;
}

static void put(const struct fixture *f, const char *name, const char *text)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void addresses_are_plain_addr_specs(void **state)
{
	static const char *const good[] = {
		"a@example.com", "first.last+tag@sub.example.org",
		"x@[127.0.0.1]", "o'neil@example.ie",
	};
	static const char *const bad[] = {
		"", "a", "@example.com", "a@", "a b@example.com",
		"a@exa mple.com", "a@example.com>", "<a@example.com",
		"a\r\nRCPT TO:<b@example.com>@example.com",
		"a@example.com\nDATA", "\"q\"@example.com", ".a@example.com",
		"a..b@example.com", "a@-example.com", "a@example..com",
		"jörg@example.com",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_ok(kser_send_addr_check(good[i], "test"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!kser_send_addr_check(bad[i], "test"))
			fail_msg("'%s' was accepted", bad[i]);
}

static void lists_parse_groups_and_names(void **state)
{
	char **v = NULL;
	size_t n = 0, alloc = 0;

	(void)state;
	assert_ok(kser_send_addr_parse(&v, &n, &alloc,
		"\"Last, First\" <a@example.com>, b@example.com, "
		"undisclosed-recipients:;, Team: c@example.com, "
		"A@EXAMPLE.COM;, =?UTF-8?q?J=C3=B6rg?= <d@example.com>",
		"To"));
	assert_int_equal(n, 4);
	assert_string_equal(v[0], "a@example.com");
	assert_string_equal(v[1], "b@example.com");
	assert_string_equal(v[2], "c@example.com");
	assert_string_equal(v[3], "d@example.com");
	kser_send_strs_free(v, n);
}

/*
 * Found by fuzzing: GMime before 3.2.15 leaks the address before a
 * comment that is never closed; such a list is refused. A parenthesis in
 * a quoted name or a closed comment is no comment left open.
 */
static void lists_refuse_an_unclosed_comment(void **state)
{
	struct kser_buf out = KSER_BUF_INIT;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	(void)state;
	assert_err(kser_send_addr_parse(&v, &n, &alloc,
		"e@example.org (never closed, f@example.org", "From"),
		KSER_ERR_BAD_INPUT, "From: 'e@example.org (never closed, "
		"f@example.org' has a comment '(' that is never closed");
	assert_err(kser_send_addr_render_new(&out, &v, &n, &alloc,
		"x <e@example.org> (a (nested) one"),
		KSER_ERR_BAD_INPUT, "never closed");
	/* GMime leaks here too (found by the send fuzz target). */
	assert_err(kser_send_addr_parse(&v, &n, &alloc,
		"\"om:e@ [](From:m:: F[]", "To"),
		KSER_ERR_BAD_INPUT, "has a quoted string '\"' that is never "
		"closed");
	assert_int_equal(n, 0);
	assert_ok(kser_send_addr_parse(&v, &n, &alloc,
		"\"Smith (Jr\" <s@example.org>, t@example.org (T \\( (x)), "
		"u@example.org", "To"));
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "s@example.org");
	assert_string_equal(v[1], "t@example.org");
	assert_string_equal(v[2], "u@example.org");
	kser_send_strs_free(v, n);
	kser_buf_release(&out);
}

static void settings_refuse_control_characters(void **state)
{
	struct fixture *f = *state;

	assert_err(kser_send_config_apply(&f->cfg, "to",
					  "a@example.com\nBcc: b@example.com"),
		   KSER_ERR_BAD_INPUT, "sendemail.to: the value holds a control");
	assert_err(kser_send_config_apply(&f->cfg, "smtpServer", "h\r\nx"),
		   KSER_ERR_BAD_INPUT, "control character");
	assert_err(kser_send_config_apply(&f->cfg, "smtpServer",
					  "/usr/sbin/sendmail"),
		   KSER_ERR_BAD_INPUT, "is a program");
	assert_err(kser_send_config_apply(&f->cfg, "smtpEncryption", "rot13"),
		   KSER_ERR_BAD_INPUT, "unknown SMTP encryption");
	assert_err(kser_send_config_apply(&f->cfg, "smtpServerPort", "0"),
		   KSER_ERR_BAD_INPUT, "bad SMTP port");
	assert_err(kser_send_config_apply(&f->cfg, "envelopeSender", "x"),
		   KSER_ERR_BAD_INPUT, "not an address");
	assert_err(kser_send_config_apply(&f->cfg, "from",
					  "a@example.com, b@example.com"),
		   KSER_ERR_BAD_INPUT, "not one address");
	assert_err(kser_send_config_apply(&f->cfg, "nope", "x"),
		   KSER_ERR_USAGE, "unknown setting");
	assert_ok(kser_send_config_apply(&f->cfg, "SMTPSERVERPORT", "587"));
	assert_int_equal(f->cfg.port, 587);
	assert_ok(kser_send_config_apply(&f->cfg, "smtpEncryption", "ssl"));
	assert_int_equal(f->cfg.encryption, KSER_SMTP_SSL);
	assert_ok(kser_send_config_apply(&f->cfg, "smtpSSLCertPath", ""));
	assert_true(f->cfg.no_verify);
	assert_ok(kser_send_config_apply(&f->cfg, "envelopeSender", "auto"));
	assert_null(f->cfg.to);
}

static void outbox_prepares_as_send_email_does(void **state)
{
	struct fixture *f = *state;
	struct kser_outbox *box = NULL;
	const struct kser_send_message *m;

	put(f, "0000-cover-letter.patch",
	    "From 0123 Mon Sep 17 00:00:00 2001\n"
	    "From: A U Thor <author@example.com>\n"
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
	    "Subject: [PATCH 0/1] a\n"
	    " folded subject\n"
	    "To: list@example.org\n"
	    "Bcc: secret@example.com\n"
	    "\n"
	    "body\n");
	put(f, "0001-x.patch",
	    "From 4567 Mon Sep 17 00:00:00 2001\n"
	    "From: A U Thor <author@example.com>\n"
	    "Subject: [PATCH 1/1] x\n"
	    "Cc: list@example.org\n"
	    "\n"
	    ".dot\n");
	put(f, ".hidden", "not a mail");
	put(f, "backup~", "not a mail");
	assert_ok(kser_send_config_apply(&f->cfg, "to",
					 "Zoë <zoe@example.com>, list@example.org"));
	assert_ok(kser_send_config_apply(&f->cfg, "bcc", "b@example.com"));
	assert_ok(kser_outbox_load(&box, f->dir, &f->cfg));
	assert_int_equal(box->n, 2);

	m = &box->v[0];
	assert_string_equal(m->sender, "author@example.com");
	assert_string_equal(m->subject, "[PATCH 0/1] a folded subject");
	assert_int_equal(m->nrcpts, 4);
	assert_string_equal(m->rcpts[0].addr, "list@example.org");
	assert_string_equal(m->rcpts[1].addr, "zoe@example.com");
	assert_string_equal(m->rcpts[2].addr, "secret@example.com");
	assert_string_equal(m->rcpts[3].addr, "b@example.com");
	/* The mbox line is gone, Bcc too; the rest keeps its bytes. */
	{
		static const char head[] =
			"From: A U Thor <author@example.com>\n"
			"Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
			"Subject: [PATCH 0/1] a\n folded subject\n"
			"To: list@example.org,\n\t";

		assert_memory_equal(m->data, head, strlen(head));
	}
	assert_null(strstr(m->data, "secret@"));
	assert_null(strstr(m->data, "b@example.com"));
	assert_non_null(strstr(m->data, "<zoe@example.com>\n"));
	assert_non_null(strstr(m->data, "\nMessage-ID: <"));
	assert_string_equal(m->data + m->header_len, "\nbody\n");

	m = &box->v[1];
	/* A generated Date and Message-Id; threaded to the first. */
	assert_non_null(strstr(m->data, "\nDate: "));
	assert_non_null(strstr(m->data, "\nIn-Reply-To: "));
	assert_non_null(strstr(m->data, box->v[0].message_id));
	/* list@ was in Cc already: not added to To. */
	assert_non_null(strstr(m->data, "\nTo: =?"));
	assert_null(strstr(strstr(m->data, "\nTo: "), "list@"));
	assert_string_equal(m->data + m->header_len, "\n.dot\n");
	kser_outbox_free(box);
}

static void outbox_refuses_what_it_cannot_send(void **state)
{
	struct fixture *f = *state;
	struct kser_outbox *box = NULL;
	char line[1100];

	put(f, "m", "From: a@example.com\nTo: b@example.com\n"
	    "Subject: x\rBcc: c@example.com\n\nbody\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "header line 3 holds a control");
	put(f, "m", "From: a@example.com\nSubject: x\n\nbody\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "has no recipients");
	put(f, "m", "To: b@example.com\nSubject: x\n\nbody\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "has no From: header");
	put(f, "m", "From: a@example.com\nTo: b@exa mple.com\n\nbody\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "To");
	memset(line, 'x', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	{
		char text[1200];

		snprintf(text, sizeof(text),
			 "From: a@example.com\nTo: b@example.com\n\n%s", line);
		put(f, "m", text);
	}
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "line 1 of the body is longer than 998");
	/* Folding inside the brackets: the journal's key must be one id. */
	put(f, "m", "From: a@example.com\nTo: b@example.com\n"
	    "Message-Id: <id.1@example.o\n\t>\n\nbody\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "a Message-Id without an <id@domain>");
	put(f, "m", "From: a@example.com\nTo: b@example.com\n"
	    "Message-Id: <no-at-sign>\n\nbody\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "a Message-Id without an <id@domain>");
	put(f, "m", "not a mail\n");
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "is not a mail");
	assert_null(box);
}

#define MBOX_LINE \
	"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"

/* Every line of a header, 998 octets at most (RFC 5322). */
static void assert_lines_fit(const struct kser_send_message *m)
{
	const char *p = m->data, *end = m->data + m->header_len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 998)
			fail_msg("a header line of %zu octets", n);
		p += n + 1;
	}
}

/*
 * Found by fuzzing: the configured To: was added to a folded To: field
 * by rewriting it unfolded, in one line over 998 octets; and a first
 * Message-Id of 986 octets made an In-Reply-To: line of 999.
 */
static void outbox_keeps_lines_within_998_octets(void **state)
{
	struct fixture *f = *state;
	struct kser_outbox *box = NULL;
	struct kser_buf text = KSER_BUF_INIT, id = KSER_BUF_INIT;
	const char *to;
	int i;

	kser_buf_puts(&text, "From: a@example.com\nTo: ");
	for (i = 0; i < 8; i++)
		kser_buf_printf(&text, "%sN%0150d <a%d@example.com>",
				i ? ",\n " : "", i, i);
	kser_buf_puts(&text, "\nSubject: x\n\nbody\n");
	put(f, "m", kser_buf_cstr(&text));
	assert_ok(kser_send_config_apply(&f->cfg, "to", "c@example.com"));
	assert_ok(kser_outbox_load(&box, f->dir, &f->cfg));
	assert_int_equal(box->v[0].nrcpts, 9);
	assert_lines_fit(&box->v[0]);
	/* The field keeps its folding; the new address has a line. */
	to = strstr(box->v[0].data, "\nTo: ");
	assert_non_null(to);
	assert_memory_equal(to + 1, kser_buf_cstr(&text) + 20,
			    text.len - 20 - strlen("\nSubject: x\n\nbody\n"));
	assert_non_null(strstr(to, "example.com>,\n\tc@example.com\n"
				"Subject"));
	kser_outbox_free(box);

	/* The first mail's Message-Id as long as a line allows. */
	kser_buf_clear(&text);
	kser_buf_puts(&id, "<");
	for (i = 0; i < 986 - 14; i++)
		kser_buf_putc(&id, 'i');
	kser_buf_puts(&id, "@example.org>");
	assert_int_equal(id.len, 986);
	kser_buf_printf(&text, "%sFrom: a@example.com\nMessage-Id: %s\n"
			"Subject: 1\n\none\n%sFrom: a@example.com\n"
			"Subject: 2\n\ntwo\n", MBOX_LINE, id.ptr, MBOX_LINE);
	put(f, "m", kser_buf_cstr(&text));
	assert_err(kser_outbox_load(&box, f->dir, &f->cfg),
		   KSER_ERR_BAD_INPUT, "its Message-Id (986 octets) is too "
		   "long for the In-Reply-To: line");
	assert_null(box);
	kser_buf_release(&text);
	kser_buf_release(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_are_plain_addr_specs),
		cmocka_unit_test(lists_parse_groups_and_names),
		cmocka_unit_test(lists_refuse_an_unclosed_comment),
		cmocka_unit_test_setup_teardown(
			settings_refuse_control_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(
			outbox_prepares_as_send_email_does, setup, teardown),
		cmocka_unit_test_setup_teardown(
			outbox_refuses_what_it_cannot_send, setup, teardown),
		cmocka_unit_test_setup_teardown(
			outbox_keeps_lines_within_998_octets, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
