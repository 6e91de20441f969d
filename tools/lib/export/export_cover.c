// SPDX-License-Identifier: GPL-2.0
/*
 * The cover letter of kser export, laid out as b4 lays it out: the
 * description with a "Changes in vK" section for every version after the
 * first, each ending with a link to the version before; "---"; the
 * shortlog and diffstat as git format-patch writes them; the range-diff
 * against the previous version as git format-patch --range-diff writes
 * it; and base-commit:, change-id:, prerequisite-patch-id: at the bottom.
 *
 * The description comes from --cover FILE, the settings' version.N.cover,
 * or the branch description kser apply recorded from the cover letter it
 * applied (cut where that letter's shortlog began).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kser/commitpatch.h"
#include "kser/error.h"
#include "kser/mailcompose.h"
#include "kser/rangediff.h"
#include "kser/rebase.h"
#include "kser/series.h"
#include "kser/util.h"
#include "kser_lib_export.h"

#define SHORTLOG_WRAP 72		/* MAIL_DEFAULT_WRAP */
#define CREATION_FACTOR_SAME_SERIES 999	/* git's, for format-patch */

/* --- the description ----------------------------------------------------- */

static bool blank(const char *p, const char *nl)
{
	return strspn(p, " \t\r") >= (size_t)(nl - p);
}

/* "Ada Lindqvist (10):" followed by an indented subject. */
static bool shortlog_header(const char *p, const char *nl)
{
	const char *open;

	if ((size_t)(nl - p) < 5 || *p == ' ' || *p == '\t' || nl[-1] != ':' ||
	    nl[-2] != ')' || !(open = memrchr(p, '(', (size_t)(nl - p))) ||
	    open == p || open[-1] != ' ' ||
	    strspn(open + 1, "0123456789") != (size_t)(nl - 2 - open - 1) ||
	    nl - 2 == open + 1)
		return false;
	return !strncmp(nl, "\n  ", 3);
}

/* The description: what precedes "---", the shortlog or base-commit:. */
static void description(struct kser_buf *out, const char *text)
{
	const char *p = text, *nl;

	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		if ((nl - p == 3 && !strncmp(p, "---", 3)) ||
		    shortlog_header(p, nl) || !strncmp(p, "base-commit: ", 13))
			break;
		kser_buf_put(out, p, (size_t)(nl - p));
		kser_buf_putc(out, '\n');
	}
	kser_buf_rtrim(out);
}

static const struct kser_error *read_text(char **out, struct ex_ctx *c)
{
	struct kser_buf b = KSER_BUF_INIT, key = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	char *file = NULL, *path = NULL;

	*out = NULL;
	if (c->opts->cover_file) {
		err = kser_read_file(&b, c->opts->cover_file);
		goto done;
	}
	kser_buf_printf(&key, "version.%u.cover", c->version);
	err = kser_buf_check(&key) ? kser_error_nomem() :
	      ex_setting(&file, c, key.ptr);
	if (!err && file) {
		struct kser_buf p = KSER_BUF_INIT;

		if (file[0] == '/')
			kser_buf_puts(&p, file);
		else
			kser_buf_printf(&p, "%s/%s", c->series_dir, file);
		path = kser_buf_detach(&p);
		err = path ? kser_read_file(&b, path) : kser_error_nomem();
		goto done;
	}
	if (!err && c->branch) {
		git_config *cfg = NULL;
		git_buf v = GIT_BUF_INIT;

		kser_buf_clear(&key);
		kser_buf_printf(&key, "branch.%s.description", c->branch);
		if (!kser_buf_check(&key) &&
		    git_repository_config_snapshot(&cfg, c->repo) == 0 &&
		    git_config_get_string_buf(&v, cfg, key.ptr) == 0)
			kser_buf_puts(&b, v.ptr);
		git_buf_dispose(&v);
		git_config_free(cfg);
	}
	if (!err && !b.len)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND,
				     "no cover letter text: give --cover FILE, "
				     "set version.%u.cover in the series "
				     "settings, or describe the branch (git "
				     "branch --edit-description)", c->version);
done:
	if (!err)
		err = kser_buf_check(&b);
	if (!err)
		*out = kser_buf_detach(&b);
	kser_buf_release(&b);
	kser_buf_release(&key);
	free(file);
	free(path);
	return err;
}

