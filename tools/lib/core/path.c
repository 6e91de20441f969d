// SPDX-License-Identifier: GPL-2.0
/*
 * Path safety: the one rule import, overlays and apply share. git refuses
 * these names in verify_path() and reports them in git fsck; what NTFS and
 * HFS+ read as ".git" is matched as git's is_ntfs_dotgit() and
 * is_hfs_dotgit() match it, on every platform, as git fsck does.
 */
#include <stdbool.h>
#include <string.h>

#include "kser/error.h"
#include "kser/path.h"

#define MODE_TYPE 0170000
#define MODE_TREE 0040000
#define MODE_LINK 0120000
#define MODE_GITLINK 0160000

/* How much of a path an error message shows. */
#define SHOWN 200

/* One path component, or the part of one after a backslash. */
struct name {
	const unsigned char *p;
	size_t len;
};

/* The byte at i, or 0 past the end (names hold no NUL). */
static int at(const struct name *n, size_t i)
{
	return i < n->len ? n->p[i] : 0;
}

/* ASCII only: the names compared with are ASCII, whatever the locale. */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool has_prefix_icase(const struct name *n, size_t off, const char *s,
			     size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower(at(n, off + i)) != s[i])
			return false;
	return true;
}

/* --- NTFS -------------------------------------------------------------- */

/*
 * NTFS drops trailing spaces and dots, and a colon starts the name of an
 * alternate data stream, so only those may follow what was matched.
 */
static bool ntfs_nothing_after(const struct name *n, size_t i,
			       bool backslash_ends)
{
	for (;; i++) {
		int c = at(n, i);

		if (!c || c == ':' || (backslash_ends && c == '\\'))
			return true;
		if (c != ' ' && c != '.')
			return false;
	}
}

/* ".git", or its 8.3 short name "git~1" (.git comes first in a tree). */
static bool ntfs_is_dotgit(const struct name *n)
{
	size_t i;

	if (at(n, 0) == '.' && has_prefix_icase(n, 1, "git", 3))
		i = 4;
	else if (has_prefix_icase(n, 0, "git", 3) && at(n, 3) == '~' &&
		 at(n, 4) == '1')
		i = 5;
	else
		return false;
	return ntfs_nothing_after(n, i, true);
}

/*
 * "." dotname, its short name (the first six characters, "~" and a digit
 * 1-4) or, when those are taken, the short name NTFS makes from a hash,
 * which begins with the six characters of hashed for these names.
 */
static bool ntfs_is_dotfile(const struct name *n, const char *dotname,
			    const char *hashed)
{
	size_t len = strlen(dotname), i;
	bool tilde = false;

	if (at(n, 0) == '.' && has_prefix_icase(n, 1, dotname, len))
		return ntfs_nothing_after(n, len + 1, false);
	if (has_prefix_icase(n, 0, dotname, 6) && at(n, 6) == '~' &&
	    at(n, 7) >= '1' && at(n, 7) <= '4')
		return ntfs_nothing_after(n, 8, false);
	for (i = 0; i < 8; i++) {
		int c = at(n, i);

		if (!c)
			return false;
		if (tilde) {
			if (c < '0' || c > '9')
				return false;
		} else if (c == '~') {
			c = at(n, ++i);
			if (c < '1' || c > '9')
				return false;
			tilde = true;
		} else if (i >= 6 || (c & 0x80) || lower(c) != hashed[i]) {
			return false;
		}
	}
	return ntfs_nothing_after(n, i, false);
}

/* --- HFS+ -------------------------------------------------------------- */

