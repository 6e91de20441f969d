// SPDX-License-Identifier: GPL-2.0
/*
 * kser send's settings, read from git config under the names git
 * send-email reads (so an existing setup works unchanged), and the
 * password from `git credential` as git send-email asks it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stddef.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/send.h"
#include "kser/util.h"
#include "kser_lib_mail.h"

extern char **environ;

void kser_send_config_init(struct kser_send_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->thread = true;
}

static void free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kser_send_config_release(struct kser_send_config *cfg)
{
	if (cfg->password) {
		explicit_bzero(cfg->password, strlen(cfg->password));
		free(cfg->password);
	}
	free(cfg->server);
	free(cfg->user);
	free(cfg->auth);
	free(cfg->domain);
	free(cfg->ca_path);
	free(cfg->from);
	free(cfg->envelope_sender);
	free_list(cfg->to, cfg->nto);
	free_list(cfg->cc, cfg->ncc);
	free_list(cfg->bcc, cfg->nbcc);
	kser_send_config_init(cfg);
}

const struct kser_error *kser_send_config_set(char **field, const char *what,
					      const char *value)
{
	char *copy;

	if (kser_send_has_ctl(value))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: the value holds a control "
				      "character", what);
	copy = strdup(value);
	if (!copy)
		return kser_error_nomem();
	if (*field)
		explicit_bzero(*field, strlen(*field));
	free(*field);
	*field = copy;
	return NULL;
}

const struct kser_error *kser_send_config_add(char ***list, size_t *n,
					      const char *what,
					      const char *value)
{
	const struct kser_error *err;
	char **addrs = NULL, **v;
	size_t naddrs = 0, alloc = 0;

	if (kser_send_has_ctl(value))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: the value holds a control "
				      "character", what);
	/* Checked now, so a bad one is refused before anything is sent. */
	err = kser_send_addr_parse(&addrs, &naddrs, &alloc, value, what);
	free_list(addrs, naddrs);
	if (err)
		return err;
	if (!naddrs)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: no address in '%s'", what, value);
	/* The lists are short and keep no count of what is allocated. */
	alloc = *n;
	err = kser_array_grow((void **)list, &alloc, *n, sizeof(**list), 4);
	if (err)
		return err;
	v = *list;
	v[*n] = strdup(value);
	if (!v[*n])
		return kser_error_nomem();
	(*n)++;
	return NULL;
}

const struct kser_error *
kser_send_config_encryption(enum kser_smtp_encryption *out, const char *s)
{
	if (!strcasecmp(s, "tls") || !strcasecmp(s, "starttls"))
		*out = KSER_SMTP_STARTTLS;
	else if (!strcasecmp(s, "ssl"))
		*out = KSER_SMTP_SSL;
	else if (!*s || !strcasecmp(s, "none"))
		*out = KSER_SMTP_NONE;
	else
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "unknown SMTP encryption '%s' (tls, ssl "
				      "or none)", s);
	return NULL;
}

const struct kser_error *kser_send_config_port(unsigned int *out,
					       const char *s)
{
	struct servent *se;
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s && !*end) {
		if (v < 1 || v > 65535)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "bad SMTP port '%s'", s);
		*out = (unsigned int)v;
		return NULL;
	}
	/* git send-email takes service names too ("submission"). */
	se = kser_send_has_ctl(s) ? NULL : getservbyname(s, "tcp");
	if (!se)
		return kser_error_fmt(KSER_ERR_BAD_INPUT, "bad SMTP port '%s'",
				      s);
	*out = (unsigned int)ntohs((uint16_t)se->s_port);
	return NULL;
}

/* --- settings by name ------------------------------------------------- */

enum kind { STR, SERVER, PORT, ENCRYPTION, SSL, UINT, AUTH, CERTPATH, LIST,
	    BOOL, MAILBOX, SENDER };

/* The names are git send-email's, after "sendemail.". */
static const struct setting {
	const char *key;
	enum kind kind;
	size_t off;		/* the field */
	size_t count_off;	/* LIST: the count */
} settings[] = {
#define F(f) offsetof(struct kser_send_config, f)
	{ "smtpServer", SERVER, F(server), 0 },
	{ "smtpServerPort", PORT, F(port), 0 },
	{ "smtpSSL", SSL, F(encryption), 0 },
	{ "smtpEncryption", ENCRYPTION, F(encryption), 0 },
	{ "smtpUser", STR, F(user), 0 },
	{ "smtpPass", STR, F(password), 0 },
	{ "smtpAuth", AUTH, F(auth), 0 },
	{ "smtpDomain", STR, F(domain), 0 },
	{ "smtpSSLCertPath", CERTPATH, F(ca_path), 0 },
	{ "smtpBatchSize", UINT, F(batch_size), 0 },
	{ "smtpReloginDelay", UINT, F(relogin_delay), 0 },
	{ "from", MAILBOX, F(from), 0 },
	{ "envelopeSender", SENDER, F(envelope_sender), 0 },
	{ "to", LIST, F(to), F(nto) },
	{ "cc", LIST, F(cc), F(ncc) },
	{ "bcc", LIST, F(bcc), F(nbcc) },
	{ "thread", BOOL, F(thread), 0 },
#undef F
};

