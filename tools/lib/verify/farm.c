// SPDX-License-Identifier: GPL-2.0
/*
 * The build farm: engines kernel developers already run, driven from the
 * settings. A shared compiler cache (ccache's remote storage, e.g. one
 * redis for a team) and distributed compiles (distcc, as ccache's
 * prefix command), and the figures a build reports of them: cache hits,
 * local and remote, misses, and the jobs each host compiled.
 *
 * None of it is a property of the patch. Nothing here enters a cache key
 * or decides a status: the figures are written beside a result, and a
 * cached result shows those of the run that produced it.
 *
 * Uses libgit2's config, jansson, child processes and the core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

/* distcc's own defaults (distcc(1), "Host Specifications"). */
#define DISTCC_DEFAULT_SLOTS 4
#define DISTCC_LOCALHOST_SLOTS 2
#define FARM_MAX_JOBS 1024

/* --- the settings ------------------------------------------------------ */

/* git config's value of key, over the series settings' (may be NULL). */
static const struct kser_error *setting(char **out, git_repository *repo,
					const char *key, const char *series)
{
	git_config *cfg = NULL;
	git_buf b = GIT_BUF_INIT;
	const char *v = series;

	*out = NULL;
	if (repo && git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&b, cfg, key) == 0)
		v = b.ptr;
	/* An empty value turns it off, as a later git config line may. */
	if (v && *v && !(*out = strdup(v))) {
		git_buf_dispose(&b);
		git_config_free(cfg);
		return kser_error_nomem();
	}
	git_buf_dispose(&b);
	git_config_free(cfg);
	return NULL;
}

char *verify_remote_shown(const char *remote)
{
	struct kser_buf b = KSER_BUF_INIT;
	const char *p = remote;

	/* ccache takes several URLs, separated by spaces. */
	while (*p) {
		size_t n, i;
		const char *url, *sep, *at, *bar, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		url = p;
		n = strcspn(p, " \t");
		p += n;
		end = url + n;
		/* "|attribute=value" may hold a token: leave them all out. */
		bar = memchr(url, '|', n);
		if (bar)
			end = bar;
		/* The userinfo (redis://:password@host) is a credential. */
		sep = NULL;
		for (i = 0; url + i + 2 < end; i++)
			if (!strncmp(url + i, "://", 3)) {
				sep = url + i + 3;
				break;
			}
		if (b.len)
			kser_buf_putc(&b, ' ');
		if (sep) {
			const char *host_end = sep + strcspn(sep, "/");

			if (host_end > end)
				host_end = end;
			at = NULL;
			for (i = 0; sep + i < host_end; i++)
				if (sep[i] == '@')
					at = sep + i;
			kser_buf_put(&b, url, (size_t)(sep - url));
			if (at)
				sep = at + 1;
			kser_buf_put(&b, sep, (size_t)(end - sep));
		} else {
			kser_buf_put(&b, url, (size_t)(end - url));
		}
	}
	return kser_buf_detach(&b);
}

/* ccache 4.7's remote storage backends (ccache(1), "Remote storage"). */
static const struct kser_error *check_remote(const char *remote,
					     const char *shown)
{
	static const char *const schemes[] = {
		"redis://", "redis+unix:", "http://", "file:",
	};
	const char *p = remote;

	while (*p) {
		size_t n, i;
		bool ok = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " \t");
		for (i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
			size_t sl = strlen(schemes[i]);

			if (n > sl && !strncmp(p, schemes[i], sl))
				ok = true;
		}
		if (!ok)
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "bad verify.ccacheRemote '%s': "
					      "ccache's remote storage is "
					      "redis://HOST:PORT, "
					      "redis+unix:PATH, http://HOST/PATH "
					      "or file:PATH", shown);
		p += n;
	}
	return NULL;
}

