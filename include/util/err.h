/*
 * err.h - error values with reasons.
 *
 * Core functions never print and never exit.  A function that can fail takes
 * a `dk_err *` as its last argument, returns -1 (or NULL) on failure and fills
 * the error with a code, an optional location (file:line:column, or a field
 * name) and a sentence that says what went wrong and what is accepted.  The
 * caller (src/cli or src/tui) decides how to show it.
 *
 * Passing NULL for the error is allowed: the failure is still reported
 * through the return value, only the reason is lost.
 */
#ifndef DK_UTIL_ERR_H
#define DK_UTIL_ERR_H

#include <stddef.h>

enum dk_errcode {
    DK_OK = 0,
    DK_EINVAL,   /* bad input: syntax, range, unknown key ... */
    DK_EIO,      /* a read, write, fsync or rename failed */
    DK_ENOMEM,   /* allocation failed or a size cap was hit */
    DK_EEXIST,   /* the target exists and may not be replaced */
    DK_EPERM,    /* unsafe owner/mode, symlink, hard link */
    DK_ENOENT,   /* a file or record that must exist does not */
    DK_ECANCEL,  /* the progress callback asked to stop */
    DK_ECRYPTO,  /* OpenSSL refused */
    DK_ETEMP,    /* transient: DNS timeout, SERVFAIL */
    DK_EINTERNAL /* a bug: should never be seen */
};

#define DK_ERR_MSG  512
#define DK_ERR_FILE 256

typedef struct dk_err {
    enum dk_errcode code;
    char file[DK_ERR_FILE]; /* file or field the error is about, or "" */
    unsigned line;          /* 1-based, 0 when not applicable */
    unsigned col;           /* 1-based, 0 when not applicable */
    char msg[DK_ERR_MSG];
} dk_err;

/* Reset to "no error". */
void dk_err_clear(dk_err *e);

/* Set code and message; returns -1 so callers can `return dk_err_set(...)`. */
int dk_err_set(dk_err *e, enum dk_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same with a location; file may be NULL, line/col may be 0. */
int dk_err_setloc(dk_err *e, enum dk_errcode code, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Same, appending ": strerror(errnum)" to the message. */
int dk_err_errno(dk_err *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context ("reading X: " + old). */
int dk_err_prefix(dk_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "file:line:col: msg" (or the parts present) into buf; returns buf. */
const char *dk_err_format(const dk_err *e, char *buf, size_t size);

/* Short English name of a code ("invalid input", ...). */
const char *dk_errcode_name(enum dk_errcode code);

#endif
