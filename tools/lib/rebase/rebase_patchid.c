// SPDX-License-Identifier: GPL-2.0
/*
 * Patch-ids as `git diff-tree -p A B | git patch-id --stable` computes
 * them: the diff text git would print (no rename detection, three lines
 * of context, the indent heuristic), each file's lines hashed without
 * whitespace, and the files' hashes added so their order does not
 * matter. kser rebase uses them to drop commits already upstream and to
 * say which patches changed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/hash.h"
#include "kser/rebase.h"
#include "kser_lib_rebase.h"

struct pid {
	struct kser_sha1 *ctx;
	unsigned char sum[20];
	int before, after;
	size_t patchlen;
	bool stop;
};

static void flush_one(struct pid *s)
{
	unsigned char h[20];
	unsigned int carry = 0;
	int i;

	kser_sha1_final(s->ctx, h);
	for (i = 0; i < 20; i++) {
		carry += s->sum[i] + h[i];
		s->sum[i] = (unsigned char)carry;
		carry >>= 8;
	}
}

static int scan_count(const char **p)
{
	int n = 1;

	if (**p == ',') {
		(*p)++;
		n = (int)strtol(*p, (char **)p, 10);
	}
	return n;
}

/* "@@ -a,b +c,d @@": before = b, after = d. */
static void scan_hunk_header(struct pid *s, const char *line)
{
	const char *p = line + 4;

	strtol(p, (char **)&p, 10);
	s->before = scan_count(&p);
	if (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	strtol(p, (char **)&p, 10);
	s->after = scan_count(&p);
}

/* One line of diff text, as get_one_patchid() of builtin/patch-id.c. */
static void feed(struct pid *s, const char *line, size_t len)
{
	size_t i, n = 0;

	if (s->stop)
		return;
	if (len > 12 && line[0] == '\\' && line[1] == ' ')
		return;
	if (!s->patchlen && strncmp(line, "diff ", 5))
		return;
	if (s->before == -1) {
		if (!strncmp(line, "index ", 6))
			return;
		if (!strncmp(line, "--- ", 4))
			s->before = s->after = 1;
		else if (!isalpha((unsigned char)line[0])) {
			s->stop = true;
			return;
		}
	}
	if (s->before == 0 && s->after == 0) {
		if (!strncmp(line, "@@ -", 4)) {
			scan_hunk_header(s, line);
			return;
		}
		if (strncmp(line, "diff ", 5)) {
			s->stop = true;
			return;
		}
		flush_one(s);
		s->before = s->after = -1;
	}
	if (line[0] == '-' || line[0] == ' ')
		s->before--;
	if (line[0] == '+' || line[0] == ' ')
		s->after--;
	for (i = 0; i < len;) {
		size_t j = i;

		while (j < len && !isspace((unsigned char)line[j]))
			j++;
		if (j > i)
			kser_sha1_update(s->ctx, line + i, j - i);
		n += j - i;
		while (j < len && isspace((unsigned char)line[j]))
			j++;
		i = j;
	}
	s->patchlen += n;
}

static void feedf(struct pid *s, struct kser_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void feedf(struct pid *s, struct kser_buf *b, const char *fmt, ...)
{
	va_list ap;

	kser_buf_clear(b);
	va_start(ap, fmt);
	kser_buf_vprintf(b, fmt, ap);
	va_end(ap);
	feed(s, kser_buf_cstr(b), b->len);
}

/* "a/" + path, C-quoted as git quotes paths with special bytes. */
static void put_path(struct kser_buf *b, const char *pfx, const char *path)
{
	const unsigned char *p;
	bool quote = false;

	for (p = (const unsigned char *)path; *p; p++)
		quote |= *p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f;
	if (!quote) {
		kser_buf_printf(b, "%s%s", pfx, path);
		return;
	}
	kser_buf_printf(b, "\"%s", pfx);
	for (p = (const unsigned char *)path; *p; p++) {
		static const char esc[] = "\a\b\t\n\v\f\r";
		const char *e = *p && *p < 0x20 ? strchr(esc, *p) : NULL;

		if (e)
			kser_buf_printf(b, "\\%c", "abtnvfr"[e - esc]);
		else if (*p == '"' || *p == '\\')
			kser_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			kser_buf_printf(b, "\\%03o", *p);
		else
			kser_buf_putc(b, (char)*p);
	}
	kser_buf_putc(b, '"');
}

/* A header line naming one or two paths. */
static void feed_paths(struct pid *s, struct kser_buf *b, const char *head,
		       const char *p1, const char *p2, const char *tail)
{
	kser_buf_clear(b);
	kser_buf_puts(b, head);
	if (p1)
		put_path(b, "a/", p1);
	else
		kser_buf_puts(b, "/dev/null");
	if (p2) {
		kser_buf_puts(b, head[0] == 'd' ? " " : " and ");
		put_path(b, "b/", p2);
	} else if (tail) {
		kser_buf_puts(b, " and /dev/null");
	}
	kser_buf_puts(b, tail ? tail : "\n");
	feed(s, kser_buf_cstr(b), b->len);
}

static int hunk_line(const git_diff_delta *d, const git_diff_hunk *h,
		     const git_diff_line *l, void *arg)
{
	void **a = arg;
	struct pid *s = a[0];
	struct kser_buf *b = a[1];

	(void)d;
	if (!l) {
		feed(s, h->header, h->header_len);
		return 0;
	}
	if (l->origin != '+' && l->origin != '-' && l->origin != ' ')
		return 0;	/* "\ No newline at end of file" */
	kser_buf_clear(b);
	kser_buf_putc(b, l->origin);
	kser_buf_put(b, l->content, l->content_len);
	feed(s, kser_buf_cstr(b), b->len);
	return 0;
}

static int hunk_cb(const git_diff_delta *d, const git_diff_hunk *h,
		   void *arg)
{
	return hunk_line(d, h, NULL, arg);
}

/* A blob's text as git diffs it; a submodule is its commit line. */
static const struct kser_error *side_text(git_blob **blob, const char **ptr,
					  size_t *len, char *gitlink,
					  size_t gl_size, git_repository *repo,
					  const struct rb_entry *e)
{
	*blob = NULL;
	*ptr = "";
	*len = 0;
	if (!e->mode)
		return NULL;
	if (e->mode == GIT_FILEMODE_COMMIT) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &e->oid);
		snprintf(gitlink, gl_size, "Subproject commit %s\n", hex);
		*ptr = gitlink;
		*len = strlen(gitlink);
		return NULL;
	}
	if (git_blob_lookup(blob, repo, &e->oid) < 0)
		return kser_error_git("cannot read a blob");
	*ptr = git_blob_rawcontent(*blob);
	*len = (size_t)git_blob_rawsize(*blob);
	return NULL;
}

