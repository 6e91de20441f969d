// SPDX-License-Identifier: GPL-2.0
/*
 * A commit's patch text against git's own output for the same commit:
 * git format-patch (between "---" and the signature) and the text git
 * range-diff builds from git log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/commitpatch.h"
#include "kser/util.h"
#include "test_helpers.h"

struct fixture {
	char dir[64];
	git_repository *repo;
};

/* Runs a shell script in the fixture's repository. */
static void sh(struct fixture *f, const char *script)
{
	struct kser_buf cmd = KSER_BUF_INIT;

	kser_buf_printf(&cmd, "cd '%s' && { %s; } >/dev/null 2>&1", f->dir,
			script);
	if (system(cmd.ptr) != 0)
		fail_msg("script failed: %s", script);
	kser_buf_release(&cmd);
}

static char *capture(struct fixture *f, const char *command)
{
	struct kser_buf cmd = KSER_BUF_INIT, out = KSER_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *p;

	kser_buf_printf(&cmd, "cd '%s' && %s", f->dir, command);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		kser_buf_put(&out, chunk, n);
	assert_int_equal(pclose(p), 0);
	kser_buf_release(&cmd);
	return kser_buf_detach(&out);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/kser-unit-XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	*state = f;
	sh(f, "export GIT_CONFIG_NOSYSTEM=1 HOME=\"$PWD\"; git init -q . && "
	   "git config user.name 'A U Thor' && "
	   "git config user.email author@example.com && "
	   "printf '*.c diff=cpp\\n' >.gitattributes && "
	   "printf 'int main(void)\\n{\\n\\treturn 0;\\n}\\n\\n"
	   "static int helper(int x)\\n{\\n\\tint y = x;\\n\\n\\ty++;\\n"
	   "\\treturn y;\\n}\\n' >prog.c && "
	   "seq 1 40 >numbers && seq 100 140 >long.txt && "
	   "printf 'x\\n' >old.txt && "
	   "git add . && git commit -q -m base");
	if (git_repository_open(&f->repo, f->dir) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	git_repository_free(f->repo);
	kser_remove_tree(f->dir, NULL, NULL);
	free(f);
	return 0;
}

static void commit_text(struct fixture *f, enum kser_commitpatch_format fmt,
			struct kser_buf *out, struct kser_commitpatch_info *info)
{
	struct kser_commitpatch_options o = KSER_COMMITPATCH_OPTIONS_INIT;
	git_commit *c = NULL;
	git_object *obj = NULL;

	o.format = fmt;
	assert_int_equal(git_revparse_single(&obj, f->repo, "HEAD"), 0);
	assert_int_equal(git_object_peel((git_object **)&c, obj,
					 GIT_OBJECT_COMMIT), 0);
	assert_ok(kser_commitpatch(out, info, f->repo, c, &o));
	git_commit_free(c);
	git_object_free(obj);
}

/* format-patch's text from "---" to before the signature. */
static char *format_patch_part(struct fixture *f)
{
	char *mail = capture(f, "git format-patch -1 --stdout HEAD");
	char *start = strstr(mail, "\n---\n"), *end;
	char *part;

	assert_non_null(start);
	start++;
	end = strstr(start, "\n-- \n");
	assert_non_null(end);
	part = strndup(start, (size_t)(end - start + 1));
	free(mail);
	return part;
}

static void same_as_format_patch(struct fixture *f)
{
	struct kser_buf out = KSER_BUF_INIT;
	char *expect = format_patch_part(f);

	commit_text(f, KSER_COMMITPATCH_EMAIL, &out, NULL);
	assert_string_equal(kser_buf_cstr(&out), expect);
	free(expect);
	kser_buf_release(&out);
}

static void email_modify_with_function(void **state)
{
	struct fixture *f = *state;

	sh(f, "sed -i 's/y++;/y += 2;/' prog.c && "
	   "sed -i 's/^20$/twenty/' numbers && "
	   "git commit -q -am 'two files'");
	same_as_format_patch(f);
}

static void email_new_delete_mode(void **state)
{
	struct fixture *f = *state;

	sh(f, "printf 'fresh\\n' >new.txt && git add new.txt && "
	   "git rm -q old.txt && chmod +x numbers && git add -A && "
	   "git commit -q -m 'all kinds'");
	same_as_format_patch(f);
}

/*
 * git scores a rename itself (93 % here, where libgit2's own metric says
 * 97 %): "similarity index" and the summary's percent are git's.
 */
static void email_rename_score(void **state)
{
	struct fixture *f = *state;

	sh(f, "git mv long.txt dir-long.txt && "
	   "sed -i 's/^105$/one hundred and five/;s/^120$/x/' dir-long.txt && "
	   "git commit -q -am 'rename with edits'");
	same_as_format_patch(f);
}

/* git writes a renamed file's mode lines before "similarity index". */
static void email_rename_mode(void **state)
{
	struct fixture *f = *state;

	sh(f, "git mv numbers numbers.sh && chmod +x numbers.sh && "
	   "echo 41 >>numbers.sh && git add -A && "
	   "git commit -q -m 'rename and mode'");
	same_as_format_patch(f);
}

/* Several candidates: git pairs by unique basename, then by score. */
static void email_rename_pairs(void **state)
{
	struct fixture *f = *state;

	sh(f, "mkdir d && seq 1 50 >d/a.c && seq 200 260 >d/b.c && "
	   "touch empty && git add -A && git commit -q -m more && "
	   "mkdir n && git mv d/a.c n/a.c && git mv d/b.c n/c.c && "
	   "git mv empty empty2 && echo x >>n/a.c && echo y >>n/c.c && "
	   "git commit -q -am 'moves'");
	same_as_format_patch(f);
}

/* A file that became a symbolic link: one file in the diffstat. */
static void email_type_change(void **state)
{
	struct fixture *f = *state;

	sh(f, "rm numbers && ln -s prog.c numbers && git add -A && "
	   "git commit -q -m 'type change'");
	same_as_format_patch(f);
}

/*
 * Binary patches: git deflates at level 1 and takes a delta only when
 * it deflates smaller than the literal; libgit2 deflates at 6.
 */
static void email_binary(void **state)
{
	struct fixture *f = *state;

	sh(f, "awk 'BEGIN { srand(7); for (i = 0; i < 4000; i++) "
	   "printf \"%c\", int(rand() * 255) + 1; printf \"%c\", 0 }' "
	   ">blob.bin && printf 'a\\0b' >small.bin && git add -A && "
	   "git commit -q -m 'binaries' && "
	   "{ head -c 2000 blob.bin; printf 'inserted'; tail -c +2001 blob.bin; } "
	   ">tmp && mv tmp blob.bin && printf 'c\\0d\\0e' >small.bin && "
	   "git mv old.txt gone.bin && printf 'x\\0y' >gone.bin && "
	   "git add -A && git commit -q -m 'binary changes'");
	same_as_format_patch(f);
}

static void email_long_names_scale(void **state)
{
	struct fixture *f = *state;

	sh(f, "mkdir -p a/very/long/directory/name/that/goes/on/and/on && "
	   "seq 1 300 >a/very/long/directory/name/that/goes/on/and/on/"
	   "file-with-a-long-name.txt && printf 'one\\n' >short && "
	   "git add -A && git commit -q -m 'long names'");
	same_as_format_patch(f);
}

/* The range-diff text of a commit, against the one git builds. */
static void rangediff_text(void **state)
{
	struct fixture *f = *state;
	struct kser_buf out = KSER_BUF_INIT;
	struct kser_commitpatch_info info = { 0, 0 };
	const char *expect =
		" ## Metadata ##\n"
		"Author: A U Thor <author@example.com>\n"
		"\n"
		" ## Commit message ##\n"
		"    prog: helper\n"
		"\n"
		"    A body,\n"
		"            with a tab.\n"
		"\n"
		" ## prog.c ##\n"
		"@@ prog.c: int main(void)\n"
		" \n"
		" static int helper(int x)\n"
		" {\n"
		"-\tint y = x;\n"
		"+\tint y = x * 2;\n"
		" \n"
		" \ty++;\n"
		" \treturn y;\n"
		"\n"
		" ## tail (new) ##\n"
		"@@\n"
		"+no newline\n"
		" \\ No newline at end of file\n";

	sh(f, "sed -i 's/int y = x;/int y = x * 2;/' prog.c && "
	   "printf 'no newline' >tail && git add -A && "
	   "git commit -q -m 'prog: helper' -m \"$(printf 'A body,\\n\\twith a tab.  ')\"");
	commit_text(f, KSER_COMMITPATCH_RANGEDIFF, &out, &info);
	assert_string_equal(kser_buf_cstr(&out), expect);
	assert_int_equal(info.diff_offset, strstr(expect, " ## prog.c") -
			 expect);
	/* Two file headers, two hunk headers, ten lines. */
	assert_int_equal(info.diffsize, 14);
	kser_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(email_modify_with_function,
						setup, teardown),
		cmocka_unit_test_setup_teardown(email_new_delete_mode,
						setup, teardown),
		cmocka_unit_test_setup_teardown(email_rename_score, setup,
						teardown),
		cmocka_unit_test_setup_teardown(email_rename_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(email_rename_pairs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(email_type_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(email_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(email_long_names_scale,
						setup, teardown),
		cmocka_unit_test_setup_teardown(rangediff_text, setup,
						teardown),
	};
	int r;

	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	git_libgit2_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return r;
}
