// SPDX-License-Identifier: GPL-2.0
/*
 * A run of kser send: every recipient not answered for good, message by
 * message, each answer recorded in the journal (send.c) before the next
 * step. See send.c for when the journal is written and why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kser/error.h"
#include "kser/send.h"
#include "kser/opstate.h"
#include "kser_lib_mail.h"

struct run {
	struct kser_send *s;
	const struct kser_send_config *cfg;
	struct kser_send_summary *sum;
	size_t index;		/* the message under way */
	size_t *targets;	/* its recipients this time, by index */
	size_t ntargets;
	/*
	 * Addresses the server deferred (4xx) in this run: left out of the
	 * messages after, so the next run gives them the series in order.
	 */
	char **deferred;
	size_t ndeferred, alloc;
};

static void set_reply(struct kser_send_rcpt *r, enum kser_rcpt_state state,
		      const struct kser_smtp_answer *a, const char *otherwise)
{
	r->state = state;
	free(r->reply);
	r->reply = NULL;
	if (a && a->code) {
		r->code = a->code;
		r->reply = strdup(a->text);
	} else if (otherwise) {
		r->reply = strdup(otherwise);
	}
}

/* What one recipient's own answer says, when that is all there is. */
static void by_rcpt_answer(struct run *run, struct kser_send_rcpt *r,
			   const struct kser_smtp_answer *a,
			   const char *otherwise)
{
	if (a->code >= 500) {
		set_reply(r, KSER_RCPT_REFUSED, a, NULL);
	} else if (a->code >= 400) {
		set_reply(r, KSER_RCPT_TODO, a, NULL);
		r->deferred = true;	/* again in a later run */
		if (!kser_send_strs_has(run->deferred, run->ndeferred,
					r->addr))
			kser_send_strs_push(&run->deferred, &run->ndeferred,
					    &run->alloc, r->addr);
	} else {
		set_reply(r, KSER_RCPT_TODO, NULL, otherwise);
	}
}

static const struct kser_error *on_eod(void *arg,
				       const struct kser_smtp_result *res)
{
	struct run *run = arg;
	struct kser_send_message *m = &run->s->box->v[run->index];
	size_t k;

	for (k = 0; k < run->ntargets; k++) {
		struct kser_send_rcpt *r = &m->rcpts[run->targets[k]];
		const struct kser_smtp_answer *a = &res->rcpt[k];

		if (a->code >= 200 && a->code < 300)
			set_reply(r, KSER_RCPT_UNKNOWN, a, NULL);
		else
			by_rcpt_answer(run, r, a, NULL);
	}
	return kser_send_write_state(run->s, run->index, "eod");
}

static const char *what_of(const struct kser_smtp_result *res,
			   const struct kser_smtp_answer *a, char *buf,
			   size_t len)
{
	if (a && a->code)
		snprintf(buf, len, "%d %s", a->code, a->text);
	else if (res->greeting.code >= 400)
		snprintf(buf, len, "%d %s", res->greeting.code,
			 res->greeting.text);
	else
		snprintf(buf, len, "%s", res->error[0] ? res->error :
			 "no answer");
	return buf;
}

/*
 * Records what the server said for the message under way; sets *stop
 * with the reason when the run cannot go on.
 */
