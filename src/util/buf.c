/* buf.c - size-capped growable byte buffers. */
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void dk_buf_init(dk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max == 0 ? DK_BUF_DEFAULT_MAX : max;
    b->secret = false;
}

void dk_buf_init_secret(dk_buf *b, size_t max)
{
    dk_buf_init(b, max);
    b->secret = true;
}

void dk_buf_free(dk_buf *b)
{
    if (b->data != NULL && b->secret)
        dk_wipe(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void dk_buf_reset(dk_buf *b)
{
    if (b->data != NULL) {
        if (b->secret)
            dk_wipe(b->data, b->cap);
        b->data[0] = '\0';
    }
    b->len = 0;
}

int dk_buf_reserve(dk_buf *b, size_t extra, dk_err *e)
{
    size_t need, ncap;
    char *p;

    if (extra > b->max - b->len)
        return dk_err_set(e, DK_ENOMEM, "data exceeds the limit of %zu bytes", b->max);
    need = b->len + extra + 1; /* room for the terminating NUL */
    if (need <= b->cap)
        return 0;
    ncap = b->cap < 64 ? 64 : b->cap;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (b->secret) {
        /* never let realloc leave a stale copy of a secret behind */
        p = dk_calloc(ncap, 1, e);
        if (p == NULL)
            return -1;
        if (b->data != NULL) {
            memcpy(p, b->data, b->len + 1);
            dk_wipe(b->data, b->cap);
            free(b->data);
        }
    } else {
        p = dk_reallocarray(b->data, ncap, 1, e);
        if (p == NULL)
            return -1;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

int dk_buf_append(dk_buf *b, const void *p, size_t n, dk_err *e)
{
    if (dk_buf_reserve(b, n, e) < 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dk_buf_puts(dk_buf *b, const char *s, dk_err *e)
{
    return dk_buf_append(b, s, strlen(s), e);
}

int dk_buf_putc(dk_buf *b, char c, dk_err *e)
{
    return dk_buf_append(b, &c, 1, e);
}

int dk_buf_vprintf(dk_buf *b, dk_err *e, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return dk_err_set(e, DK_EINTERNAL, "format error");
    if (dk_buf_reserve(b, (size_t)n, e) < 0)
        return -1;
    if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
        return dk_err_set(e, DK_EINTERNAL, "format error");
    b->len += (size_t)n;
    return 0;
}

int dk_buf_printf(dk_buf *b, dk_err *e, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = dk_buf_vprintf(b, e, fmt, ap);
    va_end(ap);
    return rc;
}

char *dk_buf_steal(dk_buf *b, size_t *len)
{
    char *p = b->data;

    if (len != NULL)
        *len = b->len;
    if (p == NULL)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
