// SPDX-License-Identifier: GPL-2.0
/*
 * The mails kser send sends, prepared as git send-email prepares them:
 * read from a format-patch directory or an mbox, given a Message-Id, a
 * Date and the configured To/Cc/From where they lack them, and each given
 * its envelope. Header fields the preparation does not touch keep their
 * bytes; header values that come from the user are checked for control
 * characters (no header injection) and addresses are checked before
 * anything is sent. GMime parses address lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <gmime/gmime.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/mail.h"
#include "kser/send.h"
#include "kser/util.h"
#include "kser_lib_mail.h"

/* RFC 5322: a line is at most 998 octets, its CRLF excluded. */
#define LINE_MAX_OCTETS 998

/* --- header fields ------------------------------------------------------ */

struct field {
	char *text;		/* "Name: value\n", folded lines included */
	size_t len;
	size_t name_len;
};

struct parts {
	struct field *f;
	size_t n, alloc;
	const char *body;	/* borrowed from the raw mail */
	size_t body_len;
};

static void parts_release(struct parts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->f[i].text);
	free(p->f);
	memset(p, 0, sizeof(*p));
}

/* A header field of len bytes, given a final newline when it has none. */
static const struct kser_error *add_field(struct parts *p, const char *text,
					  size_t len, size_t name_len)
{
	const struct kser_error *err;
	char *t;

	err = kser_array_grow((void **)&p->f, &p->alloc, p->n, sizeof(*p->f),
			      16);
	if (err)
		return err;
	t = malloc(len + 2);
	if (!t)
		return kser_error_nomem();
	memcpy(t, text, len);
	if (!len || text[len - 1] != '\n')
		t[len++] = '\n';
	t[len] = '\0';
	p->f[p->n].text = t;
	p->f[p->n].len = len;
	p->f[p->n].name_len = name_len;
	p->n++;
	return NULL;
}

static bool line_has_ctl(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)l[i] < 0x20 && l[i] != '\t') ||
		    (unsigned char)l[i] == 0x7f)
			return true;
	return false;
}

/* Splits a mail (no mbox "From " line) into header fields and body. */
static const struct kser_error *split_mail(struct parts *p, const char *text,
					   size_t len, const char *name)
{
	const struct kser_error *err = NULL;
	size_t pos = 0, lineno = 0, start = 0, name_len = 0, hdr_end;
	bool open = false, blank = false;

	memset(p, 0, sizeof(*p));
	while (pos < len) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		lineno++;
		if (n == 0) {		/* the blank line */
			blank = true;
			break;
		}
		if (n > LINE_MAX_OCTETS || line_has_ctl(l, n)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': header line %zu %s", name,
					     lineno, n > LINE_MAX_OCTETS ?
					     "is longer than 998 octets" :
					     "holds a control character");
			goto done;
		}
		if (*l == ' ' || *l == '\t') {
			if (!open) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': the mail starts "
						     "with a continuation "
						     "line", name);
				goto done;
			}
		} else {
			const char *colon = memchr(l, ':', n);
			size_t i;

			for (i = 0; colon && l + i < colon; i++)
				if ((unsigned char)l[i] <= ' ' ||
				    (unsigned char)l[i] >= 0x7f)
					colon = NULL;
			if (!colon || colon == l) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s': line %zu of the "
						     "header is not a header "
						     "field", name, lineno);
				goto done;
			}
			if (open) {
				err = add_field(p, text + start, pos - start,
						name_len);
				if (err)
					goto done;
			}
			open = true;
			start = pos;
			name_len = (size_t)(colon - l);
		}
		pos += n + (nl ? 1 : 0);
	}
	hdr_end = pos;
	if (blank)
		pos++;
	if (open) {
		err = add_field(p, text + start, hdr_end - start, name_len);
	}
	if (!err && !p->n)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' has no header", name);
	if (err)
		goto done;
	p->body = text + pos;
	p->body_len = len - pos;
	lineno = 0;
	for (pos = 0; pos < p->body_len;) {
		const char *l = p->body + pos;
		const char *nl = memchr(l, '\n', p->body_len - pos);
		size_t n = nl ? (size_t)(nl - l) : p->body_len - pos;

		lineno++;
		if (n > LINE_MAX_OCTETS || memchr(l, '\0', n)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': line %zu of the body %s; "
					     "SMTP cannot carry it", name,
					     lineno, n > LINE_MAX_OCTETS ?
					     "is longer than 998 octets" :
					     "holds a NUL byte");
			goto done;
		}
		pos += n + 1;
	}
