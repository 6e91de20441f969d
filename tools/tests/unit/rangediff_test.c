// SPDX-License-Identifier: GPL-2.0
/* The linear assignment and range-diff's pairing. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/commitpatch.h"
#include "kser/rangediff.h"
#include "kser/util.h"
#include "series/kser_lib_series.h"
#include "test_helpers.h"

static long total(int n, const int *cost, const int *col2row)
{
	long sum = 0;
	int c;

	for (c = 0; c < n; c++)
		sum += cost[c + n * col2row[c]];
	return sum;
}

/* The least total cost over all permutations, by brute force. */
static long best(int n, const int *cost, int *perm, int k, bool *used)
{
	long min = LONG_MAX;
	int r;

	if (k == n)
		return total(n, cost, perm);
	for (r = 0; r < n; r++) {
		long t;

		if (used[r])
			continue;
		used[r] = true;
		perm[k] = r;
		t = best(n, cost, perm, k + 1, used);
		if (t < min)
			min = t;
		used[r] = false;
	}
	return min;
}

static void check_permutation(int n, const int *col2row, const int *row2col)
{
	int c;

	for (c = 0; c < n; c++) {
		assert_true(col2row[c] >= 0 && col2row[c] < n);
		assert_int_equal(row2col[col2row[c]], c);
	}
}

static void known_optimum(void **state)
{
	/* cost[c + 3 * r]: the optimum is c0-r1, c1-r0, c2-r2, cost 5. */
	static const int cost[] = {
		4, 1, 3,
		2, 0, 5,
		3, 2, 2,
	};
	int c2r[3], r2c[3];

	(void)state;
	assert_ok(kser_assign(3, 3, cost, c2r, r2c));
	check_permutation(3, c2r, r2c);
	assert_int_equal(total(3, cost, c2r), 5);
	assert_int_equal(c2r[0], 1);
	assert_int_equal(c2r[1], 0);
	assert_int_equal(c2r[2], 2);
}

static void diagonal_and_ties(void **state)
{
	int cost[16], c2r[4], r2c[4], i, j;

	(void)state;
	/* Zero on the diagonal, one elsewhere: the identity. */
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			cost[i + 4 * j] = i == j ? 0 : 1;
	assert_ok(kser_assign(4, 4, cost, c2r, r2c));
	for (i = 0; i < 4; i++)
		assert_int_equal(c2r[i], i);
	/*
	 * All equal: git's implementation ends its augmenting path at the
	 * column it scanned last, and leaves column 2 without a row; the
	 * pairs must be git's all the same, so this is what we expect.
	 */
	for (i = 0; i < 16; i++)
		cost[i] = 7;
	assert_ok(kser_assign(4, 4, cost, c2r, r2c));
	assert_int_equal(c2r[0], 2);
	assert_int_equal(c2r[1], 1);
	assert_int_equal(c2r[2], -1);
	assert_int_equal(c2r[3], 3);
}

static void fewer_than_two_columns(void **state)
{
	int cost[1] = { 3 }, c2r[1] = { -1 }, r2c[1] = { -1 };

	(void)state;
	assert_ok(kser_assign(1, 1, cost, c2r, r2c));
	assert_int_equal(c2r[0], 0);
	assert_int_equal(r2c[0], 0);
}

/* Random matrices up to 7 by 7 without ties, against brute force. */
static void random_against_brute_force(void **state)
{
	unsigned int seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 400; round++) {
		int n = 2 + round % 6, cost[49], c2r[7], r2c[7], perm[7], i;
		int range = 1000000;
		bool used[7] = { false };

		for (i = 0; i < n * n; i++) {
			seed = seed * 1103515245 + 12345;
			cost[i] = (int)((seed >> 16) % (unsigned int)range);
		}
		assert_ok(kser_assign(n, n, cost, c2r, r2c));
		check_permutation(n, c2r, r2c);
		assert_int_equal(total(n, cost, c2r),
				 best(n, cost, perm, 0, used));
	}
}

