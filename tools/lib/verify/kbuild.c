// SPDX-License-Identifier: GPL-2.0
/*
 * What kbuild leaves in a build directory, read as kbuild wrote it: the
 * .cmd files (the command that made a target, and for compiles the files
 * it depends on, as scripts/basic/fixdep writes them) and thin archives
 * (the member list of built-in.a and lib.a). The fast path of the build
 * check (fastpath.c) decides from them. Pure parsers over memory: they
 * take hostile input (fuzzed in tools/tests/fuzz/kbuild_fuzz.c). Uses
 * the core only.
 */
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

void verify_cmd_release(struct verify_cmd *c)
{
	size_t i;

	free(c->target);
	free(c->savedcmd);
	free(c->source);
	for (i = 0; i < c->ndeps; i++)
		free(c->deps[i].path);
	free(c->deps);
	memset(c, 0, sizeof(*c));
}

static const struct kser_error *add_dep(struct verify_cmd *c, const char *p,
					size_t n, bool wildcard)
{
	const struct kser_error *err;

	err = kser_array_grow((void **)&c->deps, &c->alloc, c->ndeps,
			      sizeof(*c->deps), 16);
	if (err)
		return err;
	c->deps[c->ndeps].path = strndup(p, n);
	if (!c->deps[c->ndeps].path)
		return kser_error_nomem();
	c->deps[c->ndeps].wildcard = wildcard;
	c->ndeps++;
	return NULL;
}

static const struct kser_error *bad(const char *what, size_t lineno)
{
	return kser_error_fmt(KSER_ERR_BAD_INPUT,
			      "not a kbuild .cmd file: %s on line %zu", what,
			      lineno);
}

/*
 * The lines fixdep 6.12 writes (scripts/basic/fixdep.c), in this order:
 *
 *   savedcmd_T := COMMAND
 *   (empty)
 *   source_T := SOURCE
 *   (empty)
 *   deps_T := \
 *     FILE \
 *       $(wildcard include/config/SYMBOL) \
 *   (empty)
 *   T: $(deps_T)
 *   (empty)
 *   $(deps_T):
 *
 * and if_changed writes the first line alone. Anything else is not a
 * file kbuild wrote, and the fast path must not guess at it.
 */
enum cmd_state { CMD_START, CMD_SAVED, CMD_SOURCE, CMD_DEPS, CMD_RULES };

