// SPDX-License-Identifier: GPL-2.0
/*
 * An import's name, kernel version, commit and tag, written the same
 * for the same source; its staging repository. Uses libgit2 and core.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "kser/base.h"
#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/pack.h"
#include "kser/path.h"
#include "kser/util.h"
#include "kser_lib_import.h"

/* --- version and commit ------------------------------------------------ */

static char *makefile_var(const char *mk, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = mk;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && !strncmp(p, name, nlen)) {
			const char *v = p + nlen;
			const char *end = p + len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v < end && *v == '=') {
				v++;
				while (v < end && (*v == ' ' || *v == '\t'))
					v++;
				while (end > v && (end[-1] == ' ' ||
						   end[-1] == '\t'))
					end--;
				return strndup(v, (size_t)(end - v));
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* "6.12.117" from a kernel's top Makefile, or NULL. */
char *base_kernel_version(const char *mk)
{
	char *v = makefile_var(mk, "VERSION");
	char *pl = makefile_var(mk, "PATCHLEVEL");
	char *sl = makefile_var(mk, "SUBLEVEL");
	char *ev = makefile_var(mk, "EXTRAVERSION");
	struct kser_buf b = KSER_BUF_INIT;
	char *res = NULL;

	if (v && pl && *v && *pl) {
		kser_buf_printf(&b, "%s.%s", v, pl);
		if (sl && *sl && strcmp(sl, "0"))
			kser_buf_printf(&b, ".%s", sl);
		if (ev)
			kser_buf_puts(&b, ev);
		res = kser_buf_detach(&b);
	}
	kser_buf_release(&b);
	free(v);
	free(pl);
	free(sl);
	free(ev);
	return res;
}

/* "linux-6.12.tar.xz" -> "linux-6.12"; a directory keeps its name. */
char *base_label_from_source(const char *source)
{
	static const char *const exts[] = {
		".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".txz", ".tgz",
		".tar",
	};
	const char *base = strrchr(source, '/');
	size_t len, i;
	char *s;

	s = strdup(base && base[1] ? base + 1 : source);
	if (!s)
		return NULL;
	len = strlen(s);
	while (len > 1 && s[len - 1] == '/')
		s[--len] = '\0';
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);

		if (len > el && !strcmp(s + len - el, exts[i])) {
			s[len - el] = '\0';
			break;
		}
	}
	return s;
}

const struct kser_error *base_make_commit(git_oid *out, git_repository *repo,
					  const git_oid *tree_oid,
					  const git_oid *parent_oid,
					  int64_t when, const char *msg)
{
	const struct kser_error *err = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	const git_commit *parents[1];

	if (git_signature_new(&sig, IMPORT_NAME, IMPORT_EMAIL, when, 0) < 0) {
		err = kser_error_git("cannot make the import identity");
		goto done;
	}
	if (git_tree_lookup(&tree, repo, tree_oid) < 0) {
		err = kser_error_git("cannot read the imported tree");
		goto done;
	}
	if (parent_oid && git_commit_lookup(&parent, repo, parent_oid) < 0) {
		err = kser_error_git("cannot read the source commit");
		goto done;
	}
	parents[0] = parent;
	if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree,
			      parent ? 1 : 0, parents) < 0)
		err = kser_error_git("cannot create the commit");
done:
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	return err;
}

const struct kser_error *base_tag_prepare(struct kser_base_result *res,
					  struct tag_plan *plan,
					  git_repository *repo,
					  const git_oid *oid, bool force)
{
	const struct kser_error *err = NULL;
	struct kser_buf name = KSER_BUF_INIT;
	int valid = 0;

	memset(plan, 0, sizeof(*plan));
	kser_buf_printf(&name, "refs/tags/%s", res->label);
	err = kser_buf_check(&name);
	if (err)
		goto done;
	if (git_reference_name_is_valid(&valid, name.ptr) < 0 || !valid) {
		err = kser_error_fmt(KSER_ERR_USAGE,
				     "'%s' is not a valid tag name",
				     res->label);
		goto done;
	}
	if (git_reference_name_to_id(&plan->cur, repo, name.ptr) == 0) {
		plan->exists = true;
		if (git_oid_equal(&plan->cur, oid)) {
			res->ref_unchanged = true;
		} else if (!force) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), &plan->cur);
			err = kser_error_fmt(KSER_ERR_EXISTS,
					     "tag '%s' already exists and "
					     "points at %s; use --force to "
					     "move it", res->label, hex);
			goto done;
		}
	}
	res->refname = kser_buf_detach(&name);
	if (!res->refname)
		err = kser_error_nomem();
done:
	kser_buf_release(&name);
	return err;
}

/* Moves the tag only from where base_tag_prepare() saw it. */
const struct kser_error *base_tag_write(const struct kser_base_result *res,
					const struct tag_plan *plan,
					git_repository *repo,
					const git_oid *oid)
{
	const struct kser_error *err = NULL;
	struct kser_buf log = KSER_BUF_INIT;
	git_reference *ref = NULL;
	int r;

	if (res->ref_unchanged)
		return NULL;
	kser_buf_printf(&log, "kser base import: %s", res->label);
	err = kser_buf_check(&log);
	if (err)
		return err;
	if (plan->exists)
		r = git_reference_create_matching(&ref, repo, res->refname, oid,
						  1, &plan->cur, log.ptr);
	else
		r = git_reference_create(&ref, repo, res->refname, oid, 0,
					 log.ptr);
	if (r < 0)
		err = kser_error_git("cannot create '%s'", res->refname);
	git_reference_free(ref);
	kser_buf_release(&log);
	return err;
}

/*
 * A repository whose object database writes into the pack being made and
 * reads the repository's objects beside it, never writing there: the
 * commits and the overlay are made in it, so nothing reaches the
 * repository until the finished pack is installed.
 */
const struct kser_error *base_open_staging(git_repository **out,
					   git_repository *repo,
					   struct kser_pack_writer *pw)
{
	const struct kser_error *err = NULL;
	git_odb_backend *backend = NULL;
	git_buf objdir = GIT_BUF_INIT;
	git_odb *odb = NULL;

	*out = NULL;
	if (git_odb_new(&odb) < 0)
		return kser_error_git("cannot make an object database");
	err = kser_pack_writer_backend(&backend, pw);
	if (err)
		goto done;
	if (git_odb_add_backend(odb, backend, 1000) < 0) {
		backend->free(backend);
		err = kser_error_git("cannot make an object database");
		goto done;
	}
	if (git_repository_item_path(&objdir, repo,
				     GIT_REPOSITORY_ITEM_OBJECTS) < 0 ||
	    git_odb_add_disk_alternate(odb, objdir.ptr) < 0 ||
	    git_repository_wrap_odb(out, odb) < 0)
		err = kser_error_git("cannot read the repository's objects");
done:
	git_buf_dispose(&objdir);
	git_odb_free(odb);
	return err;
}
