// SPDX-License-Identifier: GPL-2.0
/*
 * The SMTP transport of kser send, over libcurl: one easy handle per
 * connection (libcurl keeps it open between messages), one transfer per
 * message.
 *
 * libcurl reports one error for a whole transaction; kser needs the
 * server's answer to each recipient. So the dialogue is followed through
 * libcurl's debug callback (commands out, answers in; never the AUTH
 * exchange's contents) and each answer is matched to the command it
 * answers: libcurl sends one command at a time and waits for its answer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/send.h"
#include "kser/util.h"
#include "kser_lib_mail.h"

/* libcurl 8.2 fixed the option's spelling. */
#ifndef CURLOPT_MAIL_RCPT_ALLOWFAILS
#define CURLOPT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

enum command {
	CMD_NONE = 0,	/* before any: the greeting */
	CMD_EHLO,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_EOD,	/* after the data: the answer that counts */
	CMD_OTHER,
};

struct kser_smtp {
	CURL *curl;
	char *url;
	char *name;		/* the URL without the EHLO name */
	const struct kser_send_config *cfg;	/* borrowed */
	char errbuf[CURL_ERROR_SIZE];

	/* The transfer under way. */
	struct kser_smtp_result *res;
	enum command cmd;
	size_t rcpt_next;
	struct kser_buf in;		/* a partial answer line */
	const char *data;		/* CRLF'd */
	size_t len, pos;
	kser_smtp_eod_cb eod;
	void *eod_arg;
	kser_cancel_cb cancel;
	void *cancel_arg;
	const struct kser_error *cb_err;
};

void kser_smtp_result_release(struct kser_smtp_result *res)
{
	free(res->rcpt);
	memset(res, 0, sizeof(*res));
}

static bool host_ok(const char *h)
{
	if (!*h || strlen(h) > 253)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-:_", *h))
			return false;
	return true;
}

const struct kser_error *kser_smtp_open(struct kser_smtp **out,
					const struct kser_send_config *cfg)
{
	const char *server = cfg->server ? cfg->server : "localhost";
	struct kser_buf url = KSER_BUF_INIT;
	struct kser_smtp *c;
	unsigned int port = cfg->port;

	*out = NULL;
	if (!host_ok(server))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "bad SMTP server name '%s'", server);
	if (cfg->domain && (!host_ok(cfg->domain) || strchr(cfg->domain,
							    ':')))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "bad sendemail.smtpDomain '%s'",
				      cfg->domain);
	if (!port)
		port = cfg->encryption == KSER_SMTP_SSL ? 465 : 25;
	kser_buf_printf(&url, strchr(server, ':') ? "%s://[%s]:%u/%s" :
			"%s://%s:%u/%s", cfg->encryption == KSER_SMTP_SSL ?
			"smtps" : "smtp", server, port,
			cfg->domain ? cfg->domain : "");
	c = calloc(1, sizeof(*c));
	if (!c || kser_buf_check(&url)) {
		free(c);
		kser_buf_release(&url);
		return kser_error_nomem();
	}
	c->url = kser_buf_detach(&url);
	c->name = c->url ? strdup(c->url) : NULL;
	if (c->name)
		*strrchr(c->name, '/') = '\0';
	c->cfg = cfg;
	c->curl = curl_easy_init();
	if (!c->url || !c->name || !c->curl) {
		kser_smtp_close(c);
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "cannot start libcurl");
	}
	return (*out = c), NULL;
}

const char *kser_smtp_url(const struct kser_smtp *c)
{
	return c->name;
}

void kser_smtp_close(struct kser_smtp *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);	/* QUIT, if connected */
	kser_buf_release(&c->in);
	free(c->url);
	free(c->name);
	free(c);
}

/* Keeps a server's words printable and on one line. */
static void set_answer(struct kser_smtp_answer *a, int code, const char *text,
		       size_t len)
{
	size_t i, n = len < sizeof(a->text) - 1 ? len : sizeof(a->text) - 1;

	a->code = code;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];

		a->text[i] = ch < 0x20 || ch >= 0x7f ? ' ' : (char)ch;
	}
	a->text[n] = '\0';
}

