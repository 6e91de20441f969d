// SPDX-License-Identifier: GPL-2.0
/*
 * Lock files in got's manner (an exclusive create, released by unlink),
 * with the holder written inside so that a taken lock can name who holds
 * it, and a dead holder's lock can be recognised and taken over.
 *
 * The file appears with its contents complete: it is written under a
 * private temporary name (an O_EXCL create) and published with link(2),
 * which fails if the lock exists. So a reader never sees a half-written
 * lock, and a crash while taking one leaves no empty lock behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser/lockfile.h"

struct kser_lockfile {
	char *path;
	/*
	 * Our lock, kept open so that its inode number cannot be given to
	 * another file while we hold it: dev and ino identify it.
	 */
	int fd;
	dev_t dev;
	ino_t ino;
};

/* How often a taker starts over when the lock vanishes under it. */
#define LOCK_ATTEMPTS 8

static void read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static void boot_id(char *buf, size_t size)
{
	char *nl;

	read_small("/proc/sys/kernel/random/boot_id", buf, size);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
}

/* Field 22 of /proc/PID/stat: when the process started, in ticks. */
static unsigned long long process_start(long pid)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long v;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	read_small(path, buf, sizeof(buf));
	/* The command name may hold spaces and parentheses: skip past it. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (field = 2; field < 21; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return 0;
	}
	v = strtoull(p + 1, &end, 10);
	return end == p + 1 ? 0 : v;
}

static void holder_self(struct kser_lock_holder *h)
{
	memset(h, 0, sizeof(*h));
	h->pid = (long)getpid();
	if (gethostname(h->host, sizeof(h->host) - 1) < 0 || !h->host[0])
		snprintf(h->host, sizeof(h->host), "localhost");
	boot_id(h->boot_id, sizeof(h->boot_id));
	h->since = (int64_t)time(NULL);
	h->start = process_start(h->pid);
}

/* A value as the lock file can hold it: one word, printable. */
static void sanitize_word(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			*s = '_';
}

static bool parse_holder(struct kser_lock_holder *h, const char *text)
{
	const char *line = text;
	bool have_pid = false;

	memset(h, 0, sizeof(*h));
	if (strncmp(text, "kser lock\n", 10))
		return false;
	while ((line = strchr(line, '\n')) && *++line) {
		char key[16], val[256];

		if (sscanf(line, "%15s %255[^\n]", key, val) != 2)
			return false;
		if (!strcmp(key, "pid")) {
			char *end;

			h->pid = strtol(val, &end, 10);
			if (*end || h->pid <= 0)
				return false;
			have_pid = true;
		} else if (!strcmp(key, "host")) {
			snprintf(h->host, sizeof(h->host), "%.255s", val);
		} else if (!strcmp(key, "boot")) {
			snprintf(h->boot_id, sizeof(h->boot_id), "%.63s", val);
		} else if (!strcmp(key, "since")) {
			h->since = strtoll(val, NULL, 10);
		} else if (!strcmp(key, "start")) {
			h->start = strtoull(val, NULL, 10);
		}
	}
	return have_pid && h->host[0];
}

/* Reads the lock at path and where it lives (to know it again). */
static const struct kser_error *read_holder(struct kser_lock_holder *out,
					    struct stat *st,
					    const char *path)
{
	struct kser_buf text = KSER_BUF_INIT;
	const struct kser_error *err;

	if (lstat(path, st) < 0) {
		if (errno == ENOENT)
			return kser_error_fmt(KSER_ERR_NOT_FOUND,
					      "no lock '%s'", path);
		return kser_error_errno("cannot read the lock '%s'", path);
	}
	err = kser_read_file(&text, path);
	if (!err && (!S_ISREG(st->st_mode) ||
		     !parse_holder(out, kser_buf_cstr(&text))))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "'%s' is not a kser lock; if no kser is "
				     "running, remove it", path);
	else if (err && err->errno_value == ENOENT)
		err = kser_error_fmt(KSER_ERR_NOT_FOUND, "no lock '%s'", path);
	kser_buf_release(&text);
	return err;
}

