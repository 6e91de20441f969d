// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/series.h"
#include "kser/util.h"

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

/* --- loading inputs ---------------------------------------------------- */

void kser_mailset_init(struct kser_mailset *set)
{
	memset(set, 0, sizeof(*set));
	kser_buf_init(&set->notes);
}

void kser_mailset_release(struct kser_mailset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		kser_mail_free(set->v[i].mail);
	free(set->v);
	for (i = 0; i < set->npaths; i++)
		free(set->paths[i]);
	free(set->paths);
	kser_buf_release(&set->notes);
	memset(set, 0, sizeof(*set));
}

static bool patch_has(const struct kser_mail *mail, const char *needle)
{
	return memmem(mail->patch, mail->patch_len, needle,
		      strlen(needle)) != NULL;
}

static bool has_diff(const struct kser_mail *mail)
{
	return mail->patch && mail->patch_len &&
	       (patch_has(mail, "\n@@ -") ||
		patch_has(mail, "GIT binary patch") ||
		patch_has(mail, "\nrename from ") ||
		patch_has(mail, "\nnew mode ") ||
		patch_has(mail, "\ndeleted file mode ") ||
		patch_has(mail, "\nnew file mode "));
}

static const struct kser_error *push_entry(struct kser_mailset *set,
					   struct kser_mail *mail,
					   int quilt_number, int quilt_total)
{
	struct kser_mailset_entry *e;

	if (kser_array_grow((void **)&set->v, &set->alloc, set->n,
			    sizeof(*set->v), 32)) {
		kser_mail_free(mail);
		return kser_error_nomem();
	}
	e = &set->v[set->n++];
	memset(e, 0, sizeof(*e));
	e->mail = mail;
	kser_subject_parse(&e->info, mail->raw_subject);
	if (quilt_number > 0) {
		/* Quilt: the series file orders the patches. */
		e->info.is_reply = false;
		e->info.is_patch = true;
		e->info.version = 1;
		e->info.number = (unsigned int)quilt_number;
		e->info.total = (unsigned int)quilt_total;
		e->info.has_counter = true;
		e->role = KSER_ROLE_PATCH;
	} else if (e->info.is_reply) {
		e->role = KSER_ROLE_FOLLOWUP;
	} else if (e->info.has_counter) {
		e->role = e->info.number ? KSER_ROLE_PATCH : KSER_ROLE_COVER;
	} else if (has_diff(mail)) {
		e->info.number = e->info.total = 1;
		e->role = KSER_ROLE_PATCH;
	} else if (mail->in_reply_to) {
		e->role = KSER_ROLE_FOLLOWUP;
	} else {
		e->role = KSER_ROLE_OTHER;
	}
	return NULL;
}

static const struct kser_error *add_mbox(struct kser_mailset *set,
					 const char *path, const char *text,
					 size_t len,
					 const struct kser_mail_options *opts)
{
	const struct kser_error *err;
	struct kser_raw_mails raw;
	size_t i;

	if (!kser_mail_looks_like_mail(text, len))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "'%s' is not a mail or mailbox (no "
				      "headers); a bare diff belongs in a "
				      "quilt directory", path);
	err = kser_mbox_split(&raw, text, len, opts);
	if (err)
		return kser_error_wrap(err, "'%s'", path);
	for (i = 0; i < raw.n; i++) {
		struct kser_mail *mail = NULL;

		err = kser_cancel_check(opts->cancel, opts->cancel_arg);
		if (err)
			break;
		err = kser_mail_parse(&mail, raw.v[i].text, raw.v[i].len,
				      opts);
		if (err) {
			err = kser_error_wrap(err, "'%s', mail %zu", path,
					      i + 1);
			break;
		}
		mail->source = path;
		mail->source_index = i + 1;
		err = push_entry(set, mail, 0, 0);
		if (err)
			break;
	}
	kser_raw_mails_release(&raw);
	return err;
}

