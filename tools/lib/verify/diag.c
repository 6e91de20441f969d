// SPDX-License-Identifier: GPL-2.0
/*
 * Diagnostics: the list (struct kser_diags), gcc's and checkpatch.pl's
 * output parsed into it, and the fingerprints that tell a warning from
 * another. Uses only the core: errors, buffers, files.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

void kser_diags_release(struct kser_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].level);
		free(d->v[i].type);
		free(d->v[i].file);
		free(d->v[i].text);
		free(d->v[i].fingerprint);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

const struct kser_error *kser_diags_add(struct kser_diags *d,
					const char *level, const char *type,
					const char *file, unsigned int line,
					const char *text)
{
	struct kser_diag *x;

	const struct kser_error *err = kser_array_grow(
		(void **)&d->v, &d->alloc, d->n, sizeof(*d->v), 16);

	if (err)
		return err;
	x = &d->v[d->n];
	memset(x, 0, sizeof(*x));
	x->level = strdup(level);
	x->type = type ? strdup(type) : NULL;
	x->file = file ? strdup(file) : NULL;
	x->line = line;
	x->text = strdup(text);
	if (!x->level || !x->text || (type && !x->type) ||
	    (file && !x->file)) {
		free(x->level);
		free(x->type);
		free(x->file);
		free(x->text);
		return kser_error_nomem();
	}
	d->n++;
	return NULL;
}

static size_t line_at(const char *text, size_t len, size_t pos,
		      const char **line)
{
	const char *nl = memchr(text + pos, '\n', len - pos);
	size_t n = nl ? (size_t)(nl - text - pos) : len - pos;

	*line = text + pos;
	return n;
}

/* Does the line (not NUL-terminated) of length n start with prefix? */
static bool has_prefix(const char *l, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(l, prefix, k);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

const struct kser_error *
kser_checkpatch_parse(struct kser_diags *out,
		      struct kser_checkpatch_totals *totals,
		      const char *text, size_t len)
{
	const struct kser_error *err = NULL;
	size_t pos = 0;

	memset(totals, 0, sizeof(*totals));
	while (pos < len && !err) {
		const char *l;
		size_t n = line_at(text, len, pos, &l);
		const char *c1, *c2;

		pos += n + 1;
		if (has_prefix(l, n, "total: ")) {
			char buf[160];

			snprintf(buf, sizeof(buf), "%.*s", (int)n, l);
			totals->found = sscanf(buf, "total: %u errors, %u "
					       "warnings, %u checks, %u lines",
					       &totals->errors,
					       &totals->warnings,
					       &totals->checks,
					       &totals->lines) >= 2;
			if (!totals->found)
				totals->found = sscanf(buf, "total: %u errors,"
						       " %u warnings, %u "
						       "lines",
						       &totals->errors,
						       &totals->warnings,
						       &totals->lines) == 3;
			continue;
		}
		if (!has_prefix(l, n, "ERROR:") && !has_prefix(l, n, "WARNING:") &&
		    !has_prefix(l, n, "CHECK:"))
			continue;
		c1 = memchr(l, ':', n);
		c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - l));
		{
			char level[16], type[64], *msg, *file = NULL;
			unsigned int fline = 0;
			const char *m = c2 ? c2 + 1 : c1 + 1;
			const char *nl2;
			size_t n2;

			snprintf(level, sizeof(level), "%.*s", (int)(c1 - l),
				 l);
			lower(level);
			if (c2)
				snprintf(type, sizeof(type), "%.*s",
					 (int)(c2 - c1 - 1), c1 + 1);
			while (m < l + n && *m == ' ')
				m++;
			msg = strndup(m, (size_t)(l + n - m));
			/* "#12: FILE: lib/x.c:34:" */
			if (pos < len) {
				n2 = line_at(text, len, pos, &nl2);
				if (n2 > 1 && nl2[0] == '#') {
					const char *f = memmem(nl2, n2,
							       "FILE: ", 6);

					if (f) {
						const char *p = f + 6;
						const char *colon =
							memchr(p, ':', (size_t)
							       (nl2 + n2 - p));

						if (colon) {
							file = strndup(p, (size_t)
								       (colon - p));
							fline = (unsigned int)
								strtoul(colon + 1,
									NULL, 10);
						}
					}
					pos += n2 + 1;
				}
			}
			if (!msg)
				err = kser_error_nomem();
			else
				err = kser_diags_add(out, level,
						     c2 ? type : NULL, file,
						     fline, msg);
			free(msg);
			free(file);
		}
	}
	return err;
}