/* A section "Changes in vK:" of the description, by its lines. */
struct section {
	unsigned int version;
	size_t head, end;	/* line indices: its header, past its list */
	bool linked;
};

struct lines {
	const char **v;
	size_t *len;
	size_t n;
};

static unsigned int changes_header(const char *p, size_t len)
{
	unsigned int v = 0;
	int n = 0;

	if (sscanf(p, "Changes in v%u:%n", &v, &n) == 1 &&
	    (size_t)n <= len && blank(p + n, p + len))
		return v;
	return 0;
}

static void link_line(struct kser_buf *out, const struct ex_ctx *c,
		      unsigned int v, const char *id)
{
	size_t n = strlen(id);
	const char *s = strstr(c->linkmask, "%s");

	kser_buf_printf(out, "- Link to v%u: %.*s%.*s%s\n", v,
			(int)(s - c->linkmask), c->linkmask,
			(int)(n - 2), id + 1, s + 2);
}

/*
 * The description with every "Changes in vK" (K = N..2) and its link to
 * vK-1: sections the text has are kept as written, a link is added
 * where one lacks it, and a missing section is made (just the link)
 * before the first section of an older version.
 */
static const struct kser_error *with_changes(struct kser_buf *out,
					     const struct ex_ctx *c,
					     const char *desc)
{
	const struct kser_error *err = NULL;
	struct section *secs = NULL;
	size_t nsecs = 0, asecs = 0, i, k;
	struct lines L = { NULL, NULL, 0 };
	unsigned int want = c->version, floor;
	bool *present = NULL;
	const char *p, *nl;
	char **links = NULL;

	for (p = desc, k = 0; *p; p = *nl ? nl + 1 : nl, k++)
		nl = strchrnul(p, '\n');
	L.v = calloc(k + 1, sizeof(*L.v));
	L.len = calloc(k + 1, sizeof(*L.len));
	if (!L.v || !L.len) {
		err = kser_error_nomem();
		goto done;
	}
	for (p = desc; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		L.v[L.n] = p;
		L.len[L.n++] = (size_t)(nl - p);
	}
	for (i = 0; i < L.n && !err; i++) {
		unsigned int v = changes_header(L.v[i], L.len[i]);
		struct section *s;

		if (!v)
			continue;
		err = kser_array_grow((void **)&secs, &asecs, nsecs,
				      sizeof(*secs), 4);
		if (err)
			break;
		s = &secs[nsecs++];
		s->version = v;
		s->head = i;
		s->linked = false;
		for (k = i + 1; k < L.n && !blank(L.v[k], L.v[k] + L.len[k]) &&
		     !changes_header(L.v[k], L.len[k]); k++) {
			char tag[32];

			snprintf(tag, sizeof(tag), "- Link to v%u:", v - 1);
			if (!strncmp(L.v[k], tag, strlen(tag)))
				s->linked = true;
		}
		s->end = k;
	}
	links = calloc(c->version + 1, sizeof(*links));
	if (!err && !links)
		err = kser_error_nomem();
	for (k = 2; !err && k <= c->version; k++)
		err = ex_message_id(&links[k], c, (unsigned int)k - 1, 0);
	if (err)
		goto done;

	present = calloc(c->version + 1, sizeof(*present));
	if (!present) {
		err = kser_error_nomem();
		goto done;
	}
	for (k = 0; k < nsecs; k++)
		if (secs[k].version <= c->version)
			present[secs[k].version] = true;
	for (i = 0; i <= L.n; i++) {
		/* A section's missing link goes at the end of its list. */
		for (k = 0; k < nsecs; k++)
			if (secs[k].end == i && secs[k].version >= 2 &&
			    secs[k].version <= c->version && !secs[k].linked)
				link_line(out, c, secs[k].version - 1,
					  links[secs[k].version]);
		/* Missing sections go before the next older one. */
		for (k = 0; k < nsecs && secs[k].head != i; k++)
			;
		floor = i == L.n ? 2 : k < nsecs ? secs[k].version + 1 :
			want + 1;
		for (; want >= floor && want >= 2; want--) {
			if (present[want])
				continue;
			if (i == L.n && out->len)
				kser_buf_putc(out, '\n');
			kser_buf_printf(out, "Changes in v%u:\n", want);
			link_line(out, c, want - 1, links[want]);
			if (i < L.n)
				kser_buf_putc(out, '\n');
		}
		if (k < nsecs && secs[k].version <= want)
			want = secs[k].version - 1;
		if (i < L.n) {
			kser_buf_put(out, L.v[i], L.len[i]);
			kser_buf_putc(out, '\n');
		}
	}
	kser_buf_rtrim(out);
	kser_buf_putc(out, '\n');
	err = kser_buf_check(out);
done:
	for (k = 0; links && k <= c->version; k++)
		free(links[k]);
	free(links);
	free(present);
	free(secs);
	free(L.v);
	free(L.len);
	return err;
}

