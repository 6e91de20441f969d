// SPDX-License-Identifier: GPL-2.0
/* The diffstat and summary of git format-patch (git diff --stat
 * --summary with a 72-column width). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kser/error.h"
#include "kser/rdtext.h"
#include "kser_lib_patch.h"

#define STAT_WIDTH 72

struct stat_file {
	struct kser_buf name;
	uintmax_t added, deleted;
	bool binary;
};

static int decimal_width(uintmax_t n)
{
	int w = 1;

	while (n >= 10) {
		n /= 10;
		w++;
	}
	return w;
}

static bool needs_quoting(const char *s)
{
	struct kser_buf b = KSER_BUF_INIT;
	bool q;

	kser_quote_path(&b, "", s);
	q = b.len != strlen(s);
	kser_buf_release(&b);
	return q;
}

/* "dir/{old => new}/file", as git's pprint_rename(). */
static void rename_name(struct kser_buf *out, const char *a, const char *b)
{
	size_t len_a = strlen(a), len_b = strlen(b), pfx = 0, sfx = 0;
	const char *x = a, *y = b;
	long ia, ib, adj;
	size_t mid_a, mid_b;

	if (needs_quoting(a) || needs_quoting(b)) {
		kser_quote_path(out, "", a);
		kser_buf_puts(out, " => ");
		kser_quote_path(out, "", b);
		return;
	}
	while (*x && *y && *x == *y) {
		if (*x == '/')
			pfx = (size_t)(x - a) + 1;
		x++;
		y++;
	}
	adj = pfx ? 1 : 0;
	ia = (long)len_a;
	ib = (long)len_b;
	while ((long)pfx - adj <= ia && (long)pfx - adj <= ib &&
	       a[ia] == b[ib]) {
		if (a[ia] == '/')
			sfx = len_a - (size_t)ia;
		ia--;
		ib--;
	}
	mid_a = len_a > pfx + sfx ? len_a - pfx - sfx : 0;
	mid_b = len_b > pfx + sfx ? len_b - pfx - sfx : 0;
	if (pfx + sfx) {
		kser_buf_put(out, a, pfx);
		kser_buf_putc(out, '{');
	}
	kser_buf_put(out, a + pfx, mid_a);
	kser_buf_puts(out, " => ");
	kser_buf_put(out, b + pfx, mid_b);
	if (pfx + sfx) {
		kser_buf_putc(out, '}');
		kser_buf_put(out, a + len_a - sfx, sfx);
	}
}

static int scale_linear(int it, int width, int max_change)
{
	if (!it)
		return 0;
	return 1 + (it * (width - 1) / max_change);
}

static void fill(struct stat_file *f, git_patch *p)
{
	const git_diff_delta *d = git_patch_get_delta(p);
	size_t adds = 0, dels = 0;

	kser_buf_init(&f->name);
	if (d->status == GIT_DELTA_RENAMED)
		rename_name(&f->name, d->old_file.path, d->new_file.path);
	else
		kser_quote_path(&f->name, "", d->status == GIT_DELTA_DELETED ?
				d->old_file.path : d->new_file.path);
	if (d->flags & GIT_DIFF_FLAG_BINARY) {
		f->binary = true;
		if (!git_oid_equal(&d->old_file.id, &d->new_file.id)) {
			f->added = d->new_file.size;
			f->deleted = d->old_file.size;
		}
		return;
	}
	git_patch_line_stats(NULL, &adds, &dels, p);
	f->added = adds;
	f->deleted = dels;
}

/*
 * A path deleted by patch a and added by patch b changed type: git shows
 * the two halves as two patches but counts them as one file.
 */
static bool type_change(git_patch *const *patches, size_t n, size_t i)
{
	const git_diff_delta *a, *b;

	if (i + 1 >= n || !patches[i] || !patches[i + 1])
		return false;
	a = git_patch_get_delta(patches[i]);
	b = git_patch_get_delta(patches[i + 1]);
	return a->status == GIT_DELTA_DELETED &&
	       b->status == GIT_DELTA_ADDED &&
	       !strcmp(a->old_file.path, b->new_file.path);
}

static void summary(struct kser_buf *out, git_patch *p)
{
	const git_diff_delta *d = git_patch_get_delta(p);

	switch (d->status) {
	case GIT_DELTA_DELETED:
		kser_buf_printf(out, " delete mode %06o ", d->old_file.mode);
		kser_quote_path(out, "", d->old_file.path);
		kser_buf_putc(out, '\n');
		return;
	case GIT_DELTA_ADDED:
		kser_buf_printf(out, " create mode %06o ", d->new_file.mode);
		kser_quote_path(out, "", d->new_file.path);
		kser_buf_putc(out, '\n');
		return;
	case GIT_DELTA_RENAMED:
		kser_buf_puts(out, " rename ");
		rename_name(out, d->old_file.path, d->new_file.path);
		kser_buf_printf(out, " (%d%%)\n", d->similarity);
		if (d->old_file.mode != d->new_file.mode)
			kser_buf_printf(out, " mode change %06o => %06o\n",
					d->old_file.mode, d->new_file.mode);
		return;
	default:
		if (d->old_file.mode && d->new_file.mode &&
		    d->old_file.mode != d->new_file.mode) {
			kser_buf_printf(out, " mode change %06o => %06o ",
					d->old_file.mode, d->new_file.mode);
			kser_quote_path(out, "", d->new_file.path);
			kser_buf_putc(out, '\n');
		}
	}
}

