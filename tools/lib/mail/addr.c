// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses for kser send: envelope addresses checked strictly (what goes
 * into MAIL FROM and RCPT TO must be a plain addr-spec: nothing SMTP
 * would read as another command), address lists parsed by GMime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_mail.h"

bool kser_send_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

static bool domain_ok(const char *d)
{
	size_t label = 0;

	if (d[0] == '[')	/* an address literal */
		return d[strlen(d) - 1] == ']' &&
		       strspn(d + 1, "0123456789abcdefABCDEF.:Iv6") ==
		       strlen(d) - 2;
	if (!*d || *d == '.' || *d == '-')
		return false;
	for (; *d; d++) {
		if (*d == '.') {
			if (!label || d[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(*d >= 'a' && *d <= 'z') && !(*d >= 'A' && *d <= 'Z') &&
		    !(*d >= '0' && *d <= '9') && *d != '-')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

const struct kser_error *kser_send_addr_check(const char *addr,
					      const char *what)
{
	const char *at = strrchr(addr, '@'), *p;
	static const char specials[] = "()<>[]:;@\\,\"";

	if (!at || at == addr || !at[1])
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: '%s' is not an address (name@domain)",
				      what, addr);
	if (strlen(addr) > 254 || at - addr > 64)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: the address '%s' is too long", what,
				      addr);
	for (p = addr; p < at; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr(specials, *p))
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "%s: the address '%s' has a "
					      "character SMTP cannot carry "
					      "unquoted", what, addr);
	if (addr[0] == '.' || at[-1] == '.' || strstr(addr, ".."))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: the address '%s' has a misplaced "
				      "dot", what, addr);
	if (!domain_ok(at + 1))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: '%s' in '%s' is not a mail domain",
				      what, at + 1, addr);
	return NULL;
}

const struct kser_error *kser_send_strs_push(char ***v, size_t *n,
					     size_t *alloc, const char *s)
{
	const struct kser_error *err;

	err = kser_array_grow((void **)v, alloc, *n, sizeof(**v), 8);
	if (err)
		return err;
	(*v)[*n] = strdup(s);
	if (!(*v)[*n])
		return kser_error_nomem();
	(*n)++;
	return NULL;
}

bool kser_send_strs_has(char *const *v, size_t n, const char *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(v[i], addr))
			return true;
	return false;
}

void kser_send_strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every mailbox of a list, groups flattened, in order. */
struct mailboxes {
	InternetAddressMailbox **v;
	size_t n, alloc;
};

static void mailboxes(InternetAddressList *list, struct mailboxes *mb)
{
	int i, len = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < len; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			mailboxes(internet_address_group_get_members(
					  INTERNET_ADDRESS_GROUP(ia)), mb);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			if (kser_array_grow((void **)&mb->v, &mb->alloc, mb->n,
					    sizeof(*mb->v), 8))
				continue;	/* caught by the count */
			mb->v[mb->n++] = INTERNET_ADDRESS_MAILBOX(ia);
		}
	}
}

/*
 * What a list leaves open at its end: a comment "(...)" outside quoted
 * strings ('('), a quoted string ('"'), or nothing (0).
 */
static char left_open(const char *s)
{
	bool quoted = false;
	int depth = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (depth)
			depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '(')
			depth = 1;
	}
	return depth > 0 ? '(' : quoted ? '"' : 0;
}

/*
 * GMime before 3.2.15 leaks the address it has read when a comment after
 * it is never closed (its issue #159), and 3.2.13 leaks on a quoted
 * string never closed too; such a list is malformed anyway.
 */
static const struct kser_error *parse_list(InternetAddressList **out,
					   const char *value,
					   const char *what)
{
	char open = left_open(value);

	*out = NULL;
	if (open)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: '%s' has a %s '%c' that is never "
				      "closed", what, value, open == '(' ?
				      "comment" : "quoted string", open);
	g_mime_init();	/* counted: once is enough, twice is harmless */
	*out = internet_address_list_parse(NULL, value);
	return NULL;
}

const struct kser_error *kser_send_addr_parse(char ***addrs, size_t *n,
					      size_t *alloc,
					      const char *value,
					      const char *what)
{
	const struct kser_error *err;
	InternetAddressList *list;
	struct mailboxes mb = { NULL, 0, 0 };
	size_t i;

	err = parse_list(&list, value, what);
	if (err)
		return err;
	mailboxes(list, &mb);
	for (i = 0; i < mb.n && !err; i++) {
		const char *a = internet_address_mailbox_get_addr(mb.v[i]);

		if (!a || !*a)
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%s: no address in '%s'", what,
					     value);
		if (!err)
			err = kser_send_addr_check(a, what);
		if (!err && !kser_send_strs_has(*addrs, *n, a))
			err = kser_send_strs_push(addrs, n, alloc, a);
	}
	free(mb.v);
	if (list)
		g_object_unref(list);
	return err;
}

const struct kser_error *kser_send_addr_render_new(struct kser_buf *out,
						   char ***addrs, size_t *n,
						   size_t *alloc,
						   const char *value)
{
	const struct kser_error *err;
	InternetAddressList *list;
	struct mailboxes mb = { NULL, 0, 0 };
	size_t j;

	err = parse_list(&list, value, value);
	if (err)
		return err;
	mailboxes(list, &mb);
	for (j = 0; j < mb.n && !err; j++) {
		const char *a = internet_address_mailbox_get_addr(mb.v[j]);
		char *s;

		if (!a || kser_send_strs_has(*addrs, *n, a))
			continue;
		err = kser_send_addr_check(a, value);
		if (!err)
			err = kser_send_strs_push(addrs, n, alloc, a);
		if (err)
			break;
		s = internet_address_to_string(INTERNET_ADDRESS(mb.v[j]), NULL,
					       TRUE);
		if (!s || kser_send_has_ctl(s))
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "cannot write the address '%s' in "
					     "a header", a);
		else
			kser_buf_printf(out, "%s%s", out->len ? ",\n\t" : "",
					s);
		g_free(s);
	}
	free(mb.v);
	if (list)
		g_object_unref(list);
	return err;
}