static void on_answer(struct kser_smtp *c, const char *line, size_t len)
{
	struct kser_smtp_result *r = c->res;
	struct kser_smtp_answer *a = NULL;
	int code;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]))
		return;
	if (len > 3 && line[3] == '-')
		return;		/* more lines follow: the last one counts */
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	switch (c->cmd) {
	case CMD_NONE:
		a = &r->greeting;
		break;
	case CMD_AUTH:
		a = &r->auth;
		break;
	case CMD_MAIL:
		a = &r->mail;
		break;
	case CMD_RCPT:
		if (c->rcpt_next && c->rcpt_next <= r->nrcpt)
			a = &r->rcpt[c->rcpt_next - 1];
		break;
	case CMD_DATA:
		a = &r->data;
		/* From here on, the next answer is the one for the data. */
		if (code == 354)
			c->cmd = CMD_EOD;
		break;
	case CMD_EOD:
		a = &r->eod;
		break;
	default:
		break;
	}
	if (a)
		set_answer(a, code, len > 4 ? line + 4 : line + len,
			   len > 4 ? len - 4 : 0);
}

static void on_command(struct kser_smtp *c, const char *line, size_t len)
{
	static const struct {
		const char *verb;
		enum command cmd;
	} verbs[] = {
		{ "EHLO ", CMD_EHLO }, { "HELO ", CMD_EHLO },
		{ "STARTTLS", CMD_STARTTLS }, { "AUTH ", CMD_AUTH },
		{ "MAIL FROM:", CMD_MAIL }, { "RCPT TO:", CMD_RCPT },
		{ "DATA", CMD_DATA }, { "QUIT", CMD_OTHER },
		{ "RSET", CMD_OTHER }, { "NOOP", CMD_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t n = strlen(verbs[i].verb);

		if (len >= n && !strncasecmp(line, verbs[i].verb, n)) {
			c->cmd = verbs[i].cmd;
			if (c->cmd == CMD_RCPT)
				c->rcpt_next++;
			return;
		}
	}
	/* Anything else is a SASL step of the AUTH under way. */
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size,
		    void *arg)
{
	struct kser_smtp *c = arg;
	size_t i, start = 0;

	(void)curl;
	if (!c->res)
		return 0;
	if (type == CURLINFO_HEADER_OUT) {
		on_command(c, data, size);
	} else if (type == CURLINFO_HEADER_IN) {
		/* Answers may come in pieces or several at once. */
		for (i = 0; i < size; i++) {
			if (data[i] != '\n')
				continue;
			kser_buf_put(&c->in, data + start, i + 1 - start);
			on_answer(c, kser_buf_cstr(&c->in), c->in.len);
			kser_buf_clear(&c->in);
			start = i + 1;
		}
		kser_buf_put(&c->in, data + start, size - start);
	}
	return 0;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct kser_smtp *c = arg;
	size_t n = size * nitems, left = c->len - c->pos;

	if (n > left)
		n = left;
	/*
	 * The last bytes: tell the journal before they go, for once they
	 * are out the end of the data can reach the server.
	 */
	if (n == left && !c->res->data_sent) {
		c->res->data_sent = true;
		if (c->eod) {
			c->cb_err = c->eod(c->eod_arg, c->res);
			if (c->cb_err)
				return CURL_READFUNC_ABORT;
		}
	}
	memcpy(buf, c->data + c->pos, n);
	c->pos += n;
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct kser_smtp *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (c->cancel && !c->cb_err)
		c->cb_err = c->cancel(c->cancel_arg);
	return c->cb_err ? 1 : 0;
}

/* LF to CRLF; libcurl does the dot-stuffing. */
static const struct kser_error *to_crlf(struct kser_buf *out,
					const char *data, size_t len)
{
	size_t i;

	kser_buf_grow(out, len + len / 32 + 2);
	for (i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			kser_buf_putc(out, '\r');
		kser_buf_putc(out, data[i]);
	}
	return kser_buf_check(out);
}

static const struct kser_error *setup(struct kser_smtp *c,
				      const struct kser_send_config *cfg,
				      const char *sender,
				      struct curl_slist *rcpts)
{
	CURL *h = c->curl;
	CURLcode r = CURLE_OK;

#define SET(opt, val)                                                      \
	do {                                                               \
		if (r == CURLE_OK)                                         \
			r = curl_easy_setopt(h, opt, val);                 \
	} while (0)
	SET(CURLOPT_URL, c->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_CONNECTTIMEOUT, 30L);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)(cfg->timeout ? cfg->timeout : 300));
	SET(CURLOPT_USE_SSL, cfg->encryption == KSER_SMTP_STARTTLS ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (cfg->ca_path) {
		if (kser_is_dir(cfg->ca_path))
			SET(CURLOPT_CAPATH, cfg->ca_path);
		else
			SET(CURLOPT_CAINFO, cfg->ca_path);
	}
	if (cfg->no_verify) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cfg->user && !cfg->no_auth) {
		SET(CURLOPT_USERNAME, cfg->user);
		SET(CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
		if (cfg->auth) {
			char opts[80];

			snprintf(opts, sizeof(opts), "AUTH=%s", cfg->auth);
			SET(CURLOPT_LOGIN_OPTIONS, opts);
		}
	}
	SET(CURLOPT_MAIL_FROM, sender);
	SET(CURLOPT_MAIL_RCPT, rcpts);
	SET(CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->len);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, c);
	SET(CURLOPT_VERBOSE, 1L);
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, c);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, c);
#undef SET
	if (r != CURLE_OK)
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "cannot set up libcurl: %s",
				      curl_easy_strerror(r));
	return NULL;
}

