/*
 * buf.h - size-capped growable byte buffers (after OpenSSH sshbuf, Postfix
 * vstring).  Every buffer has a hard cap; growing past it fails with
 * DK_ENOMEM instead of eating memory.  The data is always NUL-terminated one
 * byte past `len` for convenience, but `len` is the truth: buffers may hold
 * NUL bytes.
 */
#ifndef DK_UTIL_BUF_H
#define DK_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define DK_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

typedef struct dk_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;  /* hard cap on len */
    bool secret; /* zero memory on growth and free */
} dk_buf;

/* Initialise an empty buffer with cap `max` (0 = DK_BUF_DEFAULT_MAX). */
void dk_buf_init(dk_buf *b, size_t max);
/* Same, but every byte is wiped before it is released (keys). */
void dk_buf_init_secret(dk_buf *b, size_t max);
void dk_buf_free(dk_buf *b);
/* Forget the contents, keep the allocation (wiped when secret). */
void dk_buf_reset(dk_buf *b);

int dk_buf_reserve(dk_buf *b, size_t extra, dk_err *e);
int dk_buf_append(dk_buf *b, const void *p, size_t n, dk_err *e);
int dk_buf_puts(dk_buf *b, const char *s, dk_err *e);
int dk_buf_putc(dk_buf *b, char c, dk_err *e);
int dk_buf_printf(dk_buf *b, dk_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int dk_buf_vprintf(dk_buf *b, dk_err *e, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Take the data out (caller frees); the buffer is left empty. */
char *dk_buf_steal(dk_buf *b, size_t *len);

#endif
