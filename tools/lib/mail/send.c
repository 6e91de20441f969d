// SPDX-License-Identifier: GPL-2.0
/*
 * kser send's journal and its run: what each recipient of each message
 * was told, kept under the git dir so that a send that stopped half-way
 * (a lost connection, a 4xx, a kill -9) resumes with only what was not
 * accepted, and the same bytes, Message-Ids included.
 *
 * <gitdir>/kser/send/ (kser/opstate.h):
 *   input          what was sent, for messages
 *   options        the server options the command line gave (key=value)
 *   NNNN.mail      message N exactly as it goes out
 *   NNNN.state     its envelope and each recipient's state and answer
 *   count          the number of messages; written last, so a send whose
 *                  start was interrupted is not taken for one in progress
 *
 * A message's state is written before it is sent (phase sending), again
 * once every byte but the last few is with libcurl (phase eod: the
 * recipients the server took are now "unknown"), and after the server's
 * last answer (phase idle). Before the eod write the server cannot have
 * the end of the data, so a crash there loses nothing and duplicates
 * nothing; after it, until the answer is written, the message may or may
 * not have arrived: resuming sends it again (at least once), or --skip
 * takes it as arrived (at most once).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/send.h"
#include "kser/util.h"
#include "kser/lockfile.h"
#include "kser/opstate.h"
#include "kser_lib_mail.h"

static const char *const state_names[] = {
	[KSER_RCPT_TODO] = "todo",
	[KSER_RCPT_OK] = "ok",
	[KSER_RCPT_REFUSED] = "refused",
	[KSER_RCPT_UNKNOWN] = "unknown",
	[KSER_RCPT_SKIPPED] = "skipped",
};

#define NSTATES (sizeof(state_names) / sizeof(state_names[0]))

static char *file_name(size_t i, const char *ext)
{
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_printf(&b, "%04zu.%s", i + 1, ext);
	return kser_buf_detach(&b);
}

/* One line of text, whatever the source put in it. */
static void put_clean(struct kser_buf *b, const char *s)
{
	for (; s && *s; s++)
		kser_buf_putc(b, (unsigned char)*s < 0x20 ||
			      (unsigned char)*s == 0x7f ? '?' : *s);
}

const struct kser_error *kser_send_write_state(struct kser_send *s, size_t i,
					       const char *phase)
{
	const struct kser_send_message *m = &s->box->v[i];
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;
	char *name = file_name(i, "state");
	size_t j;

	kser_buf_puts(&b, "name ");
	put_clean(&b, m->name);
	kser_buf_puts(&b, "\nsubject ");
	put_clean(&b, m->subject);
	kser_buf_puts(&b, "\nmessage-id ");
	put_clean(&b, m->message_id);
	kser_buf_printf(&b, "\nsender %s\nphase %s\nattempts %u\n", m->sender,
			phase, m->attempts);
	for (j = 0; j < m->nrcpts; j++) {
		const struct kser_send_rcpt *r = &m->rcpts[j];

		kser_buf_printf(&b, "rcpt %s %d %s", state_names[r->state],
				r->code, r->addr);
		if (r->reply) {
			kser_buf_putc(&b, ' ');
			put_clean(&b, r->reply);
		}
		kser_buf_putc(&b, '\n');
	}
	err = name ? kser_buf_check(&b) : kser_error_nomem();
	if (!err)
		err = kser_opstate_write(s->st, name, b.ptr, b.len);
	kser_buf_release(&b);
	free(name);
	return err;
}

static const struct kser_error *damaged(struct kser_send *s, size_t i)
{
	return kser_error_fmt(KSER_ERR_BAD_INPUT,
			      "the journal '%s' is damaged (message %zu); "
			      "'kser send --abort' removes it",
			      kser_opstate_dir(s->st), i + 1);
}

static const struct kser_error *parse_rcpt(struct kser_send_rcpt *r,
					   char *v)
{
	char *sp = strchr(v, ' '), *code, *addr, *end;
	size_t k;
	long c;

	if (!sp)
		return kser_error_nomem();	/* replaced by damaged() */
	*sp = '\0';
	for (k = 0; k < NSTATES && strcmp(state_names[k], v); k++)
		;
	code = sp + 1;
	sp = strchr(code, ' ');
	if (k == NSTATES || !sp)
		return kser_error_nomem();
	*sp = '\0';
	c = strtol(code, &end, 10);
	addr = sp + 1;
	sp = strchr(addr, ' ');
	if (sp)
		*sp++ = '\0';
	if (*end || c < 0 || c > 999 || kser_send_addr_check(addr, "journal"))
		return kser_error_nomem();
	r->state = (enum kser_rcpt_state)k;
	r->code = (int)c;
	r->addr = strdup(addr);
	r->reply = sp && *sp ? strdup(sp) : NULL;
	return r->addr ? NULL : kser_error_nomem();
}

