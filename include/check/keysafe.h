/*
 * keysafe.h - key-file safety as OpenDKIM judges it (RequireSafeKeys,
 * dkimf_securefile): the key file and every directory above it, up to and
 * including the root, owned by an allowed user (root, the OpenDKIM user),
 * no directory writable by group or others, the key readable by its owner
 * only.  The rules are shared with key generation (src/apply/keygen.c).
 */
#ifndef DK_CHECK_KEYSAFE_H
#define DK_CHECK_KEYSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "model/model.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/path.h"

/* Owners OpenDKIM accepts (root is always accepted). */
typedef struct dk_key_owners {
    uid_t uid[4];
    size_t n;
} dk_key_owners;

enum dk_keysafe {
    DK_KS_OK,
    DK_KS_NOTDIR,
    DK_KS_OWNER,
    DK_KS_WRITABLE,
    DK_KS_NOTREG,
    DK_KS_READABLE,
    DK_KS_LINKS
};

/* The rule for a directory above a key (st from fstat).  DK_KS_OK, or the
 * problem with a sentence in what ("is writable by group or others (mode
 * 0777); OpenDKIM (RequireSafeKeys) refuses keys below it") and the fix
 * ("chmod go-w /etc/dkimkeys"). */
enum dk_keysafe dk_keysafe_dir(const struct stat *st, const char *shown, const dk_key_owners *o,
                               char *what, size_t wsize, char *fix, size_t fsize);
/* The rule for the key file itself: a regular file with one link, owned by
 * an allowed user, no group or other permission bits. */
enum dk_keysafe dk_keysafe_file(const struct stat *st, const char *shown, const dk_key_owners *o,
                                char *what, size_t wsize, char *fix, size_t fsize);

/*
 * Walk the key at system path `sys` under r, without following symlinks
 * (a symlink on the way is a finding), and add a critical finding per
 * unsafe component (where = its path) or one OK finding.  A missing key is
 * a critical finding too.  Returns -1 only on allocation failure.
 */
int dk_keysafe_check(const dk_root *r, const char *sys, const dk_key_owners *o, dk_findings *out,
                     dk_err *e);

/* dk_keysafe_check for the key of every active, pending and retired
 * selector of the model (or of `domain`). */
int dk_check_keys(const dk_root *r, const dk_model *m, const char *domain, const dk_key_owners *o,
                  dk_findings *out, dk_err *e);

#endif