static const struct kser_error *add_mbox_file(struct kser_mailset *set,
					      const char *path,
					      const struct kser_mail_options *opts)
{
	struct kser_buf text = KSER_BUF_INIT;
	const struct kser_error *err = kser_read_file(&text, path);

	if (!err)
		err = add_mbox(set, path, kser_buf_cstr(&text), text.len,
			       opts);
	kser_buf_release(&text);
	return err;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * A quilt patch: a mail if it has headers, else a description followed by
 * a diff, named after its file as git quiltimport does.
 */
static const struct kser_error *add_quilt_patch(struct kser_mailset *set,
						const char *path,
						const char *name, int number,
						int total,
						const struct kser_mail_options *opts)
{
	const struct kser_error *err;
	struct kser_buf text = KSER_BUF_INIT, raw = KSER_BUF_INIT;
	struct kser_mail *mail = NULL;

	err = kser_read_file(&text, path);
	if (err)
		goto done;
	if (kser_mail_looks_like_mail(text.ptr ? text.ptr : "", text.len) &&
	    (strncmp(kser_buf_cstr(&text), "--- ", 4) != 0)) {
		kser_buf_put(&raw, text.ptr, text.len);
	} else {
		kser_buf_puts(&raw, "X-Kser-Quilt: yes\n\n");
		kser_buf_put(&raw, text.ptr ? text.ptr : "", text.len);
	}
	if (kser_buf_check(&raw)) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_mail_parse(&mail, raw.ptr, raw.len, opts);
	if (err) {
		err = kser_error_wrap(err, "'%s'", path);
		goto done;
	}
	if (!mail->subject || !*mail->subject) {
		size_t n = strlen(name);

		if (n > 6 && !strcmp(name + n - 6, ".patch"))
			n -= 6;
		free(mail->subject);
		mail->subject = strndup(name, n);
		free(mail->raw_subject);
		mail->raw_subject = strndup(name, n);
		if (!mail->subject || !mail->raw_subject) {
			kser_mail_free(mail);
			err = kser_error_nomem();
			goto done;
		}
	}
	mail->source = path;
	mail->source_index = 1;
	err = push_entry(set, mail, number, total);
done:
	kser_buf_release(&text);
	kser_buf_release(&raw);
	return err;
}

/* Paths the mails point at live as long as the mailset. */
static const char *remember(struct kser_mailset *set, const char *path)
{
	char **v = realloc(set->paths, (set->npaths + 1) * sizeof(*v));

	if (!v)
		return NULL;
	set->paths = v;
	v[set->npaths] = strdup(path);
	return v[set->npaths] ? v[set->npaths++] : NULL;
}

static const struct kser_error *add_quilt(struct kser_mailset *set,
					  const char *dir, const char *series,
					  const struct kser_mail_options *opts)
{
	const struct kser_error *err = NULL;
	struct kser_buf text = KSER_BUF_INIT, path = KSER_BUF_INIT;
	char **names = NULL;
	size_t n = 0, i;
	char *line, *save = NULL;

	err = kser_read_file(&text, series);
	if (err)
		return err;
	for (line = strtok_r(text.ptr ? text.ptr : (char *)"", "\n", &save);
	     line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *end;
		char **v;

		if (hash)
			*hash = '\0';
		while (isspace((unsigned char)*line))
			line++;
		end = line;
		while (*end && !isspace((unsigned char)*end))
			end++;
		if (end == line)
			continue;
		if (*end) {
			char *opt = end + 1;

			while (isspace((unsigned char)*opt))
				opt++;
			if (*opt && strncmp(opt, "-p1", 3)) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': option '%s' is not "
						     "supported (only -p1)",
						     series, opt);
				goto done;
			}
		}
		*end = '\0';
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v) {
			err = kser_error_nomem();
			goto done;
		}
		names = v;
		names[n] = strdup(line);
		if (!names[n]) {
			err = kser_error_nomem();
			goto done;
		}
		n++;
	}
	if (!n) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "quilt series '%s' lists no patches",
				     series);
		goto done;
	}
	for (i = 0; i < n && !err; i++) {
		const char *kept_path;

		if (names[i][0] == '/' || strstr(names[i], "..")) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': patch name '%s' leaves the "
					     "quilt directory", series,
					     names[i]);
			break;
		}
		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/%s", dir, names[i]);
		if (kser_buf_check(&path)) {
			err = kser_error_nomem();
			break;
		}
		kept_path = remember(set, path.ptr);
		if (!kept_path) {
			err = kser_error_nomem();
			break;
		}
		err = add_quilt_patch(set, kept_path, names[i], (int)i + 1,
				      (int)n, opts);
	}
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	kser_buf_release(&text);
	kser_buf_release(&path);
	return err;
}