done:
	if (err)
		parts_release(p);
	return err;
}

static ssize_t find_field(const struct parts *p, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < p->n; i++)
		if (p->f[i].name_len == len &&
		    !strncasecmp(p->f[i].text, name, len))
			return (ssize_t)i;
	return -1;
}

/* The value, unfolded and trimmed; the caller frees it. */
static char *field_value(const struct field *f)
{
	const char *v = f->text + f->name_len + 1, *end = f->text + f->len;
	struct kser_buf b = KSER_BUF_INIT;

	for (; v < end; v++)
		if (*v != '\n')
			kser_buf_putc(&b, *v);
	kser_buf_rtrim(&b);
	{
		char *s = kser_buf_detach(&b), *t = s;

		if (!s)
			return NULL;
		while (*t == ' ' || *t == '\t')
			t++;
		memmove(s, t, strlen(t) + 1);
		return s;
	}
}

static const struct kser_error *set_field(struct parts *p, ssize_t at,
					  const char *name, const char *value)
{
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;

	kser_buf_printf(&b, "%s: %s\n", name, value);
	err = kser_buf_check(&b);
	if (err)
		return err;
	if (at < 0) {
		err = add_field(p, b.ptr, b.len, strlen(name));
	} else {
		free(p->f[at].text);
		p->f[at].len = b.len;
		p->f[at].name_len = strlen(name);
		p->f[at].text = kser_buf_detach(&b);
		if (!p->f[at].text)
			err = kser_error_nomem();
	}
	kser_buf_release(&b);
	return err;
}

static void remove_field(struct parts *p, size_t at)
{
	free(p->f[at].text);
	memmove(p->f + at, p->f + at + 1, (p->n - at - 1) * sizeof(*p->f));
	p->n--;
}

/* --- preparing one mail ------------------------------------------------- */

struct envelope {
	char **rcpts;
	size_t n, alloc;
};

/* Addresses of every field called name, into the envelope. */
static const struct kser_error *collect(struct envelope *env,
					const struct parts *p,
					const char *name, const char *mail)
{
	const struct kser_error *err = NULL;
	char what[320];
	size_t i;

	snprintf(what, sizeof(what), "'%s': %s", mail, name);
	for (i = 0; i < p->n && !err; i++) {
		char *v;

		if (p->f[i].name_len != strlen(name) ||
		    strncasecmp(p->f[i].text, name, strlen(name)))
			continue;
		v = field_value(&p->f[i]);
		if (!v)
			return kser_error_nomem();
		err = kser_send_addr_parse(&env->rcpts, &env->n, &env->alloc,
					   v, what);
		free(v);
	}
	return err;
}

/*
 * Adds the configured addresses (cfg's to or cc) that the mail's To and
 * Cc do not name yet to the field name.
 */
static const struct kser_error *add_recipients(struct parts *p,
					       const char *name,
					       char *const *values, size_t nv,
					       struct envelope *present)
{
	const struct kser_error *err = NULL;
	struct kser_buf add = KSER_BUF_INIT;
	size_t i;
	ssize_t at;

	for (i = 0; i < nv && !err; i++)
		err = kser_send_addr_render_new(&add, &present->rcpts,
						&present->n, &present->alloc,
						values[i]);
	if (err || !add.len)
		goto done;
	at = find_field(p, name);
	if (at >= 0) {
		/*
		 * The field keeps its bytes and its folding, the new ones
		 * go on lines of their own: unfolded, a field of many
		 * lines would make one over 998 octets.
		 */
		struct field *f = &p->f[at];
		char *old = field_value(f);
		struct kser_buf v = KSER_BUF_INIT;

		if (!old) {
			err = kser_error_nomem();
			goto done;
		}
		kser_buf_put(&v, f->text, f->len - 1);
		kser_buf_printf(&v, "%s%s\n", *old ? ",\n\t" : " ",
				kser_buf_cstr(&add));
		free(old);
		err = kser_buf_check(&v);
		if (!err) {
			free(f->text);
			f->len = v.len;
			f->text = kser_buf_detach(&v);
		}
		kser_buf_release(&v);
	} else {
		err = kser_buf_check(&add);
		if (!err)
			err = set_field(p, -1, name, add.ptr);
	}
done:
	kser_buf_release(&add);
	return err;
}

