// SPDX-License-Identifier: GPL-2.0
/*
 * A series picked out of a mailset (kser/series.h): subjects parsed,
 * the version chosen, its patches and cover letter found, follow-ups
 * matched to what they answer. Uses the series layer's inputs, string
 * sets and trailers (kser_lib_series.h), the mail layer and core.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/series.h"
#include "kser/util.h"
#include "kser_lib_series.h"

/* --- subjects ---------------------------------------------------------- */

static bool parse_uint(const char *s, size_t len, unsigned int *out)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > 6)
		return false;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned int)v;
	return true;
}

static void subject_token(struct kser_subject_info *info, const char *t,
			  size_t len)
{
	const char *slash = memchr(t, '/', len);

	if (len >= 5 && !strncasecmp(t, "PATCH", 5)) {
		info->is_patch = true;
		if (len == 5)
			return;
		/* "PATCHv2" */
		t += 5;
		len -= 5;
	}
	if (len == 3 && !strncasecmp(t, "RFC", 3)) {
		info->rfc = true;
		info->is_patch = true;
		return;
	}
	if (len == 6 && !strncasecmp(t, "RESEND", 6)) {
		info->resend = true;
		return;
	}
	if (len >= 2 && (t[0] == 'v' || t[0] == 'V') &&
	    parse_uint(t + 1, len - 1, &info->version)) {
		if (!info->version)
			info->version = 1;
		return;
	}
	if (slash && parse_uint(t, (size_t)(slash - t), &info->number) &&
	    parse_uint(slash + 1, len - (size_t)(slash - t) - 1,
		       &info->total)) {
		info->has_counter = true;
		return;
	}
	if (strlen(info->tags) + len + 2 < sizeof(info->tags)) {
		if (info->tags[0])
			strcat(info->tags, " ");
		strncat(info->tags, t, len);
	}
}

void kser_subject_parse(struct kser_subject_info *out, const char *subject)
{
	const char *s = subject ? subject : "";

	memset(out, 0, sizeof(*out));
	out->version = 1;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if ((!strncasecmp(s, "re:", 3) || !strncasecmp(s, "aw:", 3))) {
			out->is_reply = true;
			s += 3;
			continue;
		}
		if (*s == '[') {
			const char *close = strchr(s, ']');
			const char *t;

			if (!close)
				break;
			for (t = s + 1; t < close;) {
				size_t n;

				while (t < close && (isspace((unsigned char)*t)
						     || *t == ','))
					t++;
				n = 0;
				while (t + n < close &&
				       !isspace((unsigned char)t[n]) &&
				       t[n] != ',')
					n++;
				if (n)
					subject_token(out, t, n);
				t += n;
			}
			s = close + 1;
			continue;
		}
		break;
	}
}

/* --- selecting a series ------------------------------------------------ */

static int uint_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* What the selection consults for every reply. */
struct thread_index {
	const struct kser_mailset *set;
	struct series_map by_id;		/* Message-Id -> entry; the last wins */
	unsigned int version;
	struct kser_mailset_entry **slots;	/* [0] cover, [1..total] */
	unsigned int total;
};

static const struct kser_mailset_entry *find_by_id(const struct thread_index *ix,
						   const char *id)
{
	size_t i;

	return series_map_get(&ix->by_id, id, &i) ? &ix->set->v[i] : NULL;
}

static bool in_selected(const struct kser_mailset_entry *e,
			unsigned int version)
{
	return (e->role == KSER_ROLE_PATCH || e->role == KSER_ROLE_COVER) &&
	       e->info.version == version;
}

/* The patch of the selected version a subject like "Re: [PATCH v2 4/10]"
 * names, or NULL. */
static const struct kser_mailset_entry *
subject_target(const struct thread_index *ix,
	       const struct kser_mailset_entry *e)
{
	const struct kser_mailset_entry *p;

	if (!e->info.has_counter || e->info.version != ix->version ||
	    e->info.number > ix->total)
		return NULL;
	p = ix->slots[e->info.number];
	return p && p->info.total == e->info.total ? p : NULL;
}

/*
 * The patch or cover letter of the selected version a follow-up answers,
 * following the reply chain up; NULL when it answers something else.
 */
static const struct kser_mailset_entry *
thread_target(const struct thread_index *ix,
	      const struct kser_mailset_entry *e)
{
	const struct kser_mailset_entry *cur = e;
	size_t depth, i;

	for (depth = 0; depth < 64; depth++) {
		const struct kser_mailset_entry *parent =
			find_by_id(ix, cur->mail->in_reply_to);

		if (!parent)
			break;
		if (parent->role == KSER_ROLE_PATCH ||
		    parent->role == KSER_ROLE_COVER)
			return in_selected(parent, ix->version) ? parent :
			       NULL;
		cur = parent;
	}
	/* The chain is broken: the References header may still tell. */
	for (i = e->mail->nreferences; i-- > 0;) {
		const struct kser_mailset_entry *ref =
			find_by_id(ix, e->mail->references[i]);

		if (ref && (ref->role == KSER_ROLE_PATCH ||
			    ref->role == KSER_ROLE_COVER))
			return in_selected(ref, ix->version) ? ref : NULL;
	}
	return NULL;
}