const struct kser_error *kser_diffstat_write(struct kser_buf *out,
					     git_patch *const *patches,
					     size_t n)
{
	struct stat_file *files = calloc(n ? n : 1, sizeof(*files));
	uintmax_t max_change = 0, adds = 0, dels = 0;
	int max_len = 0, width = STAT_WIDTH, number_width = 0, bin_width = 0;
	int name_width, graph_width, nfiles = 0;
	size_t i;

	if (!files)
		return kser_error_nomem();
	kser_buf_puts(out, "---\n");
	for (i = 0; i < n; i++) {
		struct stat_file *f = &files[i];
		int len;

		if (!patches[i] || (i && type_change(patches, n, i - 1)))
			continue;
		fill(f, patches[i]);
		if (type_change(patches, n, i)) {
			struct stat_file g = { 0 };

			fill(&g, patches[i + 1]);
			f->added += g.added;
			f->deleted += g.deleted;
			f->binary |= g.binary;
			kser_buf_release(&g.name);
		}
		nfiles++;
		len = (int)f->name.len;
		if (max_len < len)
			max_len = len;
		if (f->binary) {
			int w = 14 + decimal_width(f->added) +
				decimal_width(f->deleted);

			bin_width = bin_width < w ? w : bin_width;
			number_width = 3;
			continue;
		}
		if (max_change < f->added + f->deleted)
			max_change = f->added + f->deleted;
		adds += f->added;
		dels += f->deleted;
	}
	if (decimal_width(max_change) > number_width)
		number_width = decimal_width(max_change);
	if (width < 16 + 6 + number_width)
		width = 16 + 6 + number_width;
	graph_width = (int)max_change + 4 > bin_width ? (int)max_change :
		      bin_width - 4;
	name_width = max_len;
	if (name_width + number_width + 6 + graph_width > width) {
		if (graph_width > width * 3 / 8 - number_width - 6) {
			graph_width = width * 3 / 8 - number_width - 6;
			if (graph_width < 6)
				graph_width = 6;
		}
		if (name_width > width - number_width - 6 - graph_width)
			name_width = width - number_width - 6 - graph_width;
		else
			graph_width = width - number_width - 6 - name_width;
	}
	for (i = 0; i < n; i++) {
		struct stat_file *f = &files[i];
		const char *prefix = "", *name = kser_buf_cstr(&f->name);
		int len = name_width, name_len = (int)f->name.len, padding;
		int add = (int)f->added, del = (int)f->deleted;

		if (!patches[i] || (i && type_change(patches, n, i - 1)))
			continue;
		if (name_width < name_len) {
			const char *slash;

			prefix = "...";
			len -= 3;
			name += name_len - len;
			slash = strchr(name, '/');
			if (slash)
				name = slash;
		}
		padding = len - (int)strlen(name);
		if (padding < 0)
			padding = 0;
		if (f->binary) {
			kser_buf_printf(out, " %s%s%*s | %*s", prefix, name,
					padding, "", number_width, "Bin");
			if (f->added || f->deleted)
				kser_buf_printf(out, " %" PRIuMAX " -> %"
						PRIuMAX " bytes", f->deleted,
						f->added);
			kser_buf_putc(out, '\n');
			continue;
		}
		if ((uintmax_t)graph_width <= max_change) {
			int total = scale_linear(add + del, graph_width,
						 (int)max_change);

			if (total < 2 && add && del)
				total = 2;
			if (add < del) {
				add = scale_linear(add, graph_width,
						   (int)max_change);
				del = total - add;
			} else {
				del = scale_linear(del, graph_width,
						   (int)max_change);
				add = total - del;
			}
		}
		kser_buf_printf(out, " %s%s%*s | %*" PRIuMAX "%s", prefix,
				name, padding, "", number_width,
				f->added + f->deleted,
				f->added + f->deleted ? " " : "");
		for (; add > 0; add--)
			kser_buf_putc(out, '+');
		for (; del > 0; del--)
			kser_buf_putc(out, '-');
		kser_buf_putc(out, '\n');
	}
	if (nfiles) {
		kser_buf_printf(out, nfiles == 1 ? " %d file changed" :
				" %d files changed", nfiles);
		if (adds || !dels)
			kser_buf_printf(out, adds == 1 ? ", %" PRIuMAX
					" insertion(+)" : ", %" PRIuMAX
					" insertions(+)", adds);
		if (dels || !adds)
			kser_buf_printf(out, dels == 1 ? ", %" PRIuMAX
					" deletion(-)" : ", %" PRIuMAX
					" deletions(-)", dels);
		kser_buf_putc(out, '\n');
	} else {
		kser_buf_puts(out, " 0 files changed\n");
	}
	for (i = 0; i < n; i++) {
		if (!patches[i] || (i && type_change(patches, n, i - 1)))
			continue;
		if (type_change(patches, n, i)) {
			const git_diff_delta *a = git_patch_get_delta(patches[i]);
			const git_diff_delta *b =
				git_patch_get_delta(patches[i + 1]);

			kser_buf_printf(out, " mode change %06o => %06o ",
					a->old_file.mode, b->new_file.mode);
			kser_quote_path(out, "", b->new_file.path);
			kser_buf_putc(out, '\n');
			continue;
		}
		summary(out, patches[i]);
	}
	for (i = 0; i < n; i++)
		kser_buf_release(&files[i].name);
	free(files);
	return kser_buf_check(out);
}
