/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_PATH_H
#define KSER_PATH_H

#include <stddef.h>

struct kser_error;

/*
 * Checks that a repository-relative path is safe to store in a tree and to
 * write below a work tree: relative, no empty, "." or ".." components, no
 * component that git would treat as its own directory (".git" in any case)
 * and no NUL. Returns NULL if it is, or a BAD_INPUT error naming the path
 * and the reason.
 */
const struct kser_error *kser_path_check(const char *path);

/*
 * Normalises an archive member name in place: drops "./" and empty
 * components, and a trailing slash. Absolute names and ".." are left for
 * kser_path_check() to refuse.
 */
void kser_path_normalize(char *path);

#endif
