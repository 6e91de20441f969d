// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kser/buf.h"
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

/* --- selecting a series ------------------------------------------------ */

static int uint_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static const struct kser_mailset_entry *find_by_id(const struct kser_mailset *set,
						   const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = set->n; i-- > 0;)
		if (set->v[i].mail->message_id &&
		    !strcmp(set->v[i].mail->message_id, id))
			return &set->v[i];
	return NULL;
}

static bool in_selected(const struct kser_mailset_entry *e,
			unsigned int version)
{
	return (e->role == KSER_ROLE_PATCH || e->role == KSER_ROLE_COVER) &&
	       e->info.version == version;
}

/*
 * The patch or cover letter of the selected version a follow-up answers,
 * following the reply chain up; NULL when it answers something else.
 */
static const struct kser_mailset_entry *
thread_target(const struct kser_mailset *set,
	      const struct kser_mailset_entry *e, unsigned int version);

/* The patch of the selected version a subject like "Re: [PATCH v2 4/10]"
 * names, or NULL. */
static const struct kser_mailset_entry *
subject_target(const struct kser_mailset *set,
	       const struct kser_mailset_entry *e, unsigned int version)
{
	size_t i;

	if (!e->info.has_counter || e->info.version != version)
		return NULL;
	for (i = set->n; i-- > 0;) {
		const struct kser_mailset_entry *p = &set->v[i];

		if (in_selected(p, version) &&
		    p->info.number == e->info.number &&
		    p->info.total == e->info.total)
			return p;
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
followup_target(const struct kser_mailset *set,
		const struct kser_mailset_entry *e, unsigned int version)
{
	const struct kser_mailset_entry *t = thread_target(set, e, version);
	const struct kser_mailset_entry *s = subject_target(set, e, version);

	if (s && (!t || t->role == KSER_ROLE_COVER))
		return s;
	return t;
}

static const struct kser_mailset_entry *
thread_target(const struct kser_mailset *set,
	      const struct kser_mailset_entry *e, unsigned int version)
{
	const struct kser_mailset_entry *cur = e;
	size_t depth, i;

	for (depth = 0; depth < 64; depth++) {
		const struct kser_mailset_entry *parent =
			find_by_id(set, cur->mail->in_reply_to);

		if (!parent)
			break;
		if (parent->role == KSER_ROLE_PATCH ||
		    parent->role == KSER_ROLE_COVER)
			return in_selected(parent, version) ? parent : NULL;
		cur = parent;
	}
	/* The chain is broken: the References header may still tell. */
	for (i = e->mail->nreferences; i-- > 0;) {
		const struct kser_mailset_entry *ref =
			find_by_id(set, e->mail->references[i]);

		if (ref && (ref->role == KSER_ROLE_PATCH ||
			    ref->role == KSER_ROLE_COVER))
			return in_selected(ref, version) ? ref : NULL;
	}
	return NULL;
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

static bool has_trailer(char **v, size_t n, const char *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(v[i], t))
			return true;
	return false;
}

static const struct kser_error *add_trailer(struct kser_series_patch *p,
					    const char *t)
{
	char **v;

	if (has_trailer(p->trailers, p->ntrailers, t))
		return NULL;
	v = realloc(p->trailers, (p->ntrailers + 1) * sizeof(*v));
	if (!v)
		return kser_error_nomem();
	p->trailers = v;
	v[p->ntrailers] = strdup(t);
	if (!v[p->ntrailers])
		return kser_error_nomem();
	p->ntrailers++;
	return NULL;
}

/* The trailers a reply gives: unquoted lines above its signature. */
static const struct kser_error *reply_trailers(const struct kser_mail *mail,
					       char ***out, size_t *n)
{
	const char *p = mail->body ? mail->body : "";

	*out = NULL;
	*n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *t;

		if (len == 3 && !memcmp(p, "-- ", 3))
			break;
		if (*p != '>' && (t = trailer_from_line(p, len))) {
			char **v = realloc(*out, (*n + 1) * sizeof(*v));

			if (!v) {
				free(t);
				return kser_error_nomem();
			}
			*out = v;
			v[(*n)++] = t;
		}
		p += len + (nl ? 1 : 0);
	}
	return NULL;
}

static char *find_base_commit(const struct kser_mail *mail)
{
	const char *p = mail && mail->body ? mail->body : NULL;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, "base-commit: ", 13)) {
			const char *h = p + 13;
			size_t n = strspn(h, "0123456789abcdef");

			if (n >= 7 && n <= 40)
				return strndup(h, n);
		}
		p = nl ? nl + 1 : NULL;
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
			s->cover = e->mail;
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
		if (slots[e->info.number])
			kser_buf_printf(&set->notes, "patch %u/%u appears "
					"more than once; using the last "
					"one\n", e->info.number, s->total);
		slots[e->info.number] = e;
	}
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

	/* Trailers from replies. */
	for (i = 0; i < set->n; i++) {
		const struct kser_mailset_entry *e = &set->v[i];
		const struct kser_mailset_entry *target;
		char **trailers = NULL;
		size_t n = 0, k;

		if (e->role != KSER_ROLE_FOLLOWUP)
			continue;
		target = followup_target(set, e, version);
		if (!target)
			continue;
		err = reply_trailers(e->mail, &trailers, &n);
		for (k = 0; k < n && !err; k++) {
			if (target->role == KSER_ROLE_COVER) {
				for (j = 0; j < s->npatches && !err; j++)
					err = add_trailer(&s->patches[j],
							  trailers[k]);
			} else {
				err = add_trailer(
					&s->patches[target->info.number - 1],
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
	const char *last, *q;
	bool block = true;
	size_t i;

	err = kser_mail_commit_message(out, p->mail);
	if (err || !p->ntrailers)
		return err;
	/* The last paragraph: is it a trailer block? */
	last = kser_buf_cstr(out);
	for (q = last; (q = strstr(q, "\n\n")); q += 2)
		last = q + 2;
	if (last == kser_buf_cstr(out))
		block = false;
	for (q = last; block && *q;) {
		const char *nl = strchr(q, '\n');
		size_t len = nl ? (size_t)(nl - q) : strlen(q);

		if (len && !is_trailer_line(q, len))
			block = false;
		q += len + (nl ? 1 : 0);
	}
	if (!block)
		kser_buf_putc(out, '\n');
	for (i = 0; i < p->ntrailers; i++) {
		const char *t = p->trailers[i];
		size_t tl = strlen(t);
		const char *hit = strstr(kser_buf_cstr(out), t);

		/* Already there, as a whole line. */
		if (hit && (hit == out->ptr || hit[-1] == '\n') &&
		    (hit[tl] == '\n' || !hit[tl]))
			continue;
		kser_buf_printf(out, "%s\n", t);
	}
	return kser_buf_check(out);
}