const struct kser_error *verify_cmd_parse(struct verify_cmd *out,
					  const char *text, size_t len)
{
	const struct kser_error *err = NULL;
	enum cmd_state st = CMD_START;
	const char *p = text, *end = text + len;
	size_t lineno = 0, tlen = 0;
	struct kser_buf want = KSER_BUF_INIT;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len))
		return bad("a NUL byte", 1);
	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		lineno++;
		switch (st) {
		case CMD_START: {
			const char *sep;

			if (n < 9 || strncmp(p, "savedcmd_", 9)) {
				err = bad("no savedcmd_ line", lineno);
				break;
			}
			sep = memmem(p, n, " := ", 4);
			if (!sep || sep == p + 9) {
				err = bad("no target", lineno);
				break;
			}
			tlen = (size_t)(sep - p - 9);
			out->target = strndup(p + 9, tlen);
			out->savedcmd = strndup(sep + 4, (size_t)(le - sep - 4));
			if (!out->target || !out->savedcmd)
				err = kser_error_nomem();
			st = CMD_SAVED;
			break;
		}
		case CMD_SAVED:
			if (!n)
				break;
			kser_buf_clear(&want);
			kser_buf_printf(&want, "source_%s := ", out->target);
			if (kser_buf_check(&want)) {
				err = kser_error_nomem();
				break;
			}
			if (n <= want.len || strncmp(p, want.ptr, want.len)) {
				err = bad("not a source_ line", lineno);
				break;
			}
			out->source = strndup(p + want.len, n - want.len);
			if (!out->source)
				err = kser_error_nomem();
			st = CMD_SOURCE;
			break;
		case CMD_SOURCE:
			if (!n)
				break;
			kser_buf_clear(&want);
			kser_buf_printf(&want, "deps_%s := \\", out->target);
			if (kser_buf_check(&want)) {
				err = kser_error_nomem();
				break;
			}
			if (n != want.len || strncmp(p, want.ptr, n)) {
				err = bad("not a deps_ line", lineno);
				break;
			}
			out->has_deps = true;
			st = CMD_DEPS;
			break;
		case CMD_DEPS: {
			const char *q = p, *e = le;

			if (!n) {
				st = CMD_RULES;
				break;
			}
			while (q < e && *q == ' ')
				q++;
			if (e - q < 2 || e[-1] != '\\' || e[-2] != ' ') {
				err = bad("a dependency line without ' \\'",
					  lineno);
				break;
			}
			e -= 2;
			if (q == p || q >= e || memchr(q, ' ', (size_t)(e - q))) {
				/* "$(wildcard X)" has one space inside. */
				if (q > p && e - q > 12 &&
				    !strncmp(q, "$(wildcard ", 11) &&
				    e[-1] == ')' &&
				    !memchr(q + 11, ' ', (size_t)(e - q - 12))) {
					err = add_dep(out, q + 11,
						      (size_t)(e - q - 12), true);
					break;
				}
				err = bad("a malformed dependency", lineno);
				break;
			}
			err = add_dep(out, q, (size_t)(e - q), false);
			break;
		}
		case CMD_RULES:
			if (!n)
				break;
			kser_buf_clear(&want);
			kser_buf_printf(&want, "%s: $(deps_%s)", out->target,
					out->target);
			if (kser_buf_check(&want)) {
				err = kser_error_nomem();
				break;
			}
			if (n == want.len && !strncmp(p, want.ptr, n))
				break;
			kser_buf_clear(&want);
			kser_buf_printf(&want, "$(deps_%s):", out->target);
			if (kser_buf_check(&want)) {
				err = kser_error_nomem();
				break;
			}
			if (n == want.len && !strncmp(p, want.ptr, n))
				break;
			err = bad("an unknown line after the dependencies",
				  lineno);
			break;
		}
		p = nl ? nl + 1 : end;
	}
	if (!err && st == CMD_START)
		err = bad("no savedcmd_ line", 1);
	/* A source_ line promises the deps_ list: both or neither. */
	if (!err && st == CMD_SOURCE)
		err = bad("a source_ line without deps_", lineno);
	kser_buf_release(&want);
	if (err)
		verify_cmd_release(out);
	return err;
}

char *verify_cmd_shell(const char *savedcmd)
{
	struct kser_buf b = KSER_BUF_INIT;
	const char *p = savedcmd;

	/* make-cmd in scripts/Kbuild.include: "$" -> "$$", "#" -> "$(pound)". */
	while (*p) {
		if (p[0] == '$' && p[1] == '$') {
			kser_buf_putc(&b, '$');
			p += 2;
		} else if (!strncmp(p, "$(pound)", 8)) {
			kser_buf_putc(&b, '#');
			p += 8;
		} else {
			kser_buf_putc(&b, *p++);
		}
	}
	if (kser_buf_check(&b)) {
		kser_buf_release(&b);
		return NULL;
	}
	return kser_buf_detach(&b);
}

