/*
 * apply.h - carry out a plan, all or nothing, and undo the last apply.
 *
 * apply: a blocked plan (critical finding) is refused before anything is
 * touched.  Then every operation runs in plan order; each file is replaced
 * atomically with a backup (apply/write.h), owner and mode set on the open
 * descriptor.  Afterwards every signing key is checked the way OpenDKIM's
 * RequireSafeKeys checks it, and (on the real root, or when asked) the
 * daemons validate the result: `opendkim -n -x CONF` and
 * `postfix -c DIR check`.  If anything fails, every change made so far is
 * undone in reverse order and the error names the operation and the reason.
 * On success a journal of what changed is written to
 * ROOT/var/lib/dkimctl/journal for `dkimctl rollback`; an empty plan writes
 * nothing at all.
 *
 * Under --root nothing is chowned and no daemon is reloaded: owners are
 * recorded in ROOT/var/lib/dkimctl/owners ("PATH OWNER GROUP MODE") and
 * group membership is written into ROOT/etc/group.  On the real root
 * membership is changed with gpasswd (execve, never a shell).
 */
#ifndef DK_APPLY_APPLY_H
#define DK_APPLY_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "plan/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/path.h"

typedef struct dk_apply_opts {
    bool reload;   /* reload the daemons (real root only) */
    bool validate; /* run the daemons' checks even under --root */
    const dk_progress *progress;
} dk_apply_opts;

typedef struct dk_apply_result {
    size_t done;         /* operations carried out */
    bool rolled_back;    /* a failure undid everything */
    char validated[256]; /* which daemon checks ran, or why none did */
    char reloaded[256];  /* what was reloaded, or why nothing was */
    char warnings[1024]; /* non-fatal notes ("" if none) */
} dk_apply_result;

int dk_apply(const dk_plan *p, const dk_model *m, const dk_root *r, const dk_apply_opts *o,
             dk_apply_result *res, dk_err *e);

/* Undo the last apply recorded in the journal; *undone counts the actions.
 * DK_ENOENT when there is nothing to roll back. */
int dk_rollback(const dk_root *r, size_t *undone, dk_err *e);

#endif