/* --- shortlog, diffstat, range-diff, trailers ----------------------------- */

struct author {
	char *name;
	size_t *patches;
	size_t n;
};

static int author_cmp(const void *a, const void *b)
{
	return strcmp(((const struct author *)a)->name,
		      ((const struct author *)b)->name);
}

/* git shortlog as format-patch's cover letter has it. */
static const struct kser_error *shortlog(struct kser_buf *out,
					 const struct ex_ctx *c)
{
	struct author *v = calloc(c->n, sizeof(*v));
	const struct kser_error *err = NULL;
	git_mailmap *mm = NULL;
	size_t i, j, na = 0;

	if (!v)
		return kser_error_nomem();
	git_mailmap_from_repository(&mm, c->repo);
	for (i = 0; i < c->n && !err; i++) {
		const git_signature *a = git_commit_author(c->p[i].commit);
		const char *name = a->name, *email = a->email;
		const char *mname = NULL, *memail = NULL;

		if (mm && git_mailmap_resolve(&mname, &memail, mm, name,
					      email) == 0)
			name = mname;
		for (j = 0; j < na && strcmp(v[j].name, name); j++)
			;
		if (j == na && !(v[na++].name = strdup(name))) {
			err = kser_error_nomem();
			break;
		}
		if (!v[j].patches)
			v[j].patches = calloc(c->n, sizeof(size_t));
		if (!v[j].patches) {
			err = kser_error_nomem();
			break;
		}
		v[j].patches[v[j].n++] = i;
	}
	if (!err)
		qsort(v, na, sizeof(*v), author_cmp);
	for (i = 0; i < na && !err; i++) {
		kser_buf_printf(out, "%s (%zu):\n", v[i].name, v[i].n);
		for (j = 0; j < v[i].n; j++) {
			kser_mailcompose_wrap(out, c->p[v[i].patches[j]].subject,
					      2, 4, SHORTLOG_WRAP);
			kser_buf_putc(out, '\n');
		}
		kser_buf_putc(out, '\n');
	}
	for (i = 0; i < na; i++) {
		free(v[i].name);
		free(v[i].patches);
	}
	free(v);
	git_mailmap_free(mm);
	return err;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The previous version as the caller names it, or vN-1/ of the series. */
static const struct kser_error *previous(struct kser_rangediff_list *prev,
					 unsigned int *prev_version,
					 bool *have, struct ex_ctx *c)
{
	struct kser_mail_options mo = KSER_MAIL_OPTIONS_INIT;
	struct kser_buf path = KSER_BUF_INIT, range = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	const char *arg = c->opts->prev;
	struct kser_mailset set;
	struct stat st;

	*have = false;
	*prev_version = c->version > 1 ? c->version - 1 : 0;
	kser_mailset_init(&set);
	if (!arg && c->series_dir && c->version > 1) {
		kser_buf_printf(&path, "%s/v%u", c->series_dir,
				c->version - 1);
		if (!kser_buf_check(&path) && is_dir(path.ptr))
			arg = path.ptr;
	}
	if (!arg)
		goto done;
	if (stat(arg, &st) == 0) {
		err = kser_mailset_add(&set, arg, &mo);
		if (!err)
			err = kser_rangediff_list_from_mails(prev, &set, 0,
							     prev_version);
	} else {
		if (strstr(arg, ".."))
			kser_buf_puts(&range, arg);
		else
			kser_buf_printf(&range, "%s..%s",
					git_oid_tostr_s(&c->tip), arg);
		err = kser_buf_check(&range);
		if (!err)
			err = kser_rangediff_list_from_range_abbrev(
				prev, c->repo, range.ptr, c->abbrev);
	}
	if (err)
		err = kser_error_wrap(err, "the previous version '%s'", arg);
	else
		*have = true;
	if (!err && prev->warnings.len)
		kser_buf_puts(&c->out->notes, kser_buf_cstr(&prev->warnings));
done:
	kser_mailset_release(&set);
	kser_buf_release(&path);
	kser_buf_release(&range);
	return err;
}

/*
 * The creation factor of the range-diff: the caller's, else the settings'
 * version.N.creation-factor, else git format-patch's for one series.
 */
static const struct kser_error *creation_factor(int *out,
						const struct ex_ctx *c)
{
	struct kser_buf key = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	char *v = NULL, *end;
	long f;

	*out = CREATION_FACTOR_SAME_SERIES;
	if (c->opts->creation_factor) {
		*out = (int)c->opts->creation_factor;
		return NULL;
	}
	kser_buf_printf(&key, "version.%u.creation-factor", c->version);
	err = kser_buf_check(&key);
	if (!err)
		err = ex_setting(&v, c, key.ptr);
	if (err || !v)
		goto done;
	f = strtol(v, &end, 10);
	if (!*v || *end || f < 1 || f > KSER_EXPORT_CREATION_FACTOR_MAX)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "series settings: "
				     "%s '%s' is not a percentage from 1 "
				     "to %d", key.ptr, v,
				     KSER_EXPORT_CREATION_FACTOR_MAX);
	else
		*out = (int)f;
done:
	free(v);
	kser_buf_release(&key);
	return err;
}

