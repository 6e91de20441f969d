// SPDX-License-Identifier: GPL-2.0
/*
 * kser export: the range and the patch mails, as git format-patch writes
 * them with
 * --from (the sender in From:, the author in the body when they differ),
 * --thread=shallow under the cover letter and -v N. The cover letter,
 * the recipients and the verify gate are in export_cover.c, export_rcpt.c
 * and export_gate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "kser/commitpatch.h"
#include "kser/error.h"
#include "kser/mailcompose.h"
#include "kser/util.h"
#include "kser_lib_export.h"
#include "kser/rdtext.h"

#define MAX_PATCHES 9999

void ex_sha1_hex(char out[41], const char *s)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	int i;

	SHA1((const unsigned char *)s, strlen(s), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

const struct kser_error *ex_progress(const struct ex_ctx *c,
				     enum kser_export_stage stage,
				     size_t index, size_t total)
{
	struct kser_export_progress p = { stage, index, total };
	const struct kser_error *err = NULL;

	err = kser_cancel_check(c->opts->cancel_cb, c->opts->cancel_arg);
	if (!err && c->opts->progress)
		err = c->opts->progress(c->opts->progress_arg, &p);
	return err;
}

const struct kser_error *ex_setting(char **out, const struct ex_ctx *c,
				    const char *key)
{
	git_buf v = GIT_BUF_INIT;
	const struct kser_error *err = NULL;

	*out = NULL;
	if (!c->settings || git_config_get_string_buf(&v, c->settings, key) < 0)
		return NULL;
	err = kser_mailcompose_check_text(v.ptr, key, false);
	if (!err && !(*out = strdup(v.ptr)))
		err = kser_error_nomem();
	git_buf_dispose(&v);
	return err ? kser_error_wrap(err, "series settings") : NULL;
}

const struct kser_error *ex_repo_setting(char **out, git_repository *repo,
					const char *key)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	const struct kser_error *err = NULL;

	*out = NULL;
	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return kser_error_git("cannot read the repository's "
				      "configuration");
	if (git_config_get_string_buf(&v, cfg, key) == 0) {
		err = kser_mailcompose_check_text(v.ptr, key, false);
		if (!err && !(*out = strdup(v.ptr)))
			err = kser_error_nomem();
	}
	git_buf_dispose(&v);
	git_config_free(cfg);
	return err;
}

/* --- the settings ------------------------------------------------------- */

static const struct kser_error *load_settings(struct ex_ctx *c)
{
	const char *dir = c->opts->series_dir;
	struct kser_buf path = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	struct stat st;

	if (!dir)
		return kser_settings_defaults(&c->vsettings);
	if (stat(dir, &st) < 0)
		return kser_error_errno("cannot read the series settings '%s'",
					dir);
	if (S_ISDIR(st.st_mode)) {
		kser_buf_printf(&path, "%s/series.conf", dir);
		c->series_dir = strdup(dir);
	} else {
		const char *slash = strrchr(dir, '/');

		kser_buf_puts(&path, dir);
		c->series_dir = slash ? strndup(dir, (size_t)(slash - dir)) :
				strdup(".");
	}
	if (!c->series_dir || kser_buf_check(&path)) {
		err = kser_error_nomem();
		goto done;
	}
	if (git_config_open_ondisk(&c->settings, path.ptr) < 0) {
		err = kser_error_git("cannot read the series settings '%s'",
				     path.ptr);
		goto done;
	}
	err = kser_settings_load(&c->vsettings, path.ptr);
done:
	kser_buf_release(&path);
	return err;
}

/* --- the range ---------------------------------------------------------- */

/* The branch a revision names (HEAD's, for HEAD), or NULL. */
static char *branch_of(git_repository *repo, const char *rev)
{
	git_reference *ref = NULL;
	const char *name = NULL;
	char *out = NULL;

	if (!*rev || !strcmp(rev, "HEAD")) {
		if (git_reference_lookup(&ref, repo, "HEAD") == 0 &&
		    git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC)
			name = git_reference_symbolic_target(ref);
	} else if (git_reference_dwim(&ref, repo, rev) == 0) {
		name = git_reference_name(ref);
	}
	if (name && !strncmp(name, "refs/heads/", 11))
		out = strdup(name + 11);
	git_reference_free(ref);
	return out;
}

