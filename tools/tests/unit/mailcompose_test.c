// SPDX-License-Identifier: GPL-2.0
/*
 * Mail pieces against git format-patch's own: From and Subject headers
 * (RFC 2047, RFC 822 quoting), file names, the shortlog's wrapping; and
 * the refusals git does not make (control characters, bad addresses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/mailcompose.h"
#include "kser/util.h"
#include "test_helpers.h"

struct fixture {
	char dir[64];
};

static void sh(struct fixture *f, const char *script)
{
	struct kser_buf cmd = KSER_BUF_INIT;

	kser_buf_printf(&cmd, "cd '%s' && { %s; } >/dev/null 2>&1", f->dir,
			script);
	if (system(cmd.ptr) != 0)
		fail_msg("script failed: %s", script);
	kser_buf_release(&cmd);
}

static char *capture(struct fixture *f, const char *command)
{
	struct kser_buf cmd = KSER_BUF_INIT, out = KSER_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *p;

	kser_buf_printf(&cmd, "cd '%s' && %s", f->dir, command);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		kser_buf_put(&out, chunk, n);
	assert_int_equal(pclose(p), 0);
	kser_buf_release(&cmd);
	return kser_buf_detach(&out);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kser-unit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	sh(f, "export GIT_CONFIG_NOSYSTEM=1 HOME=\"$PWD\"; git init -q . && "
	   "git config user.name 'A U Thor' && "
	   "git config user.email author@example.com && "
	   "echo a >f && git add f && git commit -q -m base");
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kser_remove_tree(f->dir, NULL, NULL);
	free(f);
	return 0;
}

/* A commit by name with subject; returns the header line of git's mail
 * that starts with field ("From: ", "Subject: "), unfolded as written. */
static char *git_header(struct fixture *f, const char *name,
			const char *subject, const char *field)
{
	struct kser_buf cmd = KSER_BUF_INIT, line = KSER_BUF_INIT;
	char *mail, *p, *end;

	kser_buf_printf(&cmd, "echo x >>f && GIT_AUTHOR_NAME='%s' "
			"git commit -q -am '%s'", name, subject);
	sh(f, cmd.ptr);
	kser_buf_release(&cmd);
	mail = capture(f, "git format-patch -1 --stdout "
		       "--subject-prefix='PATCH v3' --numbered");
	p = strstr(mail, field);
	assert_non_null(p);
	/* The header and its continuation lines. */
	end = p + 1;
	do {
		end = strchr(end, '\n') + 1;
	} while (*end == ' ' || *end == '\t');
	kser_buf_put(&line, p, (size_t)(end - p));
	free(mail);
	return kser_buf_detach(&line);
}

static void unfold(char *s)
{
	char *p;

	while ((p = strstr(s, "\n ")))
		memmove(p, p + 1, strlen(p));
}

static void from_as_git(void **state)
{
	static const char *const names[] = {
		"Ada Lindqvist", "J\xc3\xb6rg M\xc3\xbcller", "Q. Person",
		"Name, With \"Quotes\" Inside",
		"Somebody With A Very Long Name That Goes On And On Forever",
		"\xe5\xbc\xa0\xe4\xbc\x9f \xe5\xbc\xa0\xe4\xbc\x9f "
		"\xe5\xbc\xa0\xe4\xbc\x9f \xe5\xbc\xa0\xe4\xbc\x9f "
		"\xe5\xbc\xa0\xe4\xbc\x9f",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		struct kser_buf got = KSER_BUF_INIT;
		char *want = git_header(f, names[i], "subject", "\nFrom: ");

		kser_buf_putc(&got, '\n');
		kser_mailcompose_from(&got, names[i], "author@example.com");
		assert_string_equal(got.ptr, want);
		kser_buf_release(&got);
		free(want);
	}
}

/*
 * git folds long subjects; kser does not (b4 0.12 cannot read them), so
 * the comparison is with git's header unfolded.
 */
static void subject_as_git(void **state)
{
	static const char *const subjects[] = {
		"ctnr: plain ascii",
		"ctnr: \xc3\xa4nder the thing",
		"ctnr: a subject =?with?= an encoded-word look",
		"ctnr: kalloc: make reference-counted objects take allocation "
		"flags and more",
		"ctnr: \xc3\xa4 long one, long enough to be split into several "
		"encoded words by git \xc3\xa9\xc3\xa9\xc3\xa9",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(subjects) / sizeof(*subjects); i++) {
		struct kser_buf got = KSER_BUF_INIT;
		char *want = git_header(f, "A U Thor", subjects[i],
					"\nSubject: ");

		unfold(want);
		kser_buf_putc(&got, '\n');
		kser_mailcompose_subject(&got, "[PATCH v3 1/1] ", subjects[i]);
		assert_string_equal(got.ptr, want);
		kser_buf_release(&got);
		free(want);
	}
}

static void subject_control_encoded(void **state)
{
	struct kser_buf got = KSER_BUF_INIT;
	const char *p;

	(void)state;
	kser_mailcompose_subject(&got, "", "evil\r\nBcc: victim@example.org");
	for (p = got.ptr; *p; p++)
		if (*p == '\r' || (*p == '\n' && p[1]))
			fail_msg("raw control character in '%s'", got.ptr);
	assert_non_null(strstr(got.ptr, "=0D=0A"));
	kser_buf_release(&got);
}

