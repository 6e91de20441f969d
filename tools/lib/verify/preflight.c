// SPDX-License-Identifier: GPL-2.0
/*
 * Before any work: the tools the checks need, the trees they run in; and
 * the identity of the toolchain, which every build's key holds. Uses the
 * rows (range.c), the columns (checks.c), child processes and the core.
 */
#include <stdlib.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/cancel.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser_lib_verify.h"

/* Is configuration k built in this run? */
static bool config_checked(const struct kser_verify_report *rep, size_t k)
{
	size_t i;

	for (i = 0; i < rep->nchecks; i++)
		if (rep->checks[i].kind == KSER_CHECK_BUILD &&
		    rep->checks[i].config == k)
			return true;
	return false;
}

const struct kser_error *verify_preflight(const struct kser_verify_report *rep,
					  git_repository *repo,
					  const struct kser_settings *s)
{
	static const char *const build_tools[] = {
		"make", "gcc", "ld", "flex", "bison", "bc", "perl", "python3",
	};
	struct kser_buf missing = KSER_BUF_INIT;
	const struct kser_verify_row *base = &rep->rows[0];
	const struct kser_verify_row *tip = &rep->rows[rep->nrows - 1];
	const struct kser_error *err = NULL;
	bool build = verify_have_kind(rep, KSER_CHECK_BUILD);
	size_t i;

	for (i = 0; build && i < sizeof(build_tools) / sizeof(*build_tools);
	     i++)
		if (!kser_which(build_tools[i], NULL))
			kser_buf_printf(&missing, "%s%s",
					missing.len ? ", " : "",
					build_tools[i]);
	if (!build && verify_have_kind(rep, KSER_CHECK_CHECKPATCH) &&
	    !kser_which("perl", NULL))
		kser_buf_puts(&missing, "perl");
	if (missing.len) {
		err = kser_error_fmt(KSER_ERR_NOT_FOUND,
				     "missing tools: %s (on Debian: "
				     "ci/deps.sh --kernel)",
				     kser_buf_cstr(&missing));
		goto done;
	}
	for (i = 0; i < 2; i++) {
		const struct kser_verify_row *row = i ? tip : base;
		size_t k;

		if (verify_have_kind(rep, KSER_CHECK_CHECKPATCH) &&
		    !verify_tree_has(repo, &row->tree,
				     "scripts/checkpatch.pl")) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%.12s has no scripts/checkpatch.pl:"
					     " not a kernel tree",
					     git_oid_tostr_s(&row->commit));
			goto done;
		}
		if (build && !verify_tree_has(repo, &row->tree,
					      "tools/testing/kunit/kunit.py")) {
			err = kser_error_fmt(KSER_ERR_BAD_INPUT,
					     "%.12s has no tools/testing/kunit:"
					     " not a kernel tree with KUnit",
					     git_oid_tostr_s(&row->commit));
			goto done;
		}
		/* A kconfig fragment lives beside series.conf, not here. */
		for (k = 0; build && i && k < s->nconfigs; k++) {
			const char *kc = s->configs[k].kunitconfig;

			if (!kc || !config_checked(rep, k))
				continue;
			if (!verify_tree_has(repo, &row->tree, kc)) {
				err = kser_error_fmt(KSER_ERR_BAD_INPUT,
						     "the tip %.12s has no "
						     "kunitconfig '%s'",
						     git_oid_tostr_s(
							     &row->commit), kc);
				goto done;
			}
		}
	}
done:
	kser_buf_release(&missing);
	return err;
}

/* First lines of `prog --version`, for the toolchain's identity. */
/* What the toolchain's identity is being asked with. */
struct asking {
	struct kser_buf *out;
	kser_cancel_cb cancel;
	void *cancel_arg;
};

static void version_of(struct asking *a, const char *prog, const char *flag)
{
	char *argv[] = { (char *)prog, (char *)flag, NULL };
	struct kser_buf o = KSER_BUF_INIT;
	int status = 0;

	if (!kser_run_capture(&o, &status, argv, NULL, 30000, a->cancel,
			      a->cancel_arg)) {
		const char *nl = strchr(kser_buf_cstr(&o), '\n');

		kser_buf_printf(a->out, "%s: %.*s\n", prog,
				nl ? (int)(nl - kser_buf_cstr(&o)) :
				(int)o.len, kser_buf_cstr(&o));
	} else {
		kser_buf_printf(a->out, "%s: unknown\n", prog);
	}
	kser_buf_release(&o);
}

const struct kser_error *verify_toolchain_identify(struct verify_toolchain *tc,
						   kser_cancel_cb cancel,
						   void *cancel_arg)
{
	const struct kser_error *err = NULL;
	struct kser_buf t = KSER_BUF_INIT, p = KSER_BUF_INIT;
	struct asking tools = { &t, cancel, cancel_arg };
	struct asking perl = { &p, cancel, cancel_arg };

	version_of(&tools, "gcc", "--version");
	version_of(&tools, "ld", "--version");
	version_of(&tools, "make", "--version");
	version_of(&tools, "python3", "--version");
	version_of(&perl, "perl", "-v");
	/* "unknown" versions of an interruption must not make keys. */
	if (cancel)
		err = cancel(cancel_arg);
	if (err) {
		kser_buf_release(&t);
		kser_buf_release(&p);
		return err;
	}
	tc->tools = kser_buf_detach(&t);
	tc->perl = kser_buf_detach(&p);
	if (!tc->tools || !tc->perl)
		return kser_error_nomem();
	tc->ccache = kser_which("ccache", NULL);
	return NULL;
}

void verify_toolchain_release(struct verify_toolchain *tc)
{
	free(tc->tools);
	free(tc->perl);
	memset(tc, 0, sizeof(*tc));
}