static char *make_message_id(const char *sender, size_t index)
{
	const char *domain = strrchr(sender, '@');
	struct kser_buf b = KSER_BUF_INIT;
	unsigned int rnd = 0;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned int)now ^ (unsigned int)index;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	kser_buf_printf(&b, "<%s.%08x-%zu-kser@%s>", stamp, rnd, index + 1,
			domain ? domain + 1 : "localhost");
	return kser_buf_detach(&b);
}

static const struct kser_error *add_date(struct parts *p)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	return set_field(p, -1, "Date", date);
}

/* "<id>" out of a Message-Id value, or NULL if it holds none. */
/*
 * The <id-left@id-right> of a Message-Id value: the journal's key, so one
 * token, with no white space (a fold inside the brackets), no control
 * character and an '@' between two non-empty halves.
 */
static char *msgid_of(const char *v)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *p, *at = NULL;

	if (!lt || !gt)
		return NULL;
	for (p = lt + 1; p < gt; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f ||
		    *p == '<')
			return NULL;
		if (*p == '@')
			at = p;
	}
	if (!at || at == lt + 1 || at + 1 == gt)
		return NULL;
	return strndup(lt, (size_t)(gt - lt) + 1);
}

static const struct kser_error *prepare(struct kser_send_message *m,
					struct parts *p,
					const struct kser_send_config *cfg,
					size_t index)
{
	const struct kser_error *err = NULL;
	struct envelope env = { NULL, 0, 0 }, from = { NULL, 0, 0 };
	ssize_t at;
	char *v = NULL, what[320];
	size_t i;

	snprintf(what, sizeof(what), "'%s': From", m->name);
	at = find_field(p, "From");
	if (at < 0) {
		if (!cfg->from) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s' has no From: header; add "
					     "one or set sendemail.from",
					     m->name);
			goto done;
		}
		err = set_field(p, -1, "From", cfg->from);
		if (err)
			goto done;
		at = (ssize_t)p->n - 1;
	}
	v = field_value(&p->f[at]);
	if (!v) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_send_addr_parse(&from.rcpts, &from.n, &from.alloc, v, what);
	if (!err && from.n != 1)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s': From: must name one address, not "
				     "'%s'", m->name, v);
	if (err)
		goto done;
	if (cfg->envelope_sender && strcmp(cfg->envelope_sender, "auto")) {
		m->sender = strdup(cfg->envelope_sender);
		err = kser_send_addr_check(cfg->envelope_sender,
					   "sendemail.envelopeSender");
		if (err)
			goto done;
	} else {
		m->sender = strdup(from.rcpts[0]);
	}
	if (!m->sender) {
		err = kser_error_nomem();
		goto done;
	}

	if (find_field(p, "Date") < 0 && (err = add_date(p)))
		goto done;
	at = find_field(p, "Message-Id");
	if (at >= 0) {
		free(v);
		v = field_value(&p->f[at]);
		m->message_id = v ? msgid_of(v) : NULL;
		if (!m->message_id) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s': a Message-Id without an "
					     "<id@domain>", m->name);
			goto done;
		}
	} else {
		m->message_id = make_message_id(m->sender, index);
		if (!m->message_id || (err = set_field(p, -1, "Message-ID",
							m->message_id)))
			goto done;
	}

	/* The mail's own recipients, then the configured ones. */
	err = collect(&env, p, "To", m->name);
	if (!err)
		err = collect(&env, p, "Cc", m->name);
	if (!err)
		err = add_recipients(p, "To", cfg->to, cfg->nto, &env);
	if (!err)
		err = add_recipients(p, "Cc", cfg->cc, cfg->ncc, &env);
	if (!err)
		err = collect(&env, p, "Bcc", m->name);
	for (i = 0; !err && i < cfg->nbcc; i++)
		err = kser_send_addr_parse(&env.rcpts, &env.n, &env.alloc,
					   cfg->bcc[i], "--bcc");
	if (err)
		goto done;
	/* Bcc is for the envelope only. */
	while ((at = find_field(p, "Bcc")) >= 0)
		remove_field(p, (size_t)at);
	if (!env.n) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' has no recipients: give it To: or "
				     "Cc:, or use --to", m->name);
		goto done;
	}
	m->rcpts = calloc(env.n, sizeof(*m->rcpts));
	if (!m->rcpts) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < env.n; i++) {
		m->rcpts[i].addr = env.rcpts[i];
		env.rcpts[i] = NULL;
	}
	m->nrcpts = env.n;
