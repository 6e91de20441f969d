// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/send.h"
#include "kser/util.h"
#include "kser_cli.h"

static const char send_usage[] =
	"usage: kser send [--repo DIR] [--dry-run] [--smtp-server HOST] "
	"[--smtp-port N] [--smtp-encryption tls|ssl|none] [--smtp-user U] "
	"[--batch-size N] [--relogin-delay S] [--to ADDR]... [--cc ADDR]... "
	"DIR|MBOX\n"
	"       kser send [--repo DIR] [--dry-run] (--continue | --skip | "
	"--abort)\n"
	"\n"
	"Send the mails of an export over SMTP, so that none is lost or sent\n"
	"twice.\n"
	"\n"
	"DIR is a directory of mails as git format-patch -o writes them (every\n"
	"file, in name order), MBOX an mbox of them. The server and the\n"
	"addresses come from git config as git send-email reads them\n"
	"(sendemail.smtpServer, smtpServerPort, smtpEncryption, smtpUser,\n"
	"smtpPass or git credential, from, envelopeSender, to, cc, bcc...);\n"
	"options win. Recipients are each mail's To, Cc and Bcc and the\n"
	"options'; Message-Id and Date stay as the export wrote them (a mail\n"
	"without a Message-Id gets one, kept for a resend).\n"
	"\n"
	"A journal under the git dir records each recipient's answer. When the\n"
	"connection drops, the server defers a message (4xx) or kser is\n"
	"killed, 'kser send --continue' sends only what was not accepted,\n"
	"with the same bytes. A recipient refused for good (5xx) is reported\n"
	"and the others still get the mail.\n"
	"\n"
	"  --repo DIR              the repository (default: as git finds it)\n"
	"  -n, --dry-run           print each envelope and header; send nothing\n"
	"  --smtp-server HOST      sendemail.smtpServer (default: localhost)\n"
	"  --smtp-port N           sendemail.smtpServerPort (default: 25, or\n"
	"                          465 with ssl)\n"
	"  --smtp-encryption E     tls (STARTTLS), ssl (TLS from the start) or\n"
	"                          none\n"
	"  --smtp-user U           log in as U (password: sendemail.smtpPass\n"
	"                          or git credential)\n"
	"  --smtp-domain NAME      the name said in EHLO\n"
	"  --batch-size N          reconnect after every N messages\n"
	"  --relogin-delay S       wait S seconds before reconnecting\n"
	"  --to ADDR, --cc ADDR    add to each mail's To or Cc\n"
	"  --bcc ADDR              send to ADDR too, named in no header\n"
	"  --from ADDR             the From of mails that have none\n"
	"  --envelope-sender ADDR  the envelope sender (default: each From)\n"
	"  --identity NAME         read sendemail.NAME.* first\n"
	"  --no-thread             leave In-Reply-To alone (default: mails\n"
	"                          after the first that answer none answer it)\n"
	"  --continue              resume the send in progress\n"
	"  --skip                  give up the first message not complete (for\n"
	"                          one that may have arrived), then resume\n"
	"  --abort                 drop the send in progress\n"
	"\n"
	"Exit status: 0 when every recipient took every mail, 1 otherwise.\n";

struct out {
	bool quiet;
};

static void print_answer(const char *label, const struct kser_send_rcpt *r)
{
	printf("      %s %s", label, r->addr);
	if (r->code)
		printf(": %d", r->code);
	if (r->reply)
		printf(" %s", r->reply);
	printf("\n");
}

