// SPDX-License-Identifier: GPL-2.0
/*
 * kser export: who the series is (its change-id, sender, subject prefix,
 * dates, signature, link) and the Message-Ids derived from that, so that
 * every export of a version names its mails alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kser/error.h"
#include "kser/mailcompose.h"
#include "kser_lib_export.h"

#define LINKMASK_DEFAULT "https://lore.kernel.org/r/%s"
#define ABBREV_DEFAULT 12

const struct kser_error *ex_find_version(struct ex_ctx *c)
{
	git_config *cfg = NULL;
	int32_t v = 0;

	c->version = c->opts->series_version;
	if (c->version)
		return NULL;
	if (c->branch && git_repository_config_snapshot(&cfg, c->repo) == 0) {
		struct kser_buf key = KSER_BUF_INIT;

		kser_buf_printf(&key, "branch.%s.kserversion", c->branch);
		if (!kser_buf_check(&key) &&
		    git_config_get_int32(&v, cfg, key.ptr) == 0 && v > 0)
			c->version = (unsigned int)v;
		kser_buf_release(&key);
		git_config_free(cfg);
	}
	if (!c->version)
		c->version = 1;
	return NULL;
}

/* A slug as b4 makes them: lower case words joined by dashes. */
static void slug(struct kser_buf *out, const char *s)
{
	size_t start = out->len;
	bool dash = false;

	for (; *s && out->len - start < 40; s++) {
		char ch = *s;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			if (dash && out->len > start)
				kser_buf_putc(out, '-');
			kser_buf_putc(out, ch);
			dash = false;
		} else {
			dash = true;
		}
	}
	if (out->len == start)
		kser_buf_puts(out, "series");
}

static bool change_id_ok(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
	       strlen(s) && strlen(s) <= 100;
}

static const struct kser_error *find_change_id(struct ex_ctx *c)
{
	const struct kser_error *err;
	struct kser_buf key = KSER_BUF_INIT, id = KSER_BUF_INIT;
	char *name = NULL, hex[41];

	err = ex_setting(&c->change_id, c, "series.change-id");
	if (!err && !c->change_id && c->branch) {
		kser_buf_printf(&key, "branch.%s.kserchangeid", c->branch);
		err = kser_buf_check(&key) ? kser_error_nomem() :
		      ex_repo_setting(&c->change_id, c->repo, key.ptr);
	}
	if (err)
		goto done;
	if (c->change_id) {
		if (!change_id_ok(c->change_id))
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "the change-id '%s' is not one "
					     "(letters, digits, '.', '-', "
					     "'_')", c->change_id);
		goto done;
	}

	/* A new one, b4's form, the same for the same first patch. */
	{
		const git_signature *a = git_commit_author(c->p[0].commit);
		time_t t = (time_t)(a->when.time + a->when.offset * 60);
		struct kser_buf seed = KSER_BUF_INIT;
		struct tm tm;

		gmtime_r(&t, &tm);
		kser_buf_printf(&id, "%04d%02d%02d-", tm.tm_year + 1900,
				tm.tm_mon + 1, tm.tm_mday);
		err = ex_setting(&name, c, "series.name");
		if (err)
			goto done;
		if (!name && c->branch) {
			size_t len = strlen(c->branch);
			const char *v = strrchr(c->branch, '-');

			if (v && v[1] == 'v' && strspn(v + 2, "0123456789") ==
			    strlen(v + 2) && v[2])
				len = (size_t)(v - c->branch);
			name = strndup(c->branch, len);
		}
		slug(&id, name ? name : c->p[0].subject);
		kser_buf_printf(&seed, "%s\n%s\n", git_oid_tostr_s(&c->base),
				git_oid_tostr_s(git_commit_id(c->p[0].commit)));
		ex_sha1_hex(hex, kser_buf_cstr(&seed));
		kser_buf_release(&seed);
		kser_buf_printf(&id, "-%.12s", hex);
	}
	c->change_id = kser_buf_detach(&id);
	if (!c->change_id) {
		err = kser_error_nomem();
		goto done;
	}
	c->out->change_id_new = true;
	if (c->branch) {
		git_config *cfg = NULL;

		kser_buf_clear(&key);
		kser_buf_printf(&key, "branch.%s.kserchangeid", c->branch);
		if (kser_buf_check(&key) ||
		    git_repository_config(&cfg, c->repo) < 0 ||
		    git_config_set_string(cfg, key.ptr, c->change_id) < 0)
			kser_buf_printf(&c->out->notes, "warning: cannot "
					"record the change-id in '%s'\n",
					kser_buf_cstr(&key));
		git_config_free(cfg);
	}
done:
	free(name);
	kser_buf_release(&key);
	kser_buf_release(&id);
	return err;
}