done:
	free(v);
	kser_send_strs_free(env.rcpts, env.n);
	kser_send_strs_free(from.rcpts, from.n);
	return err;
}

static const struct kser_error *assemble(struct kser_send_message *m,
					 const struct parts *p)
{
	struct kser_buf b = KSER_BUF_INIT;
	ssize_t at;
	size_t i;

	for (i = 0; i < p->n; i++)
		kser_buf_put(&b, p->f[i].text, p->f[i].len);
	m->header_len = b.len;
	kser_buf_putc(&b, '\n');
	kser_buf_put(&b, p->body, p->body_len);
	if (kser_buf_check(&b))
		return kser_error_nomem();
	m->len = b.len;
	m->data = kser_buf_detach(&b);
	if (!m->data)
		return kser_error_nomem();
	free(m->subject);
	m->subject = NULL;
	at = find_field(p, "Subject");
	if (at >= 0) {
		char *raw = field_value(&p->f[at]);
		char *dec = raw ? g_mime_utils_header_decode_text(NULL, raw) :
			    NULL;

		m->subject = dec ? strdup(dec) : NULL;
		g_free(dec);
		free(raw);
	}
	if (!m->subject)
		m->subject = strdup("(no subject)");
	return m->subject ? NULL : kser_error_nomem();
}

/* --- inputs ------------------------------------------------------------- */

struct loading {
	struct kser_outbox *box;
	struct parts *parts;	/* one per message */
	size_t nparts, alloc;
	const struct kser_send_config *cfg;
};

static void message_release(struct kser_send_message *m)
{
	size_t i;

	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].addr);
		free(m->rcpts[i].reply);
	}
	free(m->rcpts);
	free(m->name);
	free(m->data);
	free(m->subject);
	free(m->message_id);
	free(m->sender);
}

void kser_outbox_free(struct kser_outbox *box)
{
	size_t i;

	if (!box)
		return;
	for (i = 0; i < box->n; i++)
		message_release(&box->v[i]);
	free(box->v);
	free(box);
}

static const struct kser_error *add_text(struct loading *ld,
					 const char *text, size_t len,
					 const char *source)
{
	struct kser_raw_mails mails;
	const struct kser_error *err;
	size_t i;

	err = kser_mbox_split(&mails, text, len, NULL);
	if (err)
		return kser_error_wrap(err, "'%s'", source);
	for (i = 0; i < mails.n && !err; i++) {
		struct kser_send_message *m;
		const char *t = mails.v[i].text;
		size_t n = mails.v[i].len;
		struct kser_buf name = KSER_BUF_INIT;

		/* The mbox separator is no part of the mail. */
		if (n > 5 && !memcmp(t, "From ", 5)) {
			const char *nl = memchr(t, '\n', n);

			n -= nl ? (size_t)(nl + 1 - t) : n;
			t = nl ? nl + 1 : t + mails.v[i].len;
		}
		err = kser_array_grow((void **)&ld->box->v, &ld->box->alloc,
				      ld->box->n, sizeof(*ld->box->v), 16);
		if (!err)
			err = kser_array_grow((void **)&ld->parts, &ld->alloc,
					      ld->nparts, sizeof(*ld->parts),
					      16);
		if (err)
			break;
		m = &ld->box->v[ld->box->n];
		memset(m, 0, sizeof(*m));
		ld->box->n++;
		if (mails.n > 1)
			kser_buf_printf(&name, "%s #%zu", source, i + 1);
		else
			kser_buf_puts(&name, source);
		m->name = kser_buf_detach(&name);
		if (!m->name) {
			err = kser_error_nomem();
			break;
		}
		err = split_mail(&ld->parts[ld->nparts], t, n, m->name);
		if (err)
			break;
		/* The body stays borrowed from the text: keep a copy. */
		m->data = malloc(n + 1);
		if (!m->data) {
			err = kser_error_nomem();
			break;
		}
		memcpy(m->data, t, n);
		m->data[n] = '\0';
		ld->parts[ld->nparts].body = m->data + (ld->parts[ld->nparts]
							.body - t);
		ld->nparts++;
	}
	kser_raw_mails_release(&mails);
	return err;
}