static void filenames_as_git(void **state)
{
	static const char *const subjects[] = {
		"lib: a plain subject",
		"lib: dots... and..more. trailing.",
		"[tag] weird/chars: \xc3\xa4 & stuff -- here -",
		"a very long subject that will surely be cut at the file name "
		"limit of git",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(subjects) / sizeof(*subjects); i++) {
		struct kser_buf cmd = KSER_BUF_INIT, got = KSER_BUF_INIT;
		char *want;

		kser_buf_printf(&cmd, "echo y >>f && git commit -q -am '%s'",
				subjects[i]);
		sh(f, cmd.ptr);
		want = capture(f, "git format-patch -q -v7 -1 --start-number=3 "
			       "-o out && ls out && rm -r out");
		kser_mailcompose_patch_filename(&got, 7, 3, subjects[i]);
		kser_buf_putc(&got, '\n');
		assert_string_equal(got.ptr, want);
		free(want);
		kser_buf_release(&cmd);
		kser_buf_release(&got);
	}
}

/* The shortlog of git format-patch's cover letter: width 72, 2 and 4. */
static void wrap_as_git(void **state)
{
	struct fixture *f = *state;
	struct kser_buf got = KSER_BUF_INIT;
	const char *subject = "second: a very long subject line that goes on "
			      "and on \xc3\xa4nd on past the seventy-two "
			      "column limit of the shortlog of a cover letter";
	char *cover, *p, *end;

	sh(f, "echo z >>f && git commit -q -am 'second: a very long subject "
	   "line that goes on and on \xc3\xa4nd on past the seventy-two "
	   "column limit of the shortlog of a cover letter'");
	cover = capture(f, "git format-patch -q --cover-letter --stdout -1");
	p = strstr(cover, "A U Thor (1):\n");
	assert_non_null(p);
	p += strlen("A U Thor (1):\n");
	end = strstr(p, "\n\n");
	*++end = '\0';
	kser_mailcompose_wrap(&got, subject, 2, 4, 72);
	kser_buf_putc(&got, '\n');
	assert_string_equal(got.ptr, p);
	kser_buf_release(&got);
	free(cover);
}

static void mailboxes(void **state)
{
	static const struct {
		const char *in, *name, *addr;
	} ok[] = {
		{ "Ada Lindqvist <ada@example.org>", "Ada Lindqvist",
		  "ada@example.org" },
		{ "  list@vger.kernel.org ", "", "list@vger.kernel.org" },
		{ "\"Person, Q.\" <q@example.org>", "Person, Q.",
		  "q@example.org" },
		{ "J\xc3\xb6rg <j@example.de>", "J\xc3\xb6rg",
		  "j@example.de" },
	};
	static const char *const bad[] = {
		"Evil\r\nBcc: x@example.org <e@example.org>",
		"e@example.org\nBcc: x@example.org",
		"no address here",
		"Name <missing-at>",
		"Name <a@b.c",
		"<a@b..c>",
		"tab\there <t@example.org>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		char *name, *addr;
		struct kser_buf shown = KSER_BUF_INIT;

		assert_ok(kser_mailcompose_parse_mailbox(&name, &addr, ok[i].in,
							 "test"));
		assert_string_equal(name, ok[i].name);
		assert_string_equal(addr, ok[i].addr);
		kser_mailcompose_mailbox(&shown, name, addr);
		assert_null(strpbrk(shown.ptr, "\r\n"));
		kser_buf_release(&shown);
		free(name);
		free(addr);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *name = NULL, *addr = NULL;
		const struct kser_error *err =
			kser_mailcompose_parse_mailbox(&name, &addr, bad[i],
						       "test");

		if (!err)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(err->code, KSER_ERR_BAD_INPUT);
		assert_null(name);
		assert_null(addr);
	}
}

static void dates(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;

	(void)state;
	kser_mailcompose_date(&b, 1795165200, 60);
	assert_string_equal(b.ptr, "Fri, 20 Nov 2026 10:00:00 +0100");
	kser_buf_clear(&b);
	kser_mailcompose_date(&b, 1700000000, -330);
	assert_string_equal(b.ptr, "Tue, 14 Nov 2023 16:43:20 -0530");
	kser_buf_release(&b);
}

static void long_lines(void **state)
{
	struct kser_buf b = KSER_BUF_INIT;
	size_t line = 0, i;

	(void)state;
	kser_buf_puts(&b, "short\n");
	for (i = 0; i < 998; i++)
		kser_buf_putc(&b, 'x');
	kser_buf_putc(&b, '\n');
	assert_false(kser_mailcompose_long_line(b.ptr, b.len, &line));
	kser_buf_puts(&b, "y");
	for (i = 0; i < 998; i++)
		kser_buf_putc(&b, 'x');
	assert_true(kser_mailcompose_long_line(b.ptr, b.len, &line));
	assert_int_equal(line, 3);
	kser_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(from_as_git, setup, teardown),
		cmocka_unit_test_setup_teardown(subject_as_git, setup,
						teardown),
		cmocka_unit_test(subject_control_encoded),
		cmocka_unit_test_setup_teardown(filenames_as_git, setup,
						teardown),
		cmocka_unit_test_setup_teardown(wrap_as_git, setup, teardown),
		cmocka_unit_test(mailboxes),
		cmocka_unit_test(dates),
		cmocka_unit_test(long_lines),
	};

	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