static const struct kser_error *add_patch_dir(struct kser_mailset *set,
					      const char *dir,
					      const struct kser_mail_options *opts)
{
	const struct kser_error *err = NULL;
	struct kser_buf path = KSER_BUF_INIT;
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return kser_error_errno("cannot read '%s'", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **v;

		if (de->d_name[0] == '.')
			continue;
		if (!(len > 6 && !strcmp(de->d_name + len - 6, ".patch")) &&
		    !(len > 5 && !strcmp(de->d_name + len - 5, ".mbox")) &&
		    !(len > 4 && !strcmp(de->d_name + len - 4, ".eml")))
			continue;
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v) {
			err = kser_error_nomem();
			goto done;
		}
		names = v;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			err = kser_error_nomem();
			goto done;
		}
		n++;
	}
	if (!n) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' holds no .patch, .mbox or .eml "
				     "files and no quilt series", dir);
		goto done;
	}
	qsort(names, n, sizeof(*names), str_cmp);
	for (i = 0; i < n && !err; i++) {
		const char *kept_path;

		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/%s", dir, names[i]);
		if (kser_buf_check(&path)) {
			err = kser_error_nomem();
			break;
		}
		kept_path = remember(set, path.ptr);
		if (!kept_path) {
			err = kser_error_nomem();
			break;
		}
		err = add_mbox_file(set, kept_path, opts);
	}
done:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	kser_buf_release(&path);
	return err;
}

const struct kser_error *kser_mailset_add(struct kser_mailset *set,
					  const char *input,
					  const struct kser_mail_options *opts)
{
	const struct kser_error *err;
	struct kser_buf series = KSER_BUF_INIT, qdir = KSER_BUF_INIT;
	struct stat st;
	const char *kept_input;

	if (strcmp(input, "-") && stat(input, &st) < 0)
		return kser_error_errno("cannot read '%s'", input);
	kept_input = remember(set, input);
	if (!kept_input)
		return kser_error_nomem();
	if (!strcmp(input, "-") || !S_ISDIR(st.st_mode))
		return add_mbox_file(set, kept_input, opts);

	kser_buf_printf(&series, "%s/series", input);
	kser_buf_printf(&qdir, "%s", input);
	if (kser_buf_check(&series) || kser_buf_check(&qdir)) {
		err = kser_error_nomem();
		goto done;
	}
	if (!is_file(series.ptr)) {
		kser_buf_clear(&series);
		kser_buf_printf(&series, "%s/patches/series", input);
		kser_buf_clear(&qdir);
		kser_buf_printf(&qdir, "%s/patches", input);
		if (kser_buf_check(&series) || kser_buf_check(&qdir)) {
			err = kser_error_nomem();
			goto done;
		}
	}
	if (is_file(series.ptr))
		err = add_quilt(set, qdir.ptr, series.ptr, opts);
	else
		err = add_patch_dir(set, kept_input, opts);
done:
	kser_buf_release(&series);
	kser_buf_release(&qdir);
	return err;
}

/* --- indexes ---------------------------------------------------------- */

/*
 * A set of strings, by hash, so that a thread of thousands of replies is
 * read in linear time. Keys are borrowed; each has a value.
 */
struct str_map {
	const char **keys;
	size_t *vals;
	size_t cap, n;		/* cap is 0 or a power of two */
	bool icase;
};