static const struct kser_error *peel(git_oid *out, git_repository *repo,
				     const char *rev)
{
	git_object *obj = NULL, *commit = NULL;
	const struct kser_error *err = NULL;

	if (git_revparse_single(&obj, repo, rev) < 0)
		return kser_error_git("cannot resolve '%s'", rev);
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0)
		err = kser_error_git("'%s' is not a commit", rev);
	else
		git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	return err;
}

static const struct kser_error *resolve_range(struct ex_ctx *c,
					      const char *range)
{
	const char *dots = strstr(range, "..");
	const struct kser_error *err;
	char *key = NULL, *base = NULL;

	if (strstr(range, "..."))
		return kser_error_fmt(KSER_ERR_USAGE, "'%s': a series is a "
				      "range BASE..TIP, not A...B", range);
	if (dots) {
		char *left = strndup(range, (size_t)(dots - range));

		if (!left)
			return kser_error_nomem();
		err = peel(&c->base, c->repo, *left ? left : "HEAD");
		free(left);
		if (!err)
			err = peel(&c->tip, c->repo, dots[2] ? dots + 2 :
				   "HEAD");
		if (!err)
			c->branch = branch_of(c->repo, dots + 2);
		return err;
	}
	err = peel(&c->tip, c->repo, range);
	if (err)
		return err;
	c->branch = branch_of(c->repo, range);
	if (c->branch) {
		struct kser_buf k = KSER_BUF_INIT;

		kser_buf_printf(&k, "branch.%s.kserbase", c->branch);
		key = kser_buf_detach(&k);
		err = key ? ex_repo_setting(&base, c->repo, key) :
		      kser_error_nomem();
	}
	if (!err && !base)
		err = kser_error_fmt(KSER_ERR_USAGE,
				     "'%s' is not a range BASE..TIP, and no "
				     "base is recorded for it (kser apply "
				     "records one)", range);
	if (!err)
		err = peel(&c->base, c->repo, base);
	free(key);
	free(base);
	return err;
}

/* The commits after base up to tip, by first parents, oldest first. */
static const struct kser_error *first_parents(git_oid **out, size_t *n,
					      git_repository *repo,
					      const git_oid *base,
					      const git_oid *tip)
{
	const struct kser_error *err = NULL;
	git_oid *v = NULL, cur = *tip;
	size_t alloc = 0, i;

	*out = NULL;
	*n = 0;
	while (!git_oid_equal(&cur, base)) {
		git_commit *cm = NULL;

		if (*n >= MAX_PATCHES) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT, "more than %d "
					     "commits: is the base right?",
					     MAX_PATCHES);
			break;
		}
		if (git_commit_lookup(&cm, repo, &cur) < 0) {
			err = kser_error_git("cannot read commit %s",
					     git_oid_tostr_s(&cur));
			break;
		}
		if (git_commit_parentcount(cm) != 1) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     git_commit_parentcount(cm) ?
					     "%.12s is a merge: a series is "
					     "linear" :
					     "%.12s is a root commit: the base "
					     "is not an ancestor of the tip",
					     git_oid_tostr_s(&cur));
			git_commit_free(cm);
			break;
		}
		err = kser_array_grow((void **)&v, &alloc, *n, sizeof(*v), 16);
		if (!err)
			v[(*n)++] = cur;
		git_oid_cpy(&cur, git_commit_parent_id(cm, 0));
		git_commit_free(cm);
		if (err)
			break;
	}
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	for (i = 0; i < *n / 2; i++) {
		git_oid t = v[i];

		v[i] = v[*n - 1 - i];
		v[*n - 1 - i] = t;
	}
	*out = v;
	return NULL;
}

