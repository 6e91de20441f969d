// SPDX-License-Identifier: GPL-2.0
/*
 * What kbuild leaves in a build directory, as the build check's fast path
 * reads it: .cmd files (fixdep's and if_changed's), thin archives (written
 * by the system's ar, as kbuild writes them), paths; and the snapshots of
 * the paranoid mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "verify/kser_lib_verify.h"
#include "test_helpers.h"

/* A compile's .cmd file, byte for byte as fixdep 6.12 writes it. */
static const char compile_cmd[] =
	"savedcmd_lib/ctnr/sync.o := kser-cc gcc -Wp,-MMD,lib/ctnr/.sync.o.d "
	"-DKBUILD_MODFILE='\"lib/ctnr/ctnr\"' -DX=$$(pound) -c -o "
	"lib/ctnr/sync.o ../src/lib/ctnr/sync.c  \n"
	"\n"
	"source_lib/ctnr/sync.o := ../src/lib/ctnr/sync.c\n"
	"\n"
	"deps_lib/ctnr/sync.o := \\\n"
	"  ../src/include/linux/compiler-version.h \\\n"
	"    $(wildcard include/config/CC_VERSION_TEXT) \\\n"
	"  ../src/include/linux/kconfig.h \\\n"
	"  /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h \\\n"
	"  include/generated/autoksyms.h \\\n"
	"\n"
	"lib/ctnr/sync.o: $(deps_lib/ctnr/sync.o)\n"
	"\n"
	"$(deps_lib/ctnr/sync.o):\n";

static void cmd_of_a_compile(void **state)
{
	struct verify_cmd c;

	(void)state;
	assert_ok(verify_cmd_parse(&c, compile_cmd, strlen(compile_cmd)));
	assert_string_equal(c.target, "lib/ctnr/sync.o");
	assert_non_null(strstr(c.savedcmd, "-DX=$$(pound) -c -o "));
	assert_string_equal(c.source, "../src/lib/ctnr/sync.c");
	assert_true(c.has_deps);
	assert_int_equal(c.ndeps, 5);
	assert_string_equal(c.deps[0].path,
			    "../src/include/linux/compiler-version.h");
	assert_false(c.deps[0].wildcard);
	assert_string_equal(c.deps[1].path, "include/config/CC_VERSION_TEXT");
	assert_true(c.deps[1].wildcard);
	assert_string_equal(c.deps[3].path,
			    "/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h");
	assert_string_equal(c.deps[4].path, "include/generated/autoksyms.h");
	verify_cmd_release(&c);
}

static void cmd_of_if_changed(void **state)
{
	static const char text[] =
		"savedcmd_lib/built-in.a := rm -f lib/built-in.a;  printf "
		"\"lib/%s \" a.o ctnr/built-in.a | xargs ar cDPrST "
		"lib/built-in.a\n";
	struct verify_cmd c;

	(void)state;
	assert_ok(verify_cmd_parse(&c, text, strlen(text)));
	assert_string_equal(c.target, "lib/built-in.a");
	assert_null(c.source);
	assert_false(c.has_deps);
	assert_int_equal(c.ndeps, 0);
	verify_cmd_release(&c);
	/* No final newline is still one line. */
	assert_ok(verify_cmd_parse(&c, text, strlen(text) - 1));
	assert_string_equal(c.target, "lib/built-in.a");
	verify_cmd_release(&c);
}

