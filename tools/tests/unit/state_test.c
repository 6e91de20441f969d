// SPDX-License-Identifier: GPL-2.0
/* Operation state under the git dir: atomic files, crashes, release. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kser/buf.h"
#include "kser/util.h"
#include "kser/opstate.h"
#include "test_helpers.h"

struct fixture {
	char gitdir[64];
	char dir[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->gitdir, sizeof(f->gitdir), "/tmp/kser-state-XXXXXX");
	if (!mkdtemp(f->gitdir))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/kser/send", f->gitdir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kser_remove_tree(f->gitdir, NULL, NULL);
	free(f);
	return 0;
}

static char *read_str(struct kser_opstate *st, const char *name)
{
	char *s = NULL;

	assert_ok(kser_opstate_read_str(st, name, &s));
	return s;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_read_and_kinds(void **state)
{
	struct fixture *f = *state;
	struct kser_opstate *st = NULL, *again = NULL;
	const char *const *names;
	git_oid oid, back;
	int64_t v;
	size_t n;
	char *s;

	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_false(kser_opstate_in_progress(st));
	assert_string_equal(kser_opstate_dir(st), f->dir);
	/* Nothing may be written before the operation begins. */
	assert_err(kser_opstate_write_int(st, "next", 1), KSER_ERR_USAGE,
		   "no operation in progress");
	assert_ok(kser_opstate_begin(st));
	assert_true(kser_opstate_in_progress(st));
	assert_ok(kser_opstate_write_int(st, "next", 3));
	assert_ok(kser_opstate_write_int(st, "last", -7));
	assert_ok(kser_opstate_write_str(st, "input", "/a/b c"));
	assert_int_equal(git_oid_fromstr(&oid,
		"0123456789abcdef0123456789abcdef01234567"), 0);
	assert_ok(kser_opstate_write_oid(st, "onto", &oid));
	assert_ok(kser_opstate_write(st, "0001.mail", "a\0b", 3));

	/* Another process's view: a fresh handle. */
	assert_ok(kser_opstate_open(&again, f->gitdir, "send"));
	assert_true(kser_opstate_in_progress(again));
	assert_ok(kser_opstate_read_int(again, "next", &v));
	assert_int_equal(v, 3);
	assert_ok(kser_opstate_read_int(again, "last", &v));
	assert_int_equal(v, -7);
	s = read_str(again, "input");
	assert_string_equal(s, "/a/b c");
	free(s);
	assert_ok(kser_opstate_read_oid(again, "onto", &back));
	assert_true(git_oid_equal(&oid, &back));
	assert_err(kser_opstate_read_int(again, "input", &v),
		   KSER_ERR_BAD_INPUT, "does not hold a number");
	assert_err(kser_opstate_read_oid(again, "next", &back),
		   KSER_ERR_BAD_INPUT, "does not hold an object id");
	assert_err(kser_opstate_read_int(again, "nope", &v),
		   KSER_ERR_NOT_FOUND, "nope");
	assert_ok(kser_opstate_list(again, &names, &n));
	assert_int_equal(n, 5);
	assert_string_equal(names[0], "0001.mail");
	assert_string_equal(names[4], "onto");
	assert_true(kser_opstate_exists(again, "onto"));
	assert_ok(kser_opstate_remove(again, "onto"));
	assert_false(kser_opstate_exists(again, "onto"));
	assert_ok(kser_opstate_list(again, &names, &n));
	assert_int_equal(n, 4);

	/* Names that could escape the directory or hide are refused. */
	assert_err(kser_opstate_write_int(st, "../x", 1), KSER_ERR_USAGE,
		   "bad state file name");
	assert_err(kser_opstate_write_int(st, ".files", 1), KSER_ERR_USAGE,
		   "bad state file name");
	assert_err(kser_opstate_write_int(st, "", 1), KSER_ERR_USAGE,
		   "bad state file name");

	/* One operation at a time. */
	assert_err(kser_opstate_begin(again), KSER_ERR_EXISTS,
		   "already in progress");
	kser_opstate_free(again);
	kser_opstate_free(st);
}

static void release_removes_only_its_files(void **state)
{
	struct fixture *f = *state;
	struct kser_opstate *st = NULL, *again = NULL;
	char path[160], tmp[160];
	int fd;

	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_begin(st));
	assert_ok(kser_opstate_write_int(st, "next", 1));
	assert_ok(kser_opstate_write_int(st, "count", 2));
	/* A user's note, and a temporary a crashed writer left. */
	snprintf(path, sizeof(path), "%s/my-notes", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-next-99999", f->dir);
	fd = open(tmp, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_ok(kser_opstate_release(st));
	assert_false(kser_opstate_in_progress(st));
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(count_entries(f->dir), 1);
	kser_opstate_free(st);

	/* Without foreign files, the directory goes too (not kser/). */
	unlink(path);
	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_begin(st));
	assert_ok(kser_opstate_write_int(st, "next", 1));
	kser_opstate_free(st);
	assert_ok(kser_opstate_open(&again, f->gitdir, "send"));
	assert_ok(kser_opstate_release(again));
	kser_opstate_free(again);
	assert_int_equal(access(f->dir, F_OK), -1);
	snprintf(path, sizeof(path), "%s/kser", f->gitdir);
	assert_int_equal(access(path, F_OK), 0);
}