static const struct kser_error *one_file(struct pid *s, struct kser_buf *b,
					 git_repository *repo,
					 const struct rb_change *c)
{
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	const struct kser_error *err;
	git_blob *ob = NULL, *nb = NULL;
	const char *op, *np;
	size_t ol, nl;
	char gl1[80], gl2[80];
	void *arg[2] = { s, b };

	feed_paths(s, b, "diff --git ", c->path, c->path, NULL);
	if (!c->old.mode)
		feedf(s, b, "new file mode %06o\n", c->new.mode);
	else if (!c->new.mode)
		feedf(s, b, "deleted file mode %06o\n", c->old.mode);
	else if (c->old.mode != c->new.mode) {
		feedf(s, b, "old mode %06o\n", c->old.mode);
		feedf(s, b, "new mode %06o\n", c->new.mode);
	}
	if (c->old.mode && c->new.mode &&
	    git_oid_equal(&c->old.oid, &c->new.oid))
		return NULL;
	err = side_text(&ob, &op, &ol, gl1, sizeof(gl1), repo, &c->old);
	if (!err)
		err = side_text(&nb, &np, &nl, gl2, sizeof(gl2), repo,
				&c->new);
	if (err)
		goto done;
	if (!ol && !nl)
		goto done;
	if (rb_is_binary(op, ol) || rb_is_binary(np, nl)) {
		feed_paths(s, b, "Binary files ", c->old.mode ? c->path : NULL,
			   c->new.mode ? c->path : NULL, " differ\n");
		goto done;
	}
	feed_paths(s, b, "--- ", c->old.mode ? c->path : NULL, NULL, NULL);
	kser_buf_clear(b);
	kser_buf_puts(b, "+++ ");
	if (c->new.mode)
		put_path(b, "b/", c->path);
	else
		kser_buf_puts(b, "/dev/null");
	kser_buf_putc(b, '\n');
	feed(s, kser_buf_cstr(b), b->len);
	dopts.flags = GIT_DIFF_INDENT_HEURISTIC | GIT_DIFF_FORCE_TEXT;
	if (git_diff_buffers(op, ol, NULL, np, nl, NULL, &dopts, NULL, NULL,
			     hunk_cb, hunk_line, arg) < 0)
		err = kser_error_git("cannot diff '%s'", c->path);
done:
	git_blob_free(ob);
	git_blob_free(nb);
	return err ? err : kser_buf_check(b);
}

const struct kser_error *rb_patch_id(git_oid *out, git_repository *repo,
				     const git_oid *a, const git_oid *b)
{
	const struct kser_error *err;
	struct kser_buf line = KSER_BUF_INIT;
	struct rb_changes ch;
	struct pid s;
	size_t i;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	s.before = s.after = -1;
	err = rb_tree_diff(&ch, repo, a, b);
	if (err)
		return err;
	s.ctx = kser_sha1_new();
	if (!s.ctx) {
		rb_changes_release(&ch);
		return kser_error_nomem();
	}
	for (i = 0; i < ch.n && !err; i++)
		err = one_file(&s, &line, repo, &ch.v[i]);
	if (!err && s.patchlen) {
		flush_one(&s);
		git_oid_fromraw(out, s.sum);
	}
	kser_sha1_free(s.ctx);
	kser_buf_release(&line);
	rb_changes_release(&ch);
	return err;
}

const struct kser_error *kser_rebase_patch_id(git_oid *out,
					      git_repository *repo,
					      const git_oid *a,
					      const git_oid *b)
{
	return rb_patch_id(out, repo, a, b);
}