char *verify_path_normalize(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	bool abs = *path == '/';
	size_t o = abs ? 1 : 0, base = o, ups = 0;
	const char *p = path;

	if (!out)
		return NULL;
	out[0] = '/';
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* "//" and "/./" */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o - base > ups * 3) {
				/* Drop the last component written. */
				o--;
				while (o > base && out[o - 1] != '/')
					o--;
			} else if (!abs) {
				memcpy(out + o, "../", 3);
				o += 3;
				ups++;
			}
		} else {
			memcpy(out + o, p, n);
			o += n;
			out[o++] = '/';
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (o > base && out[o - 1] == '/')
		o--;
	if (!o)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

/*
 * A thin archive ("!<thin>\n"), as GNU ar cDPrST writes it (an empty
 * one is a plain "!<arch>\n"): 60-byte
 * member headers and no member data; names longer than 15 bytes, and
 * all of them with P, are "/OFFSET" into the "//" member's table of
 * "name/\n" entries.
 */
const struct kser_error *verify_thin_members(char ***out, size_t *nout,
					     const char *data, size_t len)
{
	const struct kser_error *err = NULL;
	const char *names = NULL;
	size_t names_len = 0, off = 8, n = 0, alloc = 0;
	char **v = NULL;

	*out = NULL;
	*nout = 0;
	/* ar writes an archive of no member as a plain one. */
	if (len == 8 && !memcmp(data, "!<arch>\n", 8))
		return NULL;
	if (len < 8 || memcmp(data, "!<thin>\n", 8))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "not a thin archive");
	while (!err && off < len) {
		const char *h = data + off;
		char sizebuf[11], *endp;
		unsigned long size;
		size_t i;

		if (len - off < 60 || h[58] != '`' || h[59] != '\n') {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "a thin archive with a bad header "
					     "at byte %zu", off);
			break;
		}
		memcpy(sizebuf, h + 48, 10);
		sizebuf[10] = '\0';
		for (i = 10; i > 0 && sizebuf[i - 1] == ' '; i--)
			sizebuf[i - 1] = '\0';
		size = strtoul(sizebuf, &endp, 10);
		if (!sizebuf[0] || *endp) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "a thin archive with a bad size at "
					     "byte %zu", off);
			break;
		}
		off += 60;
		if (h[0] == '/' && h[1] == '/' && h[2] == ' ') {
			/* The name table is the only member with data. */
			if (size > len - off) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "a thin archive's name "
						     "table is cut short");
				break;
			}
			names = data + off;
			names_len = size;
			off += size + (size & 1);
			continue;
		}
		if (h[0] == '/' && h[1] == ' ') {
			/* The symbol index (lib.a's 's'): its data is there. */
			if (size > len - off) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "a thin archive's index is "
						     "cut short");
				break;
			}
			off += size + (size & 1);
			continue;
		}
		{
			const char *name;
			size_t nlen;

			if (h[0] == '/' && h[1] >= '0' && h[1] <= '9') {
				unsigned long at;
				char numbuf[17];
				const char *slash;

				/*
				 * "/N", padded with spaces; GNU ar may end the
				 * field with a '/' too.
				 */
				memcpy(numbuf, h + 1, 15);
				numbuf[15] = '\0';
				for (i = 15; i > 0 && (numbuf[i - 1] == ' ' ||
						       numbuf[i - 1] == '/'); i--)
					numbuf[i - 1] = '\0';
				at = strtoul(numbuf, &endp, 10);
				if (*endp || !names || at >= names_len) {
					err = kser_error_fmt(
						KSER_ERR_BAD_INPUT,
						"a thin archive's member name "
						"is not in its table");
					break;
				}
				name = names + at;
				slash = memchr(name, '\n', names_len - at);
				if (!slash || slash == name ||
				    slash[-1] != '/') {
					err = kser_error_fmt(
						KSER_ERR_BAD_INPUT,
						"a thin archive's name table "
						"is malformed");
					break;
				}
				nlen = (size_t)(slash - name) - 1;
			} else {
				const char *slash = memchr(h, '/', 16);

				if (!slash || slash == h) {
					err = kser_error_fmt(
						KSER_ERR_BAD_INPUT,
						"a thin archive's member has "
						"no name");
					break;
				}
				name = h;
				nlen = (size_t)(slash - h);
			}
			if (!nlen || memchr(name, '\0', nlen)) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "a thin archive's member "
						     "has no name");
				break;
			}
			err = kser_array_grow((void **)&v, &alloc, n,
					      sizeof(*v), 16);
			if (err)
				break;
			v[n] = strndup(name, nlen);
			if (!v[n]) {
				err = kser_error_nomem();
				break;
			}
			n++;
		}
	}
	if (err) {
		while (n)
			free(v[--n]);
		free(v);
		return err;
	}
	*out = v;
	*nout = n;
	return NULL;
}