static const struct setting *find_setting(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcasecmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

const struct kser_error *kser_send_config_apply(struct kser_send_config *cfg,
						const char *key,
						const char *value)
{
	const struct setting *s = find_setting(key);
	const struct kser_error *err = NULL;
	char *base = (char *)cfg, what[64];
	char **str;
	int b;

	if (!s)
		return kser_error_fmt(KSER_ERR_USAGE, "unknown setting '%s'",
				      key);
	snprintf(what, sizeof(what), "sendemail.%s", s->key);
	str = (char **)(base + s->off);
	if (kser_send_has_ctl(value))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "%s: the value holds a control "
				      "character", what);
	switch (s->kind) {
	case SERVER:
		if (value[0] == '/')
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "%s '%s' is a program; kser "
					      "send speaks SMTP only: give "
					      "the server's name", what, value);
		/* fall through */
	case STR:
		return kser_send_config_set(str, what, value);
	case PORT:
		return kser_send_config_port((unsigned int *)(base + s->off),
					     value);
	case ENCRYPTION:
		return kser_send_config_encryption(
			(enum kser_smtp_encryption *)(base + s->off), value);
	case SSL:
		if (git_config_parse_bool(&b, value) < 0)
			break;
		if (b)
			cfg->encryption = KSER_SMTP_SSL;
		return NULL;
	case BOOL:
		if (git_config_parse_bool(&b, value) < 0)
			break;
		*(bool *)(base + s->off) = b != 0;
		return NULL;
	case UINT: {
		char *end;
		long v = strtol(value, &end, 10);

		if (!*value || *end || v < 0 || v > 1000000)
			break;
		*(unsigned int *)(base + s->off) = (unsigned int)v;
		return NULL;
	}
	case AUTH: {
		/* libcurl takes one mechanism: the first named. */
		char *copy = strdup(value), *sp;

		if (!copy)
			return kser_error_nomem();
		sp = strpbrk(copy, " \t,");
		if (sp)
			*sp = '\0';
		cfg->no_auth = !strcasecmp(copy, "none");
		if (cfg->no_auth || !*copy) {
			free(cfg->auth);
			cfg->auth = NULL;
		} else if (strspn(copy, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
			   strlen(copy)) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%s: bad mechanism '%s'", what,
					     copy);
		} else {
			err = kser_send_config_set(&cfg->auth, what, copy);
		}
		free(copy);
		return err;
	}
	case CERTPATH:
		/* An empty path turns certificate checks off, as in git. */
		cfg->no_verify = !*value;
		if (!*value) {
			free(cfg->ca_path);
			cfg->ca_path = NULL;
			return NULL;
		}
		return kser_send_config_set(str, what, value);
	case MAILBOX: {
		char **addrs = NULL;
		size_t n = 0, alloc = 0;

		err = kser_send_addr_parse(&addrs, &n, &alloc, value, what);
		kser_send_strs_free(addrs, n);
		if (!err && n != 1)
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%s: '%s' is not one address",
					     what, value);
		return err ? err : kser_send_config_set(str, what, value);
	}
	case SENDER:
		/* "auto": each mail's From, as in git. */
		if (strcmp(value, "auto") &&
		    (err = kser_send_addr_check(value, what)))
			return err;
		return kser_send_config_set(str, what, value);
	case LIST:
		return kser_send_config_add((char ***)(base + s->off),
					    (size_t *)(base + s->count_off),
					    what, value);
	}
	return kser_error_fmt(KSER_ERR_BAD_INPUT, "%s: bad value '%s'", what,
			      value);
}

/* --- git config ---------------------------------------------------------- */

struct multivar {
	struct kser_send_config *cfg;
	const char *key;
	const struct kser_error *err;
	size_t seen;
};

static int apply_one(const git_config_entry *e, void *payload)
{
	struct multivar *m = payload;

	m->seen++;
	m->err = kser_send_config_apply(m->cfg, m->key, e->value);
	return m->err ? -1 : 0;
}

/*
 * sendemail.<identity>.<key>, else sendemail.<key>, as git send-email
 * reads them; for a single value the last one given wins, as in git.
 */
static const struct kser_error *load_one(struct kser_send_config *cfg,
					 git_config *gc, const char *identity,
					 const struct setting *s)
{
	int pass, r;

	for (pass = identity ? 0 : 1; pass < 2; pass++) {
		struct multivar m = { cfg, s->key, NULL, 0 };
		char name[256];

		if (pass == 0)
			snprintf(name, sizeof(name), "sendemail.%s.%s",
				 identity, s->key);
		else
			snprintf(name, sizeof(name), "sendemail.%s", s->key);
		r = git_config_get_multivar_foreach(gc, name, NULL, apply_one,
						    &m);
		if (m.err)
			return m.err;
		if (r < 0 && r != GIT_ENOTFOUND)
			return kser_error_git("cannot read '%s'", name);
		if (m.seen)
			break;
	}
	return NULL;
}