/* What kbuild does not write is refused, never guessed at. */
static void cmd_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"deps_x := \\\n",
		"savedcmd_ := cc\n",
		"savedcmd_x.o = cc\n",
		/* source_ of another target */
		"savedcmd_x.o := cc\n\nsource_y.o := y.c\n\ndeps_x.o := \\\n\n",
		/* a source_ line and no deps_ */
		"savedcmd_x.o := cc\n\nsource_x.o := x.c\n",
		/* a dependency without its continuation */
		"savedcmd_x.o := cc\n\nsource_x.o := x.c\n\ndeps_x.o := \\\n"
		"  a.h\n\n",
		/* two files on one line */
		"savedcmd_x.o := cc\n\nsource_x.o := x.c\n\ndeps_x.o := \\\n"
		"  a.h b.h \\\n\n",
		/* an unknown line after the list */
		"savedcmd_x.o := cc\n\nsource_x.o := x.c\n\ndeps_x.o := \\\n"
		"  a.h \\\n\nx.o: a.h\n",
		"savedcmd_x.o := cc\nsomething else\n",
	};
	struct verify_cmd c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const struct kser_error *err =
			verify_cmd_parse(&c, bad[i], strlen(bad[i]));

		if (!err)
			fail_msg("accepted bad[%zu]", i);
		assert_int_equal(err->code, KSER_ERR_BAD_INPUT);
		assert_null(c.target);
	}
	/* A NUL byte inside. */
	assert_non_null(verify_cmd_parse(&c, "savedcmd_x := a\0b\n", 18));
}

static void cmd_shell_unescaped(void **state)
{
	char *s;

	(void)state;
	s = verify_cmd_shell("ar mPiT $$(ar t v.a | sed -n 1p) -DX=$(pound)y");
	assert_string_equal(s, "ar mPiT $(ar t v.a | sed -n 1p) -DX=#y");
	free(s);
	s = verify_cmd_shell("$$$$ $(pound)$(pound) $(other)");
	assert_string_equal(s, "$$ ## $(other)");
	free(s);
}