/* "../src/lib/x.c" or "/abs/src/lib/x.c" -> "lib/x.c" */
char *kser_diag_tree_path(const char *path, size_t n, const char *srcdir)
{
	size_t sl = srcdir ? strlen(srcdir) : 0;

	if (sl && n > sl + 1 && !strncmp(path, srcdir, sl) && path[sl] == '/')
		return strndup(path + sl + 1, n - sl - 1);
	while (n > 2 && !strncmp(path, "./", 2)) {
		path += 2;
		n -= 2;
	}
	if (sl && n > 3 && !strncmp(path, "../", 3)) {
		/* kbuild with O= names sources relative to the build dir. */
		const char *base = strrchr(srcdir, '/');
		size_t bl = base ? strlen(base + 1) : 0;

		if (bl && n > 3 + bl + 1 && !strncmp(path + 3, base + 1, bl) &&
		    path[3 + bl] == '/')
			return strndup(path + 4 + bl, n - 4 - bl);
	}
	return strndup(path, n);
}

/* "warning: ", "error: ", "fatal error: " at kind; msg after it. */
static bool gcc_kind(const char *kind, const char *end, bool *warning,
		     const char **msg)
{
	static const struct {
		const char *word;
		bool warning;
	} kinds[] = {
		{ "warning: ", true },
		{ "error: ", false },
		{ "fatal error: ", false },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		size_t k = strlen(kinds[i].word);

		if ((size_t)(end - kind) > k &&
		    !strncmp(kind, kinds[i].word, k)) {
			*warning = kinds[i].warning;
			*msg = kind + k;
			return true;
		}
	}
	return false;
}

/* Adds a compiler message; a trailing "[-Wflag]" is its type. */
static const struct kser_error *gcc_add(struct kser_diags *out, bool warning,
					const char *file, unsigned int line,
					const char *msg, size_t len)
{
	const struct kser_error *err;
	char *m = strndup(msg, len), *f = NULL;
	char *flag;

	if (!m)
		return kser_error_nomem();
	flag = strrchr(m, '[');
	if (flag && !strncmp(flag, "[-W", 3) && strchr(flag, ']')) {
		f = strndup(flag + 1, (size_t)(strchr(flag, ']') - flag - 1));
		if (!f) {
			free(m);
			return kser_error_nomem();
		}
		while (flag > m && flag[-1] == ' ')
			flag--;
		*flag = '\0';
	}
	err = kser_diags_add(out, warning ? "warning" : "error", f, file, line,
			     m);
	free(m);
	free(f);
	return err;
}

/* What ld said last of where it is: "OBJ: in function `F':". */
struct link_ctx {
	char *object;
	char *function;
};

/*
 * "ld: " or "/usr/bin/ld: " or "x86_64-linux-gnu-ld.bfd: " before a
 * line: its length, or 0.
 */
static size_t linker_prefix(const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n), *base;
	size_t k;

	if (!colon || (size_t)(colon - l) + 1 >= n || colon[1] != ' ')
		return 0;
	for (base = colon; base > l && base[-1] != '/'; base--)
		;
	if (memchr(base, ' ', (size_t)(colon - base)))
		return 0;
	k = (size_t)(colon - base);
	if ((k == 2 && !memcmp(base, "ld", 2)) ||
	    (k > 3 && !memcmp(base, "ld.", 3)) ||
	    (k > 3 && !memcmp(colon - 3, "-ld", 3)) ||
	    (k > 7 && memmem(base, k, "-ld.", 4)))
		return (size_t)(colon - l) + 2;
	return 0;
}