static const struct kser_error *progress_cb(void *arg,
					    const struct kser_send_progress *p)
{
	const struct kser_send_message *m = p->msg;
	size_t j, ok = 0, n = 0;

	(void)arg;
	switch (p->event) {
	case KSER_SEND_CONNECTING:
		printf("server: %s\n", p->url);
		break;
	case KSER_SEND_WAITING:
		printf("waiting %u s before logging in again\n", p->seconds);
		break;
	case KSER_SEND_MESSAGE:
		if (p->resend)
			printf("note: message %zu may have arrived before "
			       "(no answer came); sending it again with the "
			       "same Message-Id %s\n", p->index + 1,
			       m->message_id);
		break;
	case KSER_SEND_RESULT:
		for (j = 0; j < m->nrcpts; j++) {
			n++;
			ok += m->rcpts[j].state == KSER_RCPT_OK;
		}
		printf("[%zu/%zu] %s %s (%zu of %zu recipient%s)\n",
		       p->index + 1, p->total, ok == n ? "sent:" : "sent, "
		       "partly:", m->subject, ok, n, n == 1 ? "" : "s");
		for (j = 0; j < m->nrcpts; j++) {
			const struct kser_send_rcpt *r = &m->rcpts[j];

			if (r->state == KSER_RCPT_REFUSED)
				print_answer("refused:", r);
			else if (r->state == KSER_RCPT_TODO && r->deferred)
				print_answer("deferred, for --continue:", r);
		}
		break;
	}
	fflush(stdout);
	return NULL;
}

static bool wants(const struct kser_send_rcpt *r, bool pending_only)
{
	return !pending_only || r->state == KSER_RCPT_TODO ||
	       r->state == KSER_RCPT_UNKNOWN;
}

static void print_dry_run(const struct kser_outbox *box, bool pending_only)
{
	size_t i, j;

	for (i = 0; i < box->n; i++) {
		const struct kser_send_message *m = &box->v[i];
		size_t n = 0;

		for (j = 0; j < m->nrcpts; j++)
			n += wants(&m->rcpts[j], pending_only);
		if (!n)
			continue;
		printf("[%zu/%zu] %s\nMAIL FROM:<%s>\n", i + 1, box->n,
		       m->name, m->sender);
		for (j = 0; j < m->nrcpts; j++)
			if (wants(&m->rcpts[j], pending_only))
				printf("RCPT TO:<%s>\n", m->rcpts[j].addr);
		fwrite(m->data, 1, m->header_len, stdout);
		printf("\n");
	}
	printf("dry run: nothing was sent\n");
}

static const struct kser_error *apply_opt(struct kser_send_config *cfg,
					  const char *key, const char *value)
{
	const struct kser_error *err = kser_send_config_apply(cfg, key, value);

	return err ? kser_error_fmt(KSER_ERR_USAGE, "%s", err->msg) : NULL;
}

static const struct kser_error *push_opt(char ***v, size_t *n, size_t *alloc,
					 const char *key, const char *value)
{
	struct kser_buf b = KSER_BUF_INIT;
	const struct kser_error *err;

	err = kser_array_grow((void **)v, alloc, *n, sizeof(**v), 8);
	if (err)
		return err;
	kser_buf_printf(&b, "%s=%s", key, value);
	(*v)[*n] = kser_buf_detach(&b);
	if (!(*v)[*n])
		return kser_error_nomem();
	(*n)++;
	return NULL;
}