static const struct kser_error *read_state(struct kser_send *s, size_t i)
{
	struct kser_send_message *m = &s->box->v[i];
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;
	char *name = file_name(i, "state"), *line, *save = NULL;

	if (!name)
		return kser_error_nomem();
	err = kser_opstate_read(s->st, name, &b);
	free(name);
	if (err)
		goto done;
	for (line = strtok_r(b.ptr ? b.ptr : "", "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');
		char **field = NULL;

		if (!v) {
			err = damaged(s, i);
			break;
		}
		*v++ = '\0';
		if (!strcmp(line, "name"))
			field = &m->name;
		else if (!strcmp(line, "subject"))
			field = &m->subject;
		else if (!strcmp(line, "message-id"))
			field = &m->message_id;
		else if (!strcmp(line, "sender"))
			field = &m->sender;
		if (field) {
			free(*field);
			*field = strdup(v);
			if (!*field)
				err = kser_error_nomem();
		} else if (!strcmp(line, "attempts")) {
			m->attempts = (unsigned int)strtoul(v, NULL, 10);
		} else if (!strcmp(line, "rcpt")) {
			/* No count of what is allocated is kept. */
			size_t alloc = m->nrcpts;
			struct kser_send_rcpt *nr;

			err = kser_array_grow((void **)&m->rcpts, &alloc,
					      m->nrcpts, sizeof(*m->rcpts), 4);
			if (err)
				break;
			nr = m->rcpts;
			memset(&nr[m->nrcpts], 0, sizeof(*nr));
			if (parse_rcpt(&nr[m->nrcpts], v))
				err = damaged(s, i);
			else
				m->nrcpts++;
		}
	}
	if (!err && (!m->sender || !m->message_id || !m->nrcpts ||
		     kser_send_addr_check(m->sender, "journal")))
		err = damaged(s, i);
done:
	kser_buf_release(&b);
	return err;
}

static const struct kser_error *lock_and_open(struct kser_send **out,
					      const char *gitdir)
{
	struct kser_buf top = KSER_BUF_INIT, lock = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	struct kser_send *s;
	size_t len = strlen(gitdir);

	*out = NULL;
	while (len > 1 && gitdir[len - 1] == '/')
		len--;
	kser_buf_printf(&top, "%.*s/kser", (int)len, gitdir);
	kser_buf_printf(&lock, "%.*s/kser/send.lock", (int)len, gitdir);
	s = calloc(1, sizeof(*s));
	if (!s || kser_buf_check(&top) || kser_buf_check(&lock)) {
		err = kser_error_nomem();
		goto done;
	}
	err = kser_mkdir_p(top.ptr);
	if (!err)
		err = kser_lockfile_lock(&s->lock, lock.ptr);
	if (!err)
		err = kser_opstate_open(&s->st, gitdir, "send");
done:
	kser_buf_release(&top);
	kser_buf_release(&lock);
	if (err) {
		kser_send_free(s);
		return err;
	}
	*out = s;
	return NULL;
}

/* A journal is in progress once its count is written. */
static bool journal_complete(struct kser_send *s)
{
	return kser_opstate_in_progress(s->st) &&
	       kser_opstate_exists(s->st, "count");
}

bool kser_send_in_progress(const char *gitdir)
{
	struct kser_opstate *st = NULL;
	bool r;

	if (kser_opstate_open(&st, gitdir, "send"))
		return false;
	r = kser_opstate_in_progress(st) && kser_opstate_exists(st, "count");
	kser_opstate_free(st);
	return r;
}

const struct kser_error *kser_send_start(struct kser_send **out,
					 const char *gitdir,
					 struct kser_outbox *box,
					 const char *input,
					 char *const *options, size_t noptions)
{
	const struct kser_error *err;
	struct kser_buf opts = KSER_BUF_INIT;
	struct kser_send *s = NULL;
	size_t i;

	*out = NULL;
	err = lock_and_open(&s, gitdir);
	if (err) {
		kser_outbox_free(box);
		return err;
	}
	s->box = box;
	if (journal_complete(s)) {
		err = kser_error_fmt(KSER_ERR_EXISTS,
				     "a send is already in progress ('%s'); "
				     "finish it with 'kser send --continue' "
				     "or drop it with 'kser send --abort'",
				     kser_opstate_dir(s->st));
		goto done;
	}
	/* A start that died before its count: nothing of it was sent. */
	if (kser_opstate_in_progress(s->st)) {
		err = kser_opstate_release(s->st);
		if (err)
			goto done;
	}
	s->input = strdup(input);
	for (i = 0; i < noptions; i++)
		kser_buf_printf(&opts, "%s\n", options[i]);
	err = s->input ? kser_buf_check(&opts) : kser_error_nomem();
	if (!err)
		err = kser_opstate_begin(s->st);
	if (!err)
		err = kser_opstate_write_str(s->st, "input", input);
	if (!err)
		err = kser_opstate_write(s->st, "options",
					 kser_buf_cstr(&opts), opts.len);
	for (i = 0; !err && i < box->n; i++) {
		char *name = file_name(i, "mail");

		err = name ? kser_opstate_write(s->st, name, box->v[i].data,
						box->v[i].len) :
		      kser_error_nomem();
		free(name);
		if (!err)
			err = kser_send_write_state(s, i, "idle");
	}
	if (!err)
		err = kser_opstate_write_int(s->st, "count", (int64_t)box->n);
done:
	kser_buf_release(&opts);
	if (err) {
		kser_send_free(s);
		return err;
	}
	*out = s;
	return NULL;
}

const struct kser_error *kser_send_resume(struct kser_send **out,
					  const char *gitdir,
					  struct kser_send_config *cfg)
{
	const struct kser_error *err;
	struct kser_buf opts = KSER_BUF_INIT;
	struct kser_send *s = NULL;
	char *line, *save = NULL;
	int64_t count = 0;
	size_t i;

	*out = NULL;
	err = lock_and_open(&s, gitdir);
	if (err)
		return err;
	if (!journal_complete(s)) {
		err = kser_error_fmt(KSER_ERR_NOT_FOUND, "no send in progress");
		goto done;
	}
	err = kser_opstate_read_int(s->st, "count", &count);
	if (!err && (count < 1 || count > 1000000))
		err = damaged(s, 0);
	if (!err)
		err = kser_opstate_read_str(s->st, "input", &s->input);
	if (!err)
		err = kser_opstate_read(s->st, "options", &opts);
	if (err)
		goto done;
	/* The options the first run was given, under the ones given now. */
	for (line = strtok_r(opts.ptr ? opts.ptr : "", "\n", &save);
	     line && !err; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq) {
			err = damaged(s, 0);
			break;
		}
		*eq = '\0';
		err = kser_send_config_apply(cfg, line, eq + 1);
	}
	if (err)
		goto done;
	s->box = calloc(1, sizeof(*s->box));
	s->box->v = s->box ? calloc((size_t)count, sizeof(*s->box->v)) : NULL;
	if (!s->box || !s->box->v) {
		err = kser_error_nomem();
		goto done;
	}
	s->box->n = s->box->alloc = (size_t)count;
	for (i = 0; i < s->box->n && !err; i++) {
		struct kser_send_message *m = &s->box->v[i];
		struct kser_buf data = KSER_BUF_INIT;
		char *name = file_name(i, "mail");

		err = name ? kser_opstate_read(s->st, name, &data) :
		      kser_error_nomem();
		free(name);
		if (!err) {
			m->len = data.len;
			m->data = kser_buf_detach(&data);
			if (!m->data)
				err = kser_error_nomem();
		}
		kser_buf_release(&data);
		if (!err) {
			char *blank = strstr(m->data, "\n\n");

			m->header_len = blank ? (size_t)(blank - m->data) + 1 :
					m->len;
			err = read_state(s, i);
		}
		if (err && err->code == KSER_ERR_NOT_FOUND)
			err = damaged(s, i);
	}
done:
	kser_buf_release(&opts);
	if (err) {
		kser_send_free(s);
		return err;
	}
	*out = s;
	return NULL;
}