static const struct kser_error *range_diff(struct kser_buf *out,
					   struct ex_ctx *c)
{
	struct kser_rangediff_options ro = KSER_RANGEDIFF_OPTIONS_INIT;
	struct kser_rangediff_output oo = { false, false, false };
	struct kser_rangediff_list prev, cur;
	struct kser_rangediff rd = { NULL, 0 };
	struct kser_buf range = KSER_BUF_INIT;
	const struct kser_error *err;
	unsigned int pv = 0;
	bool have;

	kser_rangediff_list_init(&prev);
	kser_rangediff_list_init(&cur);
	err = ex_progress(c, KSER_EXPORT_STAGE_RANGEDIFF, 0, 1);
	if (!err)
		err = previous(&prev, &pv, &have, c);
	if (err || !have)
		goto done;
	kser_buf_printf(&range, "%s..", git_oid_tostr_s(&c->base));
	kser_buf_puts(&range, git_oid_tostr_s(&c->tip));
	err = kser_buf_check(&range);
	if (!err)
		err = kser_rangediff_list_from_range_abbrev(&cur, c->repo,
							    range.ptr,
							    c->abbrev);
	if (!err)
		err = creation_factor(&ro.creation_factor, c);
	if (!err)
		err = kser_rangediff_compare(&rd, &prev, &cur, &ro);
	if (err)
		goto done;
	if (pv)
		kser_buf_printf(out, "Range-diff against v%u:\n", pv);
	else
		kser_buf_puts(out, "Range-diff:\n");
	err = kser_rangediff_write(out, &rd, &prev, &cur, &oo);
done:
	kser_rangediff_release(&rd);
	kser_rangediff_list_release(&prev);
	kser_rangediff_list_release(&cur);
	kser_buf_release(&range);
	return err;
}

static const struct kser_error *trailers(struct kser_buf *out,
					 const struct ex_ctx *c)
{
	const struct kser_error *err = NULL;
	size_t i;

	kser_buf_printf(out, "base-commit: %s\n",
			git_oid_tostr_s(&c->base_commit));
	kser_buf_printf(out, "change-id: %s\n", c->change_id);
	/* Oldest first, as git format-patch --base lists them. */
	for (i = 0; i < c->nprereqs && !err; i++) {
		git_commit *cm = NULL, *parent = NULL;
		git_oid pid;

		if (git_commit_lookup(&cm, c->repo, &c->prereqs[i]) < 0 ||
		    git_commit_parent(&parent, cm, 0) < 0) {
			err = kser_error_git("cannot read a prerequisite");
		} else {
			err = kser_rebase_patch_id(&pid, c->repo,
						   git_commit_tree_id(parent),
						   git_commit_tree_id(cm));
			if (!err)
				kser_buf_printf(out, "prerequisite-patch-id: "
						"%s\n", git_oid_tostr_s(&pid));
		}
		git_commit_free(parent);
		git_commit_free(cm);
	}
	return err;
}

/* --- the mail -------------------------------------------------------------- */

static bool eight_bit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\033')
			return true;
	return false;
}

