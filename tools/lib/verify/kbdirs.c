// SPDX-License-Identifier: GPL-2.0
/*
 * Which directories' kbuild passes read a kbuild file. kbuild reads a
 * directory's Makefile (or Kbuild) in that directory's pass alone,
 * make -f scripts/Makefile.build obj=DIR, and whatever that file includes
 * (a .mk, a Makefile.something) in the passes of every directory whose
 * Makefile includes it. The fast path of the build check runs those
 * passes alone instead of make's walk of the whole tree; a file kbuild's
 * top Makefile reads (the top directory's, arch/ARCH/'s, scripts/'s) or
 * one read by anything but a directory's own Makefile is make's to judge.
 * Uses libgit2's trees and blobs and the core.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

void verify_dirs_release(struct verify_dirs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* Is path dir itself or inside it? */
static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

const char *verify_dirs_holding(const struct verify_dirs *d,
				const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (inside(path, d->v[i]))
			return d->v[i];
	return NULL;
}

/* Adds dir (no trailing '/'); a directory inside another is left out. */
const struct kser_error *verify_dirs_add(struct verify_dirs *d,
					 const char *dir, size_t len)
{
	const struct kser_error *err;
	char *s = strndup(dir, len);
	size_t i, k;

	if (!s)
		return kser_error_nomem();
	if (verify_dirs_holding(d, s)) {
		free(s);
		return NULL;
	}
	for (i = k = 0; i < d->n; i++) {
		if (inside(d->v[i], s))
			free(d->v[i]);
		else
			d->v[k++] = d->v[i];
	}
	d->n = k;
	err = kser_array_grow((void **)&d->v, &d->alloc, d->n, sizeof(*d->v),
			      8);
	if (err) {
		free(s);
		return err;
	}
	d->v[d->n++] = s;
	return NULL;
}

static const char *base_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* A directory's own kbuild file: DIR/Makefile or DIR/Kbuild. */
bool verify_kbuild_own_file(const char *path)
{
	const char *b = base_of(path);

	return !strcmp(b, "Makefile") || !strcmp(b, "Kbuild");
}

/*
 * Is dir one whose kbuild file kbuild's top Makefile reads besides its
 * pass (the top, arch/ARCH, with their includes), or one of kbuild's own
 * (scripts/, and the host tools under tools/ and usr/)?
 */
bool verify_kbuild_top_read(const char *dir, size_t len)
{
	const char *slash;

	if (!len)
		return true;
	if ((len >= 7 && !strncmp(dir, "scripts", 7) &&
	     (len == 7 || dir[7] == '/')) ||
	    (len >= 5 && !strncmp(dir, "tools", 5) &&
	     (len == 5 || dir[5] == '/')) ||
	    (len >= 3 && !strncmp(dir, "usr", 3) && (len == 3 || dir[3] == '/')))
		return true;
	/*
	 * arch/: the top Makefile reads arch/ARCH/'s files, and its
	 * prepare steps make targets in deeper ones (arch/x86/um's
	 * user-offsets.s, arch/um/kernel's asm-offsets.s).
	 */
	(void)slash;
	return len >= 4 && !strncmp(dir, "arch", 4) &&
	       (len == 4 || dir[4] == '/');
}

/* Could kbuild read this file as a makefile (the walk's candidates)? */
static bool makefile_like(const char *name)
{
	size_t n = strlen(name);

	return !strncmp(name, "Makefile", 8) || !strncmp(name, "Kbuild", 6) ||
	       !strcmp(name, "Platform") ||
	       (n > 3 && !strcmp(name + n - 3, ".mk")) ||
	       (n > 8 && !strcmp(name + n - 8, ".include"));
}

static bool word_end(char c)
{
	return !c || c == ' ' || c == '\t' || c == '\n' || c == ')' ||
	       c == '}' || c == '"' || c == '\'' || c == ';' || c == ',';
}

static bool word_start(char c)
{
	return c == '/' || c == ' ' || c == '\t' || c == '(' || c == '{' ||
	       c == '"' || c == '\'' || c == '=' || c == ',' || c == '\n';
}

/*
 * Does text name needle as a file (a word that is it or ends in
 * "/needle")? With on_include, only on a line that includes something.
 */
static bool names(const char *text, size_t len, const char *needle,
		  bool on_include)
{
	size_t n = strlen(needle);
	const char *p = text, *end = text + len;

	while (p < end && (p = memmem(p, (size_t)(end - p), needle, n))) {
		char before = p == text ? '\n' : p[-1];
		char after = p + n < end ? p[n] : '\0';

		if (word_start(before) && word_end(after)) {
			const char *ls = p, *inc;

			if (!on_include)
				return true;
			while (ls > text && ls[-1] != '\n')
				ls--;
			inc = memmem(ls, (size_t)(p - ls), "include", 7);
			if (inc)
				return true;
		}
		p++;
	}
	return false;
}