const struct kser_outbox *kser_send_outbox(const struct kser_send *s)
{
	return s->box;
}

const char *kser_send_input(const struct kser_send *s)
{
	return s->input;
}

bool kser_send_rcpt_left(const struct kser_send_rcpt *r)
{
	return r->state == KSER_RCPT_TODO || r->state == KSER_RCPT_UNKNOWN;
}

void kser_send_summarize(const struct kser_send *s,
			 struct kser_send_summary *sum)
{
	size_t i, j;

	memset(sum, 0, sizeof(*sum));
	sum->messages = s->box->n;
	for (i = 0; i < s->box->n; i++) {
		const struct kser_send_message *m = &s->box->v[i];
		bool complete = true;

		for (j = 0; j < m->nrcpts; j++) {
			switch (m->rcpts[j].state) {
			case KSER_RCPT_OK:
				sum->accepted++;
				break;
			case KSER_RCPT_REFUSED:
				sum->refused++;
				break;
			case KSER_RCPT_SKIPPED:
				sum->skipped++;
				break;
			case KSER_RCPT_UNKNOWN:
				sum->unknown++;
				complete = false;
				break;
			case KSER_RCPT_TODO:
				sum->pending++;
				complete = false;
				break;
			}
		}
		sum->complete += complete;
	}
}

const struct kser_error *kser_send_skip(struct kser_send *s, size_t *index)
{
	size_t i, j;

	for (i = 0; i < s->box->n; i++) {
		struct kser_send_message *m = &s->box->v[i];
		bool any = false;

		for (j = 0; j < m->nrcpts; j++)
			if (kser_send_rcpt_left(&m->rcpts[j])) {
				m->rcpts[j].state = KSER_RCPT_SKIPPED;
				any = true;
			}
		if (any) {
			*index = i;
			return kser_send_write_state(s, i, "idle");
		}
	}
	return kser_error_fmt(KSER_ERR_NOT_FOUND,
			      "nothing to skip: every message was answered");
}

const struct kser_error *kser_send_abort(struct kser_send *s)
{
	return kser_opstate_release(s->st);
}

void kser_send_free(struct kser_send *s)
{
	if (!s)
		return;
	kser_outbox_free(s->box);
	kser_opstate_free(s->st);
	kser_lockfile_unlock(s->lock);
	free(s->input);
	free(s);
}