/* Costs as range-diff builds them: dummies for unpaired patches. */
static void range_diff_shape(void **state)
{
	/* Two old, two new patches; old 0 ~ new 1 cheaply, old 1 is
	 * nothing like new 0, so both are better left unpaired. */
	enum { N = 4, BIG = KSER_ASSIGN_COST_MAX };
	int cost[N * N], c2r[N], r2c[N], i, j;
	const int pair[2][2] = { { 50, 2 }, { 40, 60 } };
	const int alone_a[2] = { 6, 12 }, alone_b[2] = { 9, 6 };

	(void)state;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++)
			cost[i + N * j] = pair[i][j];
		for (j = 2; j < N; j++)
			cost[i + N * j] = alone_a[i];
	}
	for (j = 0; j < 2; j++)
		for (i = 2; i < N; i++)
			cost[i + N * j] = alone_b[j];
	for (i = 2; i < N; i++)
		for (j = 2; j < N; j++)
			cost[i + N * j] = 0;
	cost[0] = BIG;
	assert_ok(kser_assign(N, N, cost, c2r, r2c));
	check_permutation(N, c2r, r2c);
	assert_int_equal(c2r[0], 1);	/* old 0 -> new 1 */
	assert_true(c2r[1] >= 2);	/* old 1 dropped */
	assert_true(r2c[0] >= 2);	/* new 0 added */
}

/* --- the cost of a pair, against libgit2's xdiff ------------------------ */