static void free_opts(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* What the error means for the user, with what to do next. */
static const struct kser_error *explain(const struct kser_error *err,
					const struct kser_send_summary *sum)
{
	if (sum->finished || !sum->messages)
		return err;
	return kser_error_fmt(err->code, "%s\nkser: %zu of %zu messages done; "
			      "'kser send --continue' sends the rest, 'kser "
			      "send --abort' gives up", err->msg,
			      sum->complete, sum->messages);
}

static const struct kser_error *run(struct kser_send *s,
				    struct kser_send_config *cfg,
				    const char *workdir)
{
	struct kser_send_summary sum = { 0 };
	const struct kser_error *err = NULL;
	bool asked = false;
	struct out o = { false };

	if (cfg->user && !cfg->password && !cfg->no_auth) {
		err = kser_credential_fill(cfg, workdir);
		if (err)
			return err;
		asked = true;
	}
	err = kser_send_run(s, cfg, progress_cb, &o, kser_cli_cancel, NULL, &sum);
	if (asked && (sum.logged_in || sum.login_failed))
		kser_credential_report(cfg, workdir, sum.logged_in);
	if (!err && !sum.finished)
		err = kser_error_fmt(KSER_ERR_GENERIC,
				     "the server deferred %zu deliver%s (a "
				     "message to a recipient)",
				     sum.pending + sum.unknown,
				     sum.pending + sum.unknown == 1 ? "y" :
				     "ies");
	if (err)
		return explain(err, &sum);
	if (sum.refused)
		return kser_error_fmt(KSER_ERR_GENERIC,
				      "%zu recipient%s refused a mail (see "
				      "above)", sum.refused,
				      sum.refused == 1 ? "" : "s");
	printf("sent %zu message%s\n", sum.messages,
	       sum.messages == 1 ? "" : "s");
	return NULL;
}

enum mode { NEW, CONTINUE, SKIP, ABORT };

static const struct kser_error *cmd_send(struct kser_cli *cli, int argc,
					 char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "smtp-server", required_argument, NULL, 's' },
		{ "smtp-port", required_argument, NULL, 'p' },
		{ "smtp-encryption", required_argument, NULL, 'e' },
		{ "smtp-user", required_argument, NULL, 'u' },
		{ "smtp-domain", required_argument, NULL, 'd' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "relogin-delay", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "cc", required_argument, NULL, 'c' },
		{ "bcc", required_argument, NULL, 'B' },
		{ "from", required_argument, NULL, 'f' },
		{ "envelope-sender", required_argument, NULL, 'E' },
		{ "identity", required_argument, NULL, 'i' },
		{ "no-thread", no_argument, NULL, 'T' },
		{ "continue", no_argument, NULL, 'C' },
		{ "skip", no_argument, NULL, 'S' },
		{ "abort", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Options that become settings: the server's are kept for later. */
	static const struct {
		int opt;
		const char *key;
		bool server;
	} keys[] = {
		{ 's', "smtpServer", true }, { 'p', "smtpServerPort", true },
		{ 'e', "smtpEncryption", true }, { 'u', "smtpUser", true },
		{ 'd', "smtpDomain", true }, { 'b', "smtpBatchSize", true },
		{ 'l', "smtpReloginDelay", true }, { 't', "to", false },
		{ 'c', "cc", false }, { 'B', "bcc", false },
		{ 'f', "from", false }, { 'E', "envelopeSender", false },
		{ 'T', "thread", false },
	};
	struct kser_send_config cfg;
	const struct kser_error *err = NULL;
	char **server = NULL, **mail = NULL;
	size_t nserver = 0, nmail = 0, k;
	size_t server_alloc = 0, mail_alloc = 0;
	const char *identity = NULL, *gitdir, *workdir;
	struct kser_outbox *box = NULL;
	struct kser_send *s = NULL;
	git_repository *repo = NULL;
	enum mode mode = NEW;
	bool dry_run = false;
	int opt;

	kser_send_config_init(&cfg);
	while ((opt = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		if (kser_cli_common_option(cli, opt, optarg))
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (keys[k].opt == opt)
				break;
		if (k < sizeof(keys) / sizeof(keys[0])) {
			const char *v = opt == 'T' ? "false" : optarg;

			err = keys[k].server ?
			      push_opt(&server, &nserver, &server_alloc,
				       keys[k].key, v) :
			      push_opt(&mail, &nmail, &mail_alloc, keys[k].key,
				       v);
			if (err)
				goto done;
			continue;
		}
		switch (opt) {
		case 'n':
			dry_run = true;
			break;
		case 'i':
			identity = optarg;
			break;
		case 'C':
		case 'S':
		case 'A':
			if (mode != NEW) {
				err = kser_cli_usage(&kser_cmd_send,
						     "--continue, --skip and "
						     "--abort go alone");
				goto done;
			}
			mode = opt == 'C' ? CONTINUE : opt == 'S' ? SKIP :
			       ABORT;
			break;
		case 'h':
			fputs(send_usage, stdout);
			goto done;
		default:
			err = kser_cli_usage(&kser_cmd_send, "unknown option");
			goto done;
		}
	}
	if (mode == NEW && optind != argc - 1) {
		err = kser_cli_usage(&kser_cmd_send, optind >= argc ?
				     "no DIR or MBOX given" :
				     "one DIR or MBOX at a time");
		goto done;
	}
	if (mode != NEW && (optind != argc || nmail)) {
		err = kser_cli_usage(&kser_cmd_send,
				     "--continue, --skip and --abort take no "
				     "input and no addresses: the journal "
				     "has the mails as they go out");
		goto done;
	}

	err = kser_cli_open_repo(&repo, cli, false);
	if (err)
		goto done;
	gitdir = git_repository_path(repo);
	workdir = git_repository_workdir(repo);
	if (!workdir)
		workdir = gitdir;
	err = kser_send_config_load(&cfg, repo, identity);
	if (err)
		goto done;

	if (mode == NEW) {
		char abs[PATH_MAX];
		const char *input = argv[optind];

		for (k = 0; k < nmail && !err; k++) {
			char *eq = strchr(mail[k], '=');

			*eq = '\0';
			err = apply_opt(&cfg, mail[k], eq + 1);
			*eq = '=';
		}
		for (k = 0; k < nserver && !err; k++) {
			char *eq = strchr(server[k], '=');

			*eq = '\0';
			err = apply_opt(&cfg, server[k], eq + 1);
			*eq = '=';
		}
		if (!err)
			err = kser_outbox_load(&box, input, &cfg);
		if (err)
			goto done;
		if (dry_run) {
			print_dry_run(box, false);
			goto done;
		}
		if (strcmp(input, "-") && realpath(input, abs))
			input = abs;
		err = kser_send_start(&s, gitdir, box, input, server, nserver);
		box = NULL;
		if (err)
			goto done;
		err = run(s, &cfg, workdir);
		goto done;
	}

	err = kser_send_resume(&s, gitdir, &cfg);
	if (err && err->code == KSER_ERR_NOT_FOUND)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND,
				     "no send in progress");
	for (k = 0; k < nserver && !err; k++) {
		char *eq = strchr(server[k], '=');

		*eq = '\0';
		err = apply_opt(&cfg, server[k], eq + 1);
		*eq = '=';
	}
	if (err)
		goto done;
	if (mode == ABORT) {
		struct kser_send_summary sum;

		kser_send_summarize(s, &sum);
		if (dry_run) {
			printf("dry run: would drop the send of '%s'\n",
			       kser_send_input(s));
			goto done;
		}
		err = kser_send_abort(s);
		if (!err)
			printf("dropped the send of '%s': %zu of %zu messages "
			       "had gone to every recipient\n",
			       kser_send_input(s), sum.complete,
			       sum.messages);
		goto done;
	}
	if (mode == SKIP && !dry_run) {
		size_t i;
		const struct kser_outbox *ob;

		err = kser_send_skip(s, &i);
		if (err)
			goto done;
		ob = kser_send_outbox(s);
		printf("skipped message %zu of %zu: %s\n", i + 1, ob->n,
		       ob->v[i].subject);
	}
	if (dry_run) {
		print_dry_run(kser_send_outbox(s), true);
		goto done;
	}
	err = run(s, &cfg, workdir);
done:
	kser_send_free(s);
	kser_outbox_free(box);
	kser_send_config_release(&cfg);
	free_opts(server, nserver);
	free_opts(mail, nmail);
	git_repository_free(repo);
	return err;
}

const struct kser_cmd kser_cmd_send = {
	.name = "send",
	.fn = cmd_send,
	.summary = "send a series' mails over SMTP, resumably",
	.usage = send_usage,
};