const struct kser_error *kser_smtp_send(struct kser_smtp *c,
					const char *sender,
					char *const *rcpts, size_t nrcpts,
					const char *data, size_t len,
					struct kser_smtp_result *res,
					kser_smtp_eod_cb eod, void *eod_arg,
					kser_cancel_cb cancel,
					void *cancel_arg)
{
	const struct kser_error *err = NULL;
	struct kser_buf wire = KSER_BUF_INIT, from = KSER_BUF_INIT;
	struct curl_slist *list = NULL;
	CURLcode r;
	size_t i;

	memset(res, 0, sizeof(*res));
	res->rcpt = calloc(nrcpts ? nrcpts : 1, sizeof(*res->rcpt));
	if (!res->rcpt)
		return kser_error_nomem();
	res->nrcpt = nrcpts;
	/* In angle brackets, libcurl sends the address as it is. */
	kser_buf_printf(&from, "<%s>", sender);
	for (i = 0; i < nrcpts; i++) {
		char buf[300];
		struct curl_slist *n;

		snprintf(buf, sizeof(buf), "<%s>", rcpts[i]);
		n = curl_slist_append(list, buf);
		if (!n) {
			err = kser_error_nomem();
			goto done;
		}
		list = n;
	}
	err = kser_buf_check(&from);
	if (!err)
		err = to_crlf(&wire, data, len);
	if (err)
		goto done;
	c->res = res;
	c->cmd = CMD_NONE;
	c->rcpt_next = 0;
	kser_buf_clear(&c->in);
	c->data = wire.ptr;
	c->len = wire.len;
	c->pos = 0;
	c->eod = eod;
	c->eod_arg = eod_arg;
	c->cancel = cancel;
	c->cancel_arg = cancel_arg;
	c->cb_err = NULL;
	c->errbuf[0] = '\0';
	err = setup(c, c->cfg, from.ptr, list);
	if (err)
		goto done;
	r = curl_easy_perform(c->curl);
	if (r != CURLE_OK) {
		res->failed = true;
		snprintf(res->error, sizeof(res->error), "%s",
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(r));
	}
	err = c->cb_err;
done:
	/* The connection, if any, stays for the next message. */
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, NULL);
	c->res = NULL;
	c->data = NULL;
	curl_slist_free_all(list);
	kser_buf_release(&wire);
	kser_buf_release(&from);
	return err;
}