static const struct kser_error *load_commits(struct ex_ctx *c)
{
	const struct kser_error *err;
	git_oid *ids = NULL;
	size_t i, n;

	err = first_parents(&ids, &n, c->repo, &c->base, &c->tip);
	if (err)
		return err;
	if (!n) {
		free(ids);
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "the range holds no "
				      "commits");
	}
	c->p = calloc(n, sizeof(*c->p));
	if (!c->p) {
		free(ids);
		return kser_error_nomem();
	}
	c->n = n;
	for (i = 0; i < n && !err; i++) {
		struct ex_patch *p = &c->p[i];
		struct kser_buf s = KSER_BUF_INIT;
		const git_signature *a;

		if (git_commit_lookup(&p->commit, c->repo, &ids[i]) < 0) {
			err = kser_error_git("cannot read commit %s",
					     git_oid_tostr_s(&ids[i]));
			break;
		}
		kser_message_subject(&s, git_commit_message(p->commit));
		p->subject = kser_buf_detach(&s);
		if (!p->subject) {
			err = kser_error_nomem();
			break;
		}
		a = git_commit_author(p->commit);
		if (kser_mailcompose_has_ctl(a->name) ||
		    kser_mailcompose_has_ctl(a->email))
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "patch %zu (%.12s): the author "
					     "holds a control character",
					     i + 1, git_oid_tostr_s(&ids[i]));
	}
	free(ids);
	return err;
}

/* base-commit: the version's base when the range starts above it. */
static const struct kser_error *find_base_commit(struct ex_ctx *c)
{
	const struct kser_error *err = NULL;
	struct kser_buf key = KSER_BUF_INIT;
	char *base = NULL;
	git_oid id;

	c->base_commit = c->base;
	kser_buf_printf(&key, "version.%u.base", c->version);
	if (kser_buf_check(&key))
		return kser_error_nomem();
	err = ex_setting(&base, c, key.ptr);
	kser_buf_release(&key);
	if (err || !base)
		return err;
	if (peel(&id, c->repo, base)) {
		kser_buf_printf(&c->out->notes, "note: the version's base "
				"'%s' is not in the repository; base-commit: "
				"names the range's base\n", base);
	} else if (!git_oid_equal(&id, &c->base)) {
		if (git_graph_descendant_of(c->repo, &c->base, &id) == 1) {
			c->base_commit = id;
			err = first_parents(&c->prereqs, &c->nprereqs, c->repo,
					    &id, &c->base);
		} else {
			kser_buf_printf(&c->out->notes, "note: the version's "
					"base '%s' is not below the range; "
					"base-commit: names the range's base\n",
					base);
		}
	}
	free(base);
	return err;
}

/* --- the patch mails ---------------------------------------------------- */

static bool eight_bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == '\033')
			return true;
	return false;
}

/* The message after its subject, as format-patch writes it. */
static void message_body(struct kser_buf *out, const char *msg)
{
	const char *p = msg, *nl;
	size_t start = out->len;
	bool first = true;

	/* The subject: the first paragraph (after leading blank lines). */
	while (*p) {
		nl = strchrnul(p, '\n');
		if (strspn(p, " \t\r") != (size_t)(nl - p))
			break;
		p = *nl ? nl + 1 : nl;
	}
	while (*p) {
		nl = strchrnul(p, '\n');
		if (strspn(p, " \t\r") == (size_t)(nl - p))
			break;
		p = *nl ? nl + 1 : nl;
	}
	for (; *p; p = *nl ? nl + 1 : nl) {
		size_t len;

		nl = strchrnul(p, '\n');
		len = (size_t)(nl - p);
		while (len && kser_git_isspace(p[len - 1]))
			len--;
		if (!len && first)
			continue;
		first = false;
		kser_buf_put(out, p, len);
		kser_buf_putc(out, '\n');
	}
	while (out->len > start && out->ptr[out->len - 1] == '\n')
		kser_buf_truncate(out, out->len - 1);
	if (out->len > start)
		kser_buf_putc(out, '\n');
}