const struct kser_error *verify_distcc_slots(const char *hosts,
					     unsigned int *out)
{
	const char *p = hosts;
	unsigned long total = 0;
	size_t nhosts = 0;

	*out = 0;
	while (*p) {
		size_t n;
		const char *tok, *slash, *comma, *end;
		unsigned long limit;
		bool local;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		tok = p;
		n = strcspn(p, " \t\n");
		p += n;
		/* Options of the list (--randomize, --localslots=N). */
		if (n >= 2 && !strncmp(tok, "--", 2))
			continue;
		if (*tok == '+')
			return kser_error_fmt(KSER_ERR_BAD_INPUT,
					      "verify.distccHosts: '%.*s' is not "
					      "supported: name the hosts",
					      (int)n, tok);
		end = tok + n;
		comma = memchr(tok, ',', n);
		if (comma)
			end = comma;
		slash = memchr(tok, '/', (size_t)(end - tok));
		local = (size_t)((slash ? slash : end) - tok) == 9 &&
			!strncmp(tok, "localhost", 9);
		limit = local ? DISTCC_LOCALHOST_SLOTS : DISTCC_DEFAULT_SLOTS;
		if (slash) {
			char num[16];
			char *e;
			size_t l = (size_t)(end - slash - 1);
			const char *colon = memchr(slash, ':', l + 1);

			/* host/LIMIT:PORT, the old order, is distcc's too. */
			if (colon)
				l = (size_t)(colon - slash - 1);
			if (!l || l >= sizeof(num))
				goto bad;
			memcpy(num, slash + 1, l);
			num[l] = '\0';
			errno = 0;
			limit = strtoul(num, &e, 10);
			if (*e || errno || !limit || limit > FARM_MAX_JOBS)
				goto bad;
		}
		if (slash == tok || end == tok)
			goto bad;
		total += limit;
		nhosts++;
		continue;
bad:
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "bad host '%.*s' in verify.distccHosts: "
				      "distcc takes HOST[:PORT][/LIMIT]",
				      (int)n, tok);
	}
	if (!nhosts)
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "verify.distccHosts names no host");
	*out = total > FARM_MAX_JOBS ? FARM_MAX_JOBS : (unsigned int)total;
	return NULL;
}

/* "ccache version 4.7.5": is it 4.4 or later, which remote storage needs? */
static const struct kser_error *check_ccache_version(void)
{
	char *argv[] = { "ccache", "--version", NULL };
	struct kser_buf o = KSER_BUF_INIT;
	const struct kser_error *err;
	int status = 0, major = 0, minor = 0;
	const char *v;

	err = kser_run_capture(&o, &status, argv, NULL, 30000, NULL, NULL);
	if (err) {
		kser_buf_release(&o);
		return kser_error_wrap(err, "cannot ask ccache its version");
	}
	v = strstr(kser_buf_cstr(&o), "version ");
	if (!status && v && sscanf(v + 8, "%d.%d", &major, &minor) == 2 &&
	    (major > 4 || (major == 4 && minor >= 4))) {
		kser_buf_release(&o);
		return NULL;
	}
	err = kser_error_fmt(KSER_ERR_NOT_FOUND,
			     "verify.ccacheRemote needs ccache 4.4 or later "
			     "(remote storage); this is %.*s",
			     (int)strcspn(kser_buf_cstr(&o), "\n"),
			     kser_buf_cstr(&o));
	kser_buf_release(&o);
	return err;
}

static char *path_in(const char *dir, const char *name)
{
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_printf(&b, "%s/%s", dir, name);
	return kser_buf_detach(&b);
}

/* Appends "NAME=value" to the farm's environment. */
static const struct kser_error *env_add(struct verify_farm *f, size_t *n,
					const char *name, const char *value)
{
	struct kser_buf b = KSER_BUF_INIT;

	kser_buf_printf(&b, "%s=%s", name, value);
	f->env[*n] = kser_buf_detach(&b);
	if (!f->env[*n])
		return kser_error_nomem();
	(*n)++;
	return NULL;
}

