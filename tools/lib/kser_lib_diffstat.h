/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_LIB_DIFFSTAT_H
#define KSER_LIB_DIFFSTAT_H

#include <stddef.h>
#include <git2.h>

#include "kser/buf.h"

struct kser_error;

/*
 * What git format-patch writes after the message: "---", one line per
 * file scaled to 72 columns, "N files changed, ...", and the summary
 * (create, delete, rename, mode change). NULL entries are skipped.
 */
const struct kser_error *kser_diffstat_write(struct kser_buf *out,
					     git_patch *const *patches,
					     size_t n);

#endif
