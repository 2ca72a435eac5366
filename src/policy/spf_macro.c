/* spf_macro.c - SPF macro expansion (RFC 7208 7), bounded. */
#include "policy/spf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

/* Working cap for an expansion before the domain cut: generous but finite. */
#define WORK_MAX ((size_t)DK_SPF_EXPAND_MAX * 4)

static bool is_delim(int c)
{
    return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

static bool is_unreserved(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* The value of a macro letter into v. */
static int letter_value(int letter, const dk_spf_macro_ctx *ctx, dk_buf *v, dk_err *e)
{
    const char *sender = ctx->sender != NULL ? ctx->sender : "";
    const char *at = strrchr(sender, '@');
    char tmp[64];

    switch (letter) {
    case 's':
        if (at == sender || at == NULL) /* empty local-part -> postmaster */
            return dk_buf_printf(v, e, "postmaster@%s", at != NULL ? at + 1 : sender);
        return dk_buf_puts(v, sender, e);
    case 'l':
        if (at == NULL || at == sender)
            return dk_buf_puts(v, "postmaster", e);
        return dk_buf_append(v, sender, (size_t)(at - sender), e);
    case 'o':
        return dk_buf_puts(v, at != NULL ? at + 1 : sender, e);
    case 'd':
        return dk_buf_puts(v, ctx->domain != NULL ? ctx->domain : "", e);
    case 'i':
        if (ctx->ip.family == 6) {
            for (int k = 0; k < 16; k++) {
                if (dk_buf_printf(v, e, "%s%x.%x", k == 0 ? "" : ".", ctx->ip.b[k] >> 4,
                                  ctx->ip.b[k] & 0xf) < 0)
                    return -1;
            }
            return 0;
        }
        return dk_buf_printf(v, e, "%u.%u.%u.%u", ctx->ip.b[0], ctx->ip.b[1], ctx->ip.b[2],
                             ctx->ip.b[3]);
    case 'p':
        return dk_buf_puts(v, ctx->ptr != NULL && ctx->ptr[0] != '\0' ? ctx->ptr : "unknown", e);
    case 'v':
        return dk_buf_puts(v, ctx->ip.family == 6 ? "ip6" : "in-addr", e);
    case 'h':
        return dk_buf_puts(v, ctx->helo != NULL ? ctx->helo : "", e);
    case 'c':
        return dk_buf_puts(v, dk_spf_ip_format(&ctx->ip, tmp, sizeof tmp), e);
    case 'r':
        return dk_buf_puts(
            v, ctx->receiver != NULL && ctx->receiver[0] != '\0' ? ctx->receiver : "unknown", e);
    case 't':
        return dk_buf_printf(v, e, "%lld", ctx->now);
    default:
        return dk_err_set(e, DK_EINVAL, "invalid macro letter '%c'", letter);
    }
}

/* Split v on delims, optionally reverse, keep the rightmost `keep` parts
 * (0 = all), join with '.', URL-encode when asked, append to out. */
static int transform(const dk_buf *v, const char *delims, size_t keep, bool rev, bool url,
                     dk_buf *out, dk_err *e)
{
    size_t np = 1, *st, *ln, first, k = 0, start = 0;
    int rc = -1;

    for (size_t i = 0; i < v->len; i++) {
        if (strchr(delims, v->data[i]) != NULL)
            np++;
    }
    st = dk_calloc(np, sizeof *st, e);
    ln = dk_calloc(np, sizeof *ln, e);
    if (st == NULL || ln == NULL)
        goto out;
    for (size_t i = 0; i <= v->len; i++) {
        if (i == v->len || strchr(delims, v->data[i]) != NULL) {
            st[k] = start;
            ln[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    first = keep == 0 || keep >= np ? 0 : np - keep;
    for (size_t j = first; j < np; j++) {
        size_t idx = rev ? np - 1 - j : j;
        const char *p = v->data + st[idx];

        if (j > first && dk_buf_putc(out, '.', e) < 0)
            goto out;
        if (!url) {
            if (dk_buf_append(out, p, ln[idx], e) < 0)
                goto out;
            continue;
        }
        for (size_t m = 0; m < ln[idx]; m++) {
            unsigned char c = (unsigned char)p[m];
            if (is_unreserved(c) ? dk_buf_putc(out, (char)c, e) < 0
                                 : dk_buf_printf(out, e, "%%%02X", c) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    free(st);
    free(ln);
    return rc;
}

int dk_spf_expand(const char *spec, const dk_spf_macro_ctx *ctx, bool in_exp, bool domain,
                  char *out, size_t size, dk_err *e)
{
    dk_buf b, v;
    size_t n = strlen(spec), i = 0, skip = 0;
    int rc = -1;

    if (size == 0)
        return dk_err_set(e, DK_EINTERNAL, "no room for the expansion");
    out[0] = '\0';
    if (dk_spf_check_spec(spec, in_exp, domain, e) < 0)
        return -1;
    dk_buf_init(&b, WORK_MAX);
    dk_buf_init(&v, WORK_MAX);
    while (i < n) {
        if (spec[i] != '%') {
            size_t j = i;
            while (j < n && spec[j] != '%')
                j++;
            if (dk_buf_append(&b, spec + i, j - i, e) < 0)
                goto out;
            i = j;
            continue;
        }
        /* dk_spf_check_spec guarantees the macro is well formed */
        if (spec[i + 1] == '%' || spec[i + 1] == '_' || spec[i + 1] == '-') {
            const char *lit = spec[i + 1] == '%' ? "%" : spec[i + 1] == '_' ? " " : "%20";
            if (dk_buf_puts(&b, lit, e) < 0)
                goto out;
            i += 2;
            continue;
        }
        {
            int letter = spec[i + 2];
            bool url = letter >= 'A' && letter <= 'Z', rev = false;
            size_t keep = 0, j = i + 3;
            char delims[8];
            size_t nd = 0;

            while (spec[j] >= '0' && spec[j] <= '9') {
                keep = keep * 10 + (size_t)(spec[j] - '0');
                if (keep > 100000) /* saturate: more parts than any value has */
                    keep = 100000;
                j++;
            }
            if ((spec[j] | 0x20) == 'r') {
                rev = true;
                j++;
            }
            delims[0] = '\0';
            while (is_delim(spec[j])) {
                if (strchr(delims, spec[j]) == NULL && nd < sizeof delims - 1) {
                    delims[nd++] = spec[j];
                    delims[nd] = '\0';
                }
                j++;
            }
            if (nd == 0)
                memcpy(delims, ".", 2);
            dk_buf_reset(&v);
            if (letter_value(letter | 0x20, ctx, &v, e) < 0)
                goto out;
            if (v.data == NULL && dk_buf_reserve(&v, 0, e) < 0)
                goto out;
            if (transform(&v, delims, keep, rev, url, &b, e) < 0)
                goto out;
            i = j + 1;
        }
    }
    if (b.data == NULL && dk_buf_reserve(&b, 0, e) < 0)
        goto out;
    if (domain) {
        /* RFC 7208 7.3: cut labels from the left until it fits */
        size_t len = b.len;
        if (len > 0 && b.data[len - 1] == '.')
            len--;
        while (len - skip > DK_SPF_DOMAIN_MAX) {
            const char *dot = memchr(b.data + skip, '.', len - skip);
            if (dot == NULL) {
                dk_err_set(e, DK_EINVAL, "the expanded name has a label longer than %d octets",
                           DK_SPF_DOMAIN_MAX);
                goto out;
            }
            skip = (size_t)(dot - b.data) + 1;
        }
        b.len = len;
    } else if (b.len > DK_SPF_EXPAND_MAX) {
        b.len = DK_SPF_EXPAND_MAX;
    }
    if (b.len - skip >= size) {
        dk_err_set(e, DK_EINTERNAL, "the expansion (%zu octets) does not fit", b.len - skip);
        goto out;
    }
    memcpy(out, b.data + skip, b.len - skip);
    out[b.len - skip] = '\0';
    rc = 0;
out:
    if (rc < 0 && e != NULL && e->code == DK_ENOMEM)
        dk_err_set(e, DK_EINVAL, "the macro expansion is longer than %zu octets", WORK_MAX);
    dk_buf_free(&b);
    dk_buf_free(&v);
    return rc;
}