/*
 * Might an include line of text read a file named base, though it does
 * not name it: a word whose last path component is a variable
 * ("$(CTNR_MK)") or a pattern base matches (a wildcard of every .mk of
 * $(src), say)? kbuild's own files (scripts/, the top's, arch/) include
 * through variables by design ($(kbuild-file)); they are not asked.
 */
static bool may_include(const char *text, size_t len, const char *base)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *w;
		size_t n;

		if (!eol)
			eol = end;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (*q == '-' || *q == 's')
			q++;
		n = (size_t)(eol - q);
		if (n > 8 && !strncmp(q, "include", 7) &&
		    (q[7] == ' ' || q[7] == '\t')) {
			for (w = q + 7; w < eol;) {
				char word[512], *last, *c;
				size_t wl;

				while (w < eol && (*w == ' ' || *w == '\t'))
					w++;
				wl = strcspn(w, " \t\n");
				if (w + wl > eol)
					wl = (size_t)(eol - w);
				if (!wl)
					break;
				if (wl >= sizeof(word))
					return true;
				memcpy(word, w, wl);
				word[wl] = '\0';
				w += wl;
				/* "$(wildcard" and its ")": the pattern between. */
				if (!strcmp(word, "$(wildcard"))
					continue;
				/* The ")" closing what the word did not open. */
				for (;;) {
					int depth = 0;

					for (c = word; *c; c++)
						depth += *c == '(' ? 1 :
							 *c == ')' ? -1 : 0;
					c = word + strlen(word);
					if (depth >= 0 || c == word || c[-1] != ')')
						break;
					c[-1] = '\0';
				}
				last = strrchr(word, '/');
				last = last ? last + 1 : word;
				if (strchr(last, '$'))
					return true;
				if (strpbrk(last, "*?[") &&
				    !fnmatch(last, base, 0))
					return true;
			}
		}
		p = eol + 1;
	}
	return false;
}

struct scan {
	git_repository *repo;
	const char *const *paths;	/* the included files changed */
	const char **needles;		/* what names each */
	const bool *own;
	size_t n;
	struct verify_dirs *out;
	struct kser_buf *why;
	const struct kser_error *err;
	size_t *readers;		/* per path: readers found */
};

static int scan_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct scan *s = payload;
	const char *name = git_tree_entry_name(e);
	struct kser_buf path = KSER_BUF_INIT;
	git_blob *blob = NULL;
	const char *text;
	size_t len, i;
	int rc = 0;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return strcmp(name, "Documentation") || *root ? 0 : 1;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !makefile_like(name))
		return 0;
	kser_buf_printf(&path, "%s%s", root, name);
	if (kser_buf_check(&path)) {
		s->err = kser_error_nomem();
		return -1;
	}
	if (git_blob_lookup(&blob, s->repo, git_tree_entry_id(e)) < 0) {
		s->err = kser_error_git("cannot read '%s'", path.ptr);
		kser_buf_release(&path);
		return -1;
	}
	text = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	for (i = 0; i < s->n && !s->why->len; i++) {
		const char *dir = path.ptr, *slash = strrchr(path.ptr, '/');
		size_t dl = slash ? (size_t)(slash - dir) : 0;

		if (!strcmp(path.ptr, s->paths[i]) ||
		    (!names(text, len, s->needles[i], s->own[i]) &&
		     (s->own[i] || verify_kbuild_top_read(dir, dl) ||
		      !may_include(text, len, base_of(s->paths[i])))))
			continue;
		s->readers[i]++;
		if (!verify_kbuild_own_file(path.ptr) || verify_kbuild_top_read(dir, dl)) {
			kser_buf_printf(s->why, "'%s' is read by '%s', which "
					"is not a directory's own Makefile",
					s->paths[i], path.ptr);
			break;
		}
		s->err = verify_dirs_add(s->out, dir, dl);
		if (s->err) {
			rc = -1;
			break;
		}
	}
	if (s->why->len)
		rc = -1;
	git_blob_free(blob);
	kser_buf_release(&path);
	return rc;
}

const struct kser_error *verify_kbuild_readers(git_repository *repo,
					       const git_oid *tree_id,
					       const char *const *paths,
					       size_t n,
					       struct verify_dirs *out,
					       struct kser_buf *why)
{
	struct scan s = { 0 };
	git_tree *tree = NULL;
	const struct kser_error *err = NULL;
	bool *own = calloc(n ? n : 1, sizeof(*own));
	const char **needles = calloc(n ? n : 1, sizeof(*needles));
	size_t *readers = calloc(n ? n : 1, sizeof(*readers));
	size_t i;