void ex_common_headers(struct kser_buf *out, const struct ex_ctx *c,
		       const struct ex_rcpts *to, const struct ex_rcpts *cc,
		       bool eight)
{
	(void)c;
	if (eight)
		kser_buf_puts(out, "MIME-Version: 1.0\n"
			      "Content-Type: text/plain; charset=UTF-8\n"
			      "Content-Transfer-Encoding: 8bit\n");
	kser_mailcompose_address_header(out, "To", to->shown, to->n);
	kser_mailcompose_address_header(out, "Cc", cc->shown, cc->n);
}

static const struct kser_error *patch_mail(struct ex_ctx *c, size_t i,
					   const char *cover_id,
					   struct kser_export_mail *m)
{
	struct kser_commitpatch_options copts = KSER_COMMITPATCH_OPTIONS_INIT;
	struct ex_patch *p = &c->p[i];
	const git_signature *a = git_commit_author(p->commit);
	const char *msg = git_commit_message(p->commit);
	struct kser_buf t = KSER_BUF_INIT, s = KSER_BUF_INIT;
	struct kser_buf body = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	bool other_author = strcmp(a->name, c->sender_name) ||
			    strcmp(a->email, c->sender_addr);
	bool eight = eight_bit(msg) || (other_author &&
					(eight_bit(a->name) ||
					 eight_bit(a->email)));

	m->number = (unsigned int)(i + 1);
	m->message_id = strdup(p->message_id);
	kser_buf_printf(&t, "From %s Mon Sep 17 00:00:00 2001\n",
			git_oid_tostr_s(git_commit_id(p->commit)));
	kser_buf_printf(&t, "Message-Id: %s\nIn-Reply-To: %s\n"
			"References: %s\n", p->message_id, cover_id, cover_id);
	kser_mailcompose_from(&t, c->sender_name, c->sender_addr);
	kser_buf_puts(&t, "Date: ");
	kser_mailcompose_date(&t, a->when.time, a->when.offset);
	kser_buf_putc(&t, '\n');
	ex_subject_prefix(&s, c, m->number);
	kser_mailcompose_subject(&t, kser_buf_cstr(&s), p->subject);
	kser_buf_puts(&s, p->subject);
	m->subject = kser_buf_detach(&s);
	ex_common_headers(&t, c, &p->to, &p->cc, eight);
	kser_buf_putc(&t, '\n');
	if (other_author)
		kser_buf_printf(&t, "From: %s <%s>\n\n", a->name, a->email);
	message_body(&body, msg);
	kser_buf_put(&t, kser_buf_cstr(&body), body.len);
	copts.format = KSER_COMMITPATCH_EMAIL;
	copts.abbrev = c->abbrev;
	err = kser_commitpatch(&t, NULL, c->repo, p->commit, &copts);
	if (!err && c->signature)
		kser_buf_printf(&t, "-- \n%s%s\n", c->signature,
				c->signature[strlen(c->signature) - 1] ==
				'\n' ? "" : "\n");
	if (!err) {
		struct kser_buf name = KSER_BUF_INIT;

		kser_mailcompose_patch_filename(&name, c->version, m->number,
						p->subject);
		m->file_name = kser_buf_detach(&name);
		m->len = t.len;
		m->text = kser_buf_detach(&t);
		if (!m->text || !m->file_name || !m->message_id ||
		    !m->subject)
			err = kser_error_nomem();
	}
	kser_buf_release(&t);
	kser_buf_release(&s);
	kser_buf_release(&body);
	return err;
}

/* Every line a mail may carry: SMTP's limit. */
static const struct kser_error *check_lines(const struct kser_export *e)
{
	size_t i, line;

	for (i = 0; i < e->nmails; i++)
		if (kser_mailcompose_long_line(e->mails[i].text,
					       e->mails[i].len, &line))
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "'%s': line %zu is longer than "
					      "%d octets, which mail cannot "
					      "carry", e->mails[i].file_name,
					      line, KSER_MAIL_LINE_MAX);
	return NULL;
}