static int count_hunk(const git_diff_delta *d, const git_diff_hunk *h,
		      void *arg)
{
	(void)d;
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static int count_line(const git_diff_delta *d, const git_diff_hunk *h,
		      const git_diff_line *l, void *arg)
{
	(void)d;
	(void)h;
	if (l->origin == GIT_DIFF_LINE_CONTEXT ||
	    l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		(*(int *)arg)++;
	return 0;
}

/*
 * The reference: the lines of xdiff's own diff, as git range-diff counts
 * them (xdiff's defaults, three lines of context), through libgit2.
 */
static int xdiff_size(const char *a, size_t alen, const char *b, size_t blen)
{
	git_diff_options o = GIT_DIFF_OPTIONS_INIT;
	int n = 0;

	o.context_lines = 3;
	o.interhunk_lines = 0;
	o.flags = GIT_DIFF_FORCE_TEXT;
	assert_int_equal(git_diff_buffers(a, alen, "a", b, blen, "b", &o, NULL,
					  NULL, count_hunk, count_line, &n), 0);
	return n;
}

static unsigned int rnd_state = 2463534242u;

static unsigned int rnd(unsigned int n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return n ? rnd_state % n : 0;
}

/* A line of an alphabet of k, some of them alike but for a space. */
static void random_line(struct kser_buf *out, unsigned int k)
{
	unsigned int v = rnd(k);

	switch (v % 7) {
	case 0:
		kser_buf_puts(out, "\n");
		break;
	case 1:
		kser_buf_printf(out, "}\n");
		break;
	case 2:
		kser_buf_printf(out, "\tline %u \n", v);
		break;
	default:
		kser_buf_printf(out, "\tline %u\n", v);
		break;
	}
}

/*
 * Two texts: a random one, and a copy of it with runs of lines removed,
 * replaced and inserted, so that long runs in common (which xdiff's
 * heuristics look for) alternate with changes of every size.
 */
static void random_pair(struct kser_buf *a, struct kser_buf *b)
{
	static const unsigned int alphabets[] = { 1, 2, 3, 5, 8, 20, 100,
						  100000 };
	unsigned int k = alphabets[rnd(8)];
	unsigned int len = rnd(4) ? rnd(60) : rnd(3000);
	unsigned int churn = 1 + rnd(8), i = 0;
	size_t *starts = malloc((len + 1) * sizeof(*starts));

	kser_buf_clear(a);
	kser_buf_clear(b);
	for (i = 0; i < len; i++) {
		starts[i] = a->len;
		random_line(a, k);
	}
	starts[len] = a->len;
	for (i = 0; i < len;) {
		unsigned int run = 1 + rnd(rnd(2) ? 40 : 4), j;

		switch (rnd(2 + churn)) {
		case 0:		/* dropped */
			i += run;
			break;
		case 1:		/* inserted */
			for (j = 0; j < run; j++)
				random_line(b, k);
			break;
		case 2:		/* replaced */
			i += run;
			for (j = rnd(2 * run); j > 0; j--)
				random_line(b, k);
			break;
		default:	/* kept */
			if (i + run > len)
				run = len - i;
			kser_buf_put(b, a->ptr + starts[i],
				     starts[i + run] - starts[i]);
			i += run;
			break;
		}
	}
	free(starts);
	/* Sometimes the last line has no newline. */
	if (a->len && !rnd(8))
		a->len--;
	if (b->len && !rnd(8))
		b->len--;
	assert_ok(kser_buf_check(a));
	assert_ok(kser_buf_check(b));
}

static void random_pairs_as_xdiff(void **state)
{
	struct kser_buf a = KSER_BUF_INIT, b = KSER_BUF_INIT;
	int round;

	(void)state;
	for (round = 0; round < 3000; round++) {
		int want, got;

		random_pair(&a, &b);
		want = xdiff_size(a.ptr ? a.ptr : "", a.len,
				  b.ptr ? b.ptr : "", b.len);
		assert_ok(kser_rangediff_diffsize(&got, a.ptr ? a.ptr : "",
						  a.len, b.ptr ? b.ptr : "",
						  b.len));
		if (got != want)
			fail_msg("round %d: %d lines, xdiff has %d", round,
				 got, want);
	}
	kser_buf_release(&a);
	kser_buf_release(&b);
}

/*
 * Pairs big enough (over 32,000 lines a side that match the other side)
 * for xdiff's cut-offs: a costly box is cut after a long common run, or
 * where a path got furthest. Blocks of lines are moved about, so that
 * the lines match but not in order.
 */
static void big_pairs_as_xdiff(void **state)
{
	struct kser_buf a = KSER_BUF_INIT, b = KSER_BUF_INIT;
	size_t *starts;
	unsigned int len = 40000, round, i;

	(void)state;
	starts = malloc((len + 1) * sizeof(*starts));
	for (round = 0; round < 6; round++) {
		unsigned int moved = 2 + rnd(30);
		int want, got;

		kser_buf_clear(&a);
		kser_buf_clear(&b);
		for (i = 0; i < len; i++) {
			starts[i] = a.len;
			kser_buf_printf(&a, "line %u\n",
					rnd(round % 2 ? len / 4 : len * 4));
		}
		starts[len] = a.len;
		for (i = 0; i < len;) {
			unsigned int run = 1 + rnd(rnd(4) ? 80 : 8), at;

			if (i + run > len)
				run = len - i;
			if (rnd(100) < moved) {
				at = rnd(len - run);
				kser_buf_put(&b, a.ptr + starts[at],
					     starts[at + run] - starts[at]);
				if (rnd(2))
					i += run;
			} else if (rnd(100) < moved / 2) {
				i += run;
			} else {
				kser_buf_put(&b, a.ptr + starts[i],
					     starts[i + run] - starts[i]);
				i += run;
			}
		}
		assert_ok(kser_buf_check(&a));
		assert_ok(kser_buf_check(&b));
		want = xdiff_size(a.ptr, a.len, b.ptr, b.len);
		assert_ok(kser_rangediff_diffsize(&got, a.ptr, a.len, b.ptr,
						  b.len));
		if (got != want)
			fail_msg("round %u: %d lines, xdiff has %d", round,
				 got, want);
	}
	free(starts);
	kser_buf_release(&a);
	kser_buf_release(&b);
}

static void edge_cases_as_xdiff(void **state)
{
	static const char *const texts[] = {
		"", "\n", "a", "a\n", "a\nb", "a\nb\n", "b\na\n",
		"a\na\na\na\n", "a\nb\na\nb\na\n", "x\ny\nz\n",
		"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n",
		"1\n2\n3\nX\n5\n6\n7\n8\n9\n10\nY\n12\n13\n14\n",
		"1\n2\n3\nX\n5\n6\n7\n8\n9\nY\n11\n12\n13\n14\n",
		"1\n2\n3\nX\n5\n6\n7\n8\nY\n10\n11\n12\n13\n14",
	};
	size_t n = sizeof(texts) / sizeof(texts[0]), i, j;

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			int got;

			assert_ok(kser_rangediff_diffsize(&got, texts[i],
							  strlen(texts[i]),
							  texts[j],
							  strlen(texts[j])));
			assert_int_equal(got, xdiff_size(texts[i],
							 strlen(texts[i]),
							 texts[j],
							 strlen(texts[j])));
		}
}

/* The top of the source tree, from this binary's path. */
static void source_top(char *out, size_t size)
{
	const char *env = getenv("KSER_TOP");
	ssize_t n;
	int up;

	if (env) {
		snprintf(out, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", out, size - 1);
	assert_true(n > 0);
	out[n] = '\0';
	/* build/check/unit/rangediff_test */
	for (up = 0; up < 4; up++) {
		char *slash = strrchr(out, '/');

		assert_non_null(slash);
		*slash = '\0';
	}
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * Every pair of the patches of the alloc-apis series (v1, v2, v3), and
 * of their range-diff texts, one numbering and one scratch space for all
 * of them, as kser diff uses them.
 */
static void series_pairs_as_xdiff(void **state)
{
	static const char *const versions[] = { "v1", "v2", "v3" };
	char top[4096], path[8192];
	struct kser_buf *texts = NULL;
	const char **ptrs;
	size_t *lens, n = 0, alloc = 0, v, i, j;
	struct kser_rangediff_list list;
	struct kser_rdlines lines;
	struct kser_rdsize scratch;

	(void)state;
	source_top(top, sizeof(top));
	kser_rangediff_list_init(&list);
	for (v = 0; v < 3; v++) {
		char **names = NULL;
		size_t nnames = 0, k;
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "%s/series/alloc-apis/%s", top,
			 versions[v]);
		d = opendir(path);
		if (!d)
			fail_msg("cannot open '%s'", path);
		while ((e = readdir(d)))
			if (strstr(e->d_name, ".patch")) {
				names = realloc(names, (nnames + 1) *
						sizeof(*names));
				names[nnames++] = strdup(e->d_name);
			}
		closedir(d);
		qsort(names, nnames, sizeof(*names), name_cmp);
		for (k = 0; k < nnames; k++) {
			FILE *f;
			char buf[65536];
			size_t got;

			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				texts = realloc(texts, alloc * sizeof(*texts));
			}
			texts[n] = (struct kser_buf)KSER_BUF_INIT;
			snprintf(path, sizeof(path),
				 "%s/series/alloc-apis/%s/%s", top,
				 versions[v], names[k]);
			f = fopen(path, "r");
			assert_non_null(f);
			while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
				kser_buf_put(&texts[n], buf, got);
			fclose(f);
			assert_ok(kser_buf_check(&texts[n]));
			assert_ok(kser_rangediff_list_add_mail(
				&list, "A U Thor", "a@example.com", "subject\n",
				texts[n].ptr, texts[n].len, strdup(names[k]),
				names[k]));
			n++;
			free(names[k]);
		}
		free(names);
	}
	assert_true(n >= 30);
	/* The mail files, then the range-diff texts made of them. */
	ptrs = calloc(2 * n, sizeof(*ptrs));
	lens = calloc(2 * n, sizeof(*lens));
	for (i = 0; i < n; i++) {
		ptrs[i] = texts[i].ptr;
		lens[i] = texts[i].len;
		ptrs[n + i] = list.v[i].text + list.v[i].diff_offset;
		lens[n + i] = list.v[i].len - list.v[i].diff_offset;
	}
	assert_ok(kser_rdlines_build(&lines, 2 * n, ptrs, lens));
	kser_rdsize_init(&scratch);
	for (i = 0; i < 2 * n; i++)
		for (j = 0; j < 2 * n; j++) {
			int got, want;

			if ((i < n) != (j < n))
				continue;
			assert_ok(kser_rdsize_count(&scratch, &got, &lines, i,
						    j));
			want = xdiff_size(ptrs[i], lens[i], ptrs[j], lens[j]);
			if (got != want)
				fail_msg("texts %zu and %zu: %d lines, xdiff "
					 "has %d", i, j, got, want);
		}
	kser_rdsize_release(&scratch);
	kser_rdlines_release(&lines);
	for (i = 0; i < n; i++)
		kser_buf_release(&texts[i]);
	free(texts);
	free(ptrs);
	free(lens);
	kser_rangediff_list_release(&list);
}

/* --- a range's commits, read fast, as kser_commitpatch() reads them ---- */

/*
 * A history of commits of every kind, made by git (the same each time:
 * $RANDOM is seeded, and only read outside subshells, which bash
 * seeds anew): files changed, added
 * and deleted in nested directories, whole directories added and
 * removed, modes changed, binary files, files without a last newline,
 * diff drivers (whose function names differ from the default's) and
 * -diff (on text) from .gitattributes at two levels, renames,
 * symbolic links, a file become a directory, empty commits (the first
 * of all, a root commit, too); and a
 * .gitattributes in the worktree that no commit has.
 */
static const char history_script[] =
	"export GIT_CONFIG_NOSYSTEM=1 HOME=\"$PWD\"; "
	"git init -q .; git config user.name 'A U Thor'; "
	"git config user.email author@example.com; "
	"RANDOM=7; n=0; "
	"put() { mkdir -p \"$(dirname \"$1\")\"; k=$((RANDOM % 40 + 1)); "
	"  for i in $(seq 1 $k); do "
	"    case $((RANDOM % 8)) in "
	"    0) echo 'static int f(int x)';; 1) echo '{';; 2) echo '}';; "
	"    3) echo;; 4) echo 'out:';; 5) echo \"y = $((RANDOM % 9));\";; "
	"    *) echo \"\tx += $((RANDOM % 50));\";; esac; "
	"  done >\"$1\"; }; "
	"pick() { git ls-files | grep -v gitattributes >.list; "
	"  sed -n \"$(($1 % $(wc -l <.list) + 1))p\" .list; }; "
	"printf '.list\\n.script\\n' >.git/info/exclude; "
	"printf '*.c diff=cpp\\n*.bin -diff\\n' >.gitattributes; "
	"for d in lib mm fs/ext4 drivers/net/x; do "
	"  for f in a b c; do put $d/$f.c; put $d/$f.txt; done; done; "
	"git commit -q --allow-empty -m root; "
	"git add -A; git commit -q -m base; "
	"while [ $n -lt 160 ]; do n=$((n + 1)); r=$RANDOM; s=$RANDOM; "
	"  case $((RANDOM % 16)) in "
	"  0|1|2|3) f=$(pick $r); [ -L \"$f\" ] || "
	"     sed -i \"$((RANDOM % 5 + 1))s/.*/changed $n/\" \"$f\";; "
	"  4) f=$(pick $r); [ -L \"$f\" ] || echo \"added $n\" >>\"$f\";; "
	"  5) put dir$((RANDOM % 3))/new$n.c;; "
	"  6) f=$(pick $r); git rm -q \"$f\";; "
	"  7) f=$(pick $r); chmod +x \"$f\" 2>/dev/null || true; "
	"     f=$(pick $s); chmod -x \"$f\" 2>/dev/null || true;; "
	"  8) printf 'bin\\000ary %d' $n >blob$((RANDOM % 2)).bin; "
	"     printf 'text %d\\n' $n >>text.bin;; "
	"  9) printf 'no newline %d' $n >>\"$(pick $r)\";; "
	"  10) f=$(pick $r); git mv \"$f\" \"$f.moved\" 2>/dev/null || true;; "
	"  11) ln -sf \"target$n\" link$((RANDOM % 2));; "
	"  12) printf '*.txt diff=cpp\\n' >lib/.gitattributes;; "
	"  13) for f in a b; do put more$n/$f.c; done; "
	"      f=$(pick $r); put \"$f\";; "
	"  14) git rm -q -r more* 2>/dev/null || put extra$n.txt;; "
	"  15) f=$(pick $r); [ $((n % 4)) = 0 ] && { git rm -q \"$f\"; "
	"      put \"$f/inner.c\"; } || put \"$f\";; "
	"  esac; "
	"  git add -A; git commit -q --allow-empty -m \"change $n\"; "
	"done; "
	"printf '*.c diff\\n' >mm/.gitattributes";

/*
 * A tree git would not write (a file of mode 100664, as old gits wrote
 * them) is read by libgit2's diff, as kser_commitpatch() reads it.
 */
static void odd_tree_is_left_to_libgit2(git_repository *repo,
					const git_oid *tip)
{
	struct kser_commitpatch_options o = KSER_COMMITPATCH_OPTIONS_INIT;
	struct kser_buf fast = KSER_BUF_INIT, slow = KSER_BUF_INIT;
	struct kser_rdreader reader;
	git_commit *parent = NULL, *c = NULL;
	git_odb_object *raw = NULL;
	git_tree *tree = NULL;
	git_odb *odb = NULL;
	git_oid blob, tree_id, id;
	unsigned char *data;
	char *at;
	size_t size;
	git_signature *sig = NULL;

	assert_int_equal(git_commit_lookup(&parent, repo, tip), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_read(&raw, odb, git_commit_tree_id(parent)),
			 0);
	size = git_odb_object_size(raw);
	data = malloc(size);
	assert_non_null(data);
	memcpy(data, git_odb_object_data(raw), size);
	at = memmem(data, size, "100644 .gitattributes", 21);
	assert_non_null(at);
	memcpy(at, "100664", 6);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, "odd\n", 4),
			 0);
	memcpy(at + 22, blob.id, GIT_OID_RAWSZ);
	assert_int_equal(git_odb_write(&tree_id, odb, data, size,
				       GIT_OBJECT_TREE), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "A", "a@example.org",
					   1700000000, 0), 0);
	assert_int_equal(git_commit_create(&id, repo, NULL, sig, sig, NULL,
					   "odd\n", tree, 1,
					   (const git_commit **)&parent), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
	kser_rdreader_init(&reader, repo, &o);
	assert_ok(kser_rdreader_text(&reader, &fast, NULL, parent));
	kser_buf_clear(&fast);
	assert_ok(kser_rdreader_text(&reader, &fast, NULL, c));
	assert_ok(kser_commitpatch(&slow, NULL, repo, c, &o));
	assert_string_equal(kser_buf_cstr(&fast), kser_buf_cstr(&slow));
	assert_int_equal(reader.slow, 1);
	kser_rdreader_release(&reader);
	kser_buf_release(&fast);
	kser_buf_release(&slow);
	git_signature_free(sig);
	git_commit_free(c);
	git_tree_free(tree);
	free(data);
	git_odb_object_free(raw);
	git_odb_free(odb);
	git_commit_free(parent);
}

