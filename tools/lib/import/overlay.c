// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kser/apply.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/patch.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser_lib_import.h"
#include "kser/treeedit.h"

#define OVERLAY_NAME "kser base import"
#define OVERLAY_EMAIL "kser@localhost"

const struct kser_error *kser_overlay_check(const char *dir)
{
	struct kser_buf files = KSER_BUF_INIT, patches = KSER_BUF_INIT;
	const struct kser_error *err = NULL;

	if (!kser_is_dir(dir))
		return kser_error_fmt(KSER_ERR_BAD_INPUT,
				      "overlay '%s' is not a directory", dir);
	kser_buf_printf(&files, "%s/files", dir);
	kser_buf_printf(&patches, "%s/patches", dir);
	if (kser_buf_check(&files) || kser_buf_check(&patches))
		err = kser_error_nomem();
	else if (!kser_is_dir(files.ptr) && !kser_is_dir(patches.ptr))
		err = kser_error_fmt(KSER_ERR_BAD_INPUT,
				     "overlay '%s' has neither files/ nor "
				     "patches/", dir);
	kser_buf_release(&files);
	kser_buf_release(&patches);
	return err;
}

/* The walk of files/: what every level of it adds to. */
struct lay_files {
	struct kser_tree_edit *ed;
	git_repository *repo;
	const git_tree *tree;
	const char *root;
	size_t *count;
	kser_cancel_cb cancel;
	void *cancel_arg;
};

static const struct kser_error *add_files(const struct lay_files *w,
					  const char *rel)
{
	struct kser_tree_edit *ed = w->ed;
	git_repository *repo = w->repo;
	const git_tree *tree = w->tree;
	const char *root = w->root;
	size_t *count = w->count;
	const struct kser_error *err = NULL;
	struct kser_buf abs = KSER_BUF_INIT, sub = KSER_BUF_INIT;
	struct kser_buf data = KSER_BUF_INIT;
	struct kser_dir_list names;
	size_t i;

	kser_buf_printf(&abs, "%s%s%s", root, *rel ? "/" : "", rel);
	if (kser_buf_check(&abs))
		return kser_error_nomem();
	err = kser_dir_list(&names, -1, abs.ptr);
	if (err)
		goto done;
	for (i = 0; i < names.n && !err; i++) {
		struct stat st;
		git_tree_entry *e = NULL;
		git_oid oid;
		uint32_t mode = 0;

		err = kser_cancel_check(w->cancel, w->cancel_arg);
		if (err)
			break;
		kser_buf_clear(&sub);
		kser_buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "",
				names.v[i].name);
		kser_buf_clear(&abs);
		kser_buf_printf(&abs, "%s/%s", root, sub.ptr);
		if (kser_buf_check(&sub) || kser_buf_check(&abs)) {
			err = kser_error_nomem();
			break;
		}
		if (lstat(abs.ptr, &st) < 0) {
			err = kser_error_errno("cannot stat '%s'", abs.ptr);
			break;
		}
		err = kser_path_check(sub.ptr, S_ISLNK(st.st_mode) ?
				      GIT_FILEMODE_LINK : S_ISDIR(st.st_mode) ?
				      GIT_FILEMODE_TREE : GIT_FILEMODE_BLOB);
		if (err)
			break;
		if (S_ISDIR(st.st_mode)) {
			err = add_files(w, sub.ptr);
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			err = kser_read_file(&data, abs.ptr);
			mode = (st.st_mode & S_IXUSR) ?
			       GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(abs.ptr, target, sizeof(target));

			if (n < 0) {
				err = kser_error_errno("cannot read link '%s'",
						       abs.ptr);
				break;
			}
			kser_buf_clear(&data);
			kser_buf_put(&data, target, (size_t)n);
			err = kser_buf_check(&data);
			mode = GIT_FILEMODE_LINK;
		} else {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "'%s' is a special file",
					     abs.ptr);
		}
		if (err)
			break;
		if (tree && git_tree_entry_bypath(&e, tree, sub.ptr) == 0) {
			git_tree_entry_free(e);
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "overlay file '%s' already exists "
					     "in the tree: edits to existing "
					     "files belong in the overlay's "
					     "patches/", sub.ptr);
			break;
		}
		if (git_blob_create_from_buffer(&oid, repo,
						kser_buf_cstr(&data),
						data.len) < 0) {
			err = kser_error_git("cannot store '%s'", abs.ptr);
			break;
		}
		err = kser_tree_edit_set(ed, sub.ptr, mode, &oid);
		(*count)++;
	}