/*
 * What a follow-up answers: the reply chain decides, as in b4; but when
 * it leads to the cover letter (or nowhere) while the subject names a
 * patch of the series, the subject wins: patches sent without their own
 * Message-Id are answered "in reply to" the cover letter.
 */
static const struct kser_mailset_entry *
followup_target(const struct thread_index *ix,
		const struct kser_mailset_entry *e)
{
	const struct kser_mailset_entry *t = thread_target(ix, e);
	const struct kser_mailset_entry *s = subject_target(ix, e);

	if (s && (!t || t->role == KSER_ROLE_COVER))
		return s;
	return t;
}

static char *find_base_commit(const struct kser_mail *mail)
{
	const char *p = mail ? mail->body : NULL;
	const char *end = p ? p + mail->body_len : NULL, *l;
	size_t len;

	while (series_body_line(&p, end, &l, &len)) {
		if (len > 13 && !strncmp(l, "base-commit: ", 13)) {
			const char *h = l + 13;
			size_t n = 0;

			while (13 + n < len && h[n] &&
			       strchr("0123456789abcdef", h[n]))
				n++;
			if (n >= 7 && n <= 40)
				return strndup(h, n);
		}
	}
	return NULL;
}

const struct kser_error *kser_series_select(struct kser_series **out,
					    struct kser_mailset *set,
					    unsigned int version)
{
	const struct kser_error *err = NULL;
	struct kser_series *s;
	struct kser_mailset_entry **slots = NULL;
	struct thread_index ix = { 0 };
	struct series_map *seen = NULL;
	struct kser_buf missing = KSER_BUF_INIT;
	size_t i, j, versions_alloc = 0;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return kser_error_nomem();

	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];

		if (e->role != KSER_ROLE_PATCH && e->role != KSER_ROLE_COVER)
			continue;
		for (j = 0; j < s->nversions; j++)
			if (s->versions[j] == e->info.version)
				break;
		if (j < s->nversions)
			continue;
		err = kser_array_grow((void **)&s->versions, &versions_alloc,
				      s->nversions, sizeof(*s->versions), 4);
		if (err)
			goto done;
		s->versions[s->nversions++] = e->info.version;
	}
	if (!s->nversions) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "the input holds no patches");
		goto done;
	}
	qsort(s->versions, s->nversions, sizeof(*s->versions), uint_cmp);
	if (!version) {
		version = s->versions[s->nversions - 1];
	} else {
		for (j = 0; j < s->nversions; j++)
			if (s->versions[j] == version)
				break;
		if (j == s->nversions) {
			struct kser_buf b = KSER_BUF_INIT;

			for (j = 0; j < s->nversions; j++)
				kser_buf_printf(&b, "%sv%u", j ? ", " : "",
						s->versions[j]);
			err = kser_buf_check(&b) ? kser_error_nomem() :
			      kser_error_fmt(KSER_ERR_NOT_FOUND,
					     "the input has no v%u of the "
					     "series (it has %s)", version,
					     b.ptr);
			kser_buf_release(&b);
			goto done;
		}
	}
	s->version = version;

	/* The count: what the patches of this version say. */
	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];

		if (e->role != KSER_ROLE_PATCH || e->info.version != version)
			continue;
		if (s->total && e->info.total != s->total) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "v%u mixes series of %u and %u "
					     "patches", version, s->total,
					     e->info.total);
			goto done;
		}
		s->total = e->info.total;
		s->rfc = e->info.rfc;
		memcpy(s->tags, e->info.tags, sizeof(s->tags));
	}
	if (!s->total) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "v%u has a cover letter but no patches",
				     version);
		goto done;
	}
	slots = calloc(s->total + 1, sizeof(*slots));
	if (!slots) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < set->n; i++) {
		struct kser_mailset_entry *e = &set->v[i];

		if (e->info.version != version)
			continue;
		if (e->role == KSER_ROLE_COVER) {
			if (!slots[0])
				slots[0] = e;
			continue;
		}
		if (e->role != KSER_ROLE_PATCH)
			continue;
		if (!e->info.number || e->info.number > s->total) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "patch %u/%u is out of range",
					     e->info.number, e->info.total);
			goto done;
		}
		if (slots[e->info.number]) {
			const struct kser_mail *kept =
				slots[e->info.number]->mail;

			/* b4: the first one stays, unless its number was
			 * only guessed; the same mail twice is no news. */
			if (kept->message_id && e->mail->message_id &&
			    !strcmp(kept->message_id, e->mail->message_id))
				continue;
			if (!slots[e->info.number]->info.has_counter &&
			    e->info.has_counter) {
				slots[e->info.number] = e;
				continue;
			}
			kser_buf_printf(&set->notes, "patch %u/%u appears "
					"more than once: using '%s' mail %zu, "
					"ignoring '%s' mail %zu\n",
					e->info.number, s->total,
					kept->source ? kept->source : "-",
					kept->source_index,
					e->mail->source ? e->mail->source :
					"-", e->mail->source_index);
			continue;
		}
		slots[e->info.number] = e;
	}
	s->cover = slots[0] ? slots[0]->mail : NULL;
	for (i = 1; i <= s->total; i++)
		if (!slots[i])
			kser_buf_printf(&missing, "%s%zu/%u",
					missing.len ? ", " : "", i, s->total);
	if (missing.len) {
		err = kser_buf_check(&missing) ? kser_error_nomem() :
		      kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "v%u of the series is incomplete: "
				     "missing %s", version, missing.ptr);
		goto done;
	}
	s->patches = calloc(s->total, sizeof(*s->patches));
	if (!s->patches) {
		err = kser_error_nomem();
		goto done;
	}
	s->npatches = s->total;
	for (i = 1; i <= s->total; i++) {
		s->patches[i - 1].mail = slots[i]->mail;
		s->patches[i - 1].number = (unsigned int)i;
	}

	/* Trailers from replies, with every look-up by hash. */
	ix.set = set;
	ix.version = version;
	ix.slots = slots;
	ix.total = s->total;
	for (i = 0; i < set->n && !err; i++)
		if (set->v[i].mail->message_id)
			err = series_map_put(&ix.by_id, set->v[i].mail->message_id,
					  i);
	seen = calloc(s->npatches, sizeof(*seen));
	if (err || !seen) {
		err = err ? err : kser_error_nomem();
		goto done;
	}
	for (j = 0; j < s->npatches; j++)
		seen[j].icase = true;
	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];
		const struct kser_mailset_entry *target;
		char **trailers = NULL;
		size_t n = 0, k;

		if (e->role != KSER_ROLE_FOLLOWUP)
			continue;
		target = followup_target(&ix, e);
		if (!target)
			continue;
		err = series_reply_trailers(e->mail, &trailers, &n);
		for (k = 0; k < n && !err; k++) {
			if (target->role == KSER_ROLE_COVER) {
				for (j = 0; j < s->npatches && !err; j++)
					err = series_add_trailer(&s->patches[j],
							  &seen[j],
							  trailers[k]);
			} else {
				j = target->info.number - 1;
				err = series_add_trailer(&s->patches[j], &seen[j],
						  trailers[k]);
			}
		}
		if (n)
			s->nfollowups++;
		for (k = 0; k < n; k++)
			free(trailers[k]);
		free(trailers);
		if (err)
			goto done;
	}
	s->base_commit = find_base_commit(s->cover ? s->cover :
					  s->patches[s->npatches - 1].mail);
