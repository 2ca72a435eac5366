/* err.c - error values with reasons. */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void dk_err_clear(dk_err *e)
{
    if (e == NULL)
        return;
    e->code = DK_OK;
    e->file[0] = '\0';
    e->line = 0;
    e->col = 0;
    e->msg[0] = '\0';
}

static void __attribute__((format(printf, 3, 0)))
vset(dk_err *e, enum dk_errcode code, const char *fmt, va_list ap)
{
    e->code = code;
    if (vsnprintf(e->msg, sizeof e->msg, fmt, ap) < 0)
        (void)snprintf(e->msg, sizeof e->msg, "%s", dk_errcode_name(code));
}

int dk_err_set(dk_err *e, enum dk_errcode code, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return -1;
    dk_err_clear(e);
    va_start(ap, fmt);
    vset(e, code, fmt, ap);
    va_end(ap);
    return -1;
}

int dk_err_setloc(dk_err *e, enum dk_errcode code, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return -1;
    dk_err_clear(e);
    if (file != NULL)
        (void)snprintf(e->file, sizeof e->file, "%s", file);
    e->line = line;
    e->col = col;
    va_start(ap, fmt);
    vset(e, code, fmt, ap);
    va_end(ap);
    return -1;
}

static enum dk_errcode code_of_errno(int errnum)
{
    switch (errnum) {
    case ENOMEM:
        return DK_ENOMEM;
    case EEXIST:
        return DK_EEXIST;
    case ENOENT:
        return DK_ENOENT;
    case EPERM:
    case EACCES:
    case ELOOP:
        return DK_EPERM;
    case EINVAL:
        return DK_EINVAL;
    default:
        return DK_EIO;
    }
}

int dk_err_errno(dk_err *e, int errnum, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (e == NULL)
        return -1;
    dk_err_clear(e);
    va_start(ap, fmt);
    vset(e, code_of_errno(errnum), fmt, ap);
    va_end(ap);
    n = strlen(e->msg);
    if (errnum == ELOOP)
        (void)snprintf(e->msg + n, sizeof e->msg - n, ": is a symbolic link (refused)");
    else
        (void)snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
    return -1;
}

int dk_err_prefix(dk_err *e, const char *fmt, ...)
{
    char old[DK_ERR_MSG];
    va_list ap;
    int n;

    if (e == NULL)
        return -1;
    memcpy(old, e->msg, sizeof old);
    va_start(ap, fmt);
    n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof e->msg)
        (void)snprintf(e->msg + n, sizeof e->msg - (size_t)n, "%s", old);
    return -1;
}

const char *dk_err_format(const dk_err *e, char *buf, size_t size)
{
    int n = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (e == NULL)
        return buf;
    if (e->file[0] != '\0') {
        if (e->line > 0 && e->col > 0)
            n = snprintf(buf, size, "%s:%u:%u: ", e->file, e->line, e->col);
        else if (e->line > 0)
            n = snprintf(buf, size, "%s:%u: ", e->file, e->line);
        else
            n = snprintf(buf, size, "%s: ", e->file);
    }
    if (n < 0)
        n = 0;
    if ((size_t)n < size)
        (void)snprintf(buf + n, size - (size_t)n, "%s",
                       e->msg[0] != '\0' ? e->msg : dk_errcode_name(e->code));
    return buf;
}

const char *dk_errcode_name(enum dk_errcode code)
{
    switch (code) {
    case DK_OK:
        return "no error";
    case DK_EINVAL:
        return "invalid input";
    case DK_EIO:
        return "input/output error";
    case DK_ENOMEM:
        return "out of memory or size limit reached";
    case DK_EEXIST:
        return "already exists";
    case DK_EPERM:
        return "unsafe or not permitted";
    case DK_ENOENT:
        return "not found";
    case DK_ECANCEL:
        return "cancelled";
    case DK_ECRYPTO:
        return "cryptographic operation failed";
    case DK_ETEMP:
        return "temporary failure";
    case DK_EINTERNAL:
        return "internal error";
    }
    return "unknown error";
}