const struct kser_error *kser_lockfile_holder(struct kser_lock_holder *out,
					      const char *path)
{
	struct stat st;

	return read_holder(out, &st, path);
}

bool kser_lockfile_holder_is_stale(const struct kser_lock_holder *h)
{
	struct kser_lock_holder self;
	unsigned long long start;

	holder_self(&self);
	if (strcmp(h->host, self.host))
		return false;	/* another machine's process: cannot tell */
	if (h->boot_id[0] && self.boot_id[0] && strcmp(h->boot_id,
						       self.boot_id))
		return true;	/* every process of an earlier boot is gone */
	if (kill((pid_t)h->pid, 0) < 0 && errno == ESRCH)
		return true;
	/* The pid is alive: is it still the holder, or a later process? */
	start = process_start(h->pid);
	return h->start && start && start != h->start;
}

static const struct kser_error *held_error(const char *path,
					   const struct kser_lock_holder *h)
{
	struct kser_lock_holder self;
	char when[64] = "an unknown time";
	time_t t = (time_t)h->since;
	struct tm tm;

	holder_self(&self);
	if (h->since > 0 && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	if (strcmp(h->host, self.host))
		return kser_error_fmt(KSER_ERR_EXISTS,
				      "'%s' is locked by kser (pid %ld on "
				      "host '%s') since %s; if no kser is "
				      "running there, remove it", path,
				      h->pid, h->host, when);
	return kser_error_fmt(KSER_ERR_EXISTS,
			      "'%s' is locked by kser (pid %ld) since %s; if "
			      "no kser is running, remove it", path, h->pid,
			      when);
}

static const struct kser_error *write_all(int fd, const char *p, size_t n,
					  const char *path)
{
	if (kser_write_all(fd, p, n) < 0)
		return kser_error_errno("cannot write '%s'", path);
	return NULL;
}

/*
 * Tries once to create the lock. Sets *taken, and fills lf's identity,
 * when this call made it; leaves *taken false when the lock exists.
 */
static const struct kser_error *publish(struct kser_lockfile *lf,
					bool *taken)
{
	struct kser_buf tmp = KSER_BUF_INIT, text = KSER_BUF_INIT;
	const struct kser_error *err = NULL;
	struct kser_lock_holder self;
	struct stat st;
	int fd = -1;

	*taken = false;
	holder_self(&self);
	sanitize_word(self.host);
	sanitize_word(self.boot_id);
	kser_buf_printf(&text, "kser lock\npid %ld\nhost %s\n", self.pid,
			self.host);
	if (self.boot_id[0])
		kser_buf_printf(&text, "boot %s\n", self.boot_id);
	kser_buf_printf(&text, "since %" PRId64 "\nstart %llu\n", self.since,
			self.start);
	kser_buf_printf(&tmp, "%s.%ld.tmp", lf->path, self.pid);
	if (kser_buf_check(&tmp) || kser_buf_check(&text)) {
		err = kser_error_nomem();
		goto done;
	}
	/* Our pid names the temporary: one left by a dead taker is ours. */
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && unlink(tmp.ptr) == 0)
		fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0644);
	if (fd < 0) {
		err = kser_error_errno("cannot create '%s'", tmp.ptr);
		goto done;
	}
	err = write_all(fd, text.ptr, text.len, tmp.ptr);
	if (!err && fsync(fd) < 0)
		err = kser_error_errno("cannot write '%s'", tmp.ptr);
	if (!err && fstat(fd, &st) < 0)
		err = kser_error_errno("cannot stat '%s'", tmp.ptr);
	if (err)
		goto done;
	if (link(tmp.ptr, lf->path) == 0) {
		*taken = true;
		lf->fd = fd;
		fd = -1;
		unlink(tmp.ptr);
	} else if (errno == EPERM || errno == EOPNOTSUPP ||
		   errno == ENOTSUP || errno == ENOSYS) {
		/* No hard links here: a plain exclusive create. */
		int lfd = open(lf->path, O_WRONLY | O_CREAT | O_EXCL |
			       O_CLOEXEC, 0644);

		if (lfd < 0 && errno != EEXIST) {
			err = kser_error_errno("cannot create '%s'", lf->path);
		} else if (lfd >= 0) {
			err = write_all(lfd, text.ptr, text.len, lf->path);
			if (!err && (fsync(lfd) < 0 || fstat(lfd, &st) < 0))
				err = kser_error_errno("cannot write '%s'",
						       lf->path);
			if (err) {
				close(lfd);
				unlink(lf->path);
			} else {
				*taken = true;
				lf->fd = lfd;
			}
		}
	} else if (errno != EEXIST) {
		err = kser_error_errno("cannot create '%s'", lf->path);
	}
	if (*taken) {
		lf->dev = st.st_dev;
		lf->ino = st.st_ino;
	}
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	kser_buf_release(&tmp);
	kser_buf_release(&text);
	return err;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/*
 * Removes a stale lock and takes it. Every breaker holds an flock of the
 * lock's directory while it looks and removes, so two breakers cannot
 * both remove (the second would remove the first one's fresh lock): the
 * second one looks again under the flock and finds a live holder.
 */
