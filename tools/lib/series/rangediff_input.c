// SPDX-License-Identifier: GPL-2.0
/*
 * The two sides of a range-diff: the commits of a range, or one version
 * of a series read from mails, a format-patch directory or a quilt
 * directory. Both become the same kind of text, so a commit and the mail
 * made of it compare equal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/abbrev.h"
#include "kser/commitpatch.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/rangediff.h"
#include "kser/rdtext.h"
#include "kser/revrange.h"
#include "kser/series.h"
#include "kser/util.h"
#include "kser_lib_series.h"

static const struct kser_error *push(struct kser_rangediff_list *l,
				     struct kser_buf *text,
				     const struct kser_rdtext *t, char *id,
				     char *subject)
{
	struct kser_rangediff_patch *p;
	size_t len = text->len;

	if (kser_buf_check(text) || !id ||
	    kser_array_grow((void **)&l->v, &l->alloc, l->n, sizeof(*l->v),
			    16)) {
		free(id);
		free(subject);
		return kser_error_nomem();
	}
	p = &l->v[l->n++];
	memset(p, 0, sizeof(*p));
	p->text = kser_buf_detach(text);
	p->len = len;
	p->diff_offset = t->in_files ? t->diff_offset : 0;
	p->diffsize = t->diffsize;
	p->id = id;
	p->subject = subject;
	if (!p->text) {
		l->n--;
		free(id);
		free(subject);
		return kser_error_nomem();
	}
	return NULL;
}

/* --- commit ranges ----------------------------------------------------- */

static const struct kser_error *resolve(git_oid *out, git_repository *repo,
					const char *spec, size_t len,
					const char *range)
{
	git_object *obj = NULL, *commit = NULL;
	char *s = len ? strndup(spec, len) : strdup("HEAD");
	const struct kser_error *err = NULL;

	if (!s)
		return kser_error_nomem();
	if (git_revparse_single(&obj, repo, s) < 0 ||
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND,
				     "'%s' in the range '%s' is not a commit",
				     s, range);
	else
		git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	free(s);
	return err;
}

/*
 * The commits of A..B (B's that A lacks) or A...B (each side's that the
 * other lacks), as git rev-list lists them, oldest first.
 */
static const struct kser_error *list_range(git_oid **out, size_t *n,
					   git_repository *repo,
					   const char *range)
{
	const char *dots = strstr(range, "..");
	const struct kser_error *err;
	git_oidarray bases = { 0 };
	git_oid ends[2];
	bool sym;

	*out = NULL;
	*n = 0;
	if (!dots)
		return kser_error_fmt(KSER_ERR_USAGE,
				      "not a commit range: '%s' (A..B or "
				      "A...B)", range);
	sym = dots[2] == '.';
	err = resolve(&ends[0], repo, range, (size_t)(dots - range), range);
	if (!err)
		err = resolve(&ends[1], repo, dots + (sym ? 3 : 2),
			      strlen(dots + (sym ? 3 : 2)), range);
	if (err)
		return err;
	if (sym) {
		int r = git_merge_bases(&bases, repo, &ends[0], &ends[1]);

		if (r < 0 && r != GIT_ENOTFOUND)
			return kser_error_git("cannot find the merge base of "
					      "'%s'", range);
		err = kser_revrange_list(out, n, repo, ends, 2, bases.ids,
					 bases.count, GIT_SORT_TOPOLOGICAL |
					 GIT_SORT_TIME | GIT_SORT_REVERSE);
		git_oidarray_dispose(&bases);
		return err;
	}
	return kser_revrange_list(out, n, repo, &ends[1], 1, &ends[0], 1,
				  GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME |
				  GIT_SORT_REVERSE);
}

const struct kser_error *
kser_rangediff_list_from_range(struct kser_rangediff_list *out,
			       git_repository *repo, const char *range)
{
	return kser_rangediff_list_from_range_abbrev(out, repo, range, 0);
}