const struct kser_error *kser_send_config_load(struct kser_send_config *cfg,
					       git_repository *repo,
					       const char *identity)
{
	const struct kser_error *err = NULL;
	git_buf id = GIT_BUF_INIT;
	git_config *gc = NULL;
	size_t i;

	if (git_repository_config_snapshot(&gc, repo) < 0)
		return kser_error_git("cannot read the configuration");
	if (!identity &&
	    git_config_get_string_buf(&id, gc, "sendemail.identity") == 0)
		identity = id.ptr;
	if (identity && (kser_send_has_ctl(identity) ||
			 strpbrk(identity, " .") || !*identity))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "bad sendemail identity '%s'", identity);
	for (i = 0; !err && i < sizeof(settings) / sizeof(settings[0]); i++)
		err = load_one(cfg, gc, identity, &settings[i]);
	git_buf_dispose(&id);
	git_config_free(gc);
	return err;
}

char *kser_send_config_host(const struct kser_send_config *cfg)
{
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_puts(&b, cfg->server ? cfg->server : "localhost");
	if (cfg->port)
		kser_buf_printf(&b, ":%u", cfg->port);
	return kser_buf_detach(&b);
}

/* --- git credential ------------------------------------------------------ */

/* Runs `git -C dir credential <verb>` with input; its output to out. */
static const struct kser_error *run_credential(const char *dir,
					       const char *verb,
					       const struct kser_buf *input,
					       struct kser_buf *out)
{
	const struct kser_error *err = NULL;
	char *argv[] = { "git", "-C", (char *)dir, "credential", (char *)verb,
			 NULL };
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status;
	pid_t pid = -1;
	char buf[4096];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		err = kser_error_errno("cannot run git credential");
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	errno = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (errno) {
		pid = -1;
		err = kser_error_errno("cannot run git credential");
		goto done;
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	/* The request is small: it fits the pipe before git reads it. */
	if (kser_write_all(in[1], kser_buf_cstr(input), input->len) < 0)
		err = kser_error_errno("cannot talk to git credential");
	close(in[1]);
	in[1] = -1;
	for (;;) {
		ssize_t n = read(outp[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			kser_buf_put(out, buf, (size_t)n);
	}
	explicit_bzero(buf, sizeof(buf));
done:
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!err && (!WIFEXITED(status) || WEXITSTATUS(status)))
			err = kser_error_fmt(KSER_ERR_CHILD,
					     "git credential %s failed", verb);
	}
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (!err && out && kser_buf_check(out))
		err = kser_error_nomem();
	return err;
}

static void wipe(struct kser_buf *b)
{
	if (b->ptr)
		explicit_bzero(b->ptr, b->alloc);
	kser_buf_release(b);
}

static void credential_request(struct kser_buf *b,
			       const struct kser_send_config *cfg)
{
	char *host = kser_send_config_host(cfg);

	kser_buf_printf(b, "protocol=smtp\nhost=%s\nusername=%s\n",
			host ? host : "", cfg->user);
	free(host);
}

const struct kser_error *kser_credential_fill(struct kser_send_config *cfg,
					      const char *dir)
{
	struct kser_buf in = KSER_BUF_INIT, out = KSER_BUF_INIT;
	const struct kser_error *err;
	const char *line;

	if (!cfg->user)
		return NULL;
	credential_request(&in, cfg);
	kser_buf_puts(&in, "\n");
	if (kser_buf_check(&in))
		return kser_error_nomem();
	err = run_credential(dir, "fill", &in, &out);
	if (err)
		goto done;
	for (line = kser_buf_cstr(&out); *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > 9 && !strncmp(line, "password=", 9)) {
			char *pw = strndup(line + 9, len - 9);

			if (!pw) {
				err = kser_error_nomem();
				goto done;
			}
			err = kser_send_config_set(&cfg->password,
						   "the password", pw);
			explicit_bzero(pw, strlen(pw));
			free(pw);
			if (err)
				goto done;
		}
		line += len + (nl ? 1 : 0);
	}
	if (!cfg->password)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND,
				     "git credential gave no password for "
				     "'%s'", cfg->user);
done:
	wipe(&in);
	wipe(&out);
	return err;
}

const struct kser_error *
kser_credential_report(const struct kser_send_config *cfg, const char *dir,
		       bool approved)
{
	struct kser_buf in = KSER_BUF_INIT;
	const struct kser_error *err;

	if (!cfg->user || !cfg->password)
		return NULL;
	credential_request(&in, cfg);
	kser_buf_printf(&in, "password=%s\n\n", cfg->password);
	err = kser_buf_check(&in);
	if (!err)
		err = run_credential(dir, approved ? "approve" : "reject", &in,
				     NULL);
	wipe(&in);
	return err;
}
