// SPDX-License-Identifier: GPL-2.0
/*
 * What mailinfo does with names, addresses, subjects and Message-IDs:
 * git's cleanups of identities and subjects, From parsed as git parses
 * it. Uses core.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/ident.h"
#include "kser/util.h"
#include "kser/mail.h"
#include "kser_lib_mail.h"

/* --- small string helpers ---------------------------------------------- */

bool mail_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Collapses every run of whitespace into one space and trims the ends. */
char *mail_cleanup_space(const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	bool space = false;

	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = true;
			continue;
		}
		if (space && b.len)
			kser_buf_putc(&b, ' ');
		space = false;
		kser_buf_putc(&b, *s);
	}
	return kser_buf_detach(&b);
}

/*
 * Drops leading "Re:", ":", whitespace and bracketed groups such as
 * "[PATCH v2 3/7]", as git mailinfo does without -k or -b.
 */
char *mail_cleanup_subject(const char *s)
{
	size_t len;

	for (;;) {
		if ((s[0] == 'r' || s[0] == 'R') &&
		    (s[1] == 'e' || s[1] == 'E') && s[2] == ':' && s[3]) {
			s += 3;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == ':') {
			s++;
			continue;
		}
		if (*s == '[') {
			const char *close = strchr(s, ']');

			if (!close)
				break;
			s = close + 1;
			continue;
		}
		break;
	}
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	return strndup(s, len);
}

static bool is_crud(unsigned char c)
{
	return c <= 32 || c == '.' || c == ',' || c == ':' || c == ';' ||
	       c == '<' || c == '>' || c == '"' || c == '\\' || c == '\'';
}

char *kser_ident_clean(const char *s)
{
	size_t len;
	struct kser_buf b = KSER_BUF_INIT;

	while (*s && is_crud((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && is_crud((unsigned char)s[len - 1]))
		len--;
	for (; len; len--, s++)
		if (*s != '\n' && *s != '<' && *s != '>')
			kser_buf_putc(&b, *s);
	return kser_buf_detach(&b);
}

/* Removes RFC 5322 quoting: "..." strings and \-escapes, as git does. */
static char *unquote_pairs(const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	bool in_quote = false;
	int comment = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1] && (in_quote || comment)) {
			kser_buf_putc(&b, *++s);
			continue;
		}
		if (!comment && *s == '"') {
			in_quote = !in_quote;
			continue;
		}
		if (!in_quote && *s == '(')
			comment++;
		else if (!in_quote && *s == ')' && comment)
			comment--;
		kser_buf_putc(&b, *s);
	}
	return kser_buf_detach(&b);
}

/* git keeps a name only if it is 3 to 60 bytes and not address-like. */
static bool sane_name(const char *n)
{
	size_t len = strlen(n);

	return len >= 3 && len <= 60 && !strpbrk(n, "@<>");
}

/*
 * git's reading of a From line: the word around '@' (maybe in <>) is the
 * address, the rest the name; a name that is too short, too long or looks
 * like an address is replaced by the address. Without an '@', only
 * "Name <addr>" is understood.
 */
const struct kser_error *mail_parse_from(const char *from, char **name,
					 char **email)
{
	char *f = unquote_pairs(from), *at, *start, *rest = NULL;
	size_t el, nlen;
	char *n = NULL;

	*name = *email = NULL;
	if (!f)
		return kser_error_nomem();
	at = strchr(f, '@');
	if (!at) {
		const char *bra = strchr(from, '<');
		const char *ket = bra ? strchr(bra, '>') : NULL;

		free(f);
		if (ket) {
			*email = strndup(bra + 1, (size_t)(ket - bra - 1));
			n = strndup(from, (size_t)(bra - from));
			f = n ? mail_cleanup_space(n) : NULL;
			free(n);
			if (f && *email && !sane_name(f)) {
				free(f);
				f = strdup(*email);
			}
			*name = f;
		} else {
			*name = strdup("");
			*email = strdup("");
		}
		if (*name && *email)
			return NULL;
		free(*name);
		free(*email);
		*name = *email = NULL;
		return kser_error_nomem();
	}
	start = at;
	while (start > f) {
		char c = start[-1];

		if (isspace((unsigned char)c))
			break;
		if (c == '<') {
			start[-1] = ' ';
			break;
		}
		start--;
	}
	el = strcspn(start, " \n\t\r\v\f>");
	*email = strndup(start, el);
	if (start[el])
		el++;
	rest = malloc(strlen(f) + 1);
	if (!rest || !*email)
		goto nomem;
	memcpy(rest, f, (size_t)(start - f));
	strcpy(rest + (start - f), start + el);
	n = mail_cleanup_space(rest);
	if (!n)
		goto nomem;
	nlen = strlen(n);
	if (nlen >= 2 && n[0] == '(' && n[nlen - 1] == ')') {
		memmove(n, n + 1, nlen - 2);
		n[nlen - 2] = '\0';
	}
	if (!sane_name(n)) {
		free(n);
		n = strdup(*email);
		if (!n)
			goto nomem;
	}
	*name = n;
	free(rest);
	free(f);
	return NULL;
nomem:
	free(rest);
	free(f);
	free(*email);
	*email = NULL;
	return kser_error_nomem();
}

/* "<a@b> <c@d>" -> {"a@b", "c@d"} */
const struct kser_error *mail_parse_msgids(const char *s, char ***out,
					   size_t *n)
{
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	while (s && (s = strchr(s, '<'))) {
		const char *close = strchr(s, '>');

		if (!close)
			break;
		if (kser_array_grow((void **)out, &alloc, *n, sizeof(**out),
				    4))
			return kser_error_nomem();
		(*out)[*n] = strndup(s + 1, (size_t)(close - s - 1));
		if (!(*out)[*n])
			return kser_error_nomem();
		(*n)++;
		s = close + 1;
	}
	return NULL;
}

char *mail_msgid_strip(const char *s)
{
	const char *open, *close;

	if (!s)
		return NULL;
	open = strchr(s, '<');
	close = open ? strchr(open, '>') : NULL;
	if (open && close)
		return strndup(open + 1, (size_t)(close - open - 1));
	while (isspace((unsigned char)*s))
		s++;
	return *s ? mail_cleanup_space(s) : NULL;
}
