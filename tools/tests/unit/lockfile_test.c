// SPDX-License-Identifier: GPL-2.0
/* Lock files: the holder named, stale locks taken over, one winner. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/util.h"
#include "kser/lockfile.h"
#include "test_helpers.h"

struct fixture {
	char dir[64];
	char lock[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kser-lock-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->lock, sizeof(f->lock), "%s/send.lock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kser_remove_tree(f->dir, NULL, NULL);
	free(f);
	return 0;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A pid that existed a moment ago and is dead now. */
static long dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

static void host_name(char *buf, size_t size)
{
	memset(buf, 0, size);
	if (gethostname(buf, size - 1) < 0 || !buf[0])
		snprintf(buf, size, "localhost");
}

static void lock_is_a_file_naming_us_and_unlock_removes_it(void **state)
{
	struct fixture *f = *state;
	struct kser_lockfile *lf = NULL;
	struct kser_lock_holder h;
	struct stat st;

	assert_ok(kser_lockfile_lock(&lf, f->lock));
	assert_int_equal(stat(f->lock, &st), 0);
	assert_ok(kser_lockfile_holder(&h, f->lock));
	assert_int_equal(h.pid, (long)getpid());
	assert_true(h.since > 0);
	assert_false(kser_lockfile_holder_is_stale(&h));
	assert_ok(kser_lockfile_unlock(lf));
	assert_int_equal(stat(f->lock, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* No temporary left beside it. */
	assert_int_equal(rmdir(f->dir), 0);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_ok(kser_lockfile_unlock(NULL));
}

static void taken_lock_names_the_holder_pid(void **state)
{
	struct fixture *f = *state;
	struct kser_lockfile *lf = NULL, *second = NULL;
	char want[160];

	assert_ok(kser_lockfile_lock(&lf, f->lock));
	snprintf(want, sizeof(want), "'%s' is locked by kser (pid %ld) since ",
		 f->lock, (long)getpid());
	assert_err(kser_lockfile_lock(&second, f->lock), KSER_ERR_EXISTS,
		   want);
	assert_err(kser_lockfile_lock(&second, f->lock), KSER_ERR_EXISTS,
		   "; if no kser is running, remove it");
	assert_null(second);
	assert_ok(kser_lockfile_unlock(lf));
}

static void stale_lock_is_taken_over(void **state)
{
	struct fixture *f = *state;
	struct kser_lockfile *lf = NULL;
	struct kser_lock_holder h;
	char host[256], text[512];

	host_name(host, sizeof(host));
	snprintf(text, sizeof(text), "kser lock\npid %ld\nhost %s\nsince 1\n",
		 dead_pid(), host);
	write_text(f->lock, text);
	assert_ok(kser_lockfile_holder(&h, f->lock));
	assert_true(kser_lockfile_holder_is_stale(&h));
	assert_ok(kser_lockfile_lock(&lf, f->lock));
	assert_ok(kser_lockfile_holder(&h, f->lock));
	assert_int_equal(h.pid, (long)getpid());
	assert_ok(kser_lockfile_unlock(lf));
}

static void live_pid_of_a_later_process_is_stale(void **state)
{
	struct fixture *f = *state;
	struct kser_lock_holder h;
	char host[256], text[512];

	(void)f;
	/* Our own pid, but a start time that is not ours: pid reuse. */
	host_name(host, sizeof(host));
	snprintf(text, sizeof(text),
		 "kser lock\npid %ld\nhost %s\nsince 1\nstart 1\n",
		 (long)getpid(), host);
	write_text(f->lock, text);
	assert_ok(kser_lockfile_holder(&h, f->lock));
	assert_true(kser_lockfile_holder_is_stale(&h));
	/* And an earlier boot's. */
	snprintf(text, sizeof(text),
		 "kser lock\npid %ld\nhost %s\nboot not-this-boot\nsince 1\n",
		 (long)getpid(), host);
	write_text(f->lock, text);
	assert_ok(kser_lockfile_holder(&h, f->lock));
	assert_true(kser_lockfile_holder_is_stale(&h));
}

static void other_hosts_and_strangers_are_not_taken(void **state)
{
	struct fixture *f = *state;
	struct kser_lockfile *lf = NULL;
	char text[512];

	snprintf(text, sizeof(text), "kser lock\npid %ld\nhost "
		 "some-other-host.invalid\nsince 1\n", dead_pid());
	write_text(f->lock, text);
	assert_err(kser_lockfile_lock(&lf, f->lock), KSER_ERR_EXISTS,
		   "on host 'some-other-host.invalid'");
	write_text(f->lock, "hello\n");
	assert_err(kser_lockfile_lock(&lf, f->lock), KSER_ERR_BAD_INPUT,
		   "is not a kser lock");
	/* Not ours: left alone. */
	assert_ok(kser_lockfile_unlock(lf));
	assert_int_equal(access(f->lock, F_OK), 0);
}

static void unlock_leaves_a_lock_that_is_not_ours(void **state)
{
	struct fixture *f = *state;
	struct kser_lockfile *lf = NULL;

	assert_ok(kser_lockfile_lock(&lf, f->lock));
	/* Someone removed ours and took it afresh. */
	assert_int_equal(unlink(f->lock), 0);
	write_text(f->lock, "kser lock\npid 1\nhost x\n");
	assert_ok(kser_lockfile_unlock(lf));
	assert_int_equal(access(f->lock, F_OK), 0);
}

/*
 * Many processes take the lock at once, over a stale lock or none: one
 * wins. Winners keep it until every taker has tried.
 */
static void race(const char *lock, int takers)
{
	int start[2], result[2], finish[2], i, wins = 0, losses = 0;
	pid_t pids[16];
	char c;

	assert_true(takers <= 16);
	assert_int_equal(pipe(start), 0);
	assert_int_equal(pipe(result), 0);
	assert_int_equal(pipe(finish), 0);
	for (i = 0; i < takers; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct kser_lockfile *lf = NULL;
			const struct kser_error *err;

			close(start[1]);
			close(finish[1]);
			if (read(start[0], &c, 1) < 0)
				_exit(3);
			err = kser_lockfile_lock(&lf, lock);
			c = err ? (err->code == KSER_ERR_EXISTS ? 'l' : 'e') :
			    'w';
			if (write(result[1], &c, 1) != 1)
				_exit(3);
			if (read(finish[0], &c, 1) < 0)
				_exit(3);
			kser_lockfile_unlock(lf);
			_exit(0);
		}
	}
	close(start[0]);
	close(finish[0]);
	close(result[1]);
	close(start[1]);	/* go */
	for (i = 0; i < takers; i++) {
		assert_int_equal(read(result[0], &c, 1), 1);
		if (c == 'w')
			wins++;
		else if (c == 'l')
			losses++;
	}
	close(finish[1]);
	for (i = 0; i < takers; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(result[0]);
	assert_int_equal(wins, 1);
	assert_int_equal(losses, takers - 1);
	/* The winner released it. */
	assert_int_equal(access(lock, F_OK), -1);
}

static void concurrent_takers_one_wins(void **state)
{
	struct fixture *f = *state;
	char host[256], text[512];
	int round;

	host_name(host, sizeof(host));
	for (round = 0; round < 20; round++) {
		race(f->lock, 8);
		/* And over a stale lock, where the takers must break it. */
		snprintf(text, sizeof(text),
			 "kser lock\npid %ld\nhost %s\nsince 1\n", dead_pid(),
			 host);
		write_text(f->lock, text);
		race(f->lock, 8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			lock_is_a_file_naming_us_and_unlock_removes_it, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			taken_lock_names_the_holder_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_lock_is_taken_over,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			live_pid_of_a_later_process_is_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(
			other_hosts_and_strangers_are_not_taken, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			unlock_leaves_a_lock_that_is_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_takers_one_wins,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
