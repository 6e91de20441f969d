// SPDX-License-Identifier: GPL-2.0
/*
 * The records kser-cc leaves in a build directory (OBJECT.kser-diag, what
 * the compiler said of the object), walked in the order of their paths.
 * Uses only the core: errors, buffers, files, the array helper.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

/* Deeper than any kbuild output directory. */
#define DIAG_MAX_DEPTH 64

/* The entries of dir, sorted; the message says it is the build's. */
static const struct kser_error *list_dir(const char *dir,
					 struct kser_dir_list *out)
{
	const struct kser_error *err = kser_dir_list(out, -1, dir);

	if (err && err->code == KSER_ERR_ERRNO) {
		errno = err->errno_value;
		err = kser_error_errno("cannot read the build directory '%s'",
				       dir);
	}
	return err;
}

struct walk {
	const char *root;
	kser_diag_record_fn fn;
	void *arg;
	kser_cancel_cb cancel;
	void *cancel_arg;
};

/* Walks root/rel ("" for root itself). */
static const struct kser_error *collect(struct walk *w, const char *rel,
					unsigned int depth)
{
	const struct kser_error *err;
	struct kser_buf path = KSER_BUF_INIT, sub = KSER_BUF_INIT;
	struct kser_buf f = KSER_BUF_INIT;
	struct kser_dir_list list;
	struct kser_dirent *v;
	size_t n, i;

	kser_buf_printf(&path, "%s%s%s", w->root, *rel ? "/" : "", rel);
	if (kser_buf_check(&path))
		return kser_error_nomem();
	if (depth > DIAG_MAX_DEPTH) {
		err = kser_error_fmt(KSER_ERR_BAD_INPUT, "'%s' is more than "
				     "%u directories deep", path.ptr,
				     DIAG_MAX_DEPTH);
		kser_buf_release(&path);
		return err;
	}
	err = w->cancel ? w->cancel(w->cancel_arg) : NULL;
	if (err) {
		kser_buf_release(&path);
		return err;
	}
	err = list_dir(path.ptr, &list);
	v = list.v;
	n = list.n;
	kser_buf_release(&path);
	for (i = 0; !err && i < n; i++) {
		size_t len = strlen(v[i].name);
		unsigned char type = v[i].type;
		bool record = len > 10 &&
			      !strcmp(v[i].name + len - 10, ".kser-diag");

		kser_buf_clear(&sub);
		kser_buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "",
				v[i].name);
		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/%s", w->root, kser_buf_cstr(&sub));
		err = kser_buf_check(&sub) ? kser_buf_check(&sub) :
		      kser_buf_check(&path);
		if (err)
			break;
		/* Some file systems never say: ask, never follow a link. */
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (lstat(path.ptr, &st) < 0) {
				err = kser_error_errno("cannot read '%s'",
						       path.ptr);
				break;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR :
			       S_ISREG(st.st_mode) ? DT_REG :
			       S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
		}
		if (record) {
			/* Only kser-cc writes these, and only files. */
			if (type != DT_REG) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "'%s' is not a regular "
						     "file", path.ptr);
				break;
			}
			err = kser_read_file(&f, path.ptr);
			if (!err) {
				/* The object: the name without .kser-diag. */
				kser_buf_truncate(&sub, sub.len - 10);
				err = w->fn(kser_buf_cstr(&sub),
					    kser_buf_cstr(&f), f.len, w->arg);
			}
		} else if (type == DT_DIR) {
			err = collect(w, kser_buf_cstr(&sub), depth + 1);
		}
	}
	kser_dir_list_release(&list);
	kser_buf_release(&path);
	kser_buf_release(&sub);
	kser_buf_release(&f);
	return err;
}

const struct kser_error *kser_diag_collect(const char *dir,
					   kser_diag_record_fn fn, void *arg,
					   kser_cancel_cb cancel,
					   void *cancel_arg)
{
	struct walk w = { dir, fn, arg, cancel, cancel_arg };

	return collect(&w, "", 0);
}