static void range_as_commitpatch(void **state)
{
	char dir[] = "/tmp/kser-unit-XXXXXX";
	struct kser_commitpatch_options o = KSER_COMMITPATCH_OPTIONS_INIT;
	struct kser_buf cmd = KSER_BUF_INIT, path = KSER_BUF_INIT;
	struct kser_buf fast = KSER_BUF_INIT;
	struct kser_buf slow = KSER_BUF_INIT;
	struct kser_rdreader reader;
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid *ids = NULL;
	size_t n = 0, alloc = 0, i, pass;
	git_oid id;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* bash, for $RANDOM. */
	kser_buf_printf(&path, "%s/.script", dir);
	assert_ok(kser_buf_check(&path));
	assert_ok(kser_write_file_atomic(path.ptr, history_script,
					 strlen(history_script)));
	kser_buf_printf(&cmd, "cd '%s' && bash .script >/dev/null 2>&1", dir);
	assert_ok(kser_buf_check(&cmd));
	if (system(cmd.ptr) != 0)
		fail_msg("the history script failed");
	assert_int_equal(git_repository_open(&repo, dir), 0);
	assert_int_equal(git_revwalk_new(&walk, repo), 0);
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	assert_int_equal(git_revwalk_push_head(walk), 0);
	while (git_revwalk_next(&id, walk) == 0) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			ids = realloc(ids, alloc * sizeof(*ids));
			assert_non_null(ids);
		}
		git_oid_cpy(&ids[n++], &id);
	}
	assert_true(n > 150);
	/* Oldest first, as kser diff reads; then in a scrambled order. */
	for (pass = 0; pass < 2; pass++) {
		kser_rdreader_init(&reader, repo, &o);
		for (i = 0; i < n; i++) {
			size_t k = pass ? (i * 37) % n : i;
			struct kser_commitpatch_info fi = { 0, 0 };
			struct kser_commitpatch_info si = { 0, 0 };
			git_commit *c = NULL;

			assert_int_equal(git_commit_lookup(&c, repo, &ids[k]),
					 0);
			kser_buf_clear(&fast);
			kser_buf_clear(&slow);
			assert_ok(kser_rdreader_text(&reader, &fast, &fi, c));
			assert_ok(kser_commitpatch(&slow, &si, repo, c, &o));
			if (strcmp(kser_buf_cstr(&fast), kser_buf_cstr(&slow)))
				fail_msg("commit %zu (%s):\n%s\n--- but "
					 "kser_commitpatch() has ---\n%s", k,
					 git_oid_tostr_s(&ids[k]),
					 kser_buf_cstr(&fast),
					 kser_buf_cstr(&slow));
			assert_int_equal(fi.diff_offset, si.diff_offset);
			assert_int_equal(fi.diffsize, si.diffsize);
			git_commit_free(c);
		}
		/* Most commits take the walk; some must not. */
		assert_true(reader.fast > n * 2 / 3);
		assert_true(reader.slow > 10);
		kser_rdreader_release(&reader);
	}
	odd_tree_is_left_to_libgit2(repo, &ids[n - 1]);
	kser_buf_release(&cmd);
	kser_buf_release(&path);
	kser_buf_release(&fast);
	kser_buf_release(&slow);
	free(ids);
	git_revwalk_free(walk);
	git_repository_free(repo);
	assert_ok(kser_remove_tree(dir, NULL, NULL));
}

