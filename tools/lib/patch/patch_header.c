// SPDX-License-Identifier: GPL-2.0
/*
 * The headers of a file patch: the names of "diff --git" and of ---/+++
 * lines (C-quoted, stripped of -p components, /dev/null), and git's
 * extended header lines, parsed by a table of prefix parsers the way
 * libgit2's patch_parse.c does it. Uses the parser's lines (patch.c),
 * its hunks and binary data (patch_hunk.c, patch_binary.c), and core.
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

long kser_unquote_c(const char *in, size_t len, char *out, size_t *consumed)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char c = in[i++];

		if (c == '"') {
			*consumed = i;
			return (long)o;
		}
		if (c == '\n')
			return -1;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (i >= len)
			return -1;
		c = in[i++];
		switch (c) {
		case 'a': out[o++] = '\a'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'v': out[o++] = '\v'; break;
		case '"':
		case '\\':
			out[o++] = c;
			break;
		case '0': case '1': case '2': case '3': {
			unsigned int v = (unsigned int)(c - '0');
			int k;

			for (k = 0; k < 2; k++) {
				if (i >= len || in[i] < '0' || in[i] > '7')
					return -1;
				v = v * 8 + (unsigned int)(in[i++] - '0');
			}
			out[o++] = (char)v;
			break;
		}
		default:
			return -1;
		}
	}
	return -1;
}

/* Drops `strip` leading components; NULL if the name has too few. */
static char *strip_components(const char *name, size_t len, int strip)
{
	const char *p = name, *end = name + len;

	while (strip-- > 0) {
		const char *slash = memchr(p, '/', (size_t)(end - p));

		if (!slash)
			return NULL;
		p = slash + 1;
		while (p < end && *p == '/')
			p++;
	}
	if (p == end)
		return NULL;
	return strndup(p, (size_t)(end - p));
}

/*
 * A name as written after "--- ", "+++ ", "rename from " and the like:
 * quoted, or running to a tab (a timestamp follows) or the end of line.
 * Returns NULL and sets *dev_null for /dev/null.
 */
const struct kser_error *patch_parse_name(const struct parser *p,
					  const char *s, size_t len, int strip,
					  char **out, bool *dev_null)
{
	char *buf = NULL;
	size_t n;

	*out = NULL;
	if (dev_null)
		*dev_null = false;
	len = patch_chomp_len(s, len);
	if (len && *s == '"') {
		size_t used;
		long r;

		buf = malloc(len);
		if (!buf)
			return kser_error_nomem();
		r = kser_unquote_c(s + 1, len - 1, buf, &used);
		if (r < 0) {
			free(buf);
			return patch_parse_error(p, "bad quoted file name");
		}
		n = (size_t)r;
	} else {
		const char *tab = memchr(s, '\t', len);
		size_t rest = tab ? len - (size_t)(tab - s) : 0;

		n = tab ? (size_t)(tab - s) : len;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
			n--;
		buf = malloc(n + 1);
		if (!buf)
			return kser_error_nomem();
		memcpy(buf, s, n);
		buf[n] = '\0';
		/* GNU diff -N marks a missing side with the epoch. */
		if (dev_null && tab &&
		    (memmem(tab, rest, "1970-01-01 00:00:00", 19) ||
		     memmem(tab, rest, "1969-12-31 ", 11)) &&
		    memmem(tab, rest, "00:00:00", 8)) {
			*dev_null = true;
			free(buf);
			return NULL;
		}
	}
	if (memchr(buf, '\0', n)) {
		free(buf);
		return patch_parse_error(p, "file name contains a NUL byte");
	}
	if (n == 9 && !memcmp(buf, "/dev/null", 9)) {
		free(buf);
		if (dev_null)
			*dev_null = true;
		return NULL;
	}
	*out = strip_components(buf, n, strip);
	free(buf);
	if (!*out)
		return patch_parse_error(p, "file name has too few components");
	return NULL;
}

/*
 * "diff --git a/x b/x": without quotes and renames the two names are the
 * same, which is how git finds the split when names contain spaces.
 */
static const struct kser_error *parse_git_names(const struct parser *p,
						const char *s, size_t len,
						struct kser_file_patch *fp)
{
	const struct kser_error *err;
	size_t i;