static const struct kser_error *make_env(struct verify_farm *f)
{
	const struct kser_error *err = NULL;
	size_t n = 0;

	f->env = calloc(16, sizeof(char *));
	if (!f->env)
		return kser_error_nomem();
	if (!f->ccache)
		return NULL;
	/* One build's statistics: the log is emptied before each. */
	err = env_add(f, &n, "CCACHE_STATSLOG", f->stats_log);
	if (!err && f->ccache_remote)
		err = env_add(f, &n, "CCACHE_REMOTE_STORAGE", f->ccache_remote);
	if (!err && f->distcc_hosts) {
		/* Preprocessing and linking stay here; cc1 goes out. */
		err = env_add(f, &n, "CCACHE_PREFIX", "distcc");
		if (!err)
			err = env_add(f, &n, "DISTCC_HOSTS", f->distcc_hosts);
		/*
		 * distcc's messages go to its log, never to stderr: ccache
		 * would keep them with the object's output and replay them
		 * on every hit, and kser-cc would take them for the
		 * compiler's.
		 */
		if (!err)
			err = env_add(f, &n, "DISTCC_LOG", f->distcc_log);
		if (!err)
			err = env_add(f, &n, "DISTCC_DIR", f->distcc_dir);
		/* A host down: compile here, so the build still finishes. */
		if (!err)
			err = env_add(f, &n, "DISTCC_FALLBACK", "1");
	}
	return err;
}

const struct kser_error *verify_farm_open(struct verify_farm *f,
					  git_repository *repo,
					  const struct kser_settings *s,
					  const char *state_dir)
{
	const struct kser_error *err;

	memset(f, 0, sizeof(*f));
	f->ccache = kser_which("ccache", NULL);
	err = setting(&f->ccache_remote, repo, "verify.ccacheremote",
		      s->ccache_remote);
	if (!err)
		err = setting(&f->distcc_hosts, repo, "verify.distcchosts",
			      s->distcc_hosts);
	if (err)
		return err;
	if (f->ccache_remote) {
		f->remote_shown = verify_remote_shown(f->ccache_remote);
		if (!f->remote_shown)
			return kser_error_nomem();
		err = check_remote(f->ccache_remote, f->remote_shown);
		if (err)
			return err;
		if (!f->ccache)
			return kser_error_fmt(KSER_ERR_NOT_FOUND,
					      "verify.ccacheRemote needs ccache,"
					      " which is not on PATH (on "
					      "Debian: ci/deps.sh)");
		err = check_ccache_version();
		if (err)
			return err;
	}
	if (f->distcc_hosts) {
		err = verify_distcc_slots(f->distcc_hosts, &f->distcc_slots);
		if (err)
			return err;
		if (!f->ccache || !kser_which("distcc", NULL))
			return kser_error_fmt(KSER_ERR_NOT_FOUND,
					      "verify.distccHosts needs %s, "
					      "which is not on PATH (on Debian: "
					      "ci/deps.sh)", f->ccache ?
					      "distcc" : "ccache");
	}
	f->dir = path_in(state_dir, "farm");
	if (!f->dir)
		return kser_error_nomem();
	f->stats_log = path_in(f->dir, "ccache-stats.log");
	f->distcc_log = path_in(f->dir, "distcc.log");
	f->distcc_dir = path_in(f->dir, "distcc");
	if (!f->stats_log || !f->distcc_log || !f->distcc_dir)
		return kser_error_nomem();
	err = kser_mkdir_p(f->distcc_dir);
	return err ? err : make_env(f);
}

void verify_farm_release(struct verify_farm *f)
{
	size_t i;

	for (i = 0; f->env && f->env[i]; i++)
		free(f->env[i]);
	free(f->env);
	free(f->ccache_remote);
	free(f->remote_shown);
	free(f->distcc_hosts);
	free(f->dir);
	free(f->stats_log);
	free(f->distcc_log);
	free(f->distcc_dir);
	memset(f, 0, sizeof(*f));
}

unsigned int verify_farm_jobs(const struct verify_farm *f, unsigned int jobs,
			      bool asked)
{
	unsigned long n;

	/* --jobs is the user's word; otherwise every slot, and ours. */
	if (asked || !f->distcc_hosts)
		return jobs;
	n = (unsigned long)jobs + f->distcc_slots;
	return n > FARM_MAX_JOBS ? FARM_MAX_JOBS : (unsigned int)n;
}