static void ctx_release(struct ex_ctx *c)
{
	size_t i;

	for (i = 0; c->p && i < c->n; i++) {
		git_commit_free(c->p[i].commit);
		free(c->p[i].subject);
		free(c->p[i].message_id);
		ex_rcpts_release(&c->p[i].to);
		ex_rcpts_release(&c->p[i].cc);
	}
	free(c->p);
	free(c->prereqs);
	git_config_free(c->settings);
	kser_settings_release(&c->vsettings);
	free(c->series_dir);
	free(c->branch);
	free(c->change_id);
	free(c->sender_name);
	free(c->sender_addr);
	free(c->prefix);
	free(c->signature);
	free(c->linkmask);
	ex_rcpts_release(&c->to);
	ex_rcpts_release(&c->cc);
}

void kser_export_free(struct kser_export *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nmails; i++) {
		free(e->mails[i].file_name);
		free(e->mails[i].message_id);
		free(e->mails[i].subject);
		free(e->mails[i].text);
	}
	free(e->mails);
	free(e->change_id);
	kser_buf_release(&e->unverified);
	kser_buf_release(&e->notes);
	free(e);
}

const struct kser_error *kser_export_prepare(struct kser_export **out,
					     git_repository *repo,
					     const char *range,
					     const struct kser_export_options
					     *opts)
{
	static const struct kser_export_options defaults =
		KSER_EXPORT_OPTIONS_INIT;
	const struct kser_error *err;
	struct ex_ctx c;
	char *cover_id = NULL;
	size_t i;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.repo = repo;
	c.opts = opts ? opts : &defaults;
	c.out = calloc(1, sizeof(*c.out));
	if (!c.out)
		return kser_error_nomem();
	err = load_settings(&c);
	if (!err)
		err = resolve_range(&c, range);
	if (!err)
		err = load_commits(&c);
	if (!err)
		err = ex_find_version(&c);
	if (!err)
		err = find_base_commit(&c);
	if (!err)
		err = ex_find_identity(&c);
	if (!err)
		err = ex_message_id(&cover_id, &c, c.version, 0);
	for (i = 0; !err && i < c.n; i++)
		err = ex_message_id(&c.p[i].message_id, &c, c.version,
				    (unsigned int)(i + 1));
	if (!err)
		err = ex_gate(&c);
	if (!err)
		err = ex_recipients(&c);
	if (err)
		goto done;

	c.out->version = c.version;
	c.out->npatches = c.n;
	c.out->mails = calloc(c.n + 1, sizeof(*c.out->mails));
	if (!c.out->mails) {
		err = kser_error_nomem();
		goto done;
	}
	c.out->nmails = c.n + 1;
	err = ex_cover(&c, &c.out->mails[0]);
	for (i = 0; !err && i < c.n; i++) {
		err = ex_progress(&c, KSER_EXPORT_STAGE_COMPOSE, i + 1, c.n);
		if (!err)
			err = patch_mail(&c, i, cover_id,
					 &c.out->mails[i + 1]);
	}
	if (!err)
		err = check_lines(c.out);
	if (!err) {
		c.out->change_id = c.change_id;
		c.change_id = NULL;
	}
done:
	free(cover_id);
	if (err) {
		kser_export_free(c.out);
		c.out = NULL;
	}
	*out = c.out;
	ctx_release(&c);
	return err;
}

/* --- output ------------------------------------------------------------- */

const struct kser_error *kser_export_write_dir(const struct kser_export *e,
					       const char *dir)
{
	const struct kser_error *err = kser_mkdir_p(dir);
	struct kser_buf path = KSER_BUF_INIT;
	size_t i;

	for (i = 0; !err && i < e->nmails; i++) {
		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/%s", dir, e->mails[i].file_name);
		err = kser_buf_check(&path);
		if (!err)
			err = kser_write_file_atomic(path.ptr, e->mails[i].text,
						     e->mails[i].len);
	}
	kser_buf_release(&path);
	return err;
}

void kser_export_mbox(const struct kser_export *e, struct kser_buf *out)
{
	size_t i;

	for (i = 0; i < e->nmails; i++)
		kser_buf_put(out, e->mails[i].text, e->mails[i].len);
}
