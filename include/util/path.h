/*
 * path.h - system paths under --root, and safe open primitives.
 *
 * Every system path dkimctl touches is an absolute path of the target system
 * ("/etc/opendkim.conf").  A dk_root maps it under the root directory given
 * with --root (or "/" for the real system).  Components below the root are
 * opened one by one with O_NOFOLLOW, so a symlink planted anywhere under the
 * root is never followed; the root directory itself is trusted as given.
 */
#ifndef DK_UTIL_PATH_H
#define DK_UTIL_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

#define DK_PATH_MAX 4096

typedef struct dk_root {
    char dir[DK_PATH_MAX]; /* "/" or the --root directory, no trailing slash except "/" */
} dk_root;

/* Set the root ("" or NULL means "/").  Fails if it is not a directory. */
int dk_root_init(dk_root *r, const char *dir, dk_err *e);
bool dk_root_is_real(const dk_root *r);

/* Is `sys` a clean absolute path: starts with '/', no "//", no "." or ".."
 * component, no control characters, under DK_PATH_MAX? */
bool dk_path_is_clean(const char *sys);

/* Host path of system path `sys` (must be clean) into out. */
int dk_root_path(const dk_root *r, const char *sys, char *out, size_t size, dk_err *e);

/* Open the parent directory of `sys` below the root without following any
 * symlink; returns an O_DIRECTORY fd and points *base at the last component.
 * With `create`, missing directories are made with `dirmode`. */
int dk_root_open_parent(const dk_root *r, const char *sys, bool create, mode_t dirmode,
                        const char **base, dk_err *e);

/* Open a directory below the root, no symlinks followed. */
int dk_root_open_dir(const dk_root *r, const char *sys, dk_err *e);

/* Read a whole regular file below the root (no symlink, cap `max`) into b.
 * A missing file gives DK_ENOENT. If st is not NULL it receives fstat(). */
int dk_root_read_file(const dk_root *r, const char *sys, size_t max, dk_buf *b, struct stat *st,
                      dk_err *e);

/* lstat() of the path below the root (through dk_root_open_parent). */
int dk_root_lstat(const dk_root *r, const char *sys, struct stat *st, dk_err *e);

/* Read a whole regular file given by a host path (used for user-named input
 * files such as messages or --answers); refuses non-regular files. */
int dk_read_file(const char *path, size_t max, dk_buf *b, dk_err *e);

#endif