static const struct kser_error *remove_log(const char *path)
{
	if (path && unlink(path) < 0 && errno != ENOENT)
		return kser_error_errno("cannot empty '%s'", path);
	return NULL;
}

const struct kser_error *verify_farm_begin(const struct verify_farm *f)
{
	const struct kser_error *err = remove_log(f->stats_log);

	return err ? err : remove_log(f->distcc_log);
}

/* --- the figures ------------------------------------------------------- */

/* Does the line (n bytes) say exactly word? */
static bool line_is(const char *line, size_t n, const char *word)
{
	return strlen(word) == n && !strncmp(line, word, n);
}

static void ccache_tally(struct verify_ccache_figures *out, bool local,
			 bool remote, bool miss)
{
	if (local)
		out->local_hits++;
	else if (remote)
		out->remote_hits++;
	else if (miss)
		out->misses++;
	else
		out->uncacheable++;
}

void verify_ccache_stats_parse(struct verify_ccache_figures *out,
			       const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	bool open = false, local = false, remote = false, miss = false;

	memset(out, 0, sizeof(*out));
	/*
	 * ccache's stats_log: "# SOURCE", then the counters that call
	 * bumped, one a line; each call's lines written at once.
	 */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= 1 && *p == '#') {
			if (open)
				ccache_tally(out, local, remote, miss);
			out->calls++;
			open = true;
			local = remote = miss = false;
		} else if (line_is(p, n, "local_storage_hit")) {
			local = true;
		} else if (line_is(p, n, "remote_storage_hit")) {
			remote = true;
		} else if (line_is(p, n, "cache_miss")) {
			miss = true;
		} else if (line_is(p, n, "remote_storage_error") ||
			   line_is(p, n, "remote_storage_timeout")) {
			out->remote_errors++;
		}
		p += n + 1;
	}
	if (open)
		ccache_tally(out, local, remote, miss);
}

void verify_distcc_figures_release(struct verify_distcc_figures *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].host);
		free(d->v[i].error);
	}
	free(d->v);
	for (i = 0; i < d->npending; i++)
		free(d->pending[i].error);
	free(d->pending);
	memset(d, 0, sizeof(*d));
}

static struct verify_distcc_host *host_of(struct verify_distcc_figures *d,
					  const char *host, size_t n)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strlen(d->v[i].host) == n && !strncmp(d->v[i].host, host, n))
			return &d->v[i];
	if (kser_array_grow((void **)&d->v, &d->alloc, d->n, sizeof(*d->v), 8))
		return NULL;
	memset(&d->v[d->n], 0, sizeof(*d->v));
	d->v[d->n].host = strndup(host, n);
	if (!d->v[d->n].host)
		return NULL;
	return &d->v[d->n++];
}

/* The last error a distcc process logged, until it says which host. */
static struct verify_distcc_pending *
pending_of(struct verify_distcc_figures *d, long pid, bool add)
{
	size_t i;

	for (i = 0; i < d->npending; i++)
		if (d->pending[i].pid == pid)
			return &d->pending[i];
	if (!add || kser_array_grow((void **)&d->pending, &d->pending_alloc,
				    d->npending, sizeof(*d->pending), 8))
		return NULL;
	d->pending[d->npending].pid = pid;
	d->pending[d->npending].error = NULL;
	return &d->pending[d->npending++];
}

static void pending_drop(struct verify_distcc_figures *d,
			 struct verify_distcc_pending *pe)
{
	free(pe->error);
	*pe = d->pending[--d->npending];
}

/* Within line (n bytes): the text after the first "needle", or NULL. */
static const char *after(const char *line, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	const char *m = k <= n ? memmem(line, n, needle, k) : NULL;

	return m ? m + k : NULL;
}