done:
	kser_dir_list_release(&names);
	kser_buf_release(&abs);
	kser_buf_release(&sub);
	kser_buf_release(&data);
	return err;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

const struct kser_error *kser_overlay_lay(struct kser_overlay_result *out,
					  git_repository *repo,
					  const git_oid *parent,
					  const char *dir, const char *version,
					  int64_t when, kser_cancel_cb cancel,
					  void *cancel_arg)
{
	struct kser_apply_options aopts = KSER_APPLY_OPTIONS_INIT;
	const struct kser_error *err = NULL;
	struct kser_buf path = KSER_BUF_INIT, text = KSER_BUF_INIT;
	struct kser_buf msg = KSER_BUF_INIT;
	struct kser_tree_edit ed;
	struct kser_dir_list patches = { 0 };
	git_commit *parent_commit = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_oid;
	size_t i;

	memset(out, 0, sizeof(*out));
	aopts.cancel = cancel;
	aopts.cancel_arg = cancel_arg;
	kser_tree_edit_init(&ed);
	if (git_commit_lookup(&parent_commit, repo, parent) < 0) {
		err = kser_error_git("cannot read the base commit");
		goto done;
	}
	git_oid_cpy(&tree_oid, git_commit_tree_id(parent_commit));

	kser_buf_printf(&msg, "kser: lay the overlay over %s\n\n", version);

	/* Edits to existing files first, on the pristine tree. */
	kser_buf_printf(&path, "%s/patches", dir);
	if (kser_buf_check(&path)) {
		err = kser_error_nomem();
		goto done;
	}
	if (kser_is_dir(path.ptr)) {
		err = kser_dir_list(&patches, -1, path.ptr);
		if (err)
			goto done;
	}
	for (i = 0; i < patches.n; i++) {
		struct kser_patch *patch = NULL;
		git_oid next;

		err = kser_cancel_check(cancel, cancel_arg);
		if (err)
			goto done;
		if (!has_suffix(patches.v[i].name, ".patch"))
			continue;
		kser_buf_clear(&path);
		kser_buf_printf(&path, "%s/patches/%s", dir, patches.v[i].name);
		if (kser_buf_check(&path)) {
			err = kser_error_nomem();
			goto done;
		}
		err = kser_read_file(&text, path.ptr);
		if (!err)
			err = kser_patch_parse(&patch, kser_buf_cstr(&text),
					       text.len, 1);
		if (!err)
			err = kser_apply_to_tree(&next, repo, &tree_oid, patch,
						 &aopts, NULL);
		kser_patch_free(patch);
		if (err) {
			err = kser_error_wrap(err, "overlay patch '%s'",
					      patches.v[i].name);
			goto done;
		}
		tree_oid = next;
		out->npatches++;
		kser_buf_printf(&msg, "Edits: %s\n", patches.v[i].name);
	}

	kser_buf_clear(&path);
	kser_buf_printf(&path, "%s/files", dir);
	if (kser_buf_check(&path)) {
		err = kser_error_nomem();
		goto done;
	}
	if (kser_is_dir(path.ptr)) {
		if (git_tree_lookup(&tree, repo, &tree_oid) < 0) {
			err = kser_error_git("cannot read the tree");
			goto done;
		}
		struct lay_files w = { &ed, repo, tree, path.ptr,
				       &out->nfiles, cancel, cancel_arg };

		err = add_files(&w, "");
		if (err)
			goto done;
		err = kser_tree_edit_write(&tree_oid, repo, &tree_oid, &ed);
		if (err)
			goto done;
		git_tree_free(tree);
		tree = NULL;
	}
	kser_buf_printf(&msg, "New files: %zu\n", out->nfiles);
	if (kser_buf_check(&msg)) {
		err = kser_error_nomem();
		goto done;
	}

	if (git_tree_lookup(&tree, repo, &tree_oid) < 0 ||
	    git_signature_new(&sig, OVERLAY_NAME, OVERLAY_EMAIL, when, 0) < 0 ||
	    git_commit_create(&out->commit, repo, NULL, sig, sig, NULL,
			      msg.ptr, tree, 1,
			      (const git_commit **)&parent_commit) < 0)
		err = kser_error_git("cannot commit the overlay");
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent_commit);
	kser_dir_list_release(&patches);
	kser_tree_edit_release(&ed);
	kser_buf_release(&path);
	kser_buf_release(&text);
	kser_buf_release(&msg);
	return err;
}