static const struct kser_error *break_stale(struct kser_lockfile *lf,
					    bool *taken)
{
	const struct kser_error *err = NULL;
	struct kser_lock_holder h;
	char *dir = dir_of(lf->path);
	struct stat st;
	int dfd;

	*taken = false;
	if (!dir)
		return kser_error_nomem();
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = kser_error_errno("cannot open '%s'", dir);
		goto done;
	}
	while (flock(dfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = kser_error_errno("cannot lock '%s'", dir);
			goto done;
		}
	}
	err = read_holder(&h, &st, lf->path);
	if (err && err->code == KSER_ERR_NOT_FOUND) {
		err = NULL;	/* released meanwhile: just try again */
	} else if (err) {
		goto done;
	} else if (kser_lockfile_holder_is_stale(&h)) {
		if (unlink(lf->path) < 0 && errno != ENOENT) {
			err = kser_error_errno("cannot remove the stale lock "
					       "'%s'", lf->path);
			goto done;
		}
	} else {
		err = held_error(lf->path, &h);
		goto done;
	}
	err = publish(lf, taken);
done:
	if (dfd >= 0)
		close(dfd);	/* drops the flock */
	free(dir);
	return err;
}

const struct kser_error *kser_lockfile_lock(struct kser_lockfile **out,
					    const char *path)
{
	const struct kser_error *err = NULL;
	struct kser_lockfile *lf;
	bool taken = false;
	int attempt;

	*out = NULL;
	lf = calloc(1, sizeof(*lf));
	if (!lf || !(lf->path = strdup(path))) {
		free(lf);
		return kser_error_nomem();
	}
	lf->fd = -1;
	for (attempt = 0; attempt < LOCK_ATTEMPTS && !taken; attempt++) {
		struct kser_lock_holder h;
		struct stat st;

		err = publish(lf, &taken);
		if (err || taken)
			break;
		err = read_holder(&h, &st, path);
		if (err && err->code == KSER_ERR_NOT_FOUND) {
			err = NULL;	/* released between the two: again */
			continue;
		}
		if (err)
			break;
		if (!kser_lockfile_holder_is_stale(&h)) {
			err = held_error(path, &h);
			break;
		}
		err = break_stale(lf, &taken);
		if (err)
			break;
	}
	if (!err && !taken)
		err = kser_error_fmt(KSER_ERR_EXISTS,
				     "cannot take the lock '%s': it keeps "
				     "changing hands", path);
	if (err) {
		free(lf->path);
		free(lf);
		return err;
	}
	*out = lf;
	return NULL;
}

const struct kser_error *kser_lockfile_unlock(struct kser_lockfile *lf)
{
	const struct kser_error *err = NULL;
	struct stat st;

	if (!lf)
		return NULL;
	/* Only our own file: never a lock someone took after ours. */
	if (lstat(lf->path, &st) == 0 && st.st_dev == lf->dev &&
	    st.st_ino == lf->ino && unlink(lf->path) < 0 && errno != ENOENT)
		err = kser_error_errno("cannot remove the lock '%s'",
				       lf->path);
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->path);
	free(lf);
	return err;
}