static const struct kser_error *find_sender(struct ex_ctx *c)
{
	static const char *const keys[] = { "mail.from", "series.author" };
	const struct kser_error *err = NULL;
	char *from = NULL;
	size_t i;

	for (i = 0; i < 2 && !from && !err; i++)
		err = ex_setting(&from, c, keys[i]);
	if (!err && !from)
		err = ex_repo_setting(&from, c->repo, "sendemail.from");
	if (!err && !from) {
		git_signature *sig = NULL;

		if (git_signature_default(&sig, c->repo) < 0)
			return kser_error_fmt(KSER_ERR_NOT_FOUND,
					      "no sender: set [mail] from in "
					      "the series settings, or "
					      "sendemail.from, or user.name "
					      "and user.email");
		err = kser_mailcompose_check_text(sig->name, "user.name",
						  false);
		if (!err) {
			struct kser_buf b = KSER_BUF_INIT;

			kser_buf_printf(&b, "%s <%s>", sig->name, sig->email);
			from = kser_buf_detach(&b);
			if (!from)
				err = kser_error_nomem();
		}
		git_signature_free(sig);
	}
	if (!err)
		err = kser_mailcompose_parse_mailbox(&c->sender_name,
						     &c->sender_addr, from,
						     "the sender");
	free(from);
	return err;
}

/* "2026-11-20 10:00:00 +0100", as the settings give the cover's date. */
static bool parse_date(const char *s, int64_t *t, int *tz)
{
	int y, mo, d, h, mi, sec, z, n = 0;
	struct tm tm;
	char sign;

	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d %c%4d%n", &y, &mo, &d, &h, &mi,
		   &sec, &sign, &z, &n) != 8 || s[n] ||
	    (sign != '+' && sign != '-') || mo < 1 || mo > 12 || d < 1 ||
	    d > 31 || h > 23 || mi > 59 || sec > 60 || z % 100 > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*tz = (z / 100 * 60 + z % 100) * (sign == '-' ? -1 : 1);
	*t = (int64_t)timegm(&tm) - (int64_t)*tz * 60;
	return true;
}

static const struct kser_error *find_cover_date(struct ex_ctx *c)
{
	struct kser_buf key = KSER_BUF_INIT;
	const struct kser_error *err;
	char *date = NULL;
	git_commit *tip = NULL;

	kser_buf_printf(&key, "version.%u.date", c->version);
	err = kser_buf_check(&key) ? kser_error_nomem() :
	      ex_setting(&date, c, key.ptr);
	if (!err && date && !parse_date(date, &c->cover_time, &c->cover_tz))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "series settings: %s '%s' is not a date "
				     "'YYYY-MM-DD HH:MM:SS +ZZZZ'", key.ptr,
				     date);
	if (!err && !date) {
		/* The tip's committer date: the same on every export. */
		if (git_commit_lookup(&tip, c->repo, &c->tip) < 0) {
			err = kser_error_git("cannot read the tip");
		} else {
			c->cover_time = git_commit_committer(tip)->when.time;
			c->cover_tz = git_commit_committer(tip)->when.offset;
		}
	}
	git_commit_free(tip);
	free(date);
	kser_buf_release(&key);
	return err;
}

static const struct kser_error *find_prefix(struct ex_ctx *c)
{
	struct kser_buf p = KSER_BUF_INIT;
	const struct kser_error *err;
	char *tree = NULL;
	int rfc = 0;

	if (c->settings && git_config_get_bool(&rfc, c->settings,
					       "series.rfc") < 0)
		rfc = 0;
	err = ex_setting(&tree, c, "series.tree");
	if (!err && tree && (strpbrk(tree, "[]") || !*tree))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "series settings: "
				     "series.tree '%s' cannot be a subject "
				     "tag", tree);
	if (!err) {
		kser_buf_printf(&p, "%sPATCH%s%s", rfc ? "RFC " : "",
				tree ? " " : "", tree ? tree : "");
		c->prefix = kser_buf_detach(&p);
		if (!c->prefix)
			err = kser_error_nomem();
	}
	free(tree);
	return err;
}

