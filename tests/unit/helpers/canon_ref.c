/* canon_ref.c - byte by byte, exactly as RFC 6376 3.4.2 reads. */
#include "canon_ref.h"

#include <string.h>

size_t canon_ref_relaxed(const char *f, size_t len, char *out)
{
    size_t o = 0, i, colon;
    int wsp = 0, any = 0;
    const char *c;

    if (len >= 2 && f[len - 2] == '\r' && f[len - 1] == '\n')
        len -= 2;
    c = memchr(f, ':', len);
    colon = c != NULL ? (size_t)(c - f) : len;
    for (i = 0; i < colon; i++)
        out[o++] = (f[i] >= 'A' && f[i] <= 'Z') ? (char)(f[i] + 32) : f[i];
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
        o--;
    if (colon < len) {
        out[o++] = ':';
        for (i = colon + 1; i < len; i++) {
            char ch = f[i];

            if (ch == '\r' || ch == '\n')
                continue;
            if (ch == ' ' || ch == '\t') {
                wsp = 1;
                continue;
            }
            if (wsp && any)
                out[o++] = ' ';
            wsp = 0;
            any = 1;
            out[o++] = ch;
        }
    }
    out[o++] = '\r';
    out[o++] = '\n';
    return o;
}