	if (!own || !needles || !readers) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < n; i++) {
		const char *p = paths[i], *slash = strrchr(p, '/');
		size_t dl = slash ? (size_t)(slash - p) : 0;

		if (verify_kbuild_top_read(p, dl)) {
			kser_buf_printf(why, "'%s' is read by kbuild's top "
					"Makefile", p);
			goto done;
		}
		own[i] = verify_kbuild_own_file(p);
		if (own[i]) {
			/* Its pass reads it; an include of it: "dir/Makefile". */
			const char *ps = dl ? memrchr(p, '/', dl) : NULL;

			err = verify_dirs_add(out, p, dl);
			if (err)
				goto done;
			needles[i] = ps ? ps + 1 : p;
		} else {
			needles[i] = base_of(p);
		}
	}
	if (git_tree_lookup(&tree, repo, tree_id) < 0) {
		err = kser_error_git("cannot read the tree");
		goto done;
	}
	s.repo = repo;
	s.paths = paths;
	s.needles = needles;
	s.own = own;
	s.n = n;
	s.out = out;
	s.why = why;
	s.readers = readers;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, scan_cb, &s) < 0 &&
	    !s.err && !why->len)
		s.err = kser_error_git("cannot walk the tree");
	err = s.err;
	for (i = 0; !err && !why->len && i < n; i++)
		if (!own[i] && !readers[i])
			kser_buf_printf(why, "no directory's Makefile names "
					"'%s'", paths[i]);
done:
	git_tree_free(tree);
	free(own);
	free(needles);
	free(readers);
	return err;
}

/* Does text hold word (a whole word of make's)? */
static bool has_word(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);
	const char *p = text, *end = text + len;

	while (p < end && (p = memmem(p, (size_t)(end - p), word, n))) {
		char before = p == text ? '\n' : p[-1];

		if (before == '\n' || before == ' ' || before == '\t' ||
		    before == '(' || before == '$')
			return true;
		p++;
	}
	return false;
}

/* Does a line of text start (after blanks) with word? */
static bool line_starts(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *q = p;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(end - q) > n && !strncmp(q, word, n) &&
		    (q[n] == ' ' || q[n] == '\t'))
			return true;
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
	}
	return false;
}

const struct kser_error *verify_kbuild_inherits(git_repository *repo,
						const git_oid *tree_id,
						const char *dir,
						struct kser_buf *why)
{
	static const char *const words[] = {
		"subdir-ccflags-y", "subdir-asflags-y", "subdir-rustflags-y",
		"subdir-ccflags", "subdir-asflags", "KBUILD_",
	};
	static const char *const starts[] = {
		"include", "-include", "sinclude", "export",
	};
	const struct kser_error *err = NULL;
	git_tree *tree = NULL;
	size_t len = strlen(dir);

	if (git_tree_lookup(&tree, repo, tree_id) < 0)
		return kser_error_git("cannot read the tree");
	while (!err && !why->len) {
		const char *slash = len ? memrchr(dir, '/', len) : NULL;
		size_t al = slash ? (size_t)(slash - dir) : 0, i;
		const char *names[] = { "Kbuild", "Makefile" };
		bool up = len > 0;

		if (!up)
			break;
		for (i = 0; i < 2; i++) {
			struct kser_buf path = KSER_BUF_INIT;
			git_tree_entry *e = NULL;
			git_blob *b = NULL;
			const char *text;
			size_t n, k;

			/* The top's pass reads Kbuild; the top Makefile's
			 * doings are in the environment the passes have. */
			if (!al && i == 1)
				break;
			if (al)
				kser_buf_printf(&path, "%.*s/%s", (int)al, dir,
						names[i]);
			else
				kser_buf_puts(&path, names[i]);
			if (kser_buf_check(&path)) {
				err = kser_error_nomem();
				break;
			}
			if (git_tree_entry_bypath(&e, tree, path.ptr) < 0) {
				kser_buf_release(&path);
				continue;
			}
			if (git_blob_lookup(&b, repo,
					    git_tree_entry_id(e)) < 0) {
				err = kser_error_git("cannot read '%s'",
						     path.ptr);
			} else {
				text = git_blob_rawcontent(b);
				n = (size_t)git_blob_rawsize(b);
				for (k = 0; k < 6 && !why->len; k++)
					if (has_word(text, n, words[k]))
						kser_buf_printf(why, "'%s' "
							"sets '%s', which the "
							"directories under it "
							"inherit from its pass",
							path.ptr, words[k]);
				for (k = 0; k < 4 && !why->len; k++)
					if (line_starts(text, n, starts[k]))
						kser_buf_printf(why, "'%s' "
							"has '%s' lines: what "
							"the directories under "
							"it inherit from its "
							"pass may come from them",
							path.ptr, starts[k]);
			}
			git_blob_free(b);
			git_tree_entry_free(e);
			kser_buf_release(&path);
			break;	/* Kbuild first: the file the pass reads */
		}
		len = al;
	}
	git_tree_free(tree);
	return err;
}