static void add_patch(struct kser_rangediff_list *l, const char *id,
		      const char *diff)
{
	struct kser_buf msg = KSER_BUF_INIT, patch = KSER_BUF_INIT;
	char *ident = strdup(id);

	kser_buf_printf(&msg, "%s\n", id);
	kser_buf_printf(&patch, "diff --git a/f b/f\n--- a/f\n+++ b/f\n"
			"@@ -1,1 +1,1 @@\n%s", diff);
	assert_ok(kser_rangediff_list_add_mail(l, "A U Thor", "a@example.com",
					       msg.ptr, patch.ptr, patch.len,
					       ident, id));
	kser_buf_release(&msg);
	kser_buf_release(&patch);
}

static void pairs_in_git_order(void **state)
{
	struct kser_rangediff_list a, b;
	struct kser_rangediff rd;
	struct kser_rangediff_output o = { false, true, false };
	struct kser_buf out = KSER_BUF_INIT;

	(void)state;
	kser_rangediff_list_init(&a);
	kser_rangediff_list_init(&b);
	add_patch(&a, "one", "-a\n+b\n");
	add_patch(&a, "two", "-c\n+d\n");
	add_patch(&a, "gone", "-x\n+totally different content here\n");
	add_patch(&b, "two", "-c\n+d\n");
	add_patch(&b, "one", "-a\n+b\n");
	add_patch(&b, "new", "-q\n+something else entirely, long\n");
	assert_ok(kser_rangediff_compare(&rd, &a, &b, NULL));
	assert_ok(kser_rangediff_write(&out, &rd, &a, &b, &o));
	assert_string_equal(out.ptr,
			    "2:  two = 1:  two two\n"
			    "1:  one = 2:  one one\n"
			    "3:  gone < -:  --- gone\n"
			    "-:  --- > 3:  new new\n");
	kser_rangediff_release(&rd);
	kser_rangediff_list_release(&a);
	kser_rangediff_list_release(&b);
	kser_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_optimum),
		cmocka_unit_test(diagonal_and_ties),
		cmocka_unit_test(fewer_than_two_columns),
		cmocka_unit_test(random_against_brute_force),
		cmocka_unit_test(range_diff_shape),
		cmocka_unit_test(pairs_in_git_order),
		cmocka_unit_test(edge_cases_as_xdiff),
		cmocka_unit_test(random_pairs_as_xdiff),
		cmocka_unit_test(big_pairs_as_xdiff),
		cmocka_unit_test(series_pairs_as_xdiff),
		cmocka_unit_test(range_as_commitpatch),
	};

	int r;

	git_libgit2_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return r;
}