const struct kser_error *
verify_distcc_log_parse(struct verify_distcc_figures *out, const char *text,
			size_t len)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p, *le = p + n, *m;
		char *e;
		long pid = -1;

		p += n + 1;
		/* "distcc[PID] message" */
		if (n > 7 && !strncmp(line, "distcc[", 7)) {
			pid = strtol(line + 7, &e, 10);
			if (e >= le || *e != ']')
				pid = -1;
		}
		if (pid < 0)
			continue;
		if ((m = after(line, n, "] ERROR: "))) {
			struct verify_distcc_pending *pe =
				pending_of(out, pid, true);

			if (!pe)
				return kser_error_nomem();
			free(pe->error);
			pe->error = strndup(m, (size_t)(le - m));
			if (!pe->error)
				return kser_error_nomem();
		} else if ((m = after(line, n, "] Warning: failed to "
					    "distribute"))) {
			/* "... SRC to HOST, running locally instead" */
			const char *to = NULL, *q, *comma;
			struct verify_distcc_pending *pe =
				pending_of(out, pid, false);

			out->fallbacks++;
			for (q = m; q + 4 <= le; q++)
				if (!strncmp(q, " to ", 4))
					to = q + 4;
			comma = to ? memchr(to, ',', (size_t)(le - to)) : NULL;
			if (to && comma) {
				struct verify_distcc_host *h =
					host_of(out, to, (size_t)(comma - to));

				if (!h)
					return kser_error_nomem();
				h->failures++;
				if (!h->error && pe && pe->error) {
					h->error = pe->error;
					pe->error = NULL;
				}
			}
			if (pe)
				pending_drop(out, pe);
		} else if ((m = after(line, n, "] compile ")) &&
			   (m = after(m, (size_t)(le - m), " on "))) {
			/* "compile SRC on HOST completed ok" (or failed) */
			const char *sp = memchr(m, ' ', (size_t)(le - m));
			struct verify_distcc_host *h;

			if (!sp)
				continue;
			h = host_of(out, m, (size_t)(sp - m));
			if (!h)
				return kser_error_nomem();
			h->jobs++;
		}
	}
	return NULL;
}

/* The figures as one line, for the table's log. */
static void summary_of(struct kser_buf *s, const struct verify_farm *f,
		       unsigned int jobs, const struct verify_ccache_figures *c,
		       const struct verify_distcc_figures *d)
{
	size_t i, listed = 0, failures = 0;

	kser_buf_printf(s, "make -j%u", jobs);
	if (!f->ccache) {
		kser_buf_puts(s, "; no ccache");
		return;
	}
	kser_buf_printf(s, "; ccache: %zu miss%s, %zu remote hit%s, %zu local "
			"hit%s", c->misses, c->misses == 1 ? "" : "es",
			c->remote_hits, c->remote_hits == 1 ? "" : "s",
			c->local_hits, c->local_hits == 1 ? "" : "s");
	if (c->uncacheable)
		kser_buf_printf(s, ", %zu not cacheable", c->uncacheable);
	if (c->remote_errors)
		kser_buf_printf(s, "; the remote cache %s failed %zu time%s",
				f->remote_shown ? f->remote_shown : "",
				c->remote_errors,
				c->remote_errors == 1 ? "" : "s");
	if (!d)
		return;
	kser_buf_puts(s, "; distcc:");
	for (i = 0; i < d->n; i++) {
		if (!d->v[i].jobs)
			continue;
		if (!strcmp(d->v[i].host, "localhost"))
			kser_buf_printf(s, "%s %zu here", listed++ ? "," : "",
					d->v[i].jobs);
		else
			kser_buf_printf(s, "%s %zu job%s on %s", listed++ ?
					"," : "", d->v[i].jobs,
					d->v[i].jobs == 1 ? "" : "s",
					d->v[i].host);
	}
	if (!listed)
		kser_buf_puts(s, " no job");
	/* After a failure distcc backs off the host: the rest run here. */
	for (i = 0; i < d->n; i++) {
		if (!d->v[i].failures)
			continue;
		failures += d->v[i].failures;
		kser_buf_printf(s, "; %s failed%s%s%s, its jobs compiled here",
				d->v[i].host, d->v[i].error ? " (" : "",
				d->v[i].error ? d->v[i].error : "",
				d->v[i].error ? ")" : "");
	}
	if (d->fallbacks > failures)
		kser_buf_printf(s, "; %zu job%s compiled here: no host could "
				"take %s", d->fallbacks - failures,
				d->fallbacks - failures == 1 ? "" : "s",
				d->fallbacks - failures == 1 ? "it" : "them");
}