static void interrupted_release_is_finished_by_the_next_open(void **state)
{
	struct fixture *f = *state;
	struct kser_opstate *st = NULL;
	char from[160], to[160];

	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_begin(st));
	assert_ok(kser_opstate_write_int(st, "next", 1));
	assert_ok(kser_opstate_write_int(st, "last", 2));
	kser_opstate_free(st);
	/* A release that died right after its first step. */
	snprintf(from, sizeof(from), "%s/.files", f->dir);
	snprintf(to, sizeof(to), "%s/.released", f->dir);
	assert_int_equal(rename(from, to), 0);
	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_false(kser_opstate_in_progress(st));
	assert_int_equal(access(f->dir, F_OK), -1);
	kser_opstate_free(st);
}

/*
 * A writer killed at an arbitrary moment while rewriting files over and
 * over: each file holds one complete version, old or new, never a mix.
 */
static void each_file_is_old_or_new_after_kill_9(void **state)
{
	struct fixture *f = *state;
	struct kser_opstate *st = NULL;
	int round;

	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_begin(st));
	kser_opstate_free(st);
	for (round = 0; round < 10; round++) {
		int ready[2], status;
		struct kser_buf a = KSER_BUF_INIT, b = KSER_BUF_INIT;
		int64_t va, vb;
		pid_t pid;
		char c;
		size_t i;

		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct kser_opstate *w = NULL;
			struct kser_buf big = KSER_BUF_INIT;
			long gen;

			close(ready[0]);
			if (kser_opstate_open(&w, f->gitdir, "send"))
				_exit(3);
			for (gen = 1;; gen++) {
				/* 64 KiB of one digit: a torn write shows. */
				kser_buf_clear(&big);
				for (i = 0; i < 65536; i++)
					kser_buf_putc(&big, (char)('0' + gen % 10));
				if (kser_opstate_write(w, "a", big.ptr, big.len) ||
				    kser_opstate_write_int(w, "b", gen))
					_exit(3);
				if (gen == 3 && write(ready[1], "r", 1) != 1)
					_exit(3);
			}
		}
		close(ready[1]);
		assert_int_equal(read(ready[0], &c, 1), 1);
		/* A few more writes are under way: kill it mid-flight. */
		usleep((useconds_t)(round * 300));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		close(ready[0]);

		assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
		assert_true(kser_opstate_in_progress(st));
		assert_ok(kser_opstate_read(st, "a", &a));
		assert_int_equal(a.len, 65536);
		for (i = 1; i < a.len; i++)
			if (a.ptr[i] != a.ptr[0])
				fail_msg("'a' is torn at byte %zu", i);
		assert_ok(kser_opstate_read_int(st, "b", &vb));
		va = a.ptr[0] - '0';
		/* b is written after a: it is a's generation or one less. */
		assert_true(vb % 10 == va || (vb + 1) % 10 == va);
		assert_true(vb >= 3);
		kser_buf_release(&a);
		kser_buf_release(&b);
		kser_opstate_free(st);
	}
	/* The dead writer's temporaries go with the release. */
	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_release(st));
	kser_opstate_free(st);
	assert_int_equal(access(f->dir, F_OK), -1);
}

/* A crash between two writes of one step: the first is there, whole. */
static void crash_between_writes_keeps_the_first(void **state)
{
	struct fixture *f = *state;
	struct kser_opstate *st = NULL;
	int64_t v;
	pid_t pid;
	int status;

	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_begin(st));
	assert_ok(kser_opstate_write_int(st, "next", 1));
	assert_ok(kser_opstate_write_str(st, "msg", "old"));
	kser_opstate_free(st);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kser_opstate *w = NULL;

		if (kser_opstate_open(&w, f->gitdir, "send") ||
		    kser_opstate_write_int(w, "next", 2))
			_exit(3);
		raise(SIGKILL);	/* before "msg" is rewritten */
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_ok(kser_opstate_open(&st, f->gitdir, "send"));
	assert_ok(kser_opstate_read_int(st, "next", &v));
	assert_int_equal(v, 2);
	{
		char *s = read_str(st, "msg");

		assert_string_equal(s, "old");
		free(s);
	}
	kser_opstate_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_read_and_kinds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(release_removes_only_its_files,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			interrupted_release_is_finished_by_the_next_open, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			each_file_is_old_or_new_after_kill_9, setup, teardown),
		cmocka_unit_test_setup_teardown(
			crash_between_writes_keeps_the_first, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
