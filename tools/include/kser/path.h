/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSER_PATH_H
#define KSER_PATH_H

#include <stddef.h>
#include <stdint.h>

struct kser_error;

/*
 * The deepest path kser stores: git's core.maxTreeDepth default. git stops
 * walking trees deeper than this, so nothing deeper is of use in a tree.
 */
#define KSER_PATH_MAX_DEPTH 2048

/*
 * The longest path and the longest name in it: Linux's PATH_MAX - 1 and
 * NAME_MAX. git am fails on longer ones ("File name too long"), and
 * nothing could check them out.
 */
#define KSER_PATH_MAX_LEN 4095
#define KSER_PATH_MAX_NAME 255

/*
 * The one rule for every path kser stores in a tree (import, overlay,
 * apply) or writes below a work tree. It is at least as strict as git's
 * verify_path() with core.protectNTFS and core.protectHFS both on, and
 * nothing it lets through makes git fsck --strict complain:
 *
 *  - relative, with no empty, "." or ".." component;
 *  - no component git would take for its own directory: ".git" in any
 *    case, and what NTFS ("git~1", ".git. ", ".git::$INDEX_ALLOCATION",
 *    names after a backslash) or HFS+ (".git" with ignorable code points
 *    such as U+200C) turns into ".git";
 *  - ".gitmodules" and ".gitattributes" (and their NTFS and HFS+ aliases)
 *    only as files: never a directory or a submodule, and ".gitmodules"
 *    never a symbolic link (git's gitmodulesSymlink);
 *  - at most KSER_PATH_MAX_DEPTH components, KSER_PATH_MAX_LEN bytes in
 *    all and KSER_PATH_MAX_NAME bytes in one component.
 *
 * mode is the git mode the path gets (0100644, 0100755, 0120000, 0160000,
 * 040000), or 0 when it is not known; then the rules that depend on it are
 * not checked. Returns NULL if the path is safe, or a BAD_INPUT error
 * naming the path and the reason.
 */
const struct kser_error *kser_path_check(const char *path, uint32_t mode);

/*
 * Normalises an archive member name in place: drops "./" and empty
 * components, and a trailing slash. Absolute names and ".." are left for
 * kser_path_check() to refuse.
 */
void kser_path_normalize(char *path);

#endif