static const struct kser_error *find_mail_settings(struct ex_ctx *c)
{
	const struct kser_error *err;
	git_config_entry *e = NULL;

	err = ex_setting(&c->linkmask, c, "mail.link");
	if (!err && !c->linkmask && !(c->linkmask = strdup(LINKMASK_DEFAULT)))
		err = kser_error_nomem();
	if (!err && (!strstr(c->linkmask, "%s") ||
		     strchr(strstr(c->linkmask, "%s") + 2, '%') ||
		     strchr(c->linkmask, '%') != strstr(c->linkmask, "%s")))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "series settings: "
				     "mail.link '%s' needs one %%s (the "
				     "Message-Id) and no other %%",
				     c->linkmask);
	if (err)
		return err;
	/*
	 * Abbreviations: core.abbrev when it is a number, else 12 digits,
	 * the kernel's usual. git's default grows with the objects the
	 * repository holds, and the same series must export alike
	 * everywhere.
	 */
	{
		git_config *cfg = NULL;
		int32_t v = 0;

		c->abbrev = ABBREV_DEFAULT;
		if (git_repository_config_snapshot(&cfg, c->repo) == 0 &&
		    git_config_get_int32(&v, cfg, "core.abbrev") == 0 &&
		    v >= 4 && v <= GIT_OID_HEXSZ)
			c->abbrev = v;
		git_error_clear();
		git_config_free(cfg);
	}
	/* The signature: the settings', else format.signature, else
	 * kser's; an empty one means none. */
	if (c->settings &&
	    git_config_get_entry(&e, c->settings, "mail.signature") == 0) {
		err = kser_mailcompose_check_text(e->value, "mail.signature",
						  true);
		if (!err && *e->value && !(c->signature = strdup(e->value)))
			err = kser_error_nomem();
		git_config_entry_free(e);
		return err;
	}
	{
		git_config *cfg = NULL;

		if (git_repository_config_snapshot(&cfg, c->repo) == 0 &&
		    git_config_get_entry(&e, cfg, "format.signature") == 0) {
			if (*e->value)
				c->signature = strdup(e->value);
			git_config_entry_free(e);
			git_config_free(cfg);
			return NULL;
		}
		git_config_free(cfg);
	}
	c->signature = strdup("kser " KSER_VERSION);
	return c->signature ? NULL : kser_error_nomem();
}

/* --- Message-Ids -------------------------------------------------------- */

static bool message_id_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = memchr(s, '@', n);

	if (n < 5 || n > 250 || s[0] != '<' || s[n - 1] != '>' || !at ||
	    at == s + 1 || at >= s + n - 2)
		return false;
	return strcspn(s + 1, "<> \t\"\\()[],;:") == n - 2;
}

const struct kser_error *ex_message_id(char **out, const struct ex_ctx *c,
				       unsigned int v, unsigned int k)
{
	struct kser_buf key = KSER_BUF_INIT, id = KSER_BUF_INIT;
	const struct kser_error *err;
	char *set = NULL, hex[41], tag[32];
	const char *dash, *at = strrchr(c->sender_addr, '@');

	*out = NULL;
	kser_buf_printf(&key, "version.%u.message-id", v);
	err = kser_buf_check(&key) ? kser_error_nomem() :
	      ex_setting(&set, c, key.ptr);
	if (!err && set && !message_id_ok(set))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "series settings: "
				     "%s '%s' is not a Message-Id "
				     "<local@domain>", key.ptr, set);
	kser_buf_release(&key);
	if (err)
		goto done;
	snprintf(tag, sizeof(tag), "-v%u-0-", v);
	if (set && (!k || strstr(set, tag))) {
		const char *t = strstr(set, tag);

		if (!k) {
			*out = set;
			set = NULL;
			goto done;
		}
		/* b4's form: the same name with the patch's number. */
		kser_buf_put(&id, set, (size_t)(t - set));
		kser_buf_printf(&id, "-v%u-%u-%s", v, k, t + strlen(tag));
	} else {
		/* <date-slug-vN-K-hash@domain>, from the change-id. */
		struct kser_buf seed = KSER_BUF_INIT;

		kser_buf_printf(&seed, "%s v%u", c->change_id, v);
		ex_sha1_hex(hex, kser_buf_cstr(&seed));
		kser_buf_release(&seed);
		dash = strrchr(c->change_id, '-');
		kser_buf_printf(&id, "<%.*s-v%u-%u-%.8s@%s>",
				dash && dash != c->change_id ?
				(int)(dash - c->change_id) :
				(int)strlen(c->change_id), c->change_id, v, k,
				hex, at ? at + 1 : "localhost");
	}
	*out = kser_buf_detach(&id);
	if (!*out)
		err = kser_error_nomem();
done:
	free(set);
	kser_buf_release(&id);
	return err;
}

void ex_subject_prefix(struct kser_buf *out, const struct ex_ctx *c,
		       unsigned int k)
{
	int width = snprintf(NULL, 0, "%zu", c->n);

	kser_buf_printf(out, "[%s v%u %0*u/%zu] ", c->prefix, c->version,
			width, k, c->n);
}


const struct kser_error *ex_find_identity(struct ex_ctx *c)
{
	const struct kser_error *err;

	err = find_change_id(c);
	if (!err)
		err = find_sender(c);
	if (!err)
		err = find_cover_date(c);
	if (!err)
		err = find_prefix(c);
	if (!err)
		err = find_mail_settings(c);
	return err;
}