static void settle(struct run *run, const struct kser_smtp_result *res,
		   const char *url, const struct kser_error **stop)
{
	struct kser_send_message *m = &run->s->box->v[run->index];
	size_t k, total = run->s->box->n, i = run->index + 1;
	bool any_ok = false, any_temp = false, all_answered = true;
	char why[600];

	for (k = 0; k < run->ntargets; k++) {
		int code = res->rcpt[k].code;

		any_ok |= code >= 200 && code < 300;
		any_temp |= code >= 400 && code < 500;
		all_answered &= code != 0;
	}
	if (res->auth.code == 235)
		run->sum->logged_in = true;

	if (res->eod.code) {
		/* The server's last word on the message. */
		int code = res->eod.code;

		for (k = 0; k < run->ntargets; k++) {
			struct kser_send_rcpt *r = &m->rcpts[run->targets[k]];
			const struct kser_smtp_answer *a = &res->rcpt[k];

			if (a->code < 200 || a->code >= 300)
				by_rcpt_answer(run, r, a, NULL);
			else if (code < 300)
				set_reply(r, KSER_RCPT_OK, &res->eod, NULL);
			else if (code < 500)
				set_reply(r, KSER_RCPT_TODO, &res->eod, NULL);
			else
				set_reply(r, KSER_RCPT_REFUSED, &res->eod,
					  NULL);
		}
		if (code >= 400 && code < 500)
			*stop = kser_error_fmt(KSER_ERR_GENERIC,
					       "the server deferred message "
					       "%zu of %zu ('%s'): %s", i,
					       total, m->subject,
					       what_of(res, &res->eod, why,
						       sizeof(why)));
		return;
	}
	if (res->data_sent) {
		/* All of it went out and no answer came back. */
		for (k = 0; k < run->ntargets; k++) {
			struct kser_send_rcpt *r = &m->rcpts[run->targets[k]];
			const struct kser_smtp_answer *a = &res->rcpt[k];

			if (a->code >= 200 && a->code < 300)
				set_reply(r, KSER_RCPT_UNKNOWN, NULL,
					  res->error[0] ? res->error :
					  "no answer after the data");
			else
				by_rcpt_answer(run, r, a, NULL);
		}
		*stop = kser_error_fmt(KSER_ERR_GENERIC,
				       "message %zu of %zu ('%s') was sent to "
				       "%s but no answer came back (%s): it "
				       "may or may not have arrived", i, total,
				       m->subject, url,
				       what_of(res, NULL, why, sizeof(why)));
		return;
	}
	/* The end of the data never left: not delivered to anyone. */
	for (k = 0; k < run->ntargets; k++)
		by_rcpt_answer(run, &m->rcpts[run->targets[k]], &res->rcpt[k],
			       res->error[0] ? res->error : "not sent");
	if (res->auth.code >= 400) {
		run->sum->login_failed = true;
		*stop = kser_error_fmt(KSER_ERR_GENERIC,
				       "%s refused the login of '%s': %s", url,
				       run->cfg->user ? run->cfg->user : "",
				       what_of(res, &res->auth, why,
					       sizeof(why)));
	} else if (res->mail.code >= 500) {
		*stop = kser_error_fmt(KSER_ERR_GENERIC,
				       "%s refused the sender '%s' of message "
				       "%zu of %zu: %s", url, m->sender, i,
				       total, what_of(res, &res->mail, why,
						      sizeof(why)));
	} else if (res->mail.code >= 400) {
		*stop = kser_error_fmt(KSER_ERR_GENERIC,
				       "the server deferred message %zu of %zu "
				       "('%s'): %s", i, total, m->subject,
				       what_of(res, &res->mail, why,
					       sizeof(why)));
	} else if (all_answered && run->ntargets && !any_ok) {
		if (any_temp)
			*stop = kser_error_fmt(KSER_ERR_GENERIC,
					       "the server deferred every "
					       "recipient of message %zu of "
					       "%zu ('%s')", i, total,
					       m->subject);
		/* Otherwise all refused for good: on to the next. */
	} else if (res->data.code >= 500) {
		for (k = 0; k < run->ntargets; k++)
			if (res->rcpt[k].code >= 200 &&
			    res->rcpt[k].code < 300)
				set_reply(&m->rcpts[run->targets[k]],
					  KSER_RCPT_REFUSED, &res->data, NULL);
	} else {
		*stop = kser_error_fmt(KSER_ERR_GENERIC,
				       "cannot send message %zu of %zu ('%s') "
				       "to %s: %s", i, total, m->subject, url,
				       what_of(res, res->data.code ? &res->data
					       : NULL, why, sizeof(why)));
	}
}