	len = patch_chomp_len(s, len);
	/* git finds no file name in such a line either. */
	if (memchr(s, '\0', len))
		return patch_parse_error(p, "'diff --git' line contains a NUL byte");
	if (len && *s == '"') {
		char *buf = malloc(len);
		size_t used;
		long r;
		char *first;

		if (!buf)
			return kser_error_nomem();
		r = kser_unquote_c(s + 1, len - 1, buf, &used);
		if (r < 0) {
			free(buf);
			return patch_parse_error(p, "bad quoted name in diff --git");
		}
		first = strip_components(buf, (size_t)r, p->strip);
		free(buf);
		s += used + 1;
		len -= used + 1;
		while (len && *s == ' ') {
			s++;
			len--;
		}
		err = patch_parse_name(p, s, len, p->strip, &fp->new_path, NULL);
		if (err) {
			free(first);
			return err;
		}
		fp->old_path = first;
		return NULL;
	}
	/* Find the split where both halves name the same file. */
	for (i = 0; i < len; i++) {
		char *a, *b;

		if (s[i] != ' ')
			continue;
		a = strip_components(s, i, p->strip);
		if (i + 1 < len && s[i + 1] == '"') {
			err = patch_parse_name(p, s + i + 1, len - i - 1, p->strip,
					 &b, NULL);
			if (err) {
				free(a);
				return err;
			}
		} else {
			b = strip_components(s + i + 1, len - i - 1, p->strip);
		}
		if (a && b && !strcmp(a, b)) {
			fp->old_path = a;
			fp->new_path = b;
			return NULL;
		}
		free(a);
		free(b);
	}
	/* A rename or copy: the extended headers will name the files. */
	return NULL;
}

static const struct kser_error *parse_mode(const struct parser *p,
					   const char *s, size_t len,
					   uint32_t *mode)
{
	unsigned long v = 0;
	size_t i;

	len = patch_chomp_len(s, len);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	/* Octal digits and nothing else: a NUL is no end here. */
	if (!len || len > 7)
		return patch_parse_error(p, "bad file mode");
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return patch_parse_error(p, "bad file mode");
		v = v * 8 + (unsigned long)(s[i] - '0');
	}
	if (v != 0100644 && v != 0100755 && v != 0120000 && v != 0160000 &&
	    v != 0100664)
		return patch_parse_error(p, "bad file mode");
	/* Old git wrote 100664 for group-writable files. */
	*mode = v == 0100664 ? 0100644 : (uint32_t)v;
	return NULL;
}

/* --- git extended headers ---------------------------------------------- */

typedef const struct kser_error *(*header_fn)(struct parser *p,
					      struct kser_file_patch *fp,
					      const char *arg, size_t len);

/*
 * "--- a/x" or "+++ b/x": /dev/null makes the file new (or deleted);
 * otherwise the name, unless rename or copy headers have given it.
 */
static const struct kser_error *hdr_name(struct parser *p,
					 struct kser_file_patch *fp,
					 const char *arg, size_t len, bool old)
{
	const struct kser_error *err;
	char **slot = old ? &fp->old_path : &fp->new_path;
	bool dev_null;
	char *name;

	err = patch_parse_name(p, arg, len, p->strip, &name, &dev_null);
	if (err)
		return err;
	if (dev_null) {
		if (old)
			fp->is_new = true;
		else
			fp->is_delete = true;
		free(*slot);
		*slot = NULL;
	} else if (!fp->is_rename && !fp->is_copy) {
		free(*slot);
		*slot = name;
		name = NULL;
	}
	free(name);
	return NULL;
}

static const struct kser_error *hdr_old_name(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return hdr_name(p, fp, arg, len, true);
}

static const struct kser_error *hdr_new_name(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return hdr_name(p, fp, arg, len, false);
}

static const struct kser_error *hdr_old_mode(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return parse_mode(p, arg, len, &fp->old_mode);
}

static const struct kser_error *hdr_new_mode(struct parser *p,
					     struct kser_file_patch *fp,
					     const char *arg, size_t len)
{
	return parse_mode(p, arg, len, &fp->new_mode);
}

static const struct kser_error *hdr_deleted(struct parser *p,
					    struct kser_file_patch *fp,
					    const char *arg, size_t len)
{
	fp->is_delete = true;
	free(fp->new_path);
	fp->new_path = NULL;
	return parse_mode(p, arg, len, &fp->old_mode);
}

static const struct kser_error *hdr_created(struct parser *p,
					    struct kser_file_patch *fp,
					    const char *arg, size_t len)
{
	fp->is_new = true;
	free(fp->old_path);
	fp->old_path = NULL;
	return parse_mode(p, arg, len, &fp->new_mode);
}

static const struct kser_error *set_other_name(struct parser *p, char **slot,
					       const char *arg, size_t len)
{
	free(*slot);
	/* rename/copy names carry no a/ b/ prefix. */
	return patch_parse_name(p, arg, len, 0, slot, NULL);
}

static const struct kser_error *hdr_copy_from(struct parser *p,
					      struct kser_file_patch *fp,
					      const char *arg, size_t len)
{
	fp->is_copy = true;
	return set_other_name(p, &fp->old_path, arg, len);
}