/*
 * The linker's errors, which name a symbol rather than a line:
 *
 *   ld: samples/x/y.o: in function `f':
 *   y.c:(.text+0x2): undefined reference to `g'
 *   ld: /src/samples/x/y.c:42: undefined reference to `h'
 *
 * The source is named from the object ld named before it (kbuild's
 * paths are the tree's), its line when ld knew it (debug info). True
 * when the line was the linker's.
 */
static bool link_line(struct kser_diags *out, const char *l, size_t n,
		      const char *srcdir, struct link_ctx *ctx,
		      const struct kser_error **err)
{
	static const char *const what[] = {
		": undefined reference to ", ": multiple definition of ",
	};
	size_t pre = linker_prefix(l, n), i, loclen;
	const char *end = l + n, *m = NULL, *loc, *p;
	struct kser_buf file = KSER_BUF_INIT, text = KSER_BUF_INIT;
	unsigned long line = 0;
	char *tp = NULL;

	loc = l + pre;
	if (pre && (p = memmem(loc, (size_t)(end - loc), ": in function `",
			       15)) && end[-1] == ':') {
		free(ctx->object);
		free(ctx->function);
		ctx->object = strndup(loc, (size_t)(p - loc));
		ctx->function = strndup(p + 15, (size_t)(end - p - 15 - 2));
		if (!ctx->object || !ctx->function)
			*err = kser_error_nomem();
		return true;
	}
	for (i = 0; i < sizeof(what) / sizeof(*what) && !m; i++)
		m = memmem(loc, (size_t)(end - loc), what[i],
			   strlen(what[i]));
	if (!m)
		return false;
	loclen = (size_t)(m - loc);
	/* A location is a path: not gcc quoting a source line. */
	if (memchr(loc, ' ', loclen))
		return false;
	p = memmem(loc, loclen, ":(", 2);
	if (p) {
		loclen = (size_t)(p - loc);	/* y.c:(.text+0x2) */
	} else {
		/* /src/x/y.c:42 */
		p = loc + loclen;
		while (p > loc && isdigit((unsigned char)p[-1]))
			p--;
		if (p > loc && p < loc + loclen && p[-1] == ':') {
			line = strtoul(p, NULL, 10);
			loclen = (size_t)(p - 1 - loc);
		}
	}
	/* "y.c" of "samples/x/y.o": the object's directory. */
	if (loclen && !memchr(loc, '/', loclen) && ctx->object &&
	    strrchr(ctx->object, '/')) {
		const char *slash = strrchr(ctx->object, '/');

		kser_buf_printf(&file, "%.*s/", (int)(slash - ctx->object),
				ctx->object);
	}
	kser_buf_put(&file, loc, loclen);
	kser_buf_put(&text, m + 2, (size_t)(end - m - 2));
	if (ctx->function)
		kser_buf_printf(&text, " (in function `%s')", ctx->function);
	if (kser_buf_check(&file) || kser_buf_check(&text)) {
		*err = kser_error_nomem();
	} else {
		tp = file.len ? kser_diag_tree_path(file.ptr, file.len,
						   srcdir) : NULL;
		*err = file.len && !tp ? kser_error_nomem() :
		       kser_diags_add(out, "error", "link", tp,
				      (unsigned int)line, text.ptr);
	}
	free(tp);
	kser_buf_release(&file);
	kser_buf_release(&text);
	return true;
}

/*
 * modpost's findings: "ERROR: modpost: "sym" [lib/x.ko] undefined!",
 * "WARNING: modpost: ...". True when the line was one.
 */
static bool modpost_line(struct kser_diags *out, const char *l, size_t n,
			 bool want_warnings, const struct kser_error **err)
{
	bool warning;
	size_t k;
	char *m;

	if (has_prefix(l, n, "ERROR: modpost: ")) {
		warning = false;
		k = 7;
	} else if (has_prefix(l, n, "WARNING: modpost: ")) {
		warning = true;
		k = 9;
	} else {
		return false;
	}
	if (warning && !want_warnings)
		return true;
	m = strndup(l + k, n - k);
	*err = m ? kser_diags_add(out, warning ? "warning" : "error",
				  "modpost", NULL, 0, m) :
		   kser_error_nomem();
	free(m);
	return true;
}