/* Sleeps, asking cancel every tenth of a second. */
static const struct kser_error *pause_for(unsigned int seconds,
					  kser_cancel_cb cancel, void *arg)
{
	unsigned int tenths;

	for (tenths = 0; tenths < seconds * 10; tenths++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		const struct kser_error *err = cancel ? cancel(arg) : NULL;

		if (err)
			return err;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return NULL;
}

const struct kser_error *kser_send_run(struct kser_send *s,
				       const struct kser_send_config *cfg,
				       kser_send_progress_cb progress,
				       void *progress_arg,
				       kser_cancel_cb cancel, void *cancel_arg,
				       struct kser_send_summary *summary)
{
	struct kser_send_summary sum_local;
	struct run run = { s, cfg, summary ? summary : &sum_local, 0, NULL,
			   0, NULL, 0, 0 };
	const struct kser_error *err = NULL;
	struct kser_smtp *conn = NULL;
	char **addrs = NULL;
	size_t i, j, on_conn = 0, most = 0;
	bool logged_in = false, login_failed = false;

	for (i = 0; i < s->box->n; i++) {
		for (j = 0; j < s->box->v[i].nrcpts; j++)
			s->box->v[i].rcpts[j].deferred = false;
		if (s->box->v[i].nrcpts > most)
			most = s->box->v[i].nrcpts;
	}
	run.targets = calloc(most ? most : 1, sizeof(*run.targets));
	addrs = calloc(most ? most : 1, sizeof(*addrs));
	if (!run.targets || !addrs) {
		err = kser_error_nomem();
		goto done;
	}
	for (i = 0; i < s->box->n && !err; i++) {
		struct kser_send_message *m = &s->box->v[i];
		struct kser_send_progress p = { 0 };
		struct kser_smtp_result res;
		const struct kser_error *stop = NULL, *werr;
		bool resend = false;

		run.index = i;
		run.ntargets = 0;
		for (j = 0; j < m->nrcpts; j++) {
			if (!kser_send_rcpt_left(&m->rcpts[j]) ||
			    kser_send_strs_has(run.deferred, run.ndeferred,
					       m->rcpts[j].addr))
				continue;
			resend |= m->rcpts[j].state == KSER_RCPT_UNKNOWN;
			addrs[run.ntargets] = m->rcpts[j].addr;
			run.targets[run.ntargets++] = j;
		}
		if (!run.ntargets)
			continue;
		if (cancel && (err = cancel(cancel_arg)))
			break;
		if (conn && cfg->batch_size && on_conn >= cfg->batch_size) {
			kser_smtp_close(conn);
			conn = NULL;
			if (cfg->relogin_delay) {
				p.event = KSER_SEND_WAITING;
				p.seconds = cfg->relogin_delay;
				if (progress &&
				    (err = progress(progress_arg, &p)))
					break;
				err = pause_for(cfg->relogin_delay, cancel,
						cancel_arg);
				if (err)
					break;
			}
		}
		if (!conn) {
			err = kser_smtp_open(&conn, cfg);
			if (err)
				break;
			on_conn = 0;
			p.event = KSER_SEND_CONNECTING;
			p.url = kser_smtp_url(conn);
			if (progress && (err = progress(progress_arg, &p)))
				break;
		}
		p.event = KSER_SEND_MESSAGE;
		p.index = i;
		p.total = s->box->n;
		p.msg = m;
		p.resend = resend;
		if (progress && (err = progress(progress_arg, &p)))
			break;

		m->attempts++;
		err = kser_send_write_state(s, i, "sending");
		if (err)
			break;
		err = kser_smtp_send(conn, m->sender, addrs, run.ntargets,
				     m->data, m->len, &res, on_eod, &run,
				     cancel, cancel_arg);
		on_conn++;
		if (res.rcpt)
			settle(&run, &res, kser_smtp_url(conn), &stop);
		kser_smtp_result_release(&res);
		werr = kser_send_write_state(s, i, "idle");
		if (!err)
			err = werr ? werr : stop;
		if (err) {
			/* The connection may be in any state: drop it. */
			kser_smtp_close(conn);
			conn = NULL;
			break;
		}
		p.event = KSER_SEND_RESULT;
		if (progress && (err = progress(progress_arg, &p)))
			break;
	}
	logged_in = run.sum->logged_in;
	login_failed = run.sum->login_failed;
done:
	kser_smtp_close(conn);
	free(run.targets);
	free(addrs);
	kser_send_strs_free(run.deferred, run.ndeferred);
	kser_send_summarize(s, run.sum);
	run.sum->logged_in = logged_in;
	run.sum->login_failed = login_failed;
	if (!err && !run.sum->pending && !run.sum->unknown) {
		err = kser_opstate_release(s->st);
		run.sum->finished = !err;
	}
	return err;
}