const struct kser_error *
kser_rangediff_list_from_range_abbrev(struct kser_rangediff_list *out,
				      git_repository *repo, const char *range,
				      int abbrev_len)
{
	struct kser_commitpatch_options copts = KSER_COMMITPATCH_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_buf text = KSER_BUF_INIT, subject = KSER_BUF_INIT;
	git_mailmap *mailmap = NULL;
	git_buf notes = GIT_BUF_INIT;
	git_reference *notes_ref = NULL;
	git_oid *ids = NULL;
	size_t nids = 0, k;
	int abbrev = abbrev_len > 0 ? abbrev_len :
		     kser_abbrev_default_len(repo);

	err = list_range(&ids, &nids, repo, range);
	if (err)
		goto done;
	/* As git log: .mailmap applied, the default notes shown. */
	if (git_mailmap_from_repository(&mailmap, repo) == 0)
		copts.mailmap = mailmap;
	if (git_note_default_ref(&notes, repo) == 0 &&
	    git_reference_lookup(&notes_ref, repo, notes.ptr) == 0)
		copts.notes_ref = notes.ptr;

	for (k = 0; k < nids; k++) {
		const git_oid *idp = &ids[k];
		git_commit *commit = NULL;
		struct kser_commitpatch_info info = { 0, 0 };
		struct kser_rdtext t;
		char hex[GIT_OID_HEXSZ + 1];

		if (git_commit_lookup(&commit, repo, idp) < 0) {
			err = kser_error_git("cannot read commit %s",
					     git_oid_tostr_s(idp));
			break;
		}
		if (git_commit_parentcount(commit) > 1) {
			git_commit_free(commit);
			continue;
		}
		kser_buf_clear(&text);
		kser_buf_clear(&subject);
		err = kser_commitpatch(&text, &info, repo, commit, &copts);
		if (!err)
			err = kser_abbrev(hex, repo, idp, abbrev);
		kser_message_subject(&subject, git_commit_message(commit));
		git_commit_free(commit);
		if (err)
			break;
		kser_rdtext_init(&t, &text);
		t.in_files = info.diff_offset != 0;
		t.diff_offset = info.diff_offset;
		t.diffsize = info.diffsize;
		err = push(out, &text, &t, strdup(hex),
			   kser_buf_detach(&subject));
		if (err)
			break;
	}
done:
	free(ids);
	git_reference_free(notes_ref);
	git_buf_dispose(&notes);
	git_mailmap_free(mailmap);
	kser_buf_release(&text);
	kser_buf_release(&subject);
	return err;
}

/* --- mails ------------------------------------------------------------- */

static enum kser_rdtext_kind file_kind(const struct kser_file_patch *fp)
{
	if (fp->is_new)
		return KSER_RDTEXT_NEW;
	if (fp->is_delete)
		return KSER_RDTEXT_DELETED;
	if (fp->is_rename)
		return KSER_RDTEXT_RENAMED;
	return KSER_RDTEXT_MODIFIED;
}

static void mail_file(struct kser_rdtext *t, const struct kser_file_patch *fp)
{
	enum kser_rdtext_kind kind = file_kind(fp);
	size_t h, l;

	kser_rdtext_file(t, kind, fp->old_path, fp->new_path,
			 kind == KSER_RDTEXT_NEW ? 0 : fp->old_mode,
			 kind == KSER_RDTEXT_DELETED ? 0 : fp->new_mode);
	if (fp->is_binary) {
		kser_rdtext_binary(t, kind == KSER_RDTEXT_NEW ? NULL :
				   fp->old_path,
				   kind == KSER_RDTEXT_DELETED ? NULL :
				   fp->new_path);
		return;
	}
	for (h = 0; h < fp->nhunks; h++) {
		const struct kser_hunk *hk = &fp->hunks[h];
		const char *end = hk->header + hk->header_len, *func = end;
		const char *at = hk->header_len > 2 ?
				 memmem(hk->header + 2, hk->header_len - 2,
					"@@", 2) : NULL;

		if (at)
			func = at + 2;
		while (end > func && (end[-1] == '\n' || end[-1] == '\r'))
			end--;
		kser_rdtext_hunk(t, func, (size_t)(end - func));
		for (l = 0; l < hk->nlines; l++) {
			const struct kser_hunk_line *ln = &hk->lines[l];

			kser_rdtext_line(t, ln->type, ln->text, ln->len);
			if (ln->noeol)
				kser_rdtext_noeol(t);
		}
	}
}

