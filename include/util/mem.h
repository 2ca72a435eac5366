/*
 * mem.h - checked allocation and secret wiping.
 */
#ifndef DK_UTIL_MEM_H
#define DK_UTIL_MEM_H

#include <stddef.h>

#include "util/err.h"

/* calloc/realloc/strdup that fill `e` with DK_ENOMEM on failure or overflow. */
void *dk_calloc(size_t n, size_t size, dk_err *e);
void *dk_reallocarray(void *p, size_t n, size_t size, dk_err *e);
char *dk_strdup(const char *s, dk_err *e);
char *dk_strndup(const char *s, size_t n, dk_err *e);

/* Overwrite n bytes with zeros in a way the compiler cannot drop. */
void dk_wipe(void *p, size_t n);

/* Copy src into dst (size > 0), always NUL-terminated; -1 when truncated. */
int dk_strlcpy(char *dst, const char *src, size_t size);

#endif
