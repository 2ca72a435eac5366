/* mem.c - checked allocation and secret wiping. */
#include "util/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *dk_calloc(size_t n, size_t size, dk_err *e)
{
    void *p;

    if (n == 0 || size == 0) {
        n = 1;
        size = 1;
    }
    p = calloc(n, size);
    if (p == NULL)
        dk_err_set(e, DK_ENOMEM, "out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *dk_reallocarray(void *p, size_t n, size_t size, dk_err *e)
{
    void *q;

    if (size != 0 && n > SIZE_MAX / size) {
        dk_err_set(e, DK_ENOMEM, "allocation size overflow");
        return NULL;
    }
    q = realloc(p, n * size == 0 ? 1 : n * size);
    if (q == NULL)
        dk_err_set(e, DK_ENOMEM, "out of memory (%zu x %zu bytes)", n, size);
    return q;
}

char *dk_strndup(const char *s, size_t n, dk_err *e)
{
    char *p = dk_calloc(n + 1, 1, e);

    if (p != NULL && n > 0)
        memcpy(p, s, n);
    return p;
}

char *dk_strdup(const char *s, dk_err *e)
{
    return dk_strndup(s, strlen(s), e);
}

void dk_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        explicit_bzero(p, n);
}

int dk_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size == 0)
        return -1;
    if (n >= size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}
