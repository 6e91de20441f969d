// SPDX-License-Identifier: GPL-2.0
/*
 * Cache keys: a hash of exactly what determines a result. A build's key
 * is the tree, the configuration and the toolchain; checkpatch's is the
 * patch (its patch-id, author and message, and what the commit IDs the
 * message names are in the repository), the options, and the scripts and
 * MAINTAINERS of the tree. Uses the rows (range.c), the toolchain (preflight.c),
 * libgit2, OpenSSL's SHA-1 and the core.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <openssl/evp.h>

#include "kser/buf.h"
#include "kser_lib_verify.h"

/* Bump when a check's logic changes what it reports. */
#define CHECK_VERSION "kser-verify-2"

static void sha1_hex(char out[GIT_OID_HEXSZ + 1], const void *data,
		     size_t len)
{
	unsigned char md[20];
	unsigned int mdlen;
	size_t i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL);
	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

char *verify_config_text(git_repository *repo, const git_oid *tree,
			 const struct kser_verify_config *vc)
{
	if (vc->kconfig)
		return strdup(vc->kconfig_text);
	return verify_tree_text(repo, tree, vc->kunitconfig, NULL);
}

/*
 * What the configuration of a row is: its kunitconfig (the tree's) or
 * its fragment's content (not where the fragment is), and the arch.
 */
void verify_config_hash(git_repository *repo, const git_oid *tree,
			const struct kser_verify_config *vc,
			char out[GIT_OID_HEXSZ + 1])
{
	char *kc = verify_config_text(repo, tree, vc);
	struct kser_buf b = KSER_BUF_INIT;

	if (vc->kconfig)
		kser_buf_printf(&b, "arch %s\nkconfig\n%s", vc->arch,
				kc ? kc : "");
	else
		kser_buf_printf(&b, "arch %s\nkunitconfig %s\n%s", vc->arch,
				vc->kunitconfig, kc ? kc : "(missing)");
	sha1_hex(out, kser_buf_cstr(&b), b.len);
	kser_buf_release(&b);
	free(kc);
}

/*
 * What the commit IDs the message names ("Fixes: 123456789abc", "commit
 * 123456789abc") are in the repository: checkpatch.pl asks git, and
 * says UNKNOWN_COMMIT_ID for one it does not find, GIT_COMMIT_ID for a
 * title that is not the commit's. Every hex word is asked.
 */
static void referenced_commits(git_repository *repo, const char *msg,
			       struct kser_buf *out)
{
	const char *p = msg;

	while (p && *p) {
		size_t n = strspn(p, "0123456789abcdefABCDEF");
		bool word = n >= 5 && n <= GIT_OID_HEXSZ &&
			    (p == msg || !isalnum((unsigned char)p[-1])) &&
			    !isalnum((unsigned char)p[n]);

		if (word) {
			char hex[GIT_OID_HEXSZ + 1];
			git_object *o = NULL;
			git_oid id;
			size_t i;

			for (i = 0; i < n; i++)
				hex[i] = (char)tolower((unsigned char)p[i]);
			hex[n] = '\0';
			if (git_oid_fromstrn(&id, hex, n) == 0 &&
			    git_object_lookup_prefix(&o, repo, &id, n,
						     GIT_OBJECT_COMMIT) == 0)
				kser_buf_printf(out, "ref %s %s %s\n", hex,
						git_oid_tostr_s(
							git_object_id(o)),
						git_commit_summary(
							(git_commit *)o));
			else
				kser_buf_printf(out, "ref %s -\n", hex);
			git_object_free(o);
		}
		p += n ? n : 1;
	}
}

/* patch-id, author and message: what checkpatch.pl sees of a commit. */
static void patch_identity(git_repository *repo, const git_oid *commit,
			   struct kser_buf *out)
{
	git_commit *cm = NULL, *parent = NULL;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	git_oid pid;

	if (git_commit_lookup(&cm, repo, commit) < 0)
		return;
	if (git_commit_parent(&parent, cm, 0) == 0 &&
	    git_commit_tree(&a, parent) == 0 && git_commit_tree(&b, cm) == 0 &&
	    git_diff_tree_to_tree(&diff, repo, a, b, NULL) == 0 &&
	    git_diff_patchid(&pid, diff, NULL) == 0)
		kser_buf_printf(out, "patch-id %s\n", git_oid_tostr_s(&pid));
	kser_buf_printf(out, "author %s <%s>\nmessage %s\n",
			git_commit_author(cm)->name, git_commit_author(cm)->email,
			git_commit_message(cm));
	referenced_commits(repo, git_commit_message(cm), out);
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(parent);
	git_commit_free(cm);
}

void verify_key(char out[GIT_OID_HEXSZ + 1], git_repository *repo,
		const struct kser_verify_report *rep,
		const struct kser_settings *s,
		const struct verify_toolchain *tc, size_t row, size_t check)
{
	const struct kser_verify_check *ck = &rep->checks[check];
	const struct kser_verify_row *r = &rep->rows[row];
	struct kser_buf b = KSER_BUF_INIT;
	char cfg[GIT_OID_HEXSZ + 1];

	kser_buf_printf(&b, "%s\ncheck %s\n", CHECK_VERSION, ck->id);
	if (ck->kind == KSER_CHECK_CHECKPATCH) {
		/* MAINTAINERS: the F: entries that cover a patch's files. */
		static const char *const scripts[] = {
			"scripts/checkpatch.pl", "scripts/spelling.txt",
			"scripts/const_structs.checkpatch", "MAINTAINERS",
		};
		size_t i;

		patch_identity(repo, &r->commit, &b);
		kser_buf_printf(&b, "options %s\n%s", s->checkpatch,
				tc->perl);
		for (i = 0; i < sizeof(scripts) / sizeof(*scripts); i++) {
			git_oid id;
			char *text = verify_tree_text(repo, &r->tree,
						      scripts[i], &id);

			kser_buf_printf(&b, "%s %s\n", scripts[i],
					text ? git_oid_tostr_s(&id) : "-");
			free(text);
		}
	} else {
		verify_config_hash(repo, &r->tree, &s->configs[ck->config],
				   cfg);
		kser_buf_printf(&b, "tree %s\nconfig %s\n%s",
				git_oid_tostr_s(&r->tree), cfg, tc->tools);
	}
	sha1_hex(out, kser_buf_cstr(&b), b.len);
	kser_buf_release(&b);
}
