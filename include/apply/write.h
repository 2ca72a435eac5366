/*
 * write.h - the safe writer: the one way dkimctl replaces a file.
 *
 * A file is replaced atomically: a temporary file is created in the same
 * directory with O_CREAT|O_EXCL|O_NOFOLLOW, its owner and mode are set on
 * the open descriptor before any byte is written, the data is written and
 * fsync()ed, the temporary is renamed over the target and the directory is
 * fsync()ed.  A timestamped backup of the old file is kept (a hard link made
 * before the rename, so the old bytes are never copied or exposed).  A
 * target that is a symlink, has more than one hard link, or is not a regular
 * file is refused; every directory on the way is opened without following
 * symlinks (util/path.h).  On any failure the old file is intact and the
 * temporary is removed.  Writing the same bytes, owner and mode again changes
 * nothing, not even the mtime.
 */
#ifndef DK_APPLY_WRITE_H
#define DK_APPLY_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/path.h"

#define DK_NO_OWNER ((uid_t)-1)
#define DK_NO_GROUP ((gid_t)-1)

typedef struct dk_write_opts {
    mode_t mode;      /* permission bits of the new file */
    uid_t uid;        /* DK_NO_OWNER: leave as created */
    gid_t gid;        /* DK_NO_GROUP: leave as created */
    bool backup;      /* keep NAME.dkimctl-YYYYMMDDTHHMMSS[-N] of the old file */
    bool create_dirs; /* create missing parent directories with dir_mode */
    mode_t dir_mode;
    bool exclusive; /* fail with DK_EEXIST if the target exists */
} dk_write_opts;

/* Default options: mode 0644, no owner change, backup on, no dir creation. */
dk_write_opts dk_write_defaults(void);

typedef struct dk_write_result {
    bool changed;             /* false: content, owner and mode already equal */
    bool created;             /* the target did not exist before */
    char backup[DK_PATH_MAX]; /* system path of the backup, or "" */
} dk_write_result;

/* Replace system path `sys` under root r with data[0..len). res may be NULL. */
int dk_write_file(const dk_root *r, const char *sys, const void *data, size_t len,
                  const dk_write_opts *o, dk_write_result *res, dk_err *e);

/* Restore `sys` from the backup `backup_sys` (atomic rename of a fresh copy),
 * or remove `sys` when backup_sys is NULL (undo of a creation). */
int dk_write_restore(const dk_root *r, const char *sys, const char *backup_sys, dk_err *e);

#endif