const struct kser_error *kser_gcc_parse(struct kser_diags *out,
					const char *text, size_t len,
					const char *srcdir, bool want_warnings)
{
	const struct kser_error *err = NULL;
	struct link_ctx ctx = { NULL, NULL };
	size_t pos = 0;

	while (pos < len && !err) {
		const char *l, *p, *msg, *colon, *end;
		size_t n = line_at(text, len, pos, &l);
		unsigned long line;
		char *file;
		bool warning;

		pos += n + 1;
		end = l + n;
		if (modpost_line(out, l, n, want_warnings, &err) ||
		    link_line(out, l, n, srcdir, &ctx, &err))
			continue;
		/* path:line:col: (fatal error|error|warning): message */
		colon = memchr(l, ':', n);
		if (!colon || colon == l)
			continue;
		p = colon + 1;
		if (p >= end || !isdigit((unsigned char)*p))
			goto no_line;
		/* line, then maybe :column; the line need not end in NUL. */
		line = 0;
		while (p < end && isdigit((unsigned char)*p) &&
		       line < 100000000)
			line = line * 10 + (unsigned long)(*p++ - '0');
		if (p + 1 < end && *p == ':' && isdigit((unsigned char)p[1])) {
			p++;
			while (p < end && isdigit((unsigned char)*p))
				p++;
		}
		if (p >= end || *p != ':')
			continue;
		p++;
		while (p < end && *p == ' ')
			p++;
		if (!gcc_kind(p, end, &warning, &msg) ||
		    (warning && !want_warnings))
			continue;
		file = kser_diag_tree_path(l, (size_t)(colon - l), srcdir);
		err = file ? gcc_add(out, warning, file, (unsigned int)line,
				     msg, (size_t)(end - msg)) :
			     kser_error_nomem();
		free(file);
		continue;
no_line:
		/* "cc1: warning: ...", "<command-line>: error: ...": about no
		 * file, but a patch's flags can add them all the same. */
		if (memchr(l, ' ', (size_t)(colon - l)))
			continue;
		p = colon + 1;
		while (p < end && *p == ' ')
			p++;
		if (gcc_kind(p, end, &warning, &msg) &&
		    (!warning || want_warnings))
			err = gcc_add(out, warning, NULL, 0, msg,
				      (size_t)(end - msg));
	}
	free(ctx.object);
	free(ctx.function);
	return err;
}

/* The line'th line of a file, whitespace collapsed; "" if unreadable. */
static char *source_line(const char *srcdir, const char *file,
			 unsigned int line)
{
	struct kser_buf path = KSER_BUF_INIT, out = KSER_BUF_INIT;
	char buf[4096];
	unsigned int cur = 1;
	bool space = false;
	FILE *fp;

	kser_buf_printf(&path, "%s/%s", srcdir, file);
	fp = kser_buf_check(&path) ? NULL : fopen(path.ptr, "r");
	kser_buf_release(&path);
	if (!fp)
		return strdup("");
	while (cur < line && fgets(buf, sizeof(buf), fp))
		if (strchr(buf, '\n'))
			cur++;
	if (cur == line && fgets(buf, sizeof(buf), fp)) {
		const char *s;

		for (s = buf; *s && *s != '\n'; s++) {
			if (isspace((unsigned char)*s)) {
				space = out.len > 0;
				continue;
			}
			if (space)
				kser_buf_putc(&out, ' ');
			space = false;
			kser_buf_putc(&out, *s);
		}
	}
	fclose(fp);
	return kser_buf_detach(&out);
}

const struct kser_error *kser_diags_fingerprint(struct kser_diags *d,
						const char *srcdir)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct kser_diag *x = &d->v[i];
		struct kser_buf fp = KSER_BUF_INIT;
		char *src;

		if (x->fingerprint)
			continue;
		src = x->file && x->line ? source_line(srcdir, x->file,
						       x->line) : strdup("");
		if (!src)
			return kser_error_nomem();
		kser_buf_printf(&fp, "%s|%s|%s|%s", x->file ? x->file : "",
				x->text, x->type ? x->type : "", src);
		free(src);
		x->fingerprint = kser_buf_detach(&fp);
		if (!x->fingerprint)
			return kser_error_nomem();
	}
	return NULL;
}