static const struct kser_error *add_dir(struct loading *ld, const char *dir)
{
	const struct kser_error *err;
	struct kser_dir_list names;
	size_t i;

	err = kser_dir_list(&names, -1, dir);
	for (i = 0; i < names.n && !err; i++) {
		struct kser_buf path = KSER_BUF_INIT, text = KSER_BUF_INIT;
		const char *name = names.v[i].name;
		size_t len = strlen(name);
		struct stat st;

		if (name[0] == '.' || name[len - 1] == '~')
			continue;
		err = kser_path_join(&path, dir, name);
		if (!err && stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
			err = kser_read_file(&text, path.ptr);
			if (!err && !kser_mail_looks_like_mail(
					    kser_buf_cstr(&text), text.len))
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s' is not a mail",
						     path.ptr);
			if (!err)
				err = add_text(ld, kser_buf_cstr(&text),
					       text.len, path.ptr);
		}
		kser_buf_release(&path);
		kser_buf_release(&text);
	}
	kser_dir_list_release(&names);
	return err;
}

/* Mails after the first that answer none answer the first, as git
 * send-email threads them (sendemail.thread, no chainReplyTo). */
static const struct kser_error *thread(struct loading *ld)
{
	const struct kser_error *err = NULL;
	const char *first = ld->box->v[0].message_id;
	size_t i;

	/* A msg-id cannot be folded: "In-Reply-To: <id>" must fit. */
	if (ld->box->n > 1 &&
	    strlen(first) > LINE_MAX_OCTETS - strlen("In-Reply-To: "))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "'%s': its Message-Id (%zu octets) is "
				      "too long for the In-Reply-To: line of "
				      "the mails after it", ld->box->v[0].name,
				      strlen(first));
	for (i = 1; i < ld->box->n && !err; i++) {
		struct parts *p = &ld->parts[i];

		if (find_field(p, "In-Reply-To") >= 0)
			continue;
		err = set_field(p, -1, "In-Reply-To", first);
		if (!err && find_field(p, "References") < 0)
			err = set_field(p, -1, "References", first);
	}
	return err;
}

const struct kser_error *kser_outbox_load(struct kser_outbox **out,
					  const char *input,
					  const struct kser_send_config *cfg)
{
	const struct kser_error *err = NULL;
	struct loading ld = { NULL, NULL, 0, 0, cfg };
	struct stat st;
	size_t i;

	*out = NULL;
	ld.box = calloc(1, sizeof(*ld.box));
	if (!ld.box)
		return kser_error_nomem();
	if (strcmp(input, "-") && stat(input, &st) < 0) {
		err = kser_error_errno("cannot read '%s'", input);
	} else if (strcmp(input, "-") && S_ISDIR(st.st_mode)) {
		err = add_dir(&ld, input);
	} else {
		struct kser_buf text = KSER_BUF_INIT;

		err = kser_read_file(&text, input);
		if (!err && !kser_mail_looks_like_mail(kser_buf_cstr(&text),
						       text.len))
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s' is not a mail or an mbox",
					     input);
		if (!err)
			err = add_text(&ld, kser_buf_cstr(&text), text.len,
				       strcmp(input, "-") ? input : "stdin");
		kser_buf_release(&text);
	}
	if (!err && !ld.box->n)
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "no mails in '%s'",
				     input);
	for (i = 0; i < ld.nparts && !err; i++)
		err = prepare(&ld.box->v[i], &ld.parts[i], cfg, i);
	if (!err && cfg->thread)
		err = thread(&ld);
	for (i = 0; i < ld.nparts && !err; i++) {
		/* The parts borrow the old text until it is assembled. */
		char *old = ld.box->v[i].data;

		ld.box->v[i].data = NULL;
		err = assemble(&ld.box->v[i], &ld.parts[i]);
		free(old);
	}
	for (i = 0; i < ld.nparts; i++)
		parts_release(&ld.parts[i]);
	free(ld.parts);
	if (err) {
		kser_outbox_free(ld.box);
		return err;
	}
	*out = ld.box;
	return NULL;
}
