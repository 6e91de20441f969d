// SPDX-License-Identifier: GPL-2.0
/*
 * The inputs of a mailset: an mbox or a single mail, a directory of
 * format-patch files, a quilt directory. Uses the mail layer and core.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/series.h"
#include "kser/util.h"
#include "kser_lib_series.h"

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
	char *p;

	if (kser_array_grow((void **)&set->paths, &set->paths_alloc,
			    set->npaths, sizeof(*set->paths), 16))
		return NULL;
	p = strdup(path);
	return p ? (set->paths[set->npaths++] = p) : NULL;
}

static const struct kser_error *add_quilt(struct kser_mailset *set,
					  const char *dir, const char *series,
					  const struct kser_mail_options *opts)
{
	const struct kser_error *err = NULL;
	struct kser_buf text = KSER_BUF_INIT, path = KSER_BUF_INIT;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	char *line, *save = NULL;

	err = kser_read_file(&text, series);
	if (err)
		return err;
	for (line = strtok_r(text.ptr ? text.ptr : (char *)"", "\n", &save);
	     line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *end;

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
		err = kser_array_grow((void **)&names, &alloc, n,
				      sizeof(*names), 16);
		if (err)
			goto done;
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

static bool is_patch_file(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' &&
	       ((len > 6 && !strcmp(name + len - 6, ".patch")) ||
		(len > 5 && !strcmp(name + len - 5, ".mbox")) ||
		(len > 4 && !strcmp(name + len - 4, ".eml")));
}

static const struct kser_error *add_patch_dir(struct kser_mailset *set,
					      const char *dir,
					      const struct kser_mail_options *opts)
{
	const struct kser_error *err;
	struct kser_buf path = KSER_BUF_INIT;
	struct kser_dir_list list = { 0 };
	size_t n = 0, i;

	err = kser_dir_list(&list, -1, dir);
	for (i = 0; !err && i < list.n; i++)
		n += is_patch_file(list.v[i].name);
	if (!err && !n)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' holds no .patch, .mbox or .eml "
				     "files and no quilt series", dir);
	for (i = 0; !err && i < list.n; i++) {
		const char *kept_path;

		if (!is_patch_file(list.v[i].name))
			continue;
		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/%s", dir, list.v[i].name);
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
	kser_dir_list_release(&list);
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