const struct kser_error *
kser_rangediff_list_add_mail(struct kser_rangediff_list *out,
			     const char *name, const char *email,
			     const char *message, const char *patch,
			     size_t patch_len, char *id, const char *subject)
{
	struct kser_buf text = KSER_BUF_INIT;
	struct kser_patch *parsed = NULL;
	const struct kser_error *err;
	struct kser_rdtext t;
	char *subj = subject ? strdup(subject) : NULL;
	size_t i;

	kser_rdtext_init(&t, &text);
	kser_rdtext_meta(&t, name, email, message);
	if (patch && patch_len) {
		err = kser_patch_parse(&parsed, patch, patch_len, 1);
		if (err && err->code == KSER_ERR_NOMEM) {
			free(id);
			free(subj);
			kser_buf_release(&text);
			return err;
		}
		if (err)
			kser_buf_printf(&out->warnings, "warning: %s: cannot "
					"read its diff: %s\n", id ? id : "?",
					err->msg);
	}
	for (i = 0; parsed && i < parsed->nfiles; i++)
		mail_file(&t, &parsed->files[i]);
	kser_patch_free(parsed);
	err = push(out, &text, &t, id, subj);
	kser_buf_release(&text);
	return err;
}

static char *mail_id(unsigned int version, unsigned int number)
{
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_printf(&b, "v%u-%04u", version, number);
	return kser_buf_detach(&b);
}

static int uint_cmp(const void *x, const void *y)
{
	unsigned int a = *(const unsigned int *)x, b = *(const unsigned int *)y;

	return a < b ? -1 : a > b;
}

/*
 * The version's patches by number, as kser_series_select() picks them,
 * but a hole is only a warning: a reader of the list still wants to see
 * what changed in the patches that did arrive.
 */
const struct kser_error *
kser_rangediff_list_from_mails(struct kser_rangediff_list *out,
			       struct kser_mailset *set, unsigned int version,
			       unsigned int *version_out)
{
	const struct kser_error *err = NULL;
	struct kser_mailset_entry **slots = NULL;
	unsigned int *versions = NULL, total = 0, number;
	struct kser_buf message = KSER_BUF_INIT;
	size_t nversions = 0, valloc = 0, i;

	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];

		if (e->role != KSER_ROLE_PATCH)
			continue;
		if (kser_array_grow((void **)&versions, &valloc, nversions,
				    sizeof(*versions), 8)) {
			err = kser_error_nomem();
			goto done;
		}
		versions[nversions++] = e->info.version;
	}
	if (!nversions) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "the input holds no patches");
		goto done;
	}
	qsort(versions, nversions, sizeof(*versions), uint_cmp);
	if (!version) {
		version = versions[nversions - 1];
	} else if (!bsearch(&version, versions, nversions, sizeof(*versions),
			    uint_cmp)) {
		err = kser_error_fmt(KSER_ERR_NOT_FOUND, "the input has no v%u "
				     "of the series (the newest is v%u)",
				     version, versions[nversions - 1]);
		goto done;
	}
	if (version_out)
		*version_out = version;
	total = 0;
	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];

		if (e->role == KSER_ROLE_PATCH && e->info.version == version) {
			if (e->info.total > total)
				total = e->info.total;
			if (e->info.number > total)
				total = e->info.number;
		}
	}
	if (total > 100000) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "v%u claims %u "
				     "patches", version, total);
		goto done;
	}
	slots = calloc((size_t)total + 1, sizeof(*slots));
	if (!slots) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < set->n; i++) {
		struct kser_mailset_entry *e = &set->v[i];

		if (e->role == KSER_ROLE_PATCH && e->info.version == version &&
		    e->info.number)
			slots[e->info.number] = e;
	}
	for (number = 1; number <= total && !err; number++) {
		const struct kser_mail *m;

		if (!slots[number]) {
			kser_buf_printf(&out->warnings, "warning: v%u is "
					"missing patch %u/%u; comparing the "
					"others\n", version, number, total);
			continue;
		}
		m = slots[number]->mail;
		kser_buf_clear(&message);
		err = kser_mail_commit_message(&message, m);
		if (!err)
			err = kser_rangediff_list_add_mail(
				out, m->author_name, m->author_email,
				kser_buf_cstr(&message), m->patch, m->patch_len,
				mail_id(version, number), m->subject);
	}
done:
	kser_buf_release(&message);
	free(slots);
	free(versions);
	return err;
}
