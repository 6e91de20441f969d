// SPDX-License-Identifier: GPL-2.0
/*
 * Identities and dates (core), as git makes and reads them: the committer
 * git would use, the date forms GIT_*_DATE and mails give, and the
 * Latin-1 fixup git applies to what it writes into a commit. Uses the
 * error and buffer types, libgit2 and GMime's date parser.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/ident.h"

bool kser_parse_mail_date(const char *s, int64_t *when, int *tz_minutes)
{
	GDateTime *d;

	if (!s)
		return false;
	d = g_mime_utils_header_decode_date(s);
	if (!d)
		return false;
	*when = g_date_time_to_unix(d);
	*tz_minutes = (int)(g_date_time_get_utc_offset(d) /
			    G_TIME_SPAN_MINUTE);
	g_date_time_unref(d);
	return true;
}

static int local_tz_minutes(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (int)(tm.tm_gmtoff / 60);
}

/* "+0130" -> 90 */
static bool parse_tz(const char *s, int *out)
{
	int v;

	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 5 ||
	    strspn(s + 1, "0123456789") != 4)
		return false;
	v = (s[1] - '0') * 600 + (s[2] - '0') * 60 + (s[3] - '0') * 10 +
	    (s[4] - '0');
	*out = s[0] == '-' ? -v : v;
	return true;
}

bool kser_parse_date(const char *s, git_time_t *when, int *tz)
{
	char rest[16];
	long long epoch;
	int64_t mail_time;
	int n = 0;
	struct tm tm;
	const char *end;

	while (isspace((unsigned char)*s))
		s++;
	/* git's internal form: "@1700000000 +0100" or "1700000000 +0100". */
	if (sscanf(s, "@%lld%n", &epoch, &n) == 1 ||
	    (sscanf(s, "%lld%n", &epoch, &n) == 1 && s[n] == ' ' &&
	     epoch > 100000000)) {
		const char *p = s + n;

		while (*p == ' ')
			p++;
		*when = (git_time_t)epoch;
		if (!*p) {
			*tz = 0;
			return true;
		}
		if (sscanf(p, "%15s", rest) == 1 && parse_tz(rest, tz))
			return true;
		return false;
	}
	/* ISO 8601: 2024-03-25T10:00:00 +0100, or with a space. */
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end) {
		int offset = 0;

		while (*end == ' ')
			end++;
		if (*end && !parse_tz(end, &offset)) {
			if (strcmp(end, "Z"))
				return false;
		}
		*when = (git_time_t)timegm(&tm) - offset * 60;
		*tz = offset;
		return true;
	}
	/* RFC 2822, as in mails. */
	if (!kser_parse_mail_date(s, &mail_time, tz))
		return false;
	*when = (git_time_t)mail_time;
	return true;
}

/*
 * A signature as git writes it into a commit: bytes that are not UTF-8
 * are taken as Latin-1 (git's verify_utf8 runs over the whole commit).
 */
const struct kser_error *kser_signature_new(git_signature **out,
					   const char *name,
					   const char *email,
					   git_time_t when, int tz)
{
	char *n = kser_utf8_fixup(name, strlen(name), NULL);
	char *e = kser_utf8_fixup(email, strlen(email), NULL);
	const struct kser_error *err = NULL;

	if (!n || !e)
		err = kser_error_nomem();
	else if (git_signature_new(out, n, e, when, tz) < 0)
		err = kser_error_git("bad identity '%s <%s>'", n, e);
	free(n);
	free(e);
	return err;
}

const struct kser_error *kser_committer(git_signature **out,
					git_repository *repo)
{
	const struct kser_error *err = NULL;
	const char *name = getenv("GIT_COMMITTER_NAME");
	const char *email = getenv("GIT_COMMITTER_EMAIL");
	const char *date = getenv("GIT_COMMITTER_DATE");
	git_config *cfg = NULL;
	git_buf cname = GIT_BUF_INIT, cemail = GIT_BUF_INIT;
	git_time_t when;
	int tz;

	*out = NULL;
	if ((!name || !email) && git_repository_config_snapshot(&cfg,
								repo) < 0)
		return kser_error_git("cannot read the git configuration");
	if (!name && git_config_get_string_buf(&cname, cfg, "user.name") == 0)
		name = cname.ptr;
	if (!email &&
	    git_config_get_string_buf(&cemail, cfg, "user.email") == 0)
		email = cemail.ptr;
	if (!email)
		email = getenv("EMAIL");
	if (!name || !*name || !email || !*email) {
		err = kser_error_fmt(KSER_ERR_USAGE,
				     "no committer identity: set user.name "
				     "and user.email (git config), or "
				     "GIT_COMMITTER_NAME and "
				     "GIT_COMMITTER_EMAIL");
		goto done;
	}
	if (date && *date) {
		if (!kser_parse_date(date, &when, &tz)) {
			err = kser_error_fmt(KSER_ERR_USAGE,
					     "cannot parse GIT_COMMITTER_DATE "
					     "'%s'", date);
			goto done;
		}
	} else {
		when = (git_time_t)time(NULL);
		tz = local_tz_minutes((time_t)when);
	}
	err = kser_signature_new(out, name, email, when, tz);
	if (err && err->code == KSER_ERR_GIT)
		err = kser_error_git("bad committer identity '%s <%s>'",
				     name, email);
done:
	git_buf_dispose(&cname);
	git_buf_dispose(&cemail);
	git_config_free(cfg);
	return err;
}

/* The length of the valid UTF-8 sequence at s, or 0, by git's rules. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	static const unsigned int max_cp[] = { 0x7f, 0x7ff, 0xffff,
					       0x10ffff };
	unsigned char c = s[0];
	unsigned int cp;
	size_t more = 0, i;

	if (c < 0x80)
		return 1;
	while (c & 0x40) {
		c <<= 1;
		more++;
	}
	if (more < 1 || more > 3 || len - 1 < more)
		return 0;
	cp = (unsigned int)((c & 0x7f) >> more);
	for (i = 1; i <= more; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp <= max_cp[more - 1] || cp > max_cp[more])
		return 0;
	if ((cp & 0x1ff800) == 0xd800 || (cp & 0xfffe) == 0xfffe ||
	    (cp >= 0xfdd0 && cp <= 0xfdef))
		return 0;
	return more + 1;
}

char *kser_utf8_fixup(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	struct kser_buf b = KSER_BUF_INIT;
	size_t i = 0;

	kser_buf_grow(&b, len + 1);
	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n) {
			kser_buf_put(&b, s + i, n);
			i += n;
			continue;
		}
		/* Latin-1, as git takes it. */
		kser_buf_putc(&b, (char)(0xc0 | p[i] >> 6));
		kser_buf_putc(&b, (char)(0x80 | (p[i] & 0x3f)));
		i++;
	}
	if (out_len)
		*out_len = b.len;
	return kser_buf_detach(&b);
}
