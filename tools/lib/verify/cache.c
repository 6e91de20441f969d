// SPDX-License-Identifier: GPL-2.0
/*
 * The cache: each result a tree (result.json, and the log) under
 * refs/kser/verify/<key> in the repository, stored as soon as it is known
 * and read back by its key. Uses the results (record.c), libgit2, jansson
 * and the core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/util.h"
#include "kser_lib_verify.h"

#define LOG_STORE_CAP (32u << 20)
#define REF_PREFIX "refs/kser/verify/"

static bool cacheable_status(enum kser_verify_status st)
{
	return st == KSER_VERIFY_PASS || st == KSER_VERIFY_FAIL;
}

/* The tree stored under key, or NULL when there is none. */
static git_tree *stored_tree(git_repository *repo, const char *key)
{
	struct kser_buf ref = KSER_BUF_INIT;
	git_tree *tree = NULL;
	git_oid oid;

	kser_buf_printf(&ref, REF_PREFIX "%s", key);
	if (kser_buf_check(&ref) ||
	    git_reference_name_to_id(&oid, repo, ref.ptr) < 0 ||
	    git_tree_lookup(&tree, repo, &oid) < 0)
		tree = NULL;
	kser_buf_release(&ref);
	return tree;
}

void verify_cache_load(git_repository *repo, const char *log_dir,
		       struct kser_verify_result *res)
{
	git_tree *tree = stored_tree(repo, res->key);
	git_blob *blob = NULL;
	const git_tree_entry *e;
	json_t *rec = NULL;

	if (!tree)
		return;
	e = git_tree_entry_byname(tree, "result.json");
	if (!e || git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		goto done;
	rec = json_loadb(git_blob_rawcontent(blob),
			 (size_t)git_blob_rawsize(blob), 0, NULL);
	/* Older versions of kser cached timeouts: they are not answers. */
	if (!rec || !json_is_object(rec) ||
	    json_is_true(json_object_get(rec, "timed_out")) ||
	    !cacheable_status(verify_status_from_name(json_string_value(
		    json_object_get(rec, "status"))))) {
		json_decref(rec);
		goto done;
	}
	if (!verify_record_set(res, rec))
		goto done;
	res->cached = true;
	res->seconds = json_number_value(json_object_get(rec, "seconds"));
	res->status = verify_status_from_name(json_string_value(
		json_object_get(rec, "status")));
	free(res->summary);
	res->summary = json_string_value(json_object_get(rec, "summary")) ?
		       strdup(json_string_value(json_object_get(rec,
								"summary"))) :
		       NULL;
	/* The log is brought out only when someone asks for it (none: no
	 * log_dir, when nothing runs). */
	e = git_tree_entry_byname(tree, "log");
	if (e && log_dir) {
		char name[GIT_OID_HEXSZ + 8];

		snprintf(name, sizeof(name), "%s.log", res->key);
		free(res->log_path);
		res->log_path = verify_path_join(log_dir, name);
	}
done:
	git_blob_free(blob);
	git_tree_free(tree);
}

void verify_cache_extract_log(git_repository *repo,
			      const struct kser_verify_result *res)
{
	git_tree *tree;
	git_blob *blob = NULL;
	const git_tree_entry *e;

	if (!res->log_path || access(res->log_path, F_OK) == 0)
		return;
	tree = stored_tree(repo, res->key);
	if (!tree)
		return;
	e = git_tree_entry_byname(tree, "log");
	if (e && git_blob_lookup(&blob, repo, git_tree_entry_id(e)) == 0)
		kser_write_file_atomic(res->log_path, git_blob_rawcontent(blob),
				       (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_free(tree);
}

const struct kser_error *
verify_cache_store(git_repository *repo, const struct kser_verify_result *res)
{
	const struct kser_error *err = NULL;
	struct kser_buf ref = KSER_BUF_INIT, log = KSER_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_oid blob, tree;
	git_reference *r = NULL;
	char *json = NULL;

	if (!cacheable_status(res->status))
		return NULL;
	json = json_dumps(verify_record(res), JSON_SORT_KEYS | JSON_INDENT(1));
	if (!json)
		return kser_error_nomem();
	if (git_blob_create_from_buffer(&blob, repo, json, strlen(json)) < 0 ||
	    git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "result.json", &blob,
				   GIT_FILEMODE_BLOB) < 0) {
		err = kser_error_git("cannot store a result");
		goto done;
	}
	if (res->log_path && !kser_read_file(&log, res->log_path)) {
		const char *p = kser_buf_cstr(&log);
		size_t len = log.len;

		/* Keep the end of an enormous log: errors are there. */
		if (len > LOG_STORE_CAP) {
			p += len - LOG_STORE_CAP;
			len = LOG_STORE_CAP;
		}
		if (git_blob_create_from_buffer(&blob, repo, p, len) < 0 ||
		    git_treebuilder_insert(NULL, tb, "log", &blob,
					   GIT_FILEMODE_BLOB) < 0) {
			err = kser_error_git("cannot store a log");
			goto done;
		}
	}
	if (git_treebuilder_write(&tree, tb) < 0) {
		err = kser_error_git("cannot store a result");
		goto done;
	}
	kser_buf_printf(&ref, REF_PREFIX "%s", res->key);
	if (kser_buf_check(&ref) ||
	    git_reference_create(&r, repo, ref.ptr, &tree, 1,
				 "kser verify") < 0)
		err = kser_error_git("cannot store a result");
done:
	git_reference_free(r);
	git_treebuilder_free(tb);
	kser_buf_release(&ref);
	kser_buf_release(&log);
	free(json);
	return err;
}