static json_t *distcc_json(const struct verify_farm *f,
			   const struct verify_distcc_figures *d)
{
	json_t *o, *hosts = json_array(), *fails = json_array();
	size_t i, local = 0, sent = 0;

	for (i = 0; hosts && fails && i < d->n; i++) {
		const struct verify_distcc_host *h = &d->v[i];

		if (!strcmp(h->host, "localhost"))
			local += h->jobs;
		else
			sent += h->jobs;
		if (h->jobs &&
		    json_array_append_new(hosts, json_pack(
			    "{s:o, s:I}", "host", kser_verify_json_text(h->host),
			    "jobs", (json_int_t)h->jobs)) < 0)
			goto oom;
		if (h->failures &&
		    json_array_append_new(fails, json_pack(
			    "{s:o, s:I, s:o?}", "host",
			    kser_verify_json_text(h->host), "count",
			    (json_int_t)h->failures, "error", h->error ?
			    kser_verify_json_text(h->error) : NULL)) < 0)
			goto oom;
	}
	if (!hosts || !fails)
		goto oom;
	o = json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o}",
		      "hosts", kser_verify_json_text(f->distcc_hosts),
		      "slots", (json_int_t)f->distcc_slots,
		      "sent", (json_int_t)sent, "local", (json_int_t)local,
		      "fallbacks", (json_int_t)d->fallbacks,
		      "jobs", hosts, "failures", fails);
	return o;
oom:
	json_decref(hosts);
	json_decref(fails);
	return NULL;
}

/* A log that is not there is one nothing was written to. */
static const struct kser_error *read_log(struct kser_buf *out,
					 const char *path)
{
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return NULL;
	return kser_read_file(out, path);
}

const struct kser_error *verify_farm_figures(json_t **out,
					     const struct verify_farm *f,
					     unsigned int jobs)
{
	struct verify_ccache_figures c = { 0 };
	struct verify_distcc_figures d = { 0 };
	struct kser_buf text = KSER_BUF_INIT, s = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	json_t *o = NULL, *x;

	*out = NULL;
	if (f->ccache) {
		err = read_log(&text, f->stats_log);
		if (err)
			goto done;
		verify_ccache_stats_parse(&c, kser_buf_cstr(&text), text.len);
	}
	if (f->distcc_hosts) {
		kser_buf_clear(&text);
		err = read_log(&text, f->distcc_log);
		if (!err)
			err = verify_distcc_log_parse(&d, kser_buf_cstr(&text),
						      text.len);
		if (err)
			goto done;
	}
	summary_of(&s, f, jobs, &c, f->distcc_hosts ? &d : NULL);
	o = json_pack("{s:I, s:o}", "jobs", (json_int_t)jobs, "summary",
		      kser_verify_json_text(kser_buf_cstr(&s)));
	if (o && f->ccache) {
		x = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o?, s:I}",
			      "calls", (json_int_t)c.calls,
			      "local_hits", (json_int_t)c.local_hits,
			      "remote_hits", (json_int_t)c.remote_hits,
			      "misses", (json_int_t)c.misses,
			      "uncacheable", (json_int_t)c.uncacheable,
			      "remote", f->remote_shown ?
			      kser_verify_json_text(f->remote_shown) : NULL,
			      "remote_errors", (json_int_t)c.remote_errors);
		if (!x || json_object_set_new(o, "ccache", x) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o && f->distcc_hosts) {
		x = distcc_json(f, &d);
		if (!x || json_object_set_new(o, "distcc", x) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (!o || kser_buf_check(&s))
		err = kser_error_nomem();
	*out = err ? NULL : o;
	if (err)
		json_decref(o);
done:
	verify_distcc_figures_release(&d);
	kser_buf_release(&text);
	kser_buf_release(&s);
	return err;
}
