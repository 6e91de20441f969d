// SPDX-License-Identifier: GPL-2.0
/*
 * The patch parser. It reads what `git apply` reads, with the same rules
 * about where a patch starts and ends, so that kser and git agree on every
 * input. This file holds the parser's lines and its driver: where a file
 * patch starts ("diff --git", or ---/+++ for a traditional diff) and what
 * between file patches is skipped; the headers, hunks and binary data of
 * each are patch_header.c's, patch_hunk.c's and patch_binary.c's. Uses
 * core.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/util.h"
#include "kser_lib_patch.h"

bool patch_parser_line(struct parser *p)
{
	const char *nl;

	if (p->pos >= p->len)
		return false;
	p->line = p->text + p->pos;
	nl = memchr(p->line, '\n', p->len - p->pos);
	p->line_len = nl ? (size_t)(nl - p->line) + 1 : p->len - p->pos;
	return true;
}

void patch_parser_next(struct parser *p)
{
	p->pos += p->line_len;
	p->lineno++;
}

/* The line after the current one, without moving. */
bool patch_peek_line(const struct parser *p, size_t skip, const char **line,
		     size_t *len)
{
	size_t pos = p->pos;
	const char *nl;

	while (1) {
		if (pos >= p->len)
			return false;
		nl = memchr(p->text + pos, '\n', p->len - pos);
		*line = p->text + pos;
		*len = nl ? (size_t)(nl - *line) + 1 : p->len - pos;
		if (!skip--)
			return true;
		pos += *len;
	}
}

bool patch_starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* Length without the trailing newline (and a CR before it). */
size_t patch_chomp_len(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n')
		len--;
	return len;
}

const struct kser_error *patch_parse_error(const struct parser *p,
					   const char *what)
{
	return kser_error_fmt(KSER_ERR_BAD_INPUT,
			      "corrupt patch at line %zu: %s", p->lineno,
			      what);
}

/* --- file patches ------------------------------------------------------ */

void patch_file_patch_release(struct kser_file_patch *fp)
{
	size_t i;

	free(fp->old_path);
	free(fp->new_path);
	for (i = 0; i < fp->nhunks; i++)
		free(fp->hunks[i].lines);
	free(fp->hunks);
	free(fp->forward.data);
	free(fp->reverse.data);
}

/* "--- a\n+++ b\n@@ -..." starts a patch that has no git header. */
static bool traditional_start(const struct parser *p)
{
	const char *l2, *l3;
	size_t n2, n3;
	struct kser_hunk h;

	if (!patch_starts_with(p->line, p->line_len, "--- "))
		return false;
	if (!patch_peek_line(p, 1, &l2, &n2) || !patch_starts_with(l2, n2, "+++ "))
		return false;
	return patch_peek_line(p, 2, &l3, &n3) && patch_parse_hunk_header(l3, n3, &h);
}

static const struct kser_error *parse_traditional(struct parser *p,
						  struct kser_file_patch *fp)
{
	const struct kser_error *err;
	char *oldn = NULL, *newn = NULL;
	bool old_null, new_null;

	fp->lineno = p->lineno;
	err = patch_parse_name(p, p->line + 4, p->line_len - 4, p->strip, &oldn,
			 &old_null);
	if (err)
		return err;
	patch_parser_next(p);
	patch_parser_line(p);
	err = patch_parse_name(p, p->line + 4, p->line_len - 4, p->strip, &newn,
			 &new_null);
	if (err) {
		free(oldn);
		return err;
	}
	patch_parser_next(p);
	if (old_null && new_null) {
		free(oldn);
		free(newn);
		return patch_parse_error(p, "both sides are /dev/null");
	}
	if (old_null) {
		fp->is_new = true;
		fp->new_path = newn;
		free(oldn);
	} else if (new_null) {
		fp->is_delete = true;
		fp->old_path = oldn;
		free(newn);
	} else {
		/* Without a git header, the new name names the file. */
		fp->old_path = newn;
		fp->new_path = strdup(newn);
		free(oldn);
		if (!fp->new_path)
			return kser_error_nomem();
	}
	return patch_parse_hunks(p, fp);
}

static const struct kser_error *add_file(struct kser_patch *patch,
					 size_t *alloc,
					 struct kser_file_patch **out)
{
	const struct kser_error *err;

	err = kser_array_grow((void **)&patch->files, alloc, patch->nfiles,
			      sizeof(*patch->files), 4);
	if (err)
		return err;
	*out = &patch->files[patch->nfiles++];
	memset(*out, 0, sizeof(**out));
	return NULL;
}

const struct kser_error *kser_patch_parse(struct kser_patch **out,
					  const char *text, size_t len,
					  int strip)
{
	const struct kser_error *err = NULL;
	struct kser_patch *patch;
	struct parser p = { 0 };
	size_t files_alloc = 0;

	*out = NULL;
	patch = calloc(1, sizeof(*patch));
	if (!patch)
		return kser_error_nomem();
	patch->text = malloc(len + 1);
	if (!patch->text) {
		free(patch);
		return kser_error_nomem();
	}
	memcpy(patch->text, text, len);
	patch->text[len] = '\0';
	patch->len = len;

	p.text = patch->text;
	p.len = len;
	p.lineno = 1;
	p.strip = strip;
	while (patch_parser_line(&p)) {
		struct kser_file_patch *fp;

		if (patch_starts_with(p.line, p.line_len, "diff --git ")) {
			err = add_file(patch, &files_alloc, &fp);
			if (!err)
				err = patch_parse_git_patch(&p, fp);
		} else if (traditional_start(&p)) {
			err = add_file(patch, &files_alloc, &fp);
			if (!err)
				err = parse_traditional(&p, fp);
		} else {
			struct kser_hunk h;

			/* A hunk with no file header: git calls that corrupt. */
			if (patch_parse_hunk_header(p.line, p.line_len, &h)) {
				err = patch_parse_error(&p, "hunk without a file "
						  "header");
				break;
			}
			patch_parser_next(&p);
			continue;
		}
		if (err)
			break;
		if (!fp->nhunks && !fp->is_binary && !fp->is_new &&
		    !fp->is_delete && !fp->is_rename && !fp->is_copy &&
		    !(fp->old_mode && fp->new_mode &&
		      fp->old_mode != fp->new_mode)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "corrupt patch at line %zu: "
					     "patch for '%s' changes nothing",
					     fp->lineno,
					     kser_file_patch_path(fp));
			break;
		}
	}
	if (!err && !patch->nfiles)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "no valid patches in input");
	if (err) {
		kser_patch_free(patch);
		return err;
	}
	*out = patch;
	return NULL;
}

void kser_patch_free(struct kser_patch *patch)
{
	size_t i;

	if (!patch)
		return;
	for (i = 0; i < patch->nfiles; i++)
		patch_file_patch_release(&patch->files[i]);
	free(patch->files);
	free(patch->text);
	free(patch);
}

const char *kser_file_patch_path(const struct kser_file_patch *fp)
{
	if (fp->new_path)
		return fp->new_path;
	return fp->old_path ? fp->old_path : "(unknown)";
}