const struct kser_error *ex_cover(struct ex_ctx *c,
				  struct kser_export_mail *m)
{
	struct kser_buf t = KSER_BUF_INIT, body = KSER_BUF_INIT;
	struct kser_buf desc = KSER_BUF_INIT, s = KSER_BUF_INIT;
	const struct kser_error *err;
	git_commit *base = NULL, *tip = NULL;
	char *text = NULL, *subject = NULL;
	const char *nl;

	err = read_text(&text, c);
	if (err)
		return err;
	nl = strchrnul(text, '\n');
	subject = strndup(text, (size_t)(nl - text));
	if (!subject) {
		err = kser_error_nomem();
		goto done;
	}
	while (*subject && subject[strlen(subject) - 1] == ' ')
		subject[strlen(subject) - 1] = '\0';
	err = kser_mailcompose_check_text(subject, "the cover letter's "
					  "subject", false);
	if (!err && !*subject)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "the cover letter's "
				     "text has no subject (its first line)");
	if (err)
		goto done;
	description(&desc, *nl ? nl + 1 : nl);
	/* Leading blank lines go, as in a commit message. */
	{
		const char *d = kser_buf_cstr(&desc);

		while (*d == '\n')
			d++;
		err = with_changes(&body, c, d);
	}
	if (err)
		goto done;
	kser_buf_puts(&body, "\n---\n");
	if (c->out->unverified.len)
		kser_buf_printf(&body, "NOT VERIFIED: exported with kser export "
				"--force; kser verify has not passed:\n%s\n",
				kser_buf_cstr(&c->out->unverified));
	err = shortlog(&body, c);
	if (!err && (git_commit_lookup(&base, c->repo, &c->base) < 0 ||
		     git_commit_lookup(&tip, c->repo, &c->tip) < 0))
		err = kser_error_git("cannot read the range");
	if (!err)
		err = kser_commitpatch_diffstat(&body, c->repo,
						git_commit_tree_id(base),
						git_commit_tree_id(tip));
	kser_buf_putc(&body, '\n');
	if (!err)
		err = range_diff(&body, c);
	kser_buf_putc(&body, '\n');
	if (!err)
		err = trailers(&body, c);
	if (!err && c->signature)
		kser_buf_printf(&body, "-- \n%s%s\n", c->signature,
				c->signature[strlen(c->signature) - 1] ==
				'\n' ? "" : "\n");
	if (!err)
		err = kser_buf_check(&body);
	if (err)
		goto done;

	m->number = 0;
	err = ex_message_id(&m->message_id, c, c->version, 0);
	if (err)
		goto done;
	kser_buf_printf(&t, "From %s Mon Sep 17 00:00:00 2001\n",
			git_oid_tostr_s(&c->tip));
	kser_buf_printf(&t, "Message-Id: %s\n", m->message_id);
	kser_mailcompose_from(&t, c->sender_name, c->sender_addr);
	kser_buf_puts(&t, "Date: ");
	kser_mailcompose_date(&t, c->cover_time, c->cover_tz);
	kser_buf_putc(&t, '\n');
	ex_subject_prefix(&s, c, 0);
	kser_mailcompose_subject(&t, kser_buf_cstr(&s), subject);
	kser_buf_puts(&s, subject);
	ex_common_headers(&t, c, &c->to, &c->cc,
			  eight_bit(body.ptr, body.len) ||
			  eight_bit(subject, strlen(subject)));
	kser_buf_printf(&t, "X-Change-ID: %s\n", c->change_id);
	if (c->out->unverified.len)
		kser_buf_printf(&t, "X-Kser-Unverified: exported with --force "
				"before every patch passed kser verify\n");
	kser_buf_putc(&t, '\n');
	kser_buf_put(&t, body.ptr, body.len);
	{
		struct kser_buf name = KSER_BUF_INIT;

		kser_mailcompose_patch_filename(&name, c->version, 0,
						"cover-letter");
		m->file_name = kser_buf_detach(&name);
	}
	m->subject = kser_buf_detach(&s);
	m->len = t.len;
	m->text = kser_buf_detach(&t);
	if (!m->file_name || !m->subject || !m->text)
		err = kser_error_nomem();
done:
	git_commit_free(base);
	git_commit_free(tip);
	kser_buf_release(&t);
	kser_buf_release(&body);
	kser_buf_release(&desc);
	kser_buf_release(&s);
	free(text);
	free(subject);
	return err;
}
