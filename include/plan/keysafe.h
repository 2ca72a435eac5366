/*
 * keysafe.h - is a private key safe the way OpenDKIM's RequireSafeKeys
 * judges it (dkimf_securefile / dkimf_checkfsnode in opendkim.c)?
 *
 * Every component from the root to the key is checked, as the OpenDKIM
 * user (uid `uid`, name `user`):
 *   the key file: owned by root or the OpenDKIM user; not readable or
 *     writable by others; readable/writable by its group only when no other
 *     user has that group as primary group or is listed as a member;
 *   each directory: not writable by others; group-writable only under the
 *     same group rule; owner-writable only when owned by root or the
 *     OpenDKIM user.
 * Symbolic links anywhere on the way are refused outright (OpenDKIM would
 * resolve them; dkimctl never follows them).
 *
 * Accounts are read from ROOT/etc/passwd and ROOT/etc/group.  Under --root
 * the root directory itself is trusted; inside it, files created by the
 * invoking user count as root's (they stand for root-owned files of the
 * target), and owners recorded in ROOT/var/lib/dkimctl/owners are used in
 * place of the real ones.
 */
#ifndef DK_PLAN_KEYSAFE_H
#define DK_PLAN_KEYSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/path.h"

/* 1 safe, 0 unsafe (why says which path and why), -1 error (e). */
int dk_keysafe_check(const dk_root *r, const char *key_sys, const char *user, char *why,
                     size_t whysize, dk_err *e);

/* Can `user` reach and read the key (search permission on every directory,
 * read permission on the file), judged with the same owners?  OpenDKIM
 * loads keys after it has dropped to its user.  1 yes, 0 no (why), -1 error. */
int dk_keysafe_readable(const dk_root *r, const char *key_sys, const char *user, char *why,
                        size_t whysize, dk_err *e);

#endif
