/*
 * exec.h - run a program with an argv, never through a shell.
 *
 * The child gets a fixed environment (PATH=/usr/sbin:/usr/bin:/sbin:/bin,
 * LC_ALL=C), stdin from /dev/null, and stdout+stderr captured (capped).
 */
#ifndef DK_APPLY_EXEC_H
#define DK_APPLY_EXEC_H

#include <stdbool.h>

#include "util/buf.h"
#include "util/err.h"

/* Run argv[0] (an absolute path); *status is the exit status, or 128+signal.
 * -1 only when the program could not be started. out may be NULL. */
int dk_exec(const char *const argv[], dk_buf *out, int *status, dk_err *e);

/* Is path an executable regular file? */
bool dk_exec_available(const char *path);

#endif