/* The code point at *i, moving past it; 0 at the end, -1 if not UTF-8. */
static long utf8_next(const struct name *n, size_t *i)
{
	static const long least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	int c = at(n, *i);
	size_t len, k;
	long v;

	if (*i >= n->len)
		return 0;
	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
	} else {
		return -1;
	}
	for (k = 1; k < len; k++) {
		int cc = at(n, *i + k);

		if ((cc & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (cc & 0x3f);
	}
	if (v < least[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*i += len;
	return v;
}

/* HFS+ ignores these code points in names altogether. */
static bool hfs_ignores(long c)
{
	return (c >= 0x200c && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x206a && c <= 0x206f) || c == 0xfeff;
}

static long hfs_next(const struct name *n, size_t *i)
{
	long c;

	do
		c = utf8_next(n, i);
	while (hfs_ignores(c));
	return c;
}

/*
 * "." dotname as HFS+ compares names: case-insensitively, ignorable code
 * points skipped. Bytes that are not UTF-8 after the name count as its end,
 * as in git: refusing too much is the safe side.
 */
static bool hfs_is_dotfile(const struct name *n, const char *dotname)
{
	size_t i = 0;
	long c = hfs_next(n, &i);

	if (c != '.')
		return false;
	for (; *dotname; dotname++) {
		c = hfs_next(n, &i);
		if (c <= 0 || c > 127 || lower((int)c) != *dotname)
			return false;
	}
	return hfs_next(n, &i) <= 0;
}

/* --- the rule ---------------------------------------------------------- */

/* The parts of a component NTFS sees after each backslash. */
static bool after_backslash(const struct name *n,
			    bool (*match)(const struct name *, const char *,
					  const char *),
			    const char *dotname, const char *hashed)
{
	const unsigned char *b = n->p, *end = n->p + n->len;

	while ((b = memchr(b, '\\', (size_t)(end - b)))) {
		struct name rest = { b + 1, (size_t)(end - b - 1) };

		if (match(&rest, dotname, hashed))
			return true;
		b++;
	}
	return false;
}

static bool ntfs_dotgit_match(const struct name *n, const char *unused1,
			      const char *unused2)
{
	(void)unused1;
	(void)unused2;
	return ntfs_is_dotgit(n);
}

static bool is_dotgit(const struct name *n)
{
	return hfs_is_dotfile(n, "git") || ntfs_is_dotgit(n) ||
	       after_backslash(n, ntfs_dotgit_match, NULL, NULL);
}

/* dotname as any file system git protects reads it. */
static bool is_dotfile(const struct name *n, const char *dotname,
		       const char *hashed)
{
	return hfs_is_dotfile(n, dotname) ||
	       ntfs_is_dotfile(n, dotname, hashed) ||
	       after_backslash(n, ntfs_is_dotfile, dotname, hashed);
}

/* type is what the component is: a directory unless it is the last. */
static const char *component_problem(const struct name *c, uint32_t type)
{
	if (c->len == 0)
		return "empty path component";
	if (c->len == 1 && c->p[0] == '.')
		return "'.' component";
	if (c->len == 2 && c->p[0] == '.' && c->p[1] == '.')
		return "'..' component";
	if (c->len > KSER_PATH_MAX_NAME)
		return "a name longer than 255 bytes";
	if (is_dotgit(c))
		return c->len == 4 && has_prefix_icase(c, 0, ".git", 4) ?
		       "'.git' component" :
		       "a component NTFS or HFS+ reads as '.git'";
	if (type != MODE_TREE && type != MODE_LINK && type != MODE_GITLINK)
		return NULL;
	/* git fsck wants these to be blobs, and .gitmodules not a link. */
	if (is_dotfile(c, "gitmodules", "gi7eba"))
		return type == MODE_LINK ?
		       "'.gitmodules' cannot be a symbolic link" :
		       "'.gitmodules' must be a file";
	if (type != MODE_LINK && is_dotfile(c, "gitattributes", "gi7d29"))
		return "'.gitattributes' must be a file";
	return NULL;
}

static const struct kser_error *unsafe(const char *path, const char *why)
{
	size_t len = strlen(path);

	return kser_error_fmt(KSER_ERR_BAD_INPUT, "unsafe path '%.*s%s': %s",
			      (int)(len > SHOWN ? SHOWN : len), path,
			      len > SHOWN ? "..." : "", why);
}

const struct kser_error *kser_path_check(const char *path, uint32_t mode)
{
	const char *p = path, *slash;
	size_t depth = 1;

	if (!*path)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "empty path");
	if (*path == '/')
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "absolute path '%.*s%s'", SHOWN, path,
				      strlen(path) > SHOWN ? "..." : "");
	for (slash = path; (slash = strchr(slash, '/')); slash++)
		if (++depth > KSER_PATH_MAX_DEPTH)
			return unsafe(path, "more than 2048 levels");
	if (strlen(path) > KSER_PATH_MAX_LEN)
		return unsafe(path, "longer than 4095 bytes");
	for (;;) {
		struct name c;
		const char *why;

		slash = strchr(p, '/');
		c.p = (const unsigned char *)p;
		c.len = slash ? (size_t)(slash - p) : strlen(p);
		why = component_problem(&c, slash ? MODE_TREE :
					    mode & MODE_TYPE);
		if (why)
			return unsafe(path, why);
		if (!slash)
			return NULL;
		p = slash + 1;
	}
}

void kser_path_normalize(char *path)
{
	char *r = path, *w = path;

	if (*r == '/') {
		/* Keep absolute names absolute so the check refuses them. */
		return;
	}
	while (*r) {
		char *slash = strchr(r, '/');
		size_t len = slash ? (size_t)(slash - r) : strlen(r);

		if (len == 0 || (len == 1 && r[0] == '.')) {
			r += len + (slash ? 1 : 0);
			continue;
		}
		if (w != path)
			*w++ = '/';
		memmove(w, r, len);
		w += len;
		r += len + (slash ? 1 : 0);
	}
	*w = '\0';
}