done:
	if (seen)
		for (j = 0; j < s->npatches; j++)
			series_map_release(&seen[j]);
	free(seen);
	series_map_release(&ix.by_id);
	free(slots);
	kser_buf_release(&missing);
	if (err) {
		kser_series_free(s);
		return err;
	}
	*out = s;
	return NULL;
}

void kser_series_free(struct kser_series *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->npatches; i++) {
		for (j = 0; j < s->patches[i].ntrailers; j++)
			free(s->patches[i].trailers[j]);
		free(s->patches[i].trailers);
	}
	free(s->patches);
	free(s->versions);
	free(s->base_commit);
	free(s);
}

const char *kser_series_title(const struct kser_series *s)
{
	if (s->cover && s->cover->subject && *s->cover->subject)
		return s->cover->subject;
	return s->npatches ? s->patches[0].mail->subject : "series";
}

char *kser_series_branch_name(const struct kser_series *s)
{
	const char *t = kser_series_title(s);
	struct kser_buf b = KSER_BUF_INIT;
	bool dash = false;

	for (; *t && b.len < 40; t++) {
		unsigned char c = (unsigned char)*t;

		if (isalnum(c) && c < 128) {
			if (dash && b.len)
				kser_buf_putc(&b, '-');
			dash = false;
			kser_buf_putc(&b, (char)tolower(c));
		} else {
			dash = true;
		}
	}
	if (!b.len)
		kser_buf_puts(&b, "series");
	kser_buf_printf(&b, "-v%u", s->version);
	return kser_buf_detach(&b);
}