static size_t str_hash(const char *s, bool icase)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		h ^= icase ? (unsigned char)tolower(c) : c;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static bool str_eq(const char *a, const char *b, bool icase)
{
	return icase ? !strcasecmp(a, b) : !strcmp(a, b);
}

static void str_map_release(struct str_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* The slot of key: where it is, or where it would go. */
static size_t str_map_slot(const struct str_map *m, const char *key)
{
	size_t i = str_hash(key, m->icase) & (m->cap - 1);

	while (m->keys[i] && !str_eq(m->keys[i], key, m->icase))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static const struct kser_error *str_map_grow(struct str_map *m)
{
	struct str_map bigger = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0,
				  m->icase };
	size_t i;

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		str_map_release(&bigger);
		return kser_error_nomem();
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		j = str_map_slot(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
		bigger.n++;
	}
	str_map_release(m);
	*m = bigger;
	return NULL;
}

/* Sets key to val, replacing what it was. */
static const struct kser_error *str_map_put(struct str_map *m,
					    const char *key, size_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		const struct kser_error *err = str_map_grow(m);

		if (err)
			return err;
	}
	i = str_map_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return NULL;
}

static bool str_map_get(const struct str_map *m, const char *key,
			size_t *val)
{
	size_t i;

	if (!m->cap || !key)
		return false;
	i = str_map_slot(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
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
	struct str_map by_id;		/* Message-Id -> entry; the last wins */
	unsigned int version;
	struct kser_mailset_entry **slots;	/* [0] cover, [1..total] */
	unsigned int total;
};

static const struct kser_mailset_entry *find_by_id(const struct thread_index *ix,
						   const char *id)
{
	size_t i;

	return str_map_get(&ix->by_id, id, &i) ? &ix->set->v[i] : NULL;
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

static const char *const collected_trailers[] = {
	"Reviewed-by", "Acked-by", "Tested-by", "Reported-by",
	"Suggested-by",
};

/* "Reviewed-by: A U Thor <a@b>" -> canonical spelling, or NULL. */
static char *trailer_from_line(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(collected_trailers) /
			sizeof(collected_trailers[0]); i++) {
		size_t n = strlen(collected_trailers[i]);
		const char *v, *end = line + len;
		struct kser_buf b = KSER_BUF_INIT;

		if (len <= n + 1 || strncasecmp(line, collected_trailers[i], n) ||
		    line[n] != ':')
			continue;
		v = line + n + 1;
		while (v < end && isspace((unsigned char)*v))
			v++;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		/* A person with an address, or it is not a trailer. */
		if (!memchr(v, '@', (size_t)(end - v)) ||
		    !memchr(v, '<', (size_t)(end - v)) || end[-1] != '>')
			return NULL;
		kser_buf_printf(&b, "%s: %.*s", collected_trailers[i],
				(int)(end - v), v);
		return kser_buf_detach(&b);
	}
	return NULL;
}

/* Adds trailer t to p unless seen (p's trailers, case aside) has it. */
static const struct kser_error *add_trailer(struct kser_series_patch *p,
					    struct str_map *seen,
					    const char *t)
{
	const struct kser_error *err;
	char *copy;

	if (str_map_get(seen, t, NULL))
		return NULL;
	err = kser_array_grow((void **)&p->trailers, &p->trailers_alloc,
			      p->ntrailers, sizeof(*p->trailers), 4);
	if (err)
		return err;
	copy = strdup(t);
	if (!copy)
		return kser_error_nomem();
	p->trailers[p->ntrailers++] = copy;
	return str_map_put(seen, copy, 0);
}

/* The next line of a text that may hold NUL bytes; false at its end. */
static bool next_body_line(const char **p, const char *end,
			   const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p += *len + (nl ? 1 : 0);
	return true;
}

/* The trailers a reply gives: unquoted lines above its signature. */
static const struct kser_error *reply_trailers(const struct kser_mail *mail,
					       char ***out, size_t *n)
{
	const char *p = mail->body, *end = p ? p + mail->body_len : NULL;
	const char *l;
	size_t len, alloc = 0;

	*out = NULL;
	*n = 0;
	while (next_body_line(&p, end, &l, &len)) {
		char *t;

		if (len == 3 && !memcmp(l, "-- ", 3))
			break;
		if (len && *l != '>' && memchr(l, ':', len) &&
		    (t = trailer_from_line(l, len))) {
			if (kser_array_grow((void **)out, &alloc, *n,
					    sizeof(**out), 4)) {
				free(t);
				return kser_error_nomem();
			}
			(*out)[(*n)++] = t;
		}
	}
	return NULL;
}

static char *find_base_commit(const struct kser_mail *mail)
{
	const char *p = mail ? mail->body : NULL;
	const char *end = p ? p + mail->body_len : NULL, *l;
	size_t len;

	while (next_body_line(&p, end, &l, &len)) {
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
	struct str_map *seen = NULL;
	struct kser_buf missing = KSER_BUF_INIT;
	size_t i, j;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return kser_error_nomem();

	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];
		unsigned int *v;

		if (e->role != KSER_ROLE_PATCH && e->role != KSER_ROLE_COVER)
			continue;
		for (j = 0; j < s->nversions; j++)
			if (s->versions[j] == e->info.version)
				break;
		if (j < s->nversions)
			continue;
		v = realloc(s->versions, (s->nversions + 1) * sizeof(*v));
		if (!v) {
			err = kser_error_nomem();
			goto done;
		}
		s->versions = v;
		v[s->nversions++] = e->info.version;
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
			err = str_map_put(&ix.by_id, set->v[i].mail->message_id,
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
		err = reply_trailers(e->mail, &trailers, &n);
		for (k = 0; k < n && !err; k++) {
			if (target->role == KSER_ROLE_COVER) {
				for (j = 0; j < s->npatches && !err; j++)
					err = add_trailer(&s->patches[j],
							  &seen[j],
							  trailers[k]);
			} else {
				j = target->info.number - 1;
				err = add_trailer(&s->patches[j], &seen[j],
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
			str_map_release(&seen[j]);
	free(seen);
	str_map_release(&ix.by_id);
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

/* "Token: value" lines make a trailer block. */
static bool is_trailer_line(const char *l, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (l[i] == ':')
			return i > 0 && i + 1 < len && l[i + 1] == ' ';
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return false;
	}
	return false;
}

const struct kser_error *
kser_series_commit_message(struct kser_buf *out,
			   const struct kser_series_patch *p)
{
	const struct kser_error *err;
	struct str_map have = { 0 };
	const char *last;
	char *lines, *q;
	bool block = true;
	size_t i;

	err = kser_mail_commit_message(out, p->mail);
	if (err || !p->ntrailers)
		return err;
	/* The last paragraph: is it a trailer block? */
	last = kser_buf_cstr(out);
	for (q = out->ptr; (q = strstr(q, "\n\n")); q += 2)
		last = q + 2;
	if (last == kser_buf_cstr(out))
		block = false;
	while (block && *last) {
		const char *nl = strchr(last, '\n');
		size_t len = nl ? (size_t)(nl - last) : strlen(last);

		if (len && !is_trailer_line(last, len))
			block = false;
		last += len + (nl ? 1 : 0);
	}
	/* The message's lines, to skip trailers that are already there. */
	lines = strdup(kser_buf_cstr(out));
	if (!lines)
		return kser_error_nomem();
	for (q = lines; q && *q;) {
		char *nl = strchr(q, '\n');

		if (nl)
			*nl = '\0';
		err = str_map_put(&have, q, 0);
		if (err)
			goto done;
		q = nl ? nl + 1 : NULL;
	}
	if (!block)
		kser_buf_putc(out, '\n');
	for (i = 0; i < p->ntrailers && !err; i++) {
		const char *t = p->trailers[i];

		if (str_map_get(&have, t, NULL))
			continue;
		kser_buf_printf(out, "%s\n", t);
		err = str_map_put(&have, t, 0);
	}
	if (!err)
		err = kser_buf_check(out);
done:
	str_map_release(&have);
	free(lines);
	return err;
}