static void paths_normalized(void **state)
{
	static const char *const cases[][2] = {
		{ "a/./b/../c", "a/c" },
		{ "../src/include/x.h", "../src/include/x.h" },
		{ "a/../../b", "../b" },
		{ "../../a/..", "../.." },
		{ "/a/b/../../..", "/" },
		{ "/x//y/./z/", "/x/y/z" },
		{ "", "." },
		{ ".", "." },
		{ "/", "/" },
		{ "..", ".." },
		{ "./built-in.a", "built-in.a" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *n = verify_path_normalize(cases[i][0]);

		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

static void run_sh(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

/* Thin archives as ar cDPrST writes them, nested ones flattened. */
static void thin_archive_members(void **state)
{
	char dir[] = "/tmp/kser-thin-XXXXXX", cmd[1024];
	struct kser_buf data = KSER_BUF_INIT, path = KSER_BUF_INIT;
	char **m;
	size_t n, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p sub && echo a > a.o && echo b > "
		 "sub/a-file-with-a-long-name.o && echo c > sub/c.o && "
		 "ar cDPrST sub/built-in.a sub/a-file-with-a-long-name.o "
		 "sub/c.o && ar cDPrST built-in.a a.o sub/built-in.a && "
		 "ar cDPrST empty.a", dir);
	run_sh(cmd);
	kser_buf_printf(&path, "%s/built-in.a", dir);
	assert_ok(kser_read_file(&data, path.ptr));
	assert_ok(verify_thin_members(&m, &n, data.ptr, data.len));
	assert_int_equal(n, 3);
	assert_string_equal(m[0], "a.o");
	assert_string_equal(m[1], "sub/a-file-with-a-long-name.o");
	assert_string_equal(m[2], "sub/c.o");
	for (i = 0; i < n; i++)
		free(m[i]);
	free(m);

	/* An archive of nothing is written as a plain one. */
	kser_buf_clear(&path);
	kser_buf_printf(&path, "%s/empty.a", dir);
	assert_ok(kser_read_file(&data, path.ptr));
	assert_ok(verify_thin_members(&m, &n, data.ptr, data.len));
	assert_int_equal(n, 0);

	/* Cut short anywhere, it is refused, never read past. */
	kser_buf_clear(&path);
	kser_buf_printf(&path, "%s/built-in.a", dir);
	assert_ok(kser_read_file(&data, path.ptr));
	for (i = 9; i < data.len; i += 7) {
		if (!verify_thin_members(&m, &n, data.ptr, i)) {
			/* A cut between two headers is an archive too. */
			while (n)
				free(m[--n]);
			free(m);
		}
	}
	/* GNU ar may close a "/N" name field with a '/' (seen in mm/). */
	{
		static const char t[] =
			"!<thin>\n"
			"//                                              14        `\n"
			"a.o/\nlong.o/\n\n"
			"/0              0           0     0     644     2         `\n"
			"/5             /0           0     0     644     35000     `\n";

		assert_ok(verify_thin_members(&m, &n, t, sizeof(t) - 1));
		assert_int_equal(n, 2);
		assert_string_equal(m[1], "long.o");
		free(m[0]);
		free(m[1]);
		free(m);
	}
	assert_non_null(verify_thin_members(&m, &n, "!<arch>\nxx", 10));
	assert_non_null(verify_thin_members(&m, &n, "garbage", 7));
	kser_buf_release(&data);
	kser_buf_release(&path);
	kser_remove_tree(dir, NULL, NULL);
}

static void set_mtime(const char *path, time_t t)
{
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	assert_int_equal(utimes(path, tv), 0);
}

/* What make would have done: made, rebuilt, removed; never its noise. */
static void snapshots_compared(void **state)
{
	char dir[] = "/tmp/kser-snap-XXXXXX", cmd[1024], p[512];
	struct verify_snapshot a = { 0 }, b = { 0 };
	struct kser_buf why = KSER_BUF_INIT;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p lib && echo x > lib/x.o && echo y > y.o && "
		 "echo z > z.o && echo m > Makefile && ln -s /tmp source",
		 dir);
	run_sh(cmd);
	snprintf(p, sizeof(p), "%s/lib/x.o", dir);
	set_mtime(p, 1000000);
	assert_ok(verify_snapshot_take(&a, dir));
	assert_ok(verify_snapshot_take(&b, dir));
	assert_int_equal(verify_snapshot_diff(&a, &b, &why), 0);
	verify_snapshot_release(&b);

	/* make's own noise: the Makefile, source, a new directory. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && echo m > Makefile && rm source && ln -s /tmp source "
		 "&& mkdir newdir && echo k > .kser-built", dir);
	run_sh(cmd);
	assert_ok(verify_snapshot_take(&b, dir));
	assert_int_equal(verify_snapshot_diff(&a, &b, &why), 0);
	assert_int_equal(why.len, 0);
	verify_snapshot_release(&b);

	set_mtime(p, 2000000);
	snprintf(cmd, sizeof(cmd), "cd %s && rm y.o && echo w > w.o", dir);
	run_sh(cmd);
	assert_ok(verify_snapshot_take(&b, dir));
	assert_int_equal(verify_snapshot_diff(&a, &b, &why), 3);
	assert_non_null(strstr(why.ptr, "rebuilt 'lib/x.o'"));
	assert_non_null(strstr(why.ptr, "made 'w.o'"));
	assert_non_null(strstr(why.ptr, "removed 'y.o'"));
	verify_snapshot_release(&a);
	verify_snapshot_release(&b);
	kser_buf_release(&why);
	kser_remove_tree(dir, NULL, NULL);
}

/* A tree of files (path, text pairs) made with git in a new repository. */
static git_repository *tree_of(char *dir, git_oid *tree, const char *const *files)
{
	git_repository *repo = NULL;
	char cmd[8192];
	size_t i;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "git init -q '%s'", dir);
	assert_int_equal(system(cmd), 0);
	for (i = 0; files[i]; i += 2) {
		char path[4096];

		snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"",
			 dir, files[i]);
		assert_int_equal(system(cmd), 0);
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(files[i + 1], f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && git add -A && git write-tree "
		 ">.git/tree", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/.git/tree", dir);
	f = fopen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(cmd, sizeof(cmd), f));
	fclose(f);
	cmd[40] = '\0';
	assert_int_equal(git_oid_fromstr(tree, cmd), 0);
	assert_int_equal(git_repository_open(&repo, dir), 0);
	return repo;
}

/* readers: the directories (joined by ' ') or "why: ..." */
static void readers(git_repository *repo, const git_oid *tree,
		    const char *const *paths, size_t n, char *out, size_t cap)
{
	struct verify_dirs d = { 0 };
	struct kser_buf why = KSER_BUF_INIT;
	size_t i;

	assert_ok(verify_kbuild_readers(repo, tree, paths, n, &d, &why));
	if (why.len) {
		snprintf(out, cap, "why: %s", why.ptr);
	} else {
		out[0] = '\0';
		for (i = 0; i < d.n; i++)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s",
				 i ? " " : "", d.v[i]);
	}
	verify_dirs_release(&d);
	kser_buf_release(&why);
}

static void kbuild_readers_found(void **state)
{
	static const char *const files[] = {
		"Makefile", "include $(srctree)/arch/$(SRCARCH)/Makefile\n",
		"arch/um/Makefile", "include $(srctree)/arch/um/Makefile-os-Linux\n",
		"arch/um/Makefile-os-Linux", "# os\n",
		"arch/um/kernel/Makefile", "obj-y += a.o\n",
		"lib/Makefile", "obj-y += ctnr/\n",
		"lib/ctnr/Makefile", "include $(srctree)/lib/ctnr/ctnr.mk\n"
			"obj-y += x.o\n",
		"lib/ctnr/ctnr.mk", "#\tinclude $(srctree)/lib/ctnr/ctnr.mk\n"
			"ctnr_cflags := -I$(srctree)/lib/ctnr\n",
		"lib/ctnr/kalloc/Makefile", "obj-y += k.o\n",
		"samples/ctnr/Makefile", "include $(srctree)/lib/ctnr/ctnr.mk\n",
		"samples/other/Makefile", "obj-y += notctnr.mko\n",
		"drivers/x/Makefile", "include $(src)/shared.mk\n",
		"drivers/x/shared.mk", "# shared\n",
		"drivers/y/Kbuild", "include $(srctree)/drivers/x/shared.mk\n",
		"drivers/z/Makefile", "# nobody's\n",
		"drivers/z/orphan.mk", "# no one includes this\n",
		"drivers/w/Makefile.rules", "# included by an .include\n",
		"drivers/w/rules.include", "include $(src)/Makefile.rules\n",
		"Documentation/Makefile", "include lib/ctnr/ctnr.mk\n",
		NULL,
	};
	char dir[] = "/tmp/kser-kbdirs.XXXXXX", out[1024];
	git_oid tree;
	git_repository *repo;
	const char *p1[] = { "lib/ctnr/Makefile" };
	const char *p2[] = { "lib/ctnr/ctnr.mk" };
	const char *p3[] = { "lib/ctnr/kalloc/Makefile", "lib/ctnr/Makefile" };
	const char *p4[] = { "drivers/x/shared.mk" };
	const char *p5[] = { "arch/um/Makefile" };
	const char *p6[] = { "arch/um/Makefile-os-Linux" };
	const char *p7[] = { "Makefile" };
	const char *p8[] = { "drivers/z/orphan.mk" };
	const char *p9[] = { "drivers/w/Makefile.rules" };
	const char *p10[] = { "arch/um/kernel/Makefile" };
	const char *p11[] = { "scripts/Makefile.build" };

	(void)state;
	git_libgit2_init();
	repo = tree_of(dir, &tree, files);
	readers(repo, &tree, p1, 1, out, sizeof(out));
	assert_string_equal(out, "lib/ctnr");
	/* Both includers; the .mk naming itself in a comment is not one. */
	readers(repo, &tree, p2, 1, out, sizeof(out));
	assert_string_equal(out, "lib/ctnr samples/ctnr");
	/* A directory inside another: the enclosing pass does both. */
	readers(repo, &tree, p3, 2, out, sizeof(out));
	assert_string_equal(out, "lib/ctnr");
	readers(repo, &tree, p4, 1, out, sizeof(out));
	assert_string_equal(out, "drivers/x drivers/y");
	readers(repo, &tree, p5, 1, out, sizeof(out));
	assert_string_equal(out, "why: 'arch/um/Makefile' is read by kbuild's "
			    "top Makefile");
	readers(repo, &tree, p6, 1, out, sizeof(out));
	assert_non_null(strstr(out, "why: "));
	readers(repo, &tree, p7, 1, out, sizeof(out));
	assert_non_null(strstr(out, "why: 'Makefile' is read by kbuild's top"));
	readers(repo, &tree, p8, 1, out, sizeof(out));
	assert_string_equal(out, "why: no directory's Makefile names "
			    "'drivers/z/orphan.mk'");
	readers(repo, &tree, p9, 1, out, sizeof(out));
	assert_string_equal(out, "why: 'drivers/w/Makefile.rules' is read by "
			    "'drivers/w/rules.include', which is not a "
			    "directory's own Makefile");
	/* Under arch/, the top Makefile's prepare steps make targets. */
	readers(repo, &tree, p10, 1, out, sizeof(out));
	assert_string_equal(out, "why: 'arch/um/kernel/Makefile' is read by "
			    "kbuild's top Makefile");
	readers(repo, &tree, p11, 1, out, sizeof(out));
	assert_non_null(strstr(out, "why: "));
	git_repository_free(repo);
	kser_remove_tree(dir, NULL, NULL);
}

/* Includes that read a file without naming it. */
static void kbuild_readers_unnamed(void **state)
{
	static const char *const files[] = {
		"Makefile", "include $(srctree)/arch/$(SRCARCH)/Makefile\n",
		"scripts/Makefile.build", "include $(kbuild-file)\n",
		"lib/ctnr/Makefile", "include $(srctree)/lib/ctnr/ctnr.mk\n",
		"lib/ctnr/ctnr.mk", "x := 1\n",
		"lib/ctnr/extra-a.mk", "y := 1\n",
		"drivers/v/Makefile", "-include $(wildcard $(src)/extra-*.mk)\n",
		"drivers/u/Makefile", "include $(CTNR_MK)\n",
		"drivers/t/Makefile", "include $(srctree)/lib/ctnr/other.mk\n",
		NULL,
	};
	char dir[] = "/tmp/kser-kbdirs2.XXXXXX", out[1024];
	git_oid tree;
	git_repository *repo;
	const char *p1[] = { "lib/ctnr/ctnr.mk" };
	const char *p2[] = { "lib/ctnr/extra-a.mk" };

	(void)state;
	git_libgit2_init();
	repo = tree_of(dir, &tree, files);
	/* A variable's include may be any file; kbuild's own are not asked. */
	readers(repo, &tree, p1, 1, out, sizeof(out));
	assert_string_equal(out, "drivers/u lib/ctnr");
	/* The pattern matches: its directory reads it too. */
	readers(repo, &tree, p2, 1, out, sizeof(out));
	assert_string_equal(out, "drivers/u drivers/v");
	git_repository_free(repo);
	kser_remove_tree(dir, NULL, NULL);
}

/* inherits: "" or the reason. */
static void inherits(git_repository *repo, const git_oid *tree,
		     const char *dir, char *out, size_t cap)
{
	struct kser_buf why = KSER_BUF_INIT;

	assert_ok(verify_kbuild_inherits(repo, tree, dir, &why));
	snprintf(out, cap, "%s", why.len ? why.ptr : "");
	kser_buf_release(&why);
}

static void kbuild_inherited_flags(void **state)
{
	static const char *const files[] = {
		"Makefile", "KBUILD_CFLAGS += -O2\nexport FOO\n",
		"Kbuild", "obj-y += lib/ drivers/\n",
		"lib/Makefile", "obj-y += ctnr/\n# subdir-ccflags-y in a comment\n",
		"lib/ctnr/Makefile", "subdir-ccflags-y += -Werror\nobj-y += a/\n",
		"lib/ctnr/a/Makefile", "obj-y += x.o\n",
		"drivers/Makefile", "obj-y += gpu/\n",
		"drivers/gpu/Makefile", "  include $(src)/flags.mk\nobj-y += drm/\n",
		"drivers/gpu/drm/Makefile", "obj-y += d.o\n",
		"drivers/gpu/drm/Kbuild", "obj-y += k.o\n",
		"drivers/gpu/drm/tests/Makefile", "obj-y += t.o\n",
		"fs/Kbuild", "obj-y += ext4/\n",
		"fs/Makefile", "KBUILD_CFLAGS += -Wall\n",
		"fs/ext4/Makefile", "obj-y += e.o\n",
		"mm/Makefile", "ccflags-y += -DX\nobj-y += m/\n",
		"mm/m/Makefile", "obj-y += m.o\n",
		NULL,
	};
	char dir[] = "/tmp/kser-kbinh.XXXXXX", out[1024];
	git_oid tree;
	git_repository *repo;

	(void)state;
	git_libgit2_init();
	repo = tree_of(dir, &tree, files);
	/* The top's Makefile is the environment; its Kbuild says nothing. */
	inherits(repo, &tree, "lib", out, sizeof(out));
	assert_string_equal(out, "");
	/* A comment names a word too: conservative. */
	inherits(repo, &tree, "lib/ctnr", out, sizeof(out));
	assert_string_equal(out, "'lib/Makefile' sets 'subdir-ccflags-y', "
			    "which the directories under it inherit from "
			    "its pass");
	inherits(repo, &tree, "lib/ctnr/a", out, sizeof(out));
	assert_non_null(strstr(out, "'lib/ctnr/Makefile' sets "
			       "'subdir-ccflags-y'"));
	inherits(repo, &tree, "drivers/gpu/drm/tests", out, sizeof(out));
	/* drm's Kbuild is the file its pass reads, not its Makefile. */
	assert_string_equal(out, "'drivers/gpu/Makefile' has 'include' lines: "
			    "what the directories under it inherit from its "
			    "pass may come from them");
	inherits(repo, &tree, "drivers/gpu", out, sizeof(out));
	assert_string_equal(out, "");
	/* fs's pass reads fs/Kbuild, which sets nothing. */
	inherits(repo, &tree, "fs/ext4", out, sizeof(out));
	assert_string_equal(out, "");
	/* ccflags-y is the directory's own. */
	inherits(repo, &tree, "mm/m", out, sizeof(out));
	assert_string_equal(out, "");
	git_repository_free(repo);
	kser_remove_tree(dir, NULL, NULL);
}

static void dirs_kept_apart(void **state)
{
	struct verify_dirs d = { 0 };

	(void)state;
	assert_ok(verify_dirs_add(&d, "lib/ctnr/kalloc", 15));
	assert_ok(verify_dirs_add(&d, "lib/ctnrx", 9));
	assert_ok(verify_dirs_add(&d, "lib/ctnr", 8));
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0], "lib/ctnrx");
	assert_string_equal(d.v[1], "lib/ctnr");
	assert_string_equal(verify_dirs_holding(&d, "lib/ctnr/kalloc/a.c"),
			    "lib/ctnr");
	assert_null(verify_dirs_holding(&d, "lib/ctn.c"));
	assert_null(verify_dirs_holding(&d, "lib/a.c"));
	assert_string_equal(verify_dirs_holding(&d, "lib/ctnr"), "lib/ctnr");
	assert_true(verify_kbuild_top_read("arch/um", 7));
	assert_true(verify_kbuild_top_read("arch/um/kernel", 14));
	assert_false(verify_kbuild_top_read("archx/um", 8));
	assert_true(verify_kbuild_top_read("scripts/kconfig", 15));
	assert_false(verify_kbuild_top_read("scriptsx", 8));
	assert_true(verify_kbuild_top_read("", 0));
	verify_dirs_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cmd_of_a_compile),
		cmocka_unit_test(cmd_of_if_changed),
		cmocka_unit_test(cmd_refused),
		cmocka_unit_test(cmd_shell_unescaped),
		cmocka_unit_test(paths_normalized),
		cmocka_unit_test(thin_archive_members),
		cmocka_unit_test(snapshots_compared),
		cmocka_unit_test(kbuild_readers_found),
		cmocka_unit_test(kbuild_readers_unnamed),
		cmocka_unit_test(kbuild_inherited_flags),
		cmocka_unit_test(dirs_kept_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