static const struct kser_error *hdr_copy_to(struct parser *p,
					    struct kser_file_patch *fp,
					    const char *arg, size_t len)
{
	fp->is_copy = true;
	return set_other_name(p, &fp->new_path, arg, len);
}

static const struct kser_error *hdr_rename_from(struct parser *p,
						struct kser_file_patch *fp,
						const char *arg, size_t len)
{
	fp->is_rename = true;
	return set_other_name(p, &fp->old_path, arg, len);
}

static const struct kser_error *hdr_rename_to(struct parser *p,
					      struct kser_file_patch *fp,
					      const char *arg, size_t len)
{
	fp->is_rename = true;
	return set_other_name(p, &fp->new_path, arg, len);
}

static const struct kser_error *hdr_ignore(struct parser *p,
					   struct kser_file_patch *fp,
					   const char *arg, size_t len)
{
	(void)p;
	(void)fp;
	(void)arg;
	(void)len;
	return NULL;
}

static const struct kser_error *hdr_index(struct parser *p,
					  struct kser_file_patch *fp,
					  const char *arg, size_t len)
{
	const char *dots, *end;
	size_t a, b;

	len = patch_chomp_len(arg, len);
	dots = memmem(arg, len, "..", 2);
	if (!dots)
		return patch_parse_error(p, "bad index line");
	a = (size_t)(dots - arg);
	end = dots + 2;
	b = 0;
	while (end + b < arg + len && isxdigit((unsigned char)end[b]))
		b++;
	if (a > 40 || b > 40 || !a || !b)
		return patch_parse_error(p, "bad index line");
	memcpy(fp->old_id, arg, a);
	fp->old_id[a] = '\0';
	memcpy(fp->new_id, end, b);
	fp->new_id[b] = '\0';
	end += b;
	if (end < arg + len && *end == ' ') {
		const struct kser_error *err;
		uint32_t mode;

		err = parse_mode(p, end + 1, (size_t)(arg + len - end - 1),
				 &mode);
		if (err)
			return err;
		if (!fp->old_mode)
			fp->old_mode = mode;
		if (!fp->new_mode)
			fp->new_mode = mode;
	}
	return NULL;
}

static const struct {
	const char *prefix;
	header_fn fn;
} git_headers[] = {
	{ "--- ", hdr_old_name },
	{ "+++ ", hdr_new_name },
	{ "old mode ", hdr_old_mode },
	{ "new mode ", hdr_new_mode },
	{ "deleted file mode ", hdr_deleted },
	{ "new file mode ", hdr_created },
	{ "copy from ", hdr_copy_from },
	{ "copy to ", hdr_copy_to },
	{ "rename old ", hdr_rename_from },
	{ "rename new ", hdr_rename_to },
	{ "rename from ", hdr_rename_from },
	{ "rename to ", hdr_rename_to },
	{ "similarity index ", hdr_ignore },
	{ "dissimilarity index ", hdr_ignore },
	{ "index ", hdr_index },
};

const struct kser_error *patch_parse_git_patch(struct parser *p,
					       struct kser_file_patch *fp)
{
	const struct kser_error *err;
	size_t i;

	fp->lineno = p->lineno;
	err = parse_git_names(p, p->line + 11, p->line_len - 11, fp);
	if (err)
		return err;
	patch_parser_next(p);
	while (patch_parser_line(p)) {
		const char *s = p->line;
		size_t len = p->line_len;
		bool matched = false;

		for (i = 0; i < sizeof(git_headers) / sizeof(git_headers[0]);
		     i++) {
			size_t n = strlen(git_headers[i].prefix);

			if (!patch_starts_with(s, len, git_headers[i].prefix))
				continue;
			err = git_headers[i].fn(p, fp, s + n, len - n);
			if (err)
				return err;
			matched = true;
			break;
		}
		if (!matched)
			break;
		patch_parser_next(p);
	}
	if (patch_parser_line(p)) {
		size_t len = patch_chomp_len(p->line, p->line_len);

		if (patch_starts_with(p->line, len, "GIT binary patch")) {
			err = patch_parse_binary(p, fp);
			if (err)
				return err;
		} else if (patch_starts_with(p->line, len, "Binary files ") &&
			   len > 7 && !memcmp(p->line + len - 7, " differ", 7)) {
			fp->is_binary = true;
			fp->binary_without_data = true;
			patch_parser_next(p);
		} else {
			err = patch_parse_hunks(p, fp);
			if (err)
				return err;
		}
	}
	if (!fp->old_path && !fp->is_new)
		return patch_parse_error(p, "git diff header lacks the old file "
				   "name");
	if (!fp->new_path && !fp->is_delete)
		return patch_parse_error(p, "git diff header lacks the new file "
				   "name");
	return NULL;
}
